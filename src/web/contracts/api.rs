//! `/api/v1/contracts`: contracts and grants with their schedules (finance and admins manage
//! them; the board reads them; a commissioner reads their council's).

use crate::domain::contracts::{Frequency, Stream, Timing};
use crate::domain::money::Money;
use crate::domain::role::Action;
use crate::domain::vat::VatRate;
use crate::services::contracts::{
    self, ContractScope, Counterparty, NewContract, NewDeliverable, NewVariation, ScheduleInput,
};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::{body, invalid, money, page_number, parse_id};
use crate::web::openapi::{
    Op, READ_ONE, READ_QUERY, WRITE, WRITE_ONE, array_of, json_body, json_content, obj, path_param,
    query_param,
};
use crate::web::session::ApiUser;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contracts", get(list).post(create))
        .route("/contracts/preview", post(preview_new))
        .route("/contracts/summary", get(summary))
        .route("/contracts/{id}", get(show))
        .route("/contracts/{id}/variations", post(vary))
        .route("/contracts/{id}/schedule/preview", get(preview))
        .route("/contracts/{id}/instalments/{i}/invoice", post(raise_now))
        .route("/contracts/{id}/milestones/{m}/complete", post(complete))
}

/// The caller's scope, or 403.
pub(super) fn scope(caller: &ApiUser) -> Result<ContractScope, ApiError> {
    ContractScope::of(&caller.user).ok_or(ApiError::Forbidden)
}

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    stream: String,
    #[serde(default)]
    page: String,
}

