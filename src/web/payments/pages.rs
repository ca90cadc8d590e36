//! Payment pages: the payments list, recording a payment, one payment (allocate, undo, refund,
//! reverse), a payer's account (statement), aged debt and writing off what an invoice owes.

use super::PER_PAGE;
use crate::domain::ledger::{AgeBand, PaymentMethod, PaymentSource, WriteOffKind};
use crate::domain::money::Money;
use crate::domain::role::Action;
use crate::services::ledger::{self, Actor, Allocate, NewPayment, NewRefund, NewWriteOff, PaymentFilter};
use crate::services::{FieldError, invoices};
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::forms::date::{DateInput, DateParts, date_field};
use crate::web::forms::fields::FormData;
use crate::web::forms::page::{editor, refused_as, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{
    Chrome, FieldErrors, Pagination, SelectOption, field_errors, long_date, page_param, render,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/payments", get(list))
        .route("/payments/new", get(new_form).post(record))
        .route("/payments/{id}", get(show))
        .route("/payments/{id}/allocate", post(allocate))
        .route("/payments/{id}/reverse", post(reverse))
        .route("/payments/{id}/refund", post(refund))
        .route("/allocations/{id}/undo", post(undo))
        .route("/payers/{id}/account", get(account))
        .route("/payers/{id}/statement.pdf", get(statement_pdf))
        .route("/aged-debt", get(aged))
        .route("/invoices/{id}/write-off", get(write_off_form).post(write_off))
}

field_errors!(NewPaymentPage, PaymentPage, WriteOffPage);

fn parse_id(text: &str) -> Result<i64, PageError> {
    text.parse().map_err(|_| PageError::NotFound)
}

fn actor(state: &AppState, user: &PageUser) -> Actor {
    Actor { user_id: Some(user.user.id), today: state.clock.today(), now: state.clock.now() }
}

fn form_of(pairs: Vec<(String, String)>) -> FormData {
    FormData(pairs)
}

fn amount_field(form: &FormData, field: &str, what: &str, errors: &mut Vec<FieldError>) -> Option<Money> {
    let text = form.get(field);
    if text.is_empty() {
        errors.push(FieldError { field: field.into(), message: format!("Enter {what}") });
        return None;
    }
    match Money::parse(text) {
        Ok(m) => Some(m),
        Err(e) => {
            errors.push(FieldError {
                field: field.into(),
                message: crate::web::forms::page::sentence_case(&e.to_string()),
            });
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The list

struct Row {
    id: i64,
    date: String,
    payer: String,
    method: &'static str,
    reference: String,
    amount: String,
    unallocated: String,
    reversed: bool,
}

#[derive(Template)]
#[template(path = "payments/list.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    with_credit: bool,
    count_text: String,
    rows: Vec<Row>,
    pagination: Pagination,
}

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    credit: String,
    #[serde(default)]
    page: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let page = page_param(q.page.as_deref().unwrap_or(""))?;
    let with_credit = q.credit == "yes";
    let filter = PaymentFilter { search: Some(q.q.clone()), with_credit, ..Default::default() };
    let found = ledger::list_payments(&state.db, user.partnership.id, &filter, page, PER_PAGE).await?;
    let search = q.q.clone();
    let href = move |n: u64| {
        format!("/payments?q={}&credit={}&page={n}", urlencode(&search), if with_credit { "yes" } else { "" })
    };
    let view = ListPage {
        chrome: Chrome::for_user(&user, "/payments"),
        q: q.q.clone(),
        with_credit,
        count_text: match found.total {
            0 => "No payments match.".into(),
            1 => "1 payment".into(),
            n if found.pages > 1 => format!("{n} payments, page {} of {}", found.page, found.pages),
            n => format!("{n} payments"),
        },
        pagination: Pagination::new("Pages of payments", found.page, found.pages, href),
        rows: found
            .rows
            .into_iter()
            .map(|p| Row {
                id: p.id,
                date: long_date(p.received_on),
                payer: p.payer_name,
                method: p.method.label(),
                reference: p.reference,
                amount: p.amount.to_string(),
                unallocated: p.unallocated.to_string(),
                reversed: p.reversed_at.is_some(),
            })
            .collect(),
    };
    Ok(render(&view)?.into_response())
}

// ---------------------------------------------------------------------------------------------
// Recording a payment

#[derive(Template)]
#[template(path = "payments/new.html")]
struct NewPaymentPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    /// The payer chosen already (id, name), or a list to choose from.
    payer: Option<(i64, String)>,
    payer_options: Vec<SelectOption>,
    open_invoices: Vec<(String, String, String)>,
    invoice: String,
    received: DateInput,
    amount: String,
    method_options: Vec<SelectOption>,
    reference: String,
    allocate_now: bool,
}

#[derive(serde::Deserialize, Default)]
struct NewQuery {
    #[serde(default)]
    payer: String,
    #[serde(default)]
    invoice: String,
}

async fn new_page(
    state: &AppState,
    user: &PageUser,
    payer_id: Option<i64>,
    invoice: &str,
    typed: Option<&FormData>,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let payer = match payer_id {
        Some(id) => {
            let p = crate::services::payers::get(&state.db, user.partnership.id, id).await?;
            Some((p.id, p.name))
        }
        None => None,
    };
    let payer_options = if payer.is_none() {
        crate::services::payers::payers_to_choose(&state.db, user.partnership.id, 100, None)
            .await?
            .into_iter()
            .map(|p| SelectOption::new(p.id.to_string(), p.name, None))
            .collect()
    } else {
        Vec::new()
    };
    let mut open_invoices = Vec::new();
    let mut suggested = String::new();
    if let Some((id, _)) = &payer {
        for (m, open) in ledger::open_invoices(&state.db, *id).await? {
            if invoice == m.id.to_string() && suggested.is_empty() {
                suggested = open.outstanding.amount().to_string();
            }
            open_invoices.push((
                open.number,
                m.due_date.map(long_date).unwrap_or_default(),
                open.outstanding.to_string(),
            ));
        }
    }
    let get = |name: &str, default: &str| typed.map_or(default.to_string(), |f| f.get(name).to_string());
    let method = get("method", PaymentMethod::BankTransfer.as_str());
    let today = state.clock.today();
    let view = NewPaymentPage {
        chrome: Chrome::for_user(user, "/payments"),
        payer,
        payer_options,
        open_invoices,
        invoice: invoice.to_string(),
        received: DateInput::new(
            "received_on",
            "Date received",
            today,
            "The day the money reached the account",
        )
        .typed(&typed.map_or_else(
            || {
                DateParts::of(
                    &today.format("%-d").to_string(),
                    &today.format("%-m").to_string(),
                    &today.format("%Y").to_string(),
                )
            },
            parts_of("received_on"),
        )),
        amount: get("amount", &suggested),
        method_options: PaymentMethod::ALL
            .iter()
            .filter(|m| !matches!(m, PaymentMethod::CouncilBudgetDeduction))
            .map(|m| SelectOption::new(m.as_str(), m.label(), Some(method.as_str())))
            .collect(),
        reference: get("reference", ""),
        allocate_now: typed.is_none_or(|f| f.get("allocate") != "none"),
        errors,
    };
    Ok(with_problems(&view.errors.clone(), render(&view)?))
}

fn parts_of(name: &'static str) -> impl Fn(&FormData) -> DateParts {
    move |f: &FormData| {
        DateParts::of(
            f.get(&format!("{name}-day")),
            f.get(&format!("{name}-month")),
            f.get(&format!("{name}-year")),
        )
    }
}

async fn new_form(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let payer = if q.payer.is_empty() { None } else { Some(parse_id(&q.payer)?) };
    new_page(&state, &user, payer, &q.invoice, None, Vec::new()).await
}

async fn record(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = form_of(pairs);
    editor(&user, &form)?;
    let mut errors = Vec::new();
    let payer_id = form.get("payer").parse::<i64>().ok();
    if payer_id.is_none() {
        errors.push(FieldError { field: "payer".into(), message: "Choose who paid".into() });
    }
    let received = date_field("received_on", parts_of("received_on")(&form), "Date received", &mut errors);
    let amount = amount_field(&form, "amount", "the amount received", &mut errors);
    let method = PaymentMethod::parse(form.get("method"));
    if method.is_none() {
        errors.push(FieldError { field: "method".into(), message: "Choose how it was paid".into() });
    }
    if let (Some(payer_id), Some(received_on), Some(amount), Some(method), true) =
        (payer_id, received, amount, method, errors.is_empty())
    {
        let new = NewPayment {
            payer_id,
            received_on,
            amount,
            method,
            reference: form.get("reference").to_string(),
            source: PaymentSource::Typed,
            source_ref: None,
        };
        let how = if form.get("allocate") == "none" { Allocate::Nothing } else { Allocate::OldestFirst };
        match ledger::record(&state.db, &user.partnership, &new, &how, actor(&state, &user)).await {
            Ok(view) => {
                return Ok(Redirect::to(&format!("/payments/{}?done=recorded", view.id)).into_response());
            }
            Err(e) => errors = refused_as(e, &[("payer_id", "payer")])?,
        }
    }
    new_page(
        &state,
        &user,
        payer_id.filter(|_| !form.get("payer_fixed").is_empty()),
        form.get("invoice"),
        Some(&form),
        errors,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// One payment

struct AllocationRow {
    id: i64,
    invoice_id: i64,
    invoice: String,
    amount: String,
    at: String,
    undone: Option<String>,
}

#[derive(Template)]
#[template(path = "payments/payment.html")]
struct PaymentPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    p: ledger::PaymentView,
    details: Vec<(&'static str, String)>,
    allocations: Vec<AllocationRow>,
    has_left: bool,
    refund_method_options: Vec<SelectOption>,
}

#[derive(serde::Deserialize, Default)]
struct ShowQuery {
    done: Option<String>,
}

fn notice_for(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "recorded" => "The payment was recorded.",
            "allocated" => "The payment was allocated.",
            "undone" => "The allocation was undone: the invoice owes that amount again.",
            "reversed" => "The payment was reversed.",
            "refunded" => "The refund was recorded.",
            _ => return None,
        }
        .to_string(),
    )
}

async fn payment_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let p = ledger::get_payment(&state.db, user.partnership.id, id).await?;
    let mut details = vec![
        ("Payer", p.payer_name.clone()),
        ("Received", long_date(p.received_on)),
        ("Amount", p.amount.to_string()),
        ("Method", p.method.label().to_string()),
        ("Reference", if p.reference.is_empty() { "None".into() } else { p.reference.clone() }),
        ("Recorded from", p.source.label().to_string()),
        ("Allocated", p.allocated.to_string()),
    ];
    if p.refunded > Money::ZERO {
        details.push(("Refunded", p.refunded.to_string()));
    }
    details.push(("Not yet allocated (credit)", p.unallocated.to_string()));
    if let Some(at) = p.reversed_at {
        details.push((
            "Reversed",
            format!("{}: {}", long_date(at.date_naive()), p.reversal_reason.clone().unwrap_or_default()),
        ));
    }
    let view = PaymentPage {
        chrome: Chrome::for_user(user, "/payments"),
        notice,
        allocations: p
            .allocations
            .iter()
            .map(|a| AllocationRow {
                id: a.id,
                invoice_id: a.invoice_id,
                invoice: a.invoice_number.clone(),
                amount: a.amount.to_string(),
                at: long_date(a.at.date_naive()),
                undone: a.undone_at.map(|at| {
                    format!(
                        "Undone on {}: {}",
                        long_date(at.date_naive()),
                        a.undone_reason.clone().unwrap_or_default()
                    )
                }),
            })
            .collect(),
        has_left: p.unallocated > Money::ZERO,
        refund_method_options: [PaymentMethod::BankTransfer, PaymentMethod::Cheque, PaymentMethod::Card]
            .iter()
            .map(|m| SelectOption::new(m.as_str(), m.label(), Some("bank_transfer")))
            .collect(),
        details,
        errors,
        p,
    };
    Ok(with_problems(&view.errors.clone(), render(&view)?))
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    payment_page(&state, &user, parse_id(&id)?, Vec::new(), notice_for(q.done.as_deref())).await
}

