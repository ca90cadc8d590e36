//! The audit log in the API: a page of entries, newest first, each with its recorded action, a
//! sentence and what changed.

use crate::domain::gias::parse_gias_date;
use crate::domain::role::Action;
use crate::services::audit::{self, AuditFilter};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::{invalid, page_number};
use crate::web::session::ApiUser;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(audit_log))
}

#[derive(serde::Deserialize, Default)]
struct AuditQuery {
    #[serde(default)]
    page: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    invoice: String,
    #[serde(default)]
    school: String,
}

async fn audit_log(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewAllInvoices)?;
    let date = |field: &str, text: &str| parse_gias_date(text).map_err(|m| invalid(field, m));
    let kind = match q.kind.trim() {
        "" => None,
        text => Some(
            crate::domain::audit::KINDS
                .iter()
                .find(|(k, _, _)| *k == text)
                .map(|(_, prefix, _)| prefix.to_string())
                .ok_or_else(|| invalid("kind", format!("\"{text}\" is not a kind of change")))?,
        ),
    };
    let filter = AuditFilter {
        user_id: None,
        kind,
        from: date("from", &q.from)?,
        to: date("to", &q.to)?,
        invoice: Some(q.invoice.clone()),
        school: Some(q.school.clone()),
    };
    let found = audit::page(&state.db, caller.user.partnership_id, &filter, page_number(&q.page)?).await?;
    Ok(Json(json!({
        "entries": found.rows.iter().map(|r| json!({
            "at": r.at,
            "action": r.action,
            "sentence": r.sentence,
            "link": r.link,
            "changes": r.changes.iter().map(|c| json!({"what": c.what, "before": c.before, "after": c.after})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        "per_page": audit::PER_PAGE,
    })))
}
