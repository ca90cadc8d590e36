//! Who is calling the JSON API.

use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::session::ApiUser;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new().route("/me", get(me))
}

async fn me(caller: ApiUser) -> Result<Json<Value>, ApiError> {
    let partnership = &caller.partnership;
    Ok(Json(json!({
        "id": caller.user.id,
        "email": caller.user.email,
        "name": caller.user.name,
        "role": caller.user.role,
        "partnership": { "slug": partnership.slug, "name": partnership.name },
    })))
}