async fn list(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let scope = scope(&caller)?;
    let stream = match q.stream.trim() {
        "" => None,
        s => Some(s.parse::<Stream>().map_err(|e| invalid("stream", e.to_string()))?),
    };
    let page = page_number(&q.page)?;
    let p = contracts::list(&state.db, caller.user.partnership_id, &scope, stream, page).await?;
    Ok(Json(
        json!({ "contracts": p.rows, "total": p.total, "page": p.page, "pages": p.pages, "per_page": contracts::PER_PAGE }),
    ))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Deliverable {
    title: String,
    due_on: NaiveDate,
    #[serde(default)]
    amount: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Dated {
    due_on: NaiveDate,
    amount: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    /// A council of the register, by its local authority's id; or an organisation by name.
    #[serde(default)]
    local_authority_id: Option<i64>,
    #[serde(default)]
    counterparty_name: Option<String>,
    #[serde(default)]
    counterparty_address: Option<String>,
    #[serde(default)]
    counterparty_vat_number: Option<String>,
    stream: Stream,
    title: String,
    #[serde(default)]
    reference: Option<String>,
    start_date: NaiveDate,
    end_date: NaiveDate,
    #[serde(default)]
    break_dates: Vec<NaiveDate>,
    #[serde(default)]
    extension_until: Option<NaiveDate>,
    #[serde(default)]
    vat_rate: Option<VatRate>,
    schedule: crate::domain::contracts::ScheduleKind,
    #[serde(default)]
    frequency: Option<Frequency>,
    #[serde(default)]
    timing: Option<Timing>,
    #[serde(default)]
    yearly_values: Vec<String>,
    #[serde(default)]
    dates: Vec<Dated>,
    #[serde(default)]
    matched_year: Option<String>,
    #[serde(default)]
    matched_ratio: Option<String>,
    #[serde(default)]
    matched_cap: Option<String>,
    #[serde(default)]
    invoice_on: Option<NaiveDate>,
    #[serde(default)]
    deliverables: Vec<Deliverable>,
}

fn amounts(field: &str, list: &[String]) -> Result<Vec<Money>, ApiError> {
    if list.len() > 10 {
        return Err(invalid(field, "give at most 10 yearly values"));
    }
    list.iter().enumerate().map(|(i, t)| money(&format!("{field}[{i}]"), t)).collect()
}

fn read(b: Body) -> Result<NewContract, ApiError> {
    use crate::domain::contracts::ScheduleKind as K;
    let counterparty = match (b.local_authority_id, b.counterparty_name) {
        (Some(la), None) => Counterparty::Council(la),
        (None, Some(name)) => {
            Counterparty::Organisation { name, address: b.counterparty_address.unwrap_or_default() }
        }
        _ => {
            return Err(invalid(
                "local_authority_id",
                "give either local_authority_id (a council of the register) or counterparty_name (another organisation)",
            ));
        }
    };
    let schedule = match b.schedule {
        K::Fixed => ScheduleInput::Fixed {
            yearly: amounts("yearly_values", &b.yearly_values)?,
            frequency: b
                .frequency
                .ok_or_else(|| invalid("frequency", "say how often: monthly, quarterly or annually"))?,
            timing: b.timing.ok_or_else(|| invalid("timing", "say when: in_advance or in_arrears"))?,
        },
        K::NamedDates => {
            if b.dates.len() > 120 {
                return Err(invalid("dates", "name at most 120 dates"));
            }
            ScheduleInput::NamedDates(
                b.dates
                    .iter()
                    .enumerate()
                    .map(|(i, d)| Ok((d.due_on, money(&format!("dates[{i}].amount"), &d.amount)?)))
                    .collect::<Result<_, ApiError>>()?,
            )
        }
        K::Matched => ScheduleInput::Matched {
            year: b
                .matched_year
                .ok_or_else(|| invalid("matched_year", "name the membership year matched, like 2026-27"))?,
            ratio: b
                .matched_ratio
                .as_deref()
                .ok_or_else(|| invalid("matched_ratio", "give the ratio, like 0.5 for half"))?
                .trim()
                .parse::<Decimal>()
                .map_err(|_| invalid("matched_ratio", "the ratio must be a number, like 0.5 for half"))?,
            cap: b.matched_cap.as_deref().map(|c| money("matched_cap", c)).transpose()?,
            invoice_on: b
                .invoice_on
                .ok_or_else(|| invalid("invoice_on", "give the date the matched funding is invoiced"))?,
        },
        K::Milestones => ScheduleInput::Milestones,
    };
    if b.deliverables.len() > 120 {
        return Err(invalid("deliverables", "list at most 120 deliverables"));
    }
    let deliverables = b
        .deliverables
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            Ok(NewDeliverable {
                amount: d
                    .amount
                    .as_deref()
                    .map(|a| money(&format!("deliverables[{i}].amount"), a))
                    .transpose()?,
                title: d.title,
                due_on: d.due_on,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    if b.break_dates.len() > 10 {
        return Err(invalid("break_dates", "name at most 10 break points"));
    }
    Ok(NewContract {
        counterparty,
        counterparty_vat_number: b.counterparty_vat_number.filter(|v| !v.trim().is_empty()),
        stream: b.stream,
        title: b.title,
        reference: b.reference,
        start: b.start_date,
        end: b.end_date,
        break_dates: b.break_dates,
        extension_until: b.extension_until,
        vat_rate: b.vat_rate,
        schedule,
        deliverables,
    })
}

async fn create(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let c = read(body(&bytes)?)?;
    let made =
        contracts::create(&state.db, &caller.partnership, c, Some(caller.user.id), state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

async fn preview_new(
    State(_state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let c = read(body(&bytes)?)?;
    Ok(Json(json!(contracts::plan(&c, caller.partnership.year_kind)?)))
}

async fn show(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let scope = scope(&caller)?;
    let id = parse_id(&id)?;
    Ok(Json(json!(contracts::get(&state.db, caller.user.partnership_id, id, &scope).await?)))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Variation {
    yearly_values: Vec<String>,
    effective_from: NaiveDate,
    reason: String,
}

async fn vary(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let id = parse_id(&id)?;
    let v: Variation = body(&bytes)?;
    let v = NewVariation {
        yearly: amounts("yearly_values", &v.yearly_values)?,
        effective_from: v.effective_from,
        reason: v.reason,
    };
    Ok(Json(json!(
        contracts::vary(&state.db, &caller.partnership, id, v, Some(caller.user.id), state.clock.now())
            .await?
    )))
}

#[derive(serde::Deserialize, Default)]
struct PreviewQuery {
    #[serde(default)]
    yearly_values: String,
    #[serde(default)]
    effective_from: String,
}

/// The schedule and its state; with `yearly_values` and `effective_from`, as a variation would
/// leave it (nothing is saved).
async fn preview(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<PreviewQuery>,
) -> Result<Json<Value>, ApiError> {
    let scope = scope(&caller)?;
    let id = parse_id(&id)?;
    let current = contracts::get(&state.db, caller.user.partnership_id, id, &scope).await?;
    if q.yearly_values.trim().is_empty() && q.effective_from.trim().is_empty() {
        return Ok(Json(
            json!({ "instalments": current.instalments, "totals": current.totals, "by_year": current.by_year }),
        ));
    }
    caller.require(Action::ManageBilling)?;
    let values: Vec<String> = q.yearly_values.split(',').map(|v| v.trim().to_string()).collect();
    let effective_from = NaiveDate::parse_from_str(q.effective_from.trim(), "%Y-%m-%d").map_err(|_| {
        invalid("effective_from", "give the date the variation takes effect, like 2027-04-01")
    })?;
    let v =
        NewVariation { yearly: amounts("yearly_values", &values)?, effective_from, reason: "Preview".into() };
    let shown =
        contracts::preview_variation(&state.db, &caller.partnership, id, v, state.clock.now()).await?;
    Ok(Json(json!({ "instalments": shown.instalments, "totals": shown.totals, "by_year": shown.by_year })))
}

async fn raise_now(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, i)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let (id, i) = (parse_id(&id)?, parse_id(&i)?);
    let done = contracts::raise_now(
        &state.db,
        &caller.partnership,
        id,
        i,
        Some(caller.user.id),
        state.clock.today(),
        state.clock.now(),
    )
    .await?;
    Ok(Json(json!(done)))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Complete {
    note: String,
}

async fn complete(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, m)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let (id, m) = (parse_id(&id)?, parse_id(&m)?);
    let c: Complete = body(&bytes)?;
    let done = contracts::complete_deliverable(
        &state.db,
        &caller.partnership,
        id,
        m,
        &c.note,
        crate::services::ledger::Actor {
            user_id: Some(caller.user.id),
            today: state.clock.today(),
            now: state.clock.now(),
        },
    )
    .await?;
    Ok(Json(json!(done)))
}

async fn summary(State(state): State<AppState>, caller: ApiUser) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewTotals)?;
    Ok(Json(json!({ "years": contracts::summary(&state.db, caller.user.partnership_id).await? })))
}

/// The paths of contracts.
pub fn openapi_paths() -> Value {
    let money = || json!({ "type": "string", "example": "150000.00" });
    let date = || json!({ "type": "string", "format": "date" });
    let nullable_date = || json!({ "type": "string", "format": "date", "nullable": true });
    let stream = json!({ "type": "string", "enum": ["la_commission", "other_commission", "grant"] });
    let figures = json!({ "value": money(), "invoiced": money(), "received": money(), "outstanding": money(), "to_invoice": money() });
    let instalment = obj(
        &["id", "position", "kind", "contract_year", "description", "state"],
        json!({ "id": { "type": "integer" }, "position": { "type": "integer" }, "kind": { "type": "string", "enum": ["instalment", "matched", "milestone"] },
                "contract_year": { "type": "integer" }, "description": { "type": "string" }, "period_start": date(), "period_end": date(),
                "due_on": nullable_date(), "amount": { "type": "string", "nullable": true },
                "state": { "type": "string", "enum": ["scheduled", "invoiced", "cancelled", "nothing_due"] },
                "invoice_id": { "type": "integer", "nullable": true }, "invoice_number": { "type": "string", "nullable": true },
                "working": { "type": "string", "nullable": true }, "deliverable_id": { "type": "integer", "nullable": true } }),
    );
    let contract = obj(
        &[
            "id",
            "title",
            "stream",
            "counterparty",
            "start_date",
            "end_date",
            "totals",
            "instalments",
            "deliverables",
        ],
        json!({ "id": { "type": "integer" }, "title": { "type": "string" }, "stream": stream, "stream_label": { "type": "string" },
                "counterparty": { "type": "string" }, "counterparty_address": { "type": "string" }, "counterparty_vat_number": { "type": "string", "nullable": true },
                "payer_id": { "type": "integer" }, "council": { "type": "boolean" }, "reference": { "type": "string", "nullable": true },
                "start_date": date(), "end_date": date(), "break_dates": array_of(date()), "extension_until": nullable_date(),
                "schedule_kind": { "type": "string" }, "schedule_in_words": { "type": "string" }, "vat_rate": { "type": "string" },
                "matched_year": { "type": "string", "nullable": true }, "matched_ratio": { "type": "string", "nullable": true },
                "matched_cap": { "type": "string", "nullable": true },
                "totals": { "type": "object", "properties": figures.clone() },
                "by_year": array_of(json!({ "type": "object" })),
                "instalments": array_of(instalment.clone()),
                "deliverables": array_of(obj(&["id", "title", "due_on"], json!({ "id": { "type": "integer" }, "title": { "type": "string" }, "due_on": date(),
                    "done_on": nullable_date(), "note": { "type": "string", "nullable": true }, "amount": { "type": "string", "nullable": true } }))),
                "variations": array_of(json!({ "type": "object" })),
                "receives_invoices": array_of(json!({ "type": "string" })) }),
    );
    let new_contract = obj(
        &["stream", "title", "start_date", "end_date", "schedule"],
        json!({
            "local_authority_id": { "type": "integer", "description": "A council of the register (or give counterparty_name)" },
            "counterparty_name": { "type": "string", "maxLength": 200 }, "counterparty_address": { "type": "string", "maxLength": 500 },
            "counterparty_vat_number": { "type": "string" },
            "stream": stream, "title": { "type": "string", "maxLength": 200 }, "reference": { "type": "string", "maxLength": 100 },
            "start_date": date(), "end_date": date(), "break_dates": array_of(date()), "extension_until": date(),
            "vat_rate": { "type": "string", "enum": ["standard", "reduced", "zero", "exempt", "outside_scope"] },
            "schedule": { "type": "string", "enum": ["fixed", "named_dates", "matched", "milestones"] },
            "frequency": { "type": "string", "enum": ["monthly", "quarterly", "annually"] },
            "timing": { "type": "string", "enum": ["in_advance", "in_arrears"] },
            "yearly_values": array_of(money()),
            "dates": array_of(obj(&["due_on", "amount"], json!({ "due_on": date(), "amount": money() }))),
            "matched_year": { "type": "string", "example": "2026-27" }, "matched_ratio": { "type": "string", "example": "0.5" },
            "matched_cap": money(), "invoice_on": date(),
            "deliverables": array_of(obj(&["title", "due_on"], json!({ "title": { "type": "string" }, "due_on": date(), "amount": money() }))),
        }),
    );
    let example = json!({ "local_authority_id": 1, "stream": "la_commission", "title": "School improvement service", "reference": "CON-2026-014",
        "start_date": "2026-04-01", "end_date": "2029-03-31", "schedule": "fixed", "frequency": "quarterly", "timing": "in_advance",
        "yearly_values": ["600000.00", "600000.00", "600000.00"] });
    let id = || path_param("id", "integer", "The contract's id", json!(1));
    let schedule = obj(
        &["instalments", "totals"],
        json!({ "instalments": array_of(instalment.clone()), "totals": { "type": "object" }, "by_year": array_of(json!({ "type": "object" })) }),
    );
    json!({
        "/contracts": {
            "get": Op { summary: "Contracts and grants, newest start first (a commissioner sees their council's)", id: "listContracts",
                parameters: vec![query_param("stream", json!({ "type": "string", "enum": ["la_commission", "other_commission", "grant"] }), false, "Only this income stream"),
                    query_param("page", json!({ "type": "integer", "minimum": 1 }), false, "The page, from 1")], body: None,
                ok: (200, "A page of contracts", json_content(obj(&["contracts", "total", "page", "pages"], json!({ "contracts": array_of(json!({ "type": "object" })),
                    "total": { "type": "integer" }, "page": { "type": "integer" }, "pages": { "type": "integer" }, "per_page": { "type": "integer" } })))), errors: READ_QUERY }.build(),
            "post": Op { summary: "Create a contract or grant agreement with its schedule and deliverables", id: "createContract", parameters: vec![],
                body: Some(json_body(new_contract.clone(), Some(example.clone()))), ok: (201, "The contract", json_content(contract.clone())), errors: WRITE }.build()
        },
        "/contracts/preview": { "post": Op { summary: "The schedule a new contract would have, with each year's value; nothing is saved", id: "previewNewContract", parameters: vec![],
            body: Some(json_body(new_contract, Some(example))), ok: (200, "The schedule", json_content(obj(&["value", "instalments"], json!({ "value": money(), "vat_rate": { "type": "string" },
                "years": array_of(json!({ "type": "object" })), "instalments": array_of(json!({ "type": "object" })) })))), errors: WRITE }.build() },
        "/contracts/summary": { "get": Op { summary: "Income invoiced by stream and year, net of credit notes, with council money's share (board, finance, admin)", id: "contractsSummary",
            parameters: vec![], body: None, ok: (200, "By year", json_content(obj(&["years"], json!({ "years": array_of(json!({ "type": "object" })) })))), errors: crate::web::openapi::READ }.build() },
        "/contracts/{id}": { "get": Op { summary: "A contract with its schedule, each instalment's state, figures by year, deliverables and variations", id: "getContract",
            parameters: vec![id()], body: None, ok: (200, "The contract", json_content(contract.clone())), errors: READ_ONE }.build() },
        "/contracts/{id}/variations": { "post": Op { summary: "Vary each contract year's value from a date: invoiced and earlier instalments stay; later ones share what is left", id: "varyContract",
            parameters: vec![id()], body: Some(json_body(obj(&["yearly_values", "effective_from", "reason"], json!({ "yearly_values": array_of(money()),
                "effective_from": date(), "reason": { "type": "string", "maxLength": 1000 } })), None)),
            ok: (200, "The contract", json_content(contract.clone())), errors: WRITE_ONE }.build() },
        "/contracts/{id}/schedule/preview": { "get": Op { summary: "The schedule and its state; with yearly_values and effective_from, as that variation would leave it (nothing is saved)", id: "previewContractSchedule",
            parameters: vec![id(), query_param("yearly_values", json!({ "type": "string", "example": "600000.00,500000.00,500000.00" }), false, "Each year's new value, comma-separated"),
                query_param("effective_from", json!({ "type": "string", "format": "date" }), false, "When the variation takes effect")], body: None,
            ok: (200, "The schedule", json_content(schedule)), errors: READ_ONE }.build() },
        "/contracts/{id}/instalments/{i}/invoice": { "post": Op { summary: "Invoice an instalment now, before its date", id: "invoiceContractInstalment",
            parameters: vec![id(), path_param("i", "integer", "The instalment's id", json!(1))], body: None,
            ok: (200, "The contract", json_content(contract.clone())), errors: WRITE_ONE }.build() },
        "/contracts/{id}/milestones/{m}/complete": { "post": Op { summary: "Sign a deliverable off with a note; a milestone's payment is invoiced at once", id: "completeMilestone",
            parameters: vec![id(), path_param("m", "integer", "The deliverable's id", json!(1))],
            body: Some(json_body(obj(&["note"], json!({ "note": { "type": "string", "maxLength": 1000 } })), None)),
            ok: (200, "The contract", json_content(contract)), errors: WRITE_ONE }.build() },
    })
}
