//! `/api/v1/renewals`: renewal rounds. Finance opens, chases, converts and closes; a business
//! manager reads and gives their schools' answers.

use crate::domain::renewals::{AnswerState, TypedAnswer};
use crate::domain::role::{Action, SchoolScope};
use crate::services::renewals::{self, AnswerFilter, NewRound};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::{body, invalid, page_number, parse_id};
use crate::web::openapi::{
    Op, READ, READ_ONE, WRITE, WRITE_ONE, array_of, json_body, json_content, obj, paged, path_param,
    query_param,
};
use crate::web::session::ApiUser;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/renewals", get(list).post(open))
        .route("/renewals/{id}", get(show))
        .route("/renewals/{id}/answers", get(answers))
        .route("/renewals/{id}/answers/{urn}", get(answer_of).put(answer))
        .route("/renewals/{id}/chase", post(chase))
        .route("/renewals/{id}/convert", post(convert))
        .route("/renewals/{id}/close", post(close))
}

/// Finance reaches every school; a business manager their own, only to answer.
fn scope(caller: &ApiUser) -> Result<SchoolScope, ApiError> {
    if caller.require(Action::ManageBilling).is_ok() {
        return Ok(SchoolScope::All);
    }
    caller.require(Action::AnswerRenewal)?;
    match caller.user.school_scope() {
        SchoolScope::Nothing => Err(ApiError::Forbidden),
        scope => Ok(scope),
    }
}

fn urn(text: &str) -> Result<i32, ApiError> {
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|u| (100_000..=999_999).contains(u))
        .ok_or_else(|| invalid("urn", format!("\"{text}\" is not a URN: six digits, like 100000")))
}

