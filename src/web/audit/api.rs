//! The audit log in the JSON API.

use crate::domain::role::Action;
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::session::ApiUser;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(audit_log))
}

async fn audit_log(State(state): State<AppState>, caller: ApiUser) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewAllInvoices)?;
    let entries = crate::services::audit::recent(&state.db, caller.user.partnership_id, 500).await?;
    let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str::<Value>(&t).ok());
    Ok(Json(json!(entries
        .into_iter()
        .map(|e| json!({ "at": e.at, "user_id": e.user_id, "action": e.action, "entity": e.entity, "entity_id": e.entity_id, "before": parse(e.before_json), "after": parse(e.after_json) }))
        .collect::<Vec<_>>())))
}