/// Runs a payment action; on success goes back to the payment with a notice, on refusal shows
/// the payment page with the problems against `field`.
async fn act<F, Fut>(
    state: &AppState,
    user: &PageUser,
    payment_id: i64,
    done: &str,
    fields: &[(&str, &str)],
    run: F,
) -> Result<Response, PageError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<i64, crate::services::ServiceError>>,
{
    match run().await {
        Ok(back) => Ok(Redirect::to(&format!("/payments/{back}?done={done}")).into_response()),
        Err(e) => {
            let errors = refused_as(e, fields)?;
            payment_page(state, user, payment_id, errors, None).await
        }
    }
}

async fn allocate(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = form_of(pairs);
    editor(&user, &form)?;
    let id = parse_id(&id)?;
    let a = actor(&state, &user);
    act(&state, &user, id, "allocated", &[("allocations", "allocate")], || async {
        ledger::allocate(&state.db, &user.partnership, id, &Allocate::OldestFirst, a).await.map(|p| p.id)
    })
    .await
}

async fn reverse(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = form_of(pairs);
    editor(&user, &form)?;
    let id = parse_id(&id)?;
    let a = actor(&state, &user);
    let reason = form.get("reverse_reason").to_string();
    act(&state, &user, id, "reversed", &[("reason", "reverse_reason")], || async {
        ledger::reverse(&state.db, &user.partnership, id, &reason, a).await.map(|p| p.id)
    })
    .await
}