async fn list(State(state): State<AppState>, caller: ApiUser) -> Result<Json<Value>, ApiError> {
    match scope(&caller)? {
        SchoolScope::All => {
            Ok(Json(json!({ "rounds": renewals::rounds(&state.db, caller.user.partnership_id).await? })))
        }
        scope => {
            let open = renewals::open_for(&state.db, caller.user.partnership_id, scope).await?;
            Ok(Json(json!({ "rounds": open.into_iter().map(|(r, answers)| {
                let mut round = json!(r);
                round["answers"] = json!(answers);
                round
            }).collect::<Vec<_>>() })))
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRoundBody {
    year: String,
    answer_by: NaiveDate,
    #[serde(default)]
    note: String,
}

async fn open(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let b: NewRoundBody = body(&bytes)?;
    let new = NewRound { year: b.year, answer_by: b.answer_by, note: b.note };
    let made = renewals::open(
        &state.db,
        &caller.partnership,
        &new,
        &state.settings.public_url,
        Some(caller.user.id),
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

async fn show(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let id = parse_id(&id)?;
    Ok(Json(json!(renewals::round(&state.db, caller.user.partnership_id, id).await?)))
}

#[derive(serde::Deserialize, Default)]
struct AnswersQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

async fn answers(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<AnswersQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let id = parse_id(&id)?;
    let chosen = match q.state.trim() {
        "" => None,
        s => Some(AnswerState::parse(s).ok_or_else(|| {
            invalid("state", format!("\"{s}\" is not an answer: waiting, accepted or declined"))
        })?),
    };
    if q.q.chars().count() > 100 {
        return Err(invalid("q", "search for at most 100 characters"));
    }
    let page = page_number(&q.page)?;
    let filter = AnswerFilter { state: chosen, q: q.q.trim().to_string(), page };
    let (rows, total) = renewals::answers(&state.db, caller.user.partnership_id, id, &filter).await?;
    Ok(Json(json!({
        "answers": rows, "total": total, "page": page, "pages": total.div_ceil(renewals::PER_PAGE).max(1),
        "per_page": renewals::PER_PAGE
    })))
}

async fn answer_of(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, u)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let scope = scope(&caller)?;
    let (id, u) = (parse_id(&id)?, urn(&u)?);
    let form = renewals::answer_of(&state.db, &caller.partnership, scope, id, u).await?;
    Ok(Json(json!({
        "round": { "id": form.round.id, "year": form.round.year, "answer_by": form.round.answer_by, "closed": form.round.closed_at.is_some() },
        "answer": form.answer,
        "levels": form.levels.iter().map(|l| json!({ "name": l.name, "description": l.description })).collect::<Vec<_>>(),
        "register_pupils": form.register_pupils,
    })))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    /// renew or decline.
    answer: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    pupils: Option<i64>,
    #[serde(default)]
    po_number: String,
    #[serde(default)]
    comment: String,
}

async fn answer(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, u)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let scope = scope(&caller)?;
    let (id, u) = (parse_id(&id)?, urn(&u)?);
    // A school outside the caller's reach is not there, whatever the body says.
    renewals::check_reach(&state.db, caller.user.partnership_id, scope, id, u).await?;
    let b: AnswerBody = body(&bytes)?;
    let typed = TypedAnswer {
        choice: b.answer,
        level: b.level,
        pupils: b.pupils.map(|p| p.to_string()).unwrap_or_default(),
        po_number: b.po_number,
        comment: b.comment,
    };
    let row = renewals::answer(
        &state.db,
        caller.user.partnership_id,
        scope,
        id,
        u,
        &typed,
        Some(caller.user.id),
        state.clock.now(),
    )
    .await?;
    Ok(Json(json!(row)))
}

async fn chase(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let id = parse_id(&id)?;
    let n = renewals::chase(
        &state.db,
        &caller.partnership,
        id,
        &state.settings.public_url,
        Some(caller.user.id),
        state.clock.now(),
    )
    .await?;
    Ok(Json(json!({ "reminded": n })))
}

async fn convert(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let id = parse_id(&id)?;
    let done = renewals::convert(&state.db, &caller.partnership, id, Some(caller.user.id), state.clock.now())
        .await?;
    Ok(Json(json!(done)))
}

async fn close(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let id = parse_id(&id)?;
    Ok(Json(json!(
        renewals::close(&state.db, caller.user.partnership_id, id, Some(caller.user.id), state.clock.now())
            .await?
    )))
}

/// The paths of renewal rounds.
pub fn openapi_paths() -> Value {
    let date = || json!({ "type": "string", "format": "date" });
    let tally = obj(
        &["invited", "waiting", "accepted", "declined", "converted", "not_told"],
        json!({ "invited": { "type": "integer" }, "waiting": { "type": "integer" }, "accepted": { "type": "integer" },
                "declined": { "type": "integer" }, "converted": { "type": "integer" }, "not_told": { "type": "integer" } }),
    );
    let round = obj(
        &["id", "year", "answer_by", "tally"],
        json!({ "id": { "type": "integer" }, "year": { "type": "string" }, "answer_by": date(),
                "note": { "type": "string", "nullable": true }, "opened_at": { "type": "string", "format": "date-time" },
                "opened_by": { "type": "string", "nullable": true },
                "closed_at": { "type": "string", "format": "date-time", "nullable": true }, "tally": tally }),
    );
    let answer = obj(
        &["urn", "school", "state", "converted"],
        json!({ "round_id": { "type": "integer" }, "urn": { "type": "integer" }, "school": { "type": "string" },
                "phase": { "type": "string" }, "current_level": { "type": "string", "nullable": true },
                "state": { "type": "string", "enum": ["waiting", "accepted", "declined"] }, "state_label": { "type": "string" },
                "level": { "type": "string", "nullable": true }, "pupils": { "type": "integer", "nullable": true },
                "po_number": { "type": "string", "nullable": true }, "comment": { "type": "string", "nullable": true },
                "answered_by": { "type": "string", "nullable": true },
                "answered_at": { "type": "string", "format": "date-time", "nullable": true },
                "chased": { "type": "integer" }, "converted": { "type": "boolean" } }),
    );
    let id = || path_param("id", "integer", "The round's id", json!(1));
    let urn = || path_param("urn", "integer", "The school's URN", json!(100000));
    json!({
        "/renewals": {
            "get": Op { summary: "Renewal rounds: every one for finance; for a business manager, the open rounds with their schools' answers", id: "listRenewalRounds", parameters: vec![], body: None,
                ok: (200, "The rounds", json_content(obj(&["rounds"], json!({ "rounds": array_of(json!({ "type": "object" })) })))), errors: READ }.build(),
            "post": Op { summary: "Open a renewal round for a year's offer: every open school of the register that is not yet a member that year is invited, and each school's business managers are emailed a link to answer", id: "openRenewalRound", parameters: vec![],
                body: Some(json_body(obj(&["year", "answer_by"], json!({ "year": { "type": "string", "example": "2027-28" }, "answer_by": date(), "note": { "type": "string", "maxLength": 2000 } })),
                    Some(json!({ "year": "2027-28", "answer_by": "2027-05-31", "note": "Prices for 2027-28 are unchanged." })))),
                ok: (201, "The round", json_content(round.clone())), errors: WRITE }.build()
        },
        "/renewals/{id}": { "get": Op { summary: "A renewal round with how many schools have answered each way", id: "getRenewalRound", parameters: vec![id()], body: None,
            ok: (200, "The round", json_content(round.clone())), errors: READ_ONE }.build() },
        "/renewals/{id}/answers": { "get": Op { summary: "A page of a round's answers, by school name", id: "listRenewalAnswers",
            parameters: vec![id(),
                query_param("state", json!({ "type": "string", "enum": ["", "waiting", "accepted", "declined"] }), false, "Only answers in this state"),
                query_param("q", json!({ "type": "string", "maxLength": 100 }), false, "Part of the school's name, or its URN"),
                query_param("page", json!({ "type": "integer", "minimum": 1, "maximum": crate::services::MAX_PAGE }), false, "The page, from 1")],
            body: None, ok: (200, "The answers", json_content(paged("answers"))), errors: READ_ONE }.build() },
        "/renewals/{id}/answers/{urn}": {
            "get": Op { summary: "One school's answer, the levels it may choose and the register's pupil number", id: "getRenewalAnswer", parameters: vec![id(), urn()], body: None,
                ok: (200, "The answer", json_content(obj(&["round", "answer", "levels"], json!({ "round": { "type": "object" }, "answer": answer.clone(), "levels": array_of(json!({ "type": "object" })), "register_pupils": { "type": "integer", "nullable": true } })))), errors: READ_ONE }.build(),
            "put": Op { summary: "Give or change a school's answer: renew (or join) at a level with the number of pupils and a PO number, or decline", id: "answerRenewal", parameters: vec![id(), urn()],
                body: Some(json_body(obj(&["answer"], json!({ "answer": { "type": "string", "enum": ["renew", "decline"] }, "level": { "type": "string" },
                    "pupils": { "type": "integer", "minimum": 0, "maximum": crate::domain::pupils::MAX_PUPILS }, "po_number": { "type": "string", "maxLength": 60 }, "comment": { "type": "string", "maxLength": 1000 } })),
                    Some(json!({ "answer": "renew", "level": "Core", "pupils": 212, "po_number": "PO-2027-114" })))),
                ok: (200, "The answer", json_content(answer)), errors: WRITE_ONE }.build()
        },
        "/renewals/{id}/chase": { "post": Op { summary: "Email a reminder to every school that has not answered (at most once a day each)", id: "chaseRenewalRound", parameters: vec![id()], body: None,
            ok: (200, "How many were reminded", json_content(obj(&["reminded"], json!({ "reminded": { "type": "integer" } })))), errors: WRITE_ONE }.build() },
        "/renewals/{id}/convert": { "post": Op { summary: "Make a membership from every accepted answer not yet made into one, recording pupil numbers that differ from the register and PO numbers; all or nothing", id: "convertRenewalRound", parameters: vec![id()], body: None,
            ok: (200, "What was made", json_content(obj(&["memberships", "pupil_numbers", "po_numbers"], json!({ "memberships": { "type": "integer" }, "pupil_numbers": { "type": "integer" }, "po_numbers": { "type": "integer" } })))), errors: WRITE_ONE }.build() },
        "/renewals/{id}/close": { "post": Op { summary: "Close a round: schools can no longer answer", id: "closeRenewalRound", parameters: vec![id()], body: None,
            ok: (200, "The round", json_content(round)), errors: WRITE_ONE }.build() },
    })
}
