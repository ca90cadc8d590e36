//! The exports page: the VAT summary of a quarter, and exports to Xero with every earlier one
//! to download again.

use super::last_quarter;
use crate::domain::role::Action;
use crate::services::FieldError;
use crate::services::exports::{self, ExportView};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::date::{DateInput, DateParts, date_field};
use crate::web::forms::fields::FormData;
use crate::web::forms::page::{editor, refused_as, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, field_errors, long_date, page_id, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;

field_errors!(ExportsPage);

struct ExportRow {
    id: i64,
    format: &'static str,
    range: String,
    held: String,
    by: String,
    files: Vec<i64>,
}

#[derive(Template)]
#[template(path = "exports/exports.html")]
struct ExportsPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    vat_from: DateInput,
    vat_to: DateInput,
    vat_range: String,
    vat_rows: Vec<(String, String, String)>,
    box1: String,
    box6: String,
    from: DateInput,
    to: DateInput,
    /// The formats to choose from: (name, label, chosen).
    formats: Vec<(&'static str, &'static str, bool)>,
    exports: Vec<ExportRow>,
    /// Each income stream's account code field: (field, label, value).
    codes: Vec<(String, &'static str, String)>,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ShowQuery {
    #[serde(default, rename = "vat_from-day")]
    from_day: String,
    #[serde(default, rename = "vat_from-month")]
    from_month: String,
    #[serde(default, rename = "vat_from-year")]
    from_year: String,
    #[serde(default, rename = "vat_to-day")]
    to_day: String,
    #[serde(default, rename = "vat_to-month")]
    to_month: String,
    #[serde(default, rename = "vat_to-year")]
    to_year: String,
    #[serde(default)]
    done: String,
}

fn rows(list: Vec<ExportView>) -> Vec<ExportRow> {
    list.into_iter()
        .map(|e| ExportRow {
            id: e.id,
            format: e.format_label,
            range: format!("{} to {}", long_date(e.from), long_date(e.to)),
            held: {
                let plural = |n: i64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
                let payments = plural(e.payments, "payment");
                if e.format == "xero_payments" {
                    payments
                } else if e.payments > 0 {
                    format!(
                        "{}, {}, {payments}",
                        plural(e.invoices, "invoice"),
                        plural(e.credit_notes, "credit note")
                    )
                } else {
                    format!("{}, {}", plural(e.invoices, "invoice"), plural(e.credit_notes, "credit note"))
                }
            },
            by: format!("{}, {}", e.by, long_date(e.at.date_naive())),
            files: (1..=e.files).collect(),
        })
        .collect()
}

async fn page(state: &AppState, user: &PageUser, q: &ShowQuery) -> Result<ExportsPage, PageError> {
    let today = state.clock.today();
    let (q_from, q_to) = last_quarter(today);
    let mut errors = Vec::new();
    let from_parts = DateParts::of(&q.from_day, &q.from_month, &q.from_year);
    let to_parts = DateParts::of(&q.to_day, &q.to_month, &q.to_year);
    let vat_from = if from_parts.is_blank() {
        Some(q_from)
    } else {
        date_field("vat_from", from_parts.clone(), "First day", &mut errors)
    };
    let vat_to = if to_parts.is_blank() {
        Some(q_to)
    } else {
        date_field("vat_to", to_parts.clone(), "Last day", &mut errors)
    };
    let shown = |parts: DateParts, default: NaiveDate| {
        if parts.is_blank() { DateParts::of_date(default) } else { parts }
    };
    let list = exports::list(&state.db, user.partnership.id).await?;
    let mut from =
        DateInput::new("from", "From", q_from, "Invoices and credit notes issued on or after this day");
    // The next export starts the day after the last one ended.
    if let Some(start) = list.first().and_then(|last| last.to.succ_opt()) {
        from.retype(&DateParts::of_date(start));
    }
    let mut view = ExportsPage {
        chrome: Chrome::for_user(user, "/exports"),
        errors: Vec::new(),
        notice: match q.done.as_str() {
            "made" => Some("Export made: download its files below".to_string()),
            "accounts" => Some("Account codes saved".to_string()),
            _ => None,
        },
        vat_from: DateInput::new("vat_from", "First day", q_from, "").typed(&shown(from_parts, q_from)),
        vat_to: DateInput::new("vat_to", "Last day", q_to, "").typed(&shown(to_parts, q_to)),
        vat_range: String::new(),
        vat_rows: Vec::new(),
        box1: String::new(),
        box6: String::new(),
        from,
        to: DateInput::new("to", "To", q_to, "And on or before this day"),
        formats: crate::domain::exports::Format::ALL
            .iter()
            .map(|f| (f.as_str(), f.label(), *f == crate::domain::exports::Format::Xero))
            .collect(),
        exports: rows(list),
        codes: exports::account_codes(&state.db, user.partnership.id)
            .await?
            .into_iter()
            .map(|(stream, label, code)| (format!("account-{stream}"), label, code.unwrap_or_default()))
            .collect(),
    };
    if let (Some(from), Some(to)) = (vat_from, vat_to) {
        match exports::vat_summary(&state.db, &user.partnership, from, to).await {
            Ok(s) => {
                view.vat_range = format!("{} to {}", long_date(from), long_date(to));
                view.vat_rows = s
                    .rates
                    .iter()
                    .map(|r| (r.rate.label().to_string(), r.net.to_string(), r.vat.to_string()))
                    .collect();
                view.box1 = s.box1.to_string();
                view.box6 = s.box6.to_string();
            }
            Err(e) => errors.extend(refused_as(e, &[("from", "vat_from"), ("to", "vat_to")])?),
        }
    }
    view.errors = errors;
    Ok(view)
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let view = page(&state, &user, &q).await?;
    let errors = view.errors.clone();
    Ok(with_problems(&errors, render(&view)?))
}

pub(super) async fn make(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let mut errors = Vec::new();
    let (fp, tp) = (form.date("from"), form.date("to"));
    let from = date_field("from", fp.clone(), "First day of the export", &mut errors);
    let to = date_field("to", tp.clone(), "Last day of the export", &mut errors);
    if let (Some(from), Some(to), true) = (from, to, errors.is_empty()) {
        match exports::record(
            &state.db,
            &user.partnership,
            form.get("format"),
            from,
            to,
            Some(user.user.id),
            state.clock.now(),
        )
        .await
        {
            Ok(_) => return Ok(Redirect::to("/exports?done=made").into_response()),
            Err(e) => errors = refused_as(e, &[("from", "from"), ("to", "to"), ("format", "format")])?,
        }
    }
    let mut view = page(&state, &user, &ShowQuery::default()).await?;
    view.from.retype(&fp);
    view.to.retype(&tp);
    for f in &mut view.formats {
        f.2 = f.0 == form.get("format");
    }
    view.errors = errors;
    let errors = view.errors.clone();
    Ok(with_problems(&errors, render(&view)?))
}

pub(super) async fn download(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, part)): Path<(String, String)>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let (id, part) = (page_id(&id)?, page_id(&part)?);
    let (name, csv) = exports::file(&state.db, user.partnership.id, id, part as usize).await?;
    Ok(crate::web::view::download(csv.into_bytes(), "text/csv; charset=utf-8", &name))
}

pub(super) async fn save_accounts(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let codes: Vec<(String, String)> = crate::domain::traded::INCOME_STREAMS
        .iter()
        .map(|(stream, _)| (stream.to_string(), form.get(&format!("account-{stream}")).to_string()))
        .collect();
    match exports::set_account_codes(&state.db, &user.partnership, &codes, Some(user.user.id)).await {
        Ok(()) => Ok(Redirect::to("/exports?done=accounts#accounts").into_response()),
        Err(e) => {
            let renamed: Vec<(String, String)> =
                codes.iter().map(|(s, _)| (s.clone(), format!("account-{s}"))).collect();
            let pairs: Vec<(&str, &str)> = renamed.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let errors = refused_as(e, &pairs)?;
            let mut view = page(&state, &user, &ShowQuery::default()).await?;
            for field in &mut view.codes {
                field.2 = form.get(&field.0).to_string();
            }
            view.errors = errors;
            let errors = view.errors.clone();
            Ok(with_problems(&errors, render(&view)?))
        }
    }
}
