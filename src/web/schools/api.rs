//! The register in the JSON API: schools, pupil numbers, local authorities and trusts.

use crate::domain::role::Action;
use crate::domain::school::Urn;
use crate::services::FieldError;
use crate::services::register::{self, LocalAuthority, ManualPupilFigure, SchoolDetail, SchoolPage, Trust};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::schools::ListQuery;
use crate::web::session::ApiUser;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/schools", get(list_schools))
        .route("/schools/{urn}", get(school))
        .route("/schools/{urn}/pupil-numbers", post(add_pupils))
        .route("/local-authorities", get(local_authorities))
        .route("/trusts", get(trusts))
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
        state.clock.today(),
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
        state.clock.today(),
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
        state.clock.now(),
    )
    .await?;
    let detail = register::school_detail(
        &state.db,
        caller.user.partnership_id,
        caller.user.school_scope(),
        urn,
        state.clock.today(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(detail)).into_response())
}

async fn local_authorities(
    State(state): State<AppState>,
    caller: ApiUser,
) -> Result<Json<Vec<LocalAuthority>>, ApiError> {
    caller.require(Action::ViewSchools)?;
    let scope = caller.user.school_scope();
    Ok(Json(register::local_authorities_in_scope(&state.db, caller.user.partnership_id, scope).await?))
}

async fn trusts(State(state): State<AppState>, caller: ApiUser) -> Result<Json<Vec<Trust>>, ApiError> {
    caller.require(Action::ViewSchools)?;
    let scope = caller.user.school_scope();
    Ok(Json(register::trusts_in_scope(&state.db, caller.user.partnership_id, scope).await?))
}
