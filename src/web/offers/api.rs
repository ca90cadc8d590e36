//! The offers part of the JSON API: offers, their levels and fee-rule previews.

use crate::domain::fees::FeeRule;
use crate::domain::money::Money;
use crate::domain::partnership::MembershipYear;
use crate::domain::role::Action;
use crate::services::offers;
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::{body, invalid};
use crate::web::session::ApiUser;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/offers", get(list_offers).post(create_offer))
        .route("/offers/{year}", get(offer))
        .route("/offers/{year}/levels/{level}", axum::routing::put(update_level))
        .route("/fee-rules/preview", post(preview_rule))
}

async fn list_offers(
    State(state): State<AppState>,
    caller: ApiUser,
) -> Result<Json<Vec<offers::Offer>>, ApiError> {
    caller.require(Action::ManageBilling)?;
    Ok(Json(offers::list(&state.db, caller.user.partnership_id).await?))
}

async fn offer(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(year): Path<String>,
) -> Result<Json<offers::Offer>, ApiError> {
    caller.require(Action::ManageBilling)?;
    offers::find(&state.db, caller.user.partnership_id, &year)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no offer for {year}")))
}

async fn create_offer(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let new: offers::NewOffer = body(&bytes)?;
    let partnership = caller.partnership.clone();
    let created =
        offers::create(&state.db, partnership.id, partnership.year_kind, &new, Some(caller.user.id)).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn update_level(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((year, level)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Result<Json<offers::Level>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let mut changed: offers::NewLevel = body(&bytes)?;
    changed.name = level.clone();
    Ok(Json(
        offers::update_level(
            &state.db,
            caller.user.partnership_id,
            &year,
            &level,
            &changed,
            Some(caller.user.id),
        )
        .await?,
    ))
}

async fn preview_rule(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let request: Value = body(&bytes)?;
    let rule =
        FeeRule::from_json(&request["rule"].to_string()).map_err(|e| invalid("rule", e.to_string()))?;
    let partnership = caller.partnership.clone();
    let year = request["year"].as_str().unwrap_or_default();
    let on = MembershipYear::parse(partnership.year_kind, year)
        .ok_or_else(|| invalid("year", format!("\"{year}\" is not a membership year like 2025-26")))?
        .first_day();
    let fees = offers::preview_rule(&state.db, partnership.id, &rule, on).await?;
    let total: Money = fees.iter().filter_map(|f| f.fee).sum();
    Ok(Json(json!({ "total": total, "schools": fees })))
}