async fn refund(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = form_of(pairs);
    editor(&user, &form)?;
    let id = parse_id(&id)?;
    let mut errors = Vec::new();
    let amount = amount_field(&form, "refund_amount", "the amount to refund", &mut errors);
    let method = PaymentMethod::parse(form.get("refund_method")).unwrap_or(PaymentMethod::BankTransfer);
    let Some(amount) = amount else {
        return payment_page(&state, &user, id, errors, None).await;
    };
    let new = NewRefund {
        payment_id: id,
        amount,
        refunded_on: state.clock.today(),
        method,
        reason: form.get("refund_reason").to_string(),
    };
    let a = actor(&state, &user);
    act(
        &state,
        &user,
        id,
        "refunded",
        &[("amount", "refund_amount"), ("reason", "refund_reason")],
        || async { ledger::refund(&state.db, &user.partnership, &new, a).await.map(|_| id) },
    )
    .await
}

async fn undo(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = form_of(pairs);
    editor(&user, &form)?;
    let payment_id = parse_id(form.get("payment"))?;
    let allocation = parse_id(&id)?;
    let a = actor(&state, &user);
    let reason = form.get("reason").to_string();
    act(&state, &user, payment_id, "undone", &[("reason", &format!("undo_{allocation}"))], || async {
        ledger::unallocate(&state.db, &user.partnership, allocation, &reason, a).await.map(|p| p.id)
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// A payer's account

struct EntryRow {
    date: String,
    kind: &'static str,
    document: String,
    link: Option<String>,
    description: String,
    debit: String,
    credit: String,
    balance: String,
}

#[derive(Template)]
#[template(path = "payments/account.html")]
struct AccountPage {
    chrome: Chrome,
    a: ledger::Account,
    finance: bool,
    summary: Vec<(&'static str, String)>,
    bands: Vec<(&'static str, String)>,
    invoices: Vec<(i64, String, String, String, &'static str, &'static str)>,
    entries: Vec<EntryRow>,
    opening: String,
    closing: String,
}

async fn account(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let payer_id = parse_id(&id)?;
    if !super::may_read_account(&state, &user.user, payer_id).await? {
        return Err(PageError::NotFound);
    }
    let finance = user.require(Action::ManageBilling).is_ok();
    let a =
        ledger::account(&state.db, user.partnership.id, payer_id, None, None, state.clock.today()).await?;
    let words = |m: Money| if m < Money::ZERO { format!("{} in credit", -m) } else { m.to_string() };
    let view = AccountPage {
        chrome: Chrome::for_user(&user, if finance { "/payments" } else { "/invoices" }),
        summary: vec![
            ("Balance", words(a.closing_balance)),
            ("Owed on invoices", a.outstanding.to_string()),
            ("Overdue", a.overdue.to_string()),
            ("Paid but not yet allocated (credit)", a.credit.to_string()),
        ],
        bands: AgeBand::ALL.iter().map(|b| (b.label(), a.aged.band(*b).to_string())).collect(),
        invoices: a
            .invoices
            .iter()
            .map(|i| {
                let (label, class) = crate::web::invoices::pages::status_tag(
                    crate::domain::invoice::InvoiceStatus::Issued,
                    Some(i.state),
                );
                (
                    i.id,
                    i.number.clone(),
                    i.due_date.map(long_date).unwrap_or_default(),
                    i.outstanding.to_string(),
                    label,
                    class,
                )
            })
            .collect(),
        entries: a
            .entries
            .iter()
            .map(|e| EntryRow {
                date: long_date(e.date),
                kind: e.kind.label(),
                link: match (e.kind, e.invoice_id, e.payment_id) {
                    (ledger::EntryKind::Invoice, Some(id), _) => Some(format!("/invoices/{id}")),
                    (ledger::EntryKind::CreditNote, _, _) => {
                        e.credit_note_id.map(|id| format!("/credit-notes/{id}/pdf"))
                    }
                    (_, _, Some(id)) if finance => Some(format!("/payments/{id}")),
                    (ledger::EntryKind::WriteOff, Some(id), _) => Some(format!("/invoices/{id}")),
                    _ => None,
                },
                document: e.document.clone(),
                description: e.description.clone(),
                debit: if e.debit > Money::ZERO { e.debit.to_string() } else { String::new() },
                credit: if e.credit > Money::ZERO { e.credit.to_string() } else { String::new() },
                balance: e.balance.to_string(),
            })
            .collect(),
        opening: a.opening_balance.to_string(),
        closing: a.closing_balance.to_string(),
        finance,
        a,
    };
    Ok(render(&view)?.into_response())
}

/// The statement of account as a PDF, for the payer's own people and finance.
async fn statement_pdf(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let payer_id = parse_id(&id)?;
    if !super::may_read_account(&state, &user.user, payer_id).await? {
        return Err(PageError::NotFound);
    }
    let today = state.clock.today();
    let a = ledger::account(&state.db, user.partnership.id, payer_id, None, None, today).await?;
    let bytes = crate::pdf::render(&crate::pdf::documents::statement_document(&a, &user.partnership, today));
    Ok(crate::web::view::download(bytes, "application/pdf", &format!("statement-{today}.pdf")))
}

// ---------------------------------------------------------------------------------------------
// Aged debt

#[derive(Template)]
#[template(path = "payments/aged.html")]
struct AgedPage {
    chrome: Chrome,
    today: String,
    bands: Vec<(&'static str, String)>,
    total: String,
    count_text: String,
    rows: Vec<(i64, String, usize, Vec<String>, String)>,
    pagination: Pagination,
}

#[derive(serde::Deserialize, Default)]
struct AgedQuery {
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    format: String,
}

async fn aged(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<AgedQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let today = state.clock.today();
    if q.format == "csv" {
        let all = ledger::aged_debt(&state.db, user.partnership.id, today, 1, None).await?;
        let mut csv = String::from("Payer,Invoices");
        for b in AgeBand::ALL {
            csv.push_str(&format!(",{}", b.label()));
        }
        csv.push_str(",Total\n");
        for p in &all.payers {
            csv.push_str(&format!("\"{}\",{}", p.name.replace('"', "\"\""), p.invoices));
            for b in AgeBand::ALL {
                csv.push_str(&format!(",{}", p.aged.band(b).amount()));
            }
            csv.push_str(&format!(",{}\n", p.aged.total().amount()));
        }
        return Ok(crate::web::view::download(
            csv.into_bytes(),
            "text/csv; charset=utf-8",
            &format!("aged-debt-{today}.csv"),
        ));
    }
    let page = page_param(q.page.as_deref().unwrap_or(""))?;
    let found = ledger::aged_debt(&state.db, user.partnership.id, today, page, Some(PER_PAGE)).await?;
    let view = AgedPage {
        chrome: Chrome::for_user(&user, "/payments"),
        today: long_date(today),
        bands: AgeBand::ALL.iter().map(|b| (b.label(), found.total.band(*b).to_string())).collect(),
        total: found.total.total().to_string(),
        count_text: match found.payers_owing {
            0 => "Nobody owes anything.".into(),
            1 => "1 payer owes money".into(),
            n => format!("{n} payers owe money, most overdue first"),
        },
        pagination: Pagination::new("Pages of payers", found.page, found.pages, |n| {
            format!("/aged-debt?page={n}")
        }),
        rows: found
            .payers
            .iter()
            .map(|p| {
                (
                    p.payer_id,
                    p.name.clone(),
                    p.invoices,
                    AgeBand::ALL.iter().map(|b| p.aged.band(*b).to_string()).collect(),
                    p.aged.total().to_string(),
                )
            })
            .collect(),
    };
    Ok(render(&view)?.into_response())
}

// ---------------------------------------------------------------------------------------------
// Writing off

#[derive(Template)]
#[template(path = "payments/write_off.html")]
struct WriteOffPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    invoice_id: i64,
    number: String,
    payer: String,
    outstanding: String,
    limit: String,
    amount: String,
    kind: String,
    reason: String,
}

async fn write_off_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    typed: Option<&FormData>,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let v =
        invoices::get(&state.db, user.partnership.id, id, &invoices::InvoiceScope::All, state.clock.today())
            .await?;
    let get = |name: &str, default: String| typed.map_or(default, |f| f.get(name).to_string());
    let view = WriteOffPage {
        chrome: Chrome::for_user(user, "/invoices"),
        invoice_id: v.id,
        number: v.number.clone().unwrap_or_default(),
        payer: v.payer_name.clone(),
        outstanding: v.outstanding.to_string(),
        limit: user.partnership.small_write_off.to_string(),
        amount: get("amount", v.outstanding.amount().to_string()),
        kind: get(
            "kind",
            if v.outstanding <= user.partnership.small_write_off {
                "small_remainder".into()
            } else {
                "bad_debt".into()
            },
        ),
        reason: get("reason", String::new()),
        errors,
    };
    Ok(with_problems(&view.errors.clone(), render(&view)?))
}

async fn write_off_form(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    write_off_page(&state, &user, parse_id(&id)?, None, Vec::new()).await
}

async fn write_off(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = form_of(pairs);
    editor(&user, &form)?;
    let id = parse_id(&id)?;
    let mut errors = Vec::new();
    let amount = amount_field(&form, "amount", "the amount to write off", &mut errors);
    let kind = WriteOffKind::parse(form.get("kind"));
    if kind.is_none() {
        errors.push(FieldError { field: "kind".into(), message: "Choose why it is written off".into() });
    }
    if let (Some(amount), Some(kind), true) = (amount, kind, errors.is_empty()) {
        let new = NewWriteOff {
            invoice_id: id,
            amount: Some(amount),
            kind,
            reason: form.get("reason").to_string(),
        };
        match ledger::write_off(&state.db, &user.partnership, &new, actor(&state, &user)).await {
            Ok(_) => {
                return Ok(Redirect::to(&format!(
                    "/invoices/{id}?done={}",
                    urlencode("The amount was written off.")
                ))
                .into_response());
            }
            Err(e) => errors = refused_as(e, &[])?,
        }
    }
    write_off_page(&state, &user, id, Some(&form), errors).await
}
