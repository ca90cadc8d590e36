//! Invoice pages: the list, one invoice, its PDF, and credit notes.

use crate::domain::invoice::InvoiceStatus as Status;
use crate::domain::ledger::PaymentState;
use crate::domain::money::Money;
use crate::domain::role::Action;
use crate::pdf::documents::{credit_note_document, invoice_document};
use crate::pdf::render as render_pdf;
use crate::services::invoices::{
    self, CreditAmounts, CreditRequest, InvoiceFilter, InvoiceScope, InvoiceView,
};
use crate::services::{FieldError, ServiceError};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, Pagination, SelectOption, long_date, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/invoices", get(list))
        .route("/invoices/{id}", get(show))
        .route("/invoices/{id}/pdf", get(pdf))
        .route("/invoices/{id}/credit-notes", post(credit))
        .route("/credit-notes/{id}/pdf", get(credit_note_pdf))
}

/// Up to this many payers are listed to choose from; beyond it the search box finds a payer.
const MAX_PAYER_CHOICES: u64 = 100;

/// The invoices this page user may read, or 403.
pub async fn scope(state: &AppState, user: &PageUser) -> Result<InvoiceScope, PageError> {
    invoices::scope_for(&state.db, &user.user).await?.ok_or(PageError::Forbidden)
}

/// How a page names an invoice's state, and the colour of its tag.
pub fn status_tag(status: Status, state: Option<PaymentState>) -> (&'static str, &'static str) {
    match (status, state) {
        (Status::Issued, Some(s)) => (
            s.label(),
            match s {
                PaymentState::Issued => "govuk-tag--blue",
                PaymentState::PartPaid => "govuk-tag--light-blue",
                PaymentState::Paid => "govuk-tag--green",
                PaymentState::Overdue => "govuk-tag--red",
                PaymentState::Credited | PaymentState::WrittenOff => "govuk-tag--grey",
            },
        ),
        (Status::Issued, None) => (Status::Issued.label(), "govuk-tag--blue"),
        (Status::WaitingForPo, _) => (Status::WaitingForPo.label(), "govuk-tag--yellow"),
        (Status::Draft, _) => (Status::Draft.label(), "govuk-tag--grey"),
    }
}

struct Row {
    id: i64,
    number: String,
    payer: String,
    period: String,
    issued: String,
    due: String,
    gross: String,
    outstanding: String,
    status: &'static str,
    tag_class: &'static str,
}

#[derive(Template)]
#[template(path = "invoices/list.html")]
struct ListPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    filter_q: String,
    filter_year: String,
    status_options: Vec<SelectOption>,
    payer_options: Vec<SelectOption>,
    overdue: bool,
    owing: bool,
    count_text: String,
    rows: Vec<Row>,
    pagination: Pagination,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    pub q: Option<String>,
    pub status: Option<String>,
    pub year: Option<String>,
    pub payer: Option<String>,
    pub overdue: Option<String>,
    pub owing: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

impl ListQuery {
    /// The filter asked for; a status or payer that is not one is an error naming it.
    pub fn to_filter(&self) -> Result<InvoiceFilter, Vec<FieldError>> {
        let blank =
            |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        let mut errors = Vec::new();
        let status = blank(&self.status).and_then(|s| {
            Status::parse(&s).or_else(|| {
                errors.push(FieldError {
                    field: "status".into(),
                    message: format!("\"{s}\" is not an invoice status"),
                });
                None
            })
        });
        let payer_id = blank(&self.payer).and_then(|p| {
            p.parse::<i64>().ok().or_else(|| {
                errors.push(FieldError { field: "payer".into(), message: format!("\"{p}\" is not a payer") });
                None
            })
        });
        let filter = InvoiceFilter {
            status,
            payer_id,
            year: blank(&self.year),
            overdue: blank(&self.overdue).is_some_and(|v| v == "true"),
            owing: blank(&self.owing).is_some_and(|v| v == "true"),
            q: blank(&self.q),
        };
        if errors.is_empty() { Ok(filter) } else { Err(errors) }
    }

