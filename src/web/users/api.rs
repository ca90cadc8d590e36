//! Who is calling the JSON API.

use crate::services::partnerships;
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::session::ApiUser;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new().route("/me", get(me))
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
