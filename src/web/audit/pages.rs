//! The audit log page: every money-changing action in words, who did it and when, with links
//! to what changed and what it was before and after; filtered and a page at a time.

use crate::domain::role::Action;
use crate::services::audit::{self, AuditFilter};
use crate::services::{FieldError, users};
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::forms::date::{DateInput, DateParts};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, Pagination, SelectOption, field_errors, render};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/billing/audit", get(audit_log))
}

field_errors!(AuditPage);

struct Row {
    when: String,
    sentence: String,
    link: Option<String>,
    changes: Vec<crate::domain::audit::Change>,
}

#[derive(Template)]
#[template(path = "audit/log.html")]
struct AuditPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    q: AuditQuery,
    from: DateInput,
    to: DateInput,
    people: Vec<SelectOption>,
    kinds: Vec<SelectOption>,
    total: u64,
    rows: Vec<Row>,
    pagination: Pagination,
}

#[derive(serde::Deserialize, Default, Clone)]
struct AuditQuery {
    #[serde(default)]
    who: String,
    #[serde(default)]
    kind: String,
    #[serde(default, rename = "from-day")]
    from_day: String,
    #[serde(default, rename = "from-month")]
    from_month: String,
    #[serde(default, rename = "from-year")]
    from_year: String,
    #[serde(default, rename = "to-day")]
    to_day: String,
    #[serde(default, rename = "to-month")]
    to_month: String,
    #[serde(default, rename = "to-year")]
    to_year: String,
    #[serde(default)]
    invoice: String,
    #[serde(default)]
    school: String,
    #[serde(default)]
    page: String,
}

async fn audit_log(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ViewAllInvoices)?;
    let mut errors = Vec::new();
    let mut date = |field: &str, parts: &DateParts, what: &str| match parts.read(what) {
        Ok(d) => d,
        Err(m) => {
            errors.push(FieldError { field: field.into(), message: m });
            None
        }
    };
    let from_parts = DateParts::of(&q.from_day, &q.from_month, &q.from_year);
    let to_parts = DateParts::of(&q.to_day, &q.to_month, &q.to_year);
    let from = date("from", &from_parts, "From date");
    let to = date("to", &to_parts, "To date");
    let everyone = users::list(&state.db, user.partnership.id).await?;
    let who = match q.who.trim() {
        "" => None,
        text => match text.parse::<i64>().ok().filter(|id| everyone.iter().any(|u| u.id == *id)) {
            Some(id) => Some(id),
            None => {
                return Err(PageError::BadRequest(format!(
                    "\"{text}\" is not one of the partnership's users"
                )));
            }
        },
    };
    let kind = match q.kind.trim() {
        "" => None,
        text => match crate::domain::audit::KINDS.iter().find(|(k, _, _)| *k == text) {
            Some((_, prefix, _)) => Some(prefix.to_string()),
            None => return Err(PageError::BadRequest(format!("\"{text}\" is not a kind of change"))),
        },
    };
    let page = crate::web::view::page_param(&q.page)?;
    let filter = AuditFilter {
        user_id: who,
        kind,
        from,
        to,
        invoice: Some(q.invoice.clone()),
        school: Some(q.school.clone()),
    };
    let found = audit::page(&state.db, user.partnership.id, &filter, page).await?;
    let query = q.clone();
    let href = move |n: u64| {
        format!(
            "/billing/audit?who={}&kind={}&from-day={}&from-month={}&from-year={}&to-day={}&to-month={}&to-year={}&invoice={}&school={}&page={n}",
            urlencode(&query.who),
            urlencode(&query.kind),
            urlencode(&query.from_day),
            urlencode(&query.from_month),
            urlencode(&query.from_year),
            urlencode(&query.to_day),
            urlencode(&query.to_month),
            urlencode(&query.to_year),
            urlencode(&query.invoice),
            urlencode(&query.school)
        )
    };
    let today = state.clock.today();
    let view = AuditPage {
        chrome: Chrome::for_user(&user, "/billing"),
        from: DateInput::new("from", "From", today, "").typed(&from_parts),
        to: DateInput::new("to", "To", today, "").typed(&to_parts),
        people: std::iter::once(SelectOption::new("", "Anyone", Some(q.who.as_str())))
            .chain(
                everyone
                    .iter()
                    .map(|u| SelectOption::new(u.id.to_string(), u.name.clone(), Some(q.who.as_str()))),
            )
            .collect(),
        kinds: std::iter::once(SelectOption::new("", "Every kind", Some(q.kind.as_str())))
            .chain(
                crate::domain::audit::KINDS
                    .iter()
                    .map(|(k, _, label)| SelectOption::new(*k, *label, Some(q.kind.as_str()))),
            )
            .collect(),
        total: found.total,
        pagination: Pagination::new("Pages of the audit log", found.page, found.pages, href),
        rows: found
            .rows
            .into_iter()
            .map(|r| Row {
                when: r.at.format("%-d %B %Y, %H:%M").to_string(),
                sentence: r.sentence,
                link: r.link,
                changes: r.changes,
            })
            .collect(),
        q,
        errors,
    };
    Ok(crate::web::forms::page::with_problems(&view.errors, render(&view)?))
}