    /// The page (from 1) and page size asked for; anything else is an error naming the field.
    pub fn paging(&self) -> Result<(u64, u64), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut read = |field: &str, value: &Option<String>, default: u64, max: u64| match value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => default,
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (1..=max).contains(&n) => n,
                _ => {
                    errors.push(FieldError {
                        field: field.into(),
                        message: format!("\"{v}\" is not a whole number from 1 to {max}"),
                    });
                    default
                }
            },
        };
        let page = read("page", &self.page, 1, 1_000_000);
        let per_page = read("per_page", &self.per_page, invoices::PER_PAGE, invoices::MAX_PER_PAGE);
        if errors.is_empty() { Ok((page, per_page)) } else { Err(errors) }
    }

    /// The list's address with these filters at another page.
    fn href(&self, page: u64) -> String {
        let mut parts = Vec::new();
        for (key, value) in [
            ("q", &self.q),
            ("status", &self.status),
            ("year", &self.year),
            ("payer", &self.payer),
            ("overdue", &self.overdue),
            ("owing", &self.owing),
            ("per_page", &self.per_page),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                parts.push(format!("{key}={}", crate::web::error::urlencode(v)));
            }
        }
        parts.push(format!("page={page}"));
        format!("/invoices?{}", parts.join("&"))
    }
}

async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let scope = scope(&state, &user).await?;
    let (filter, mut errors) = match query.to_filter() {
        Ok(f) => (f, vec![]),
        Err(e) => (InvoiceFilter::default(), e),
    };
    let (page, per_page) = query.paging().unwrap_or_else(|e| {
        errors.extend(e);
        (1, invoices::PER_PAGE)
    });
    let found =
        invoices::list(&state.db, user.partnership.id, &scope, &filter, state.clock.today(), page, per_page)
            .await?;
    let payer_options = if matches!(scope, InvoiceScope::All) {
        let chosen = filter.payer_id.map(|p| p.to_string());
        crate::services::payers::payers_to_choose(
            &state.db,
            user.partnership.id,
            MAX_PAYER_CHOICES,
            filter.payer_id,
        )
        .await?
        .into_iter()
        .map(|p| SelectOption::new(p.id.to_string(), p.name, chosen.as_deref()))
        .collect()
    } else {
        vec![]
    };
    let status_choice = filter.status.map(|s| s.as_str());
    let page = ListPage {
        chrome: Chrome::for_user(&user, "/invoices"),
        filter_q: filter.q.clone().unwrap_or_default(),
        filter_year: filter.year.clone().unwrap_or_default(),
        status_options: [Status::Issued, Status::WaitingForPo, Status::Draft]
            .iter()
            .map(|s| SelectOption::new(s.as_str(), s.label(), status_choice))
            .collect(),
        payer_options,
        overdue: filter.overdue,
        owing: filter.owing,
        count_text: match found.total {
            0 => "No invoices match.".into(),
            1 => "1 invoice".into(),
            n if found.pages > 1 => format!("{n} invoices, page {} of {}", found.page, found.pages),
            n => format!("{n} invoices"),
        },
        pagination: Pagination::new("Pages of invoices", found.page, found.pages, |n| query.href(n)),
        rows: found
            .invoices
            .iter()
            .map(|i| Row {
                id: i.id,
                number: i.number.clone().unwrap_or_else(|| "Not yet numbered".into()),
                payer: i.payer_name.clone(),
                period: format!("{} {}", i.year, i.period),
                issued: i.issue_date.map(long_date).unwrap_or_default(),
                due: i.due_date.map(long_date).unwrap_or_default(),
                gross: i.gross.to_string(),
                outstanding: i.outstanding.to_string(),
                status: status_tag(i.status, i.payment_state).0,
                tag_class: status_tag(i.status, i.payment_state).1,
            })
            .collect(),
        errors,
    };
    let code = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    Ok((code, render(&page)?).into_response())
}

