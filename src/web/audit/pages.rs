//! The audit log page: every money-changing action, who did it and when.

use crate::domain::role::Action;
use crate::services::{audit, users};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::session::PageUser;
use crate::web::view::{Chrome, render};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/billing/audit", get(audit_log))
}

#[derive(Template)]
#[template(path = "audit/log.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<(String, String, String, String, String)>,
}

async fn audit_log(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.require(Action::ViewAllInvoices)?;
    let entries = audit::recent(&state.db, user.partnership.id, 500).await?;
    let names: std::collections::HashMap<i64, String> =
        users::list(&state.db, user.partnership.id).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let rows = entries
        .into_iter()
        .map(|e| {
            (
                e.at.format("%-d %b %Y %H:%M:%S").to_string(),
                e.user_id
                    .and_then(|id| names.get(&id).cloned())
                    .unwrap_or_else(|| "The system (CLI or demo)".into()),
                format!("{} {} {}", e.action, e.entity, e.entity_id),
                e.before_json.unwrap_or_default(),
                e.after_json.unwrap_or_default(),
            )
        })
        .collect();
    Ok(render(&AuditPage { chrome: Chrome::for_user(&user, "/billing"), rows })?.into_response())
}
