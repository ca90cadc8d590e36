//! The JSON API under `/api/v1`: the same permissions as the pages.

use crate::domain::gias::{ParseOptions, parse_gias_date, parse_la_codes};
use crate::domain::role::Action;
use crate::domain::school::Urn;
use crate::services::import::{ImportOptions, ImportSummary, import_schools};
use crate::services::register::{self, LocalAuthority, ManualPupilFigure, SchoolDetail, SchoolPage, Trust};
use crate::services::{FieldError, partnerships};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::import::MAX_UPLOAD_BYTES;
use crate::web::schools::ListQuery;
use crate::web::session::ApiUser;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(super::openapi::document))
        .route("/me", get(me))
        .route("/schools", get(list_schools))
        .route("/schools/{urn}", get(school))
        .route("/schools/{urn}/pupil-numbers", post(add_pupils))
        .route("/local-authorities", get(local_authorities))
        .route("/trusts", get(trusts))
        .route("/imports/gias", post(import).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)))
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

async fn me(State(state): State<AppState>, caller: ApiUser) -> Result<Json<Value>, ApiError> {
    let partnership = partnerships::get(&state.db, caller.user.partnership_id).await?;
    Ok(Json(json!({
        "id": caller.user.id,
        "email": caller.user.email,
        "name": caller.user.name,
        "role": caller.user.role,
        "partnership": { "slug": partnership.slug, "name": partnership.name },
    })))
}

#[derive(serde::Deserialize)]
struct ApiListQuery {
    #[serde(flatten)]
    list: ListQuery,
    per_page: Option<u64>,
}

async fn list_schools(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(query): Query<ApiListQuery>,
) -> Result<Json<SchoolPage>, ApiError> {
    caller.require(Action::ViewSchools)?;
    let (filter, page) = query.list.to_filter().map_err(ApiError::Invalid)?;
    let per_page = query.per_page.unwrap_or(100);
    let page = register::list_schools(
        &state.db,
        caller.user.partnership_id,
        caller.user.school_scope(),
        &filter,
        today(),
        page,
        per_page,
    )
    .await?;
    Ok(Json(page))
}

fn parse_urn(text: &str) -> Result<Urn, ApiError> {
    Urn::parse(text).map_err(|m| ApiError::Invalid(vec![FieldError { field: "urn".into(), message: m }]))
}

async fn school(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(urn): Path<String>,
) -> Result<Json<SchoolDetail>, ApiError> {
    caller.require(Action::ViewSchools)?;
    let urn = parse_urn(&urn)?;
    let detail = register::school_detail(
        &state.db,
        caller.user.partnership_id,
        caller.user.school_scope(),
        urn,
        today(),
    )
    .await?;
    Ok(Json(detail))
}

async fn add_pupils(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(urn): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::EditPupilNumbers)?;
    let urn = parse_urn(&urn)?;
    let input: ManualPupilFigure = serde_json::from_slice::<Value>(&body)
        .ok()
        .map(|v| ManualPupilFigure {
            census_date: v["census_date"].as_str().unwrap_or_default().to_string(),
            pupils: match &v["pupils"] {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                _ => String::new(),
            },
            reason: v["reason"].as_str().unwrap_or_default().to_string(),
        })
        .ok_or_else(|| {
            ApiError::BadRequest("the body must be a JSON object with census_date, pupils and reason".into())
        })?;
    register::add_manual_pupil_figure(
        &state.db,
        caller.user.partnership_id,
        caller.user.school_scope(),
        urn,
        caller.user.id,
        &input,
    )
    .await?;
    let detail = register::school_detail(
        &state.db,
        caller.user.partnership_id,
        caller.user.school_scope(),
        urn,
        today(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(detail)).into_response())
}

async fn local_authorities(
    State(state): State<AppState>,
    caller: ApiUser,
) -> Result<Json<Vec<LocalAuthority>>, ApiError> {
    caller.require(Action::ViewSchools)?;
    Ok(Json(register::local_authorities(&state.db, caller.user.partnership_id).await?))
}

async fn trusts(State(state): State<AppState>, caller: ApiUser) -> Result<Json<Vec<Trust>>, ApiError> {
    caller.require(Action::ViewSchools)?;
    Ok(Json(register::trusts(&state.db, caller.user.partnership_id).await?))
}

#[derive(serde::Deserialize, Default)]
struct ImportQuery {
    skip_bad_rows: Option<bool>,
    census_date: Option<String>,
    la: Option<String>,
}

async fn import(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(query): Query<ImportQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ImportSchools)?;
    let mut errors = Vec::new();
    let census = parse_gias_date(query.census_date.as_deref().unwrap_or(""))
        .map_err(|m| errors.push(FieldError { field: "census_date".into(), message: m }))
        .ok()
        .flatten();
    let la_codes = parse_la_codes(query.la.as_deref().unwrap_or(""))
        .map_err(|m| errors.push(FieldError { field: "la".into(), message: m }))
        .unwrap_or_default();
    if body.is_empty() {
        errors.push(FieldError {
            field: "body".into(),
            message: "send the GIAS CSV file as the request body".into(),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let options = ImportOptions {
        parse: ParseOptions {
            default_census_date: Some(census.unwrap_or_else(today)),
            only_la_codes: la_codes,
        },
        skip_bad_rows: query.skip_bad_rows.unwrap_or(false),
    };
    let summary: ImportSummary =
        import_schools(&state.db, caller.user.partnership_id, &body, &options, &mut |_, _| {}).await?;
    if summary.committed {
        return Ok((StatusCode::OK, Json(summary)).into_response());
    }
    let message = format!(
        "{} row(s) have problems, so nothing was imported; correct them or send skip_bad_rows=true",
        summary.rejected
    );
    let body = json!({ "error": { "code": "rows_rejected", "message": message, "rows": summary.errors }, "summary": summary });
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response())
}