struct LineRow {
    id: i64,
    position: i32,
    description: String,
    vat_rate: &'static str,
    net: String,
    credited: String,
    left: String,
}

struct NoteRow {
    id: i64,
    number: String,
    date: String,
    gross: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "invoices/invoice.html")]
struct InvoicePage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    heading: String,
    status: &'static str,
    tag_class: &'static str,
    v: InvoiceView,
    details: Vec<(&'static str, String)>,
    lines: Vec<LineRow>,
    totals: Vec<(String, String)>,
    notes: Vec<NoteRow>,
    can_credit: bool,
    left_text: String,
    form_reason: String,
    /// Held for a PO number, and the user can record one here.
    po_form: bool,
    /// Finance may record a payment or write off what is owed.
    can_pay: bool,
    payments: Vec<PaymentRow>,
    /// (date, amount, kind and reason)
    write_offs: Vec<(String, String, String)>,
    /// The payer may pay this invoice by card now.
    card_pay: bool,
    /// Card or Direct Debit payments for it that are pending or failed, in words.
    card_states: Vec<String>,
    /// Finance may pause or resume reminders of it (issued and still owed).
    can_pause: bool,
}

struct PaymentRow {
    payment_id: i64,
    date: String,
    amount: String,
    undone: Option<String>,
}

impl FieldErrors for InvoicePage {
    fn errors(&self) -> &[FieldError] {
        &self.errors
    }
}

use crate::web::view::page_id as parse_id;

#[derive(serde::Deserialize, Default)]
struct ShowQuery {
    credited: Option<String>,
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let notice = q.credited.map(|n| format!("Credit note {n} was raised.")).or(q.done);
    invoice_page(&state, &user, parse_id(&id)?, vec![], notice, String::new()).await
}

async fn invoice_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    errors: Vec<FieldError>,
    notice: Option<String>,
    form_reason: String,
) -> Result<Response, PageError> {
    let scope = scope(state, user).await?;
    let v = invoices::get(&state.db, user.partnership.id, id, &scope, state.clock.today()).await?;
    let vat_registered = v.supplier_vat_number.is_some();
    let mut details = vec![
        ("Payer", {
            let mut parts = vec![v.payer_name.clone()];
            parts.extend(
                v.payer_address
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && *l != v.payer_name)
                    .map(String::from),
            );
            parts.join(", ")
        }),
        ("Membership year and period", format!("{} {}", v.year, v.period)),
        ("Period covered", format!("{} to {}", long_date(v.period_start), long_date(v.period_end))),
        ("PO number", v.po_number.clone().unwrap_or_else(|| "None given".into())),
    ];
    if let Some(d) = v.issue_date {
        details.push(("Date of issue and time of supply", long_date(d)));
    }
    if let Some(d) = v.due_date {
        details.push(("Payment due", long_date(d)));
    }
    let mut totals = vec![("Total net".to_string(), v.totals.net.to_string())];
    if vat_registered {
        for r in &v.totals.by_rate {
            totals.push((format!("VAT at {}", r.rate.label()), r.vat.to_string()));
        }
    }
    totals.push(("Total".into(), v.totals.gross.to_string()));
    totals.push(("Credited".into(), v.credited.to_string()));
    if v.money.allocated > Money::ZERO {
        totals.push(("Paid".into(), v.money.allocated.to_string()));
    }
    if v.money.written_off > Money::ZERO {
        totals.push(("Written off".into(), v.money.written_off.to_string()));
    }
    totals.push(("Outstanding".into(), v.outstanding.to_string()));
    let status = v.status;
    let code = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let (card_pay, card_states) = card_payment_state(state, user, &v).await?;
    let page = InvoicePage {
        chrome: Chrome::for_user(user, "/invoices"),
        po_form: status == crate::domain::invoice::InvoiceStatus::WaitingForPo
            && crate::domain::role::allows(user.user.role, crate::domain::role::Action::ManageBilling),
        heading: match &v.number {
            Some(n) => format!("Invoice {n}"),
            None => "Invoice not yet numbered".into(),
        },
        status: status_tag(status, v.payment_state).0,
        tag_class: status_tag(status, v.payment_state).1,
        lines: v
            .lines
            .iter()
            .map(|l| LineRow {
                id: l.id,
                position: l.position,
                description: l.description.clone(),
                vat_rate: if vat_registered { l.vat_rate.label() } else { "No VAT" },
                net: l.net.to_string(),
                credited: l.credited.to_string(),
                left: (l.net - l.credited).to_string(),
            })
            .collect(),
        notes: v
            .credit_notes
            .iter()
            .map(|n| NoteRow {
                id: n.id,
                number: n.number.clone(),
                date: long_date(n.issue_date),
                gross: n.gross.to_string(),
                reason: n.reason.clone(),
            })
            .collect(),
        can_credit: user.require(Action::ManageBilling).is_ok()
            && status == Status::Issued
            && v.money.creditable() > Money::ZERO,
        left_text: format!("{} is left to credit, VAT included.", v.money.creditable()),
        can_pay: user.require(Action::ManageBilling).is_ok() && status == Status::Issued,
        payments: v
            .allocations
            .iter()
            .map(|a| PaymentRow {
                payment_id: a.payment_id,
                date: long_date(a.at.date_naive()),
                amount: a.amount.to_string(),
                undone: a.undone_at.map(|at| {
                    format!(
                        "Undone on {}: {}",
                        long_date(at.date_naive()),
                        a.undone_reason.clone().unwrap_or_default()
                    )
                }),
            })
            .collect(),
        write_offs: v
            .write_offs
            .iter()
            .map(|w| {
                (
                    long_date(w.written_off_on),
                    w.amount.to_string(),
                    format!("{}: {}", w.kind.label(), w.reason),
                )
            })
            .collect(),
        details,
        totals,
        errors,
        notice,
        form_reason,
        card_pay,
        card_states,
        can_pause: user.require(Action::ManageBilling).is_ok()
            && status == Status::Issued
            && v.outstanding > Money::ZERO,
        v,
    };
    Ok((code, render(&page)?).into_response())
}

/// Whether the user may pay the invoice by card now (a payer's own user, the partnership taking
/// cards, the invoice owing and no card or Direct Debit payment for it pending), and the
/// pending or failed ones, in words.
async fn card_payment_state(
    state: &AppState,
    user: &PageUser,
    v: &InvoiceView,
) -> Result<(bool, Vec<String>), PageError> {
    use crate::domain::provider::ProviderState;
    let tried: Vec<_> =
        crate::services::stripe::payments_of_payer(&state.db, user.partnership.id, v.payer_id)
            .await?
            .into_iter()
            .filter(|p| p.invoice_ids.contains(&v.id))
            .collect();
    let words = tried.iter().filter(|p| p.worth_showing()).map(|p| p.in_words()).collect();
    let pending = tried.iter().any(|p| p.state == ProviderState::Processing);
    let can = user.require(Action::ViewOwnInvoices).is_ok()
        && v.status == Status::Issued
        && v.outstanding > Money::ZERO
        && !pending
        && crate::services::stripe::card_payments_on(
            &state.db,
            &state.settings.payments,
            user.partnership.id,
        )
        .await?;
    Ok((can, words))
}

/// A PDF as a download named after its document number.
pub fn pdf_response(bytes: Vec<u8>, name: &str) -> Response {
    crate::web::view::download(bytes, "application/pdf", &format!("{name}.pdf"))
}

async fn pdf(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let scope = scope(&state, &user).await?;
    let v =
        invoices::get(&state.db, user.partnership.id, parse_id(&id)?, &scope, state.clock.today()).await?;
    let Some(number) = v.number.clone() else {
        return Err(PageError::BadRequest(
            "This invoice has no number yet, so it has no PDF: it is waiting for a PO number.".into(),
        ));
    };
    Ok(pdf_response(render_pdf(&invoice_document(&v, &user.partnership)), &number))
}

async fn credit_note_pdf(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let scope = scope(&state, &user).await?;
    let note = invoices::get_credit_note(&state.db, user.partnership.id, parse_id(&id)?, &scope).await?;
    Ok(pdf_response(render_pdf(&credit_note_document(&note)), &note.number))
}

async fn credit(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    user.check_csrf(form.get("csrf_token").map(String::as_str).unwrap_or(""))?;
    let id = parse_id(&id)?;
    let reason = form.get("reason").cloned().unwrap_or_default();
    let mut errors = Vec::new();
    let whole = form.get("total").map(|t| t.trim()).filter(|t| !t.is_empty());
    let everything = form.get("what").map(String::as_str) == Some("everything");
    if everything && form.get("confirmed").map(String::as_str) != Some("yes") && !reason.trim().is_empty() {
        let scope = scope(&state, &user).await?;
        let v = invoices::get(&state.db, user.partnership.id, id, &scope, state.clock.today()).await?;
        let number = v.number.clone().unwrap_or_else(|| "this invoice".into());
        let page = crate::web::view::ConfirmPage {
            chrome: Chrome::for_user(&user, "/invoices"),
            heading: format!("Void {number}?"),
            message: format!(
                "This raises a credit note for everything left on {number} ({} including VAT), so {} owes nothing on it. A credit note cannot be withdrawn.",
                v.outstanding, v.payer_name
            ),
            action: format!("/invoices/{id}/credit-notes"),
            button: format!("Void {number}"),
            cancel: format!("/invoices/{id}"),
            hidden: vec![
                ("what".into(), "everything".into()),
                ("reason".into(), reason.clone()),
                ("confirmed".into(), "yes".into()),
            ],
        };
        return Ok(render(&page)?.into_response());
    }
    let amounts = if everything {
        CreditAmounts::Everything
    } else if let Some(text) = whole {
        match Money::parse(text) {
            Ok(amount) => CreditAmounts::Amount(amount),
            Err(e) => {
                errors.push(FieldError { field: "amount".into(), message: format!("Amount to credit: {e}") });
                CreditAmounts::Lines(vec![])
            }
        }
    } else {
        let mut chosen = Vec::new();
        for (key, value) in &form {
            let (Some(line), false) = (key.strip_prefix("line_"), value.trim().is_empty()) else { continue };
            let Ok(line_id) = line.parse::<i64>() else { continue };
            match Money::parse(value) {
                Ok(amount) => chosen.push((line_id, amount)),
                Err(e) => {
                    errors.push(FieldError { field: "amount".into(), message: format!("Line amount {e}") })
                }
            }
        }
        chosen.sort();
        CreditAmounts::Lines(chosen)
    };
    if !errors.is_empty() {
        return invoice_page(&state, &user, id, errors, None, reason).await;
    }
    let request = CreditRequest {
        reason: &reason,
        user_id: Some(user.user.id),
        today: state.clock.today(),
        now: state.clock.now(),
    };
    match invoices::credit(&state.db, &user.partnership, id, &amounts, request).await {
        Ok(note) => Ok(Redirect::to(&format!("/invoices/{id}?credited={}", note.number)).into_response()),
        Err(ServiceError::Invalid(errors)) => invoice_page(&state, &user, id, errors, None, reason).await,
        Err(ServiceError::Conflict(message)) => {
            invoice_page(
                &state,
                &user,
                id,
                vec![FieldError { field: "amount".into(), message }],
                None,
                reason,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
