//! Contracts and grants on the pages: the list (with the board's income by stream), a new
//! contract with its schedule previewed before it is saved, and a contract's page: its figures
//! by year, instalments (finance may invoice one now), deliverables to sign off, and
//! variations previewed before they are made.

use super::{ContractScope, scope_of};
use crate::domain::contracts::{Frequency, ScheduleKind, Stream, Timing, declining};
use crate::domain::money::Money;
use crate::domain::role::Action;
use crate::domain::vat::VatRate;
use crate::services::contracts::{
    self, ContractView, Counterparty, NewContract, NewDeliverable, NewVariation, Preview, ScheduleInput,
};
use crate::services::{FieldError, ServiceError};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::date::{DateInput, date_field};
use crate::web::forms::fields::{FormData, read_amount};
use crate::web::forms::page::{editor, refused_as, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{
    Chrome, FieldErrors, Pagination, SelectOption, field_errors, long_date, page_id, page_param, render,
};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;

field_errors!(NewContractPage, ContractPage);

fn money_text(m: Option<Money>) -> String {
    m.map(|m| m.to_string()).unwrap_or_else(|| "Worked out when due".into())
}

struct Row {
    id: i64,
    title: String,
    counterparty: String,
    stream: &'static str,
    runs: String,
    value: String,
    next_due: String,
    deliverables: usize,
}

struct SummaryRow {
    year: String,
    cells: Vec<String>,
    share: String,
}

#[derive(Template)]
#[template(path = "contracts/list.html")]
struct ListPage {
    chrome: Chrome,
    finance: bool,
    commissioner: bool,
    streams: Vec<SelectOption>,
    rows: Vec<Row>,
    count_text: String,
    pagination: Pagination,
    summary: Vec<SummaryRow>,
    notice: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    stream: String,
    #[serde(default)]
    page: String,
}

pub(super) async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let scope = scope_of(&user)?;
    let page = page_param(&q.page)?;
    let stream = match q.stream.trim() {
        "" => None,
        s => Some(s.parse::<Stream>().map_err(|e| PageError::BadRequest(e.to_string()))?),
    };
    let p = contracts::list(&state.db, user.partnership.id, &scope, stream, page).await?;
    let summary = if user.require(Action::ViewTotals).is_ok() {
        contracts::summary(&state.db, user.partnership.id)
            .await?
            .into_iter()
            .map(|y| SummaryRow {
                cells: [
                    y.memberships,
                    y.traded,
                    y.la_commissions,
                    y.other_commissions,
                    y.grants,
                    y.total,
                    y.council_money,
                ]
                .iter()
                .map(ToString::to_string)
                .collect(),
                share: y.council_share.map(|s| format!("{s}%")).unwrap_or_else(|| "None".into()),
                year: y.year,
            })
            .collect()
    } else {
        Vec::new()
    };
    let chosen = stream.map(|s| s.as_str());
    let mut streams = vec![SelectOption::new("", "All", chosen.or(Some("")))];
    streams.extend(Stream::ALL.iter().map(|s| SelectOption::new(s.as_str(), s.label(), chosen)));
    let stream_q = q.stream.trim().to_string();
    let view = ListPage {
        chrome: Chrome::for_user(&user, "/contracts"),
        finance: user.require(Action::ManageBilling).is_ok(),
        commissioner: matches!(scope, ContractScope::Council(_)),
        streams,
        count_text: match p.total {
            0 => "No contracts or grants yet.".into(),
            1 => "1 contract or grant.".into(),
            n => format!("{n} contracts and grants, latest start first."),
        },
        rows: p
            .rows
            .into_iter()
            .map(|c| Row {
                id: c.id,
                runs: format!("{} to {}", long_date(c.start_date), long_date(c.end_date)),
                value: c.value.to_string(),
                next_due: c.next_due.map(long_date).unwrap_or_else(|| "None scheduled".into()),
                deliverables: c.deliverables_due,
                stream: c.stream_label,
                counterparty: c.counterparty,
                title: c.title,
            })
            .collect(),
        pagination: Pagination::new("Pages of contracts", p.page, p.pages, |n| {
            format!("/contracts?stream={stream_q}&page={n}")
        }),
        summary,
        notice: None,
    };
    Ok(render(&view)?.into_response())
}

/// What the new-contract form holds, as typed.
#[derive(Default, Clone)]
struct Typed {
    council: String,
    counterparty_name: String,
    counterparty_address: String,
    counterparty_vat_number: String,
    stream: String,
    title: String,
    reference: String,
    vat: String,
    schedule: String,
    frequency: String,
    timing: String,
    first_value: String,
    last_value: String,
    dates: String,
    matched_year: String,
    matched_percent: String,
    matched_cap: String,
    deliverables: String,
    break_dates: String,
}

struct PreviewRow {
    due: String,
    what: String,
    year: usize,
    amount: String,
}

#[derive(Template)]
#[template(path = "contracts/new.html")]
struct NewContractPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    councils: Vec<SelectOption>,
    t: Typed,
    streams: Vec<(&'static str, &'static str, bool)>,
    schedules: Vec<(&'static str, &'static str, bool)>,
    frequencies: Vec<(&'static str, &'static str, bool)>,
    timings: Vec<(&'static str, &'static str, bool)>,
    vats: Vec<SelectOption>,
    start: DateInput,
    end: DateInput,
    extension: DateInput,
    invoice_on: DateInput,
    preview: Option<SchedulePreview>,
}

fn radios<T: Copy>(
    all: &[T],
    chosen: &str,
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str, bool)> {
    all.iter().map(|x| (value(*x), label(*x), value(*x) == chosen)).collect()
}

async fn new_page(state: &AppState, user: &PageUser, t: Typed) -> Result<NewContractPage, PageError> {
    let today = state.clock.today();
    let councils = contracts::councils(&state.db, user.partnership.id).await?;
    let mut options =
        vec![SelectOption::new("", "Another organisation (give its name below)", Some(t.council.as_str()))];
    options.extend(
        councils
            .into_iter()
            .map(|(id, name)| SelectOption::new(id.to_string(), name, Some(t.council.as_str()))),
    );
    let vats = [("", "As usual: standard rate for a commission, outside the scope of VAT for a grant")]
        .into_iter()
        .chain(VatRate::ALL.iter().map(|v| (v.as_str(), v.label())))
        .map(|(v, l)| SelectOption::new(v, l, Some(t.vat.as_str())))
        .collect();
    Ok(NewContractPage {
        chrome: Chrome::for_user(user, "/contracts"),
        errors: Vec::new(),
        councils: options,
        streams: radios(&Stream::ALL, &t.stream, Stream::as_str, Stream::label),
        schedules: radios(&ScheduleKind::ALL, &t.schedule, ScheduleKind::as_str, ScheduleKind::label),
        frequencies: radios(&Frequency::ALL, &t.frequency, Frequency::as_str, Frequency::label),
        timings: radios(&Timing::ALL, &t.timing, Timing::as_str, Timing::label),
        vats,
        start: DateInput::new("start", "Start date", today, ""),
        end: DateInput::new("end", "End date", today, "The last day the contract covers"),
        extension: DateInput::new(
            "extension",
            "Extension, if the contract allows one (optional)",
            today,
            "The latest it could run to",
        ),
        invoice_on: DateInput::new(
            "invoice_on",
            "Date matched funding is invoiced (matched funding only)",
            today,
            "",
        ),
        preview: None,
        t,
    })
}

pub(super) async fn new_form(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let t = Typed {
        stream: Stream::LaCommission.as_str().into(),
        schedule: ScheduleKind::Fixed.as_str().into(),
        frequency: Frequency::Quarterly.as_str().into(),
        timing: Timing::InAdvance.as_str().into(),
        ..Typed::default()
    };
    Ok(render(&new_page(&state, &user, t).await?)?.into_response())
}

const FIELDS: &[(&str, &str)] = &[
    ("title", "title"),
    ("reference", "reference"),
    ("counterparty_name", "counterparty_name"),
    ("counterparty_address", "counterparty_address"),
    ("counterparty_vat_number", "counterparty_vat_number"),
    ("start_date", "start"),
    ("end_date", "end"),
    ("extension_until", "extension"),
    ("break_dates", "break_dates"),
    ("vat_rate", "vat"),
    ("yearly_values", "first_value"),
    ("dates", "dates"),
    ("matched_year", "matched_year"),
    ("matched_ratio", "matched_percent"),
    ("matched_cap", "matched_cap"),
    ("invoice_on", "invoice_on"),
    ("deliverables", "deliverables"),
    ("schedule", "schedule"),
];

/// A date typed as 31/3/2027 or 2027-03-31.
fn loose_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%d/%m/%Y").or_else(|_| NaiveDate::parse_from_str(t, "%Y-%m-%d")).ok()
}

fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().map(str::trim).enumerate().filter(|(_, l)| !l.is_empty()).map(|(i, l)| (i + 1, l))
}

fn amount(text: &str, what: &str, field: &str, errors: &mut Vec<FieldError>) -> Option<Money> {
    match read_amount(text, what) {
        Ok(Some(v)) => Some(Money::from_decimal_rounded(v)),
        Ok(None) => {
            errors
                .push(FieldError { field: field.into(), message: format!("Enter {}", what.to_lowercase()) });
            None
        }
        Err(m) => {
            errors.push(FieldError { field: field.into(), message: m });
            None
        }
    }
}

/// Reads the form into a new contract, or its problems.
fn read_form(form: &FormData, page: &mut NewContractPage) -> Result<NewContract, Vec<FieldError>> {
    let mut errors = Vec::new();
    let t = &page.t;
    let (sp, ep, xp, ip) =
        (form.date("start"), form.date("end"), form.date("extension"), form.date("invoice_on"));
    let start = date_field("start", sp.clone(), "Start date", &mut errors);
    let end = date_field("end", ep.clone(), "End date", &mut errors);
    let extension = match xp.read("Extension") {
        Ok(d) => d,
        Err(m) => {
            errors.push(FieldError { field: "extension".into(), message: m });
            None
        }
    };
    let stream = t.stream.parse::<Stream>().map_err(|_| ()).unwrap_or_else(|_| {
        errors.push(FieldError { field: "stream".into(), message: "Choose the kind of income".into() });
        Stream::LaCommission
    });
    let kind = t.schedule.parse::<ScheduleKind>().unwrap_or_else(|_| {
        errors
            .push(FieldError { field: "schedule".into(), message: "Choose how the contract is paid".into() });
        ScheduleKind::Fixed
    });
    let vat_rate = match t.vat.as_str() {
        "" => None,
        v => match v.parse::<VatRate>() {
            Ok(v) => Some(v),
            Err(_) => {
                errors.push(FieldError {
                    field: "vat".into(),
                    message: "Choose a VAT rate from the list".into(),
                });
                None
            }
        },
    };
    let counterparty = match t.council.as_str() {
        "" => Counterparty::Organisation {
            name: t.counterparty_name.clone(),
            address: t.counterparty_address.clone(),
        },
        id => match id.parse::<i64>() {
            Ok(id) => Counterparty::Council(id),
            Err(_) => {
                errors.push(FieldError {
                    field: "council".into(),
                    message: "Choose a council from the list".into(),
                });
                Counterparty::Council(0)
            }
        },
    };
    let mut break_dates = Vec::new();
    for (n, l) in lines(&t.break_dates) {
        match loose_date(l) {
            Some(d) => break_dates.push(d),
            None => errors.push(FieldError {
                field: "break_dates".into(),
                message: format!("Break point on line {n} must be a date like 31/3/2028"),
            }),
        }
    }
    let mut deliverables = Vec::new();
    for (n, l) in lines(&t.deliverables) {
        let parts: Vec<&str> = l.split(';').map(str::trim).collect();
        let due = parts.get(1).and_then(|d| loose_date(d));
        let money = match parts.get(2).filter(|a| !a.is_empty()) {
            Some(a) => match read_amount(a, "The amount") {
                Ok(v) => v.map(Money::from_decimal_rounded),
                Err(m) => {
                    errors
                        .push(FieldError { field: "deliverables".into(), message: format!("Line {n}: {m}") });
                    None
                }
            },
            None => None,
        };
        match (parts.first().filter(|t| !t.is_empty()), due) {
            (Some(title), Some(due_on)) => {
                deliverables.push(NewDeliverable { title: title.to_string(), due_on, amount: money })
            }
            _ => errors.push(FieldError {
                field: "deliverables".into(),
                message: format!(
                    "Deliverable on line {n} must be a title and a due date, like Interim report; 31/3/2027"
                ),
            }),
        }
    }
    let schedule = match kind {
        ScheduleKind::Fixed => {
            let frequency = t.frequency.parse::<Frequency>().ok();
            let timing = t.timing.parse::<Timing>().ok();
            if frequency.is_none() {
                errors.push(FieldError {
                    field: "frequency".into(),
                    message: "Choose how often it is invoiced".into(),
                });
            }
            if timing.is_none() {
                errors.push(FieldError {
                    field: "timing".into(),
                    message: "Choose in advance or in arrears".into(),
                });
            }
            let first = amount(&t.first_value, "The first year's value", "first_value", &mut errors);
            let last = match read_amount(&t.last_value, "The last year's value") {
                Ok(v) => v.map(Money::from_decimal_rounded),
                Err(m) => {
                    errors.push(FieldError { field: "last_value".into(), message: m });
                    None
                }
            };
            let years = match (start, end) {
                (Some(s), Some(e)) if e >= s => crate::domain::contracts::contract_year_of(s, e).min(10),
                _ => 1,
            };
            let yearly = match (first, last) {
                (Some(f), Some(l)) => declining(f, l, years),
                (Some(f), None) => vec![f; years],
                _ => Vec::new(),
            };
            ScheduleInput::Fixed {
                yearly,
                frequency: frequency.unwrap_or(Frequency::Quarterly),
                timing: timing.unwrap_or(Timing::InAdvance),
            }
        }
        ScheduleKind::NamedDates => {
            let mut dates = Vec::new();
            for (n, l) in lines(&t.dates) {
                let mut parts = l.split_whitespace();
                match (parts.next().and_then(loose_date), parts.next().map(|a| read_amount(a, "The amount")))
                {
                    (Some(d), Some(Ok(Some(a)))) => dates.push((d, Money::from_decimal_rounded(a))),
                    _ => errors.push(FieldError {
                        field: "dates".into(),
                        message: format!("Line {n} must be a date and an amount, like 15/10/2026 250000.00"),
                    }),
                }
            }
            if dates.is_empty() {
                errors.push(FieldError {
                    field: "dates".into(),
                    message: "Enter at least one date and amount".into(),
                });
            }
            ScheduleInput::NamedDates(dates)
        }
        ScheduleKind::Matched => {
            let ratio = match t.matched_percent.trim().trim_end_matches('%').parse::<rust_decimal::Decimal>()
            {
                Ok(p) => p / rust_decimal::Decimal::from(100),
                Err(_) => {
                    errors.push(FieldError {
                        field: "matched_percent".into(),
                        message: "Enter the share matched as a percentage, like 50".into(),
                    });
                    rust_decimal::Decimal::ZERO
                }
            };
            let cap = match read_amount(&t.matched_cap, "The cap") {
                Ok(v) => v.map(Money::from_decimal_rounded),
                Err(m) => {
                    errors.push(FieldError { field: "matched_cap".into(), message: m });
                    None
                }
            };
            let invoice_on =
                date_field("invoice_on", ip.clone(), "Date matched funding is invoiced", &mut errors);
            ScheduleInput::Matched {
                year: t.matched_year.clone(),
                ratio,
                cap,
                invoice_on: invoice_on.unwrap_or(NaiveDate::MIN),
            }
        }
        ScheduleKind::Milestones => ScheduleInput::Milestones,
    };
    page.start.retype(&sp);
    page.end.retype(&ep);
    page.extension.retype(&xp);
    page.invoice_on.retype(&ip);
    let (Some(start), Some(end), true) = (start, end, errors.is_empty()) else {
        return Err(errors);
    };
    Ok(NewContract {
        counterparty,
        counterparty_vat_number: Some(t.counterparty_vat_number.trim().to_string()).filter(|v| !v.is_empty()),
        stream,
        title: t.title.clone(),
        reference: Some(t.reference.clone()),
        start,
        end,
        break_dates,
        extension_until: extension,
        vat_rate,
        schedule,
        deliverables,
    })
}

/// A schedule as the new-contract page previews it: the value, each year's and each instalment.
struct SchedulePreview {
    value: String,
    years: Vec<(usize, String)>,
    rows: Vec<PreviewRow>,
}

fn preview_rows(p: &Preview) -> SchedulePreview {
    SchedulePreview {
        value: p.value.to_string(),
        years: p.years.iter().map(|y| (y.contract_year, y.value.to_string())).collect(),
        rows: p
            .instalments
            .iter()
            .map(|i| PreviewRow {
                due: i.due_on.map(long_date).unwrap_or_else(|| "When signed off".into()),
                what: i.description.clone(),
                year: i.contract_year,
                amount: money_text(i.amount),
            })
            .collect(),
    }
}

pub(super) async fn create(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let g = |n: &str| form.get(n).to_string();
    let t = Typed {
        council: g("council"),
        counterparty_name: g("counterparty_name"),
        counterparty_address: g("counterparty_address"),
        counterparty_vat_number: g("counterparty_vat_number"),
        stream: g("stream"),
        title: g("title"),
        reference: g("reference"),
        vat: g("vat"),
        schedule: g("schedule"),
        frequency: g("frequency"),
        timing: g("timing"),
        first_value: g("first_value"),
        last_value: g("last_value"),
        dates: g("dates"),
        matched_year: g("matched_year"),
        matched_percent: g("matched_percent"),
        matched_cap: g("matched_cap"),
        deliverables: g("deliverables"),
        break_dates: g("break_dates"),
    };
    let mut page = new_page(&state, &user, t).await?;
    let c = match read_form(&form, &mut page) {
        Ok(c) => c,
        Err(errors) => {
            page.errors = errors;
            return Ok(with_problems(&page.errors.clone(), render(&page)?));
        }
    };
    let preview_only = form.get("action") == "preview";
    if preview_only {
        match contracts::plan(&c, user.partnership.year_kind) {
            Ok(p) => page.preview = Some(preview_rows(&p)),
            Err(e) => page.errors = refused_as(e, FIELDS)?,
        }
        return Ok(with_problems(&page.errors.clone(), render(&page)?));
    }
    match contracts::create(&state.db, &user.partnership, c, Some(user.user.id), state.clock.now()).await {
        Ok(made) => Ok(Redirect::to(&format!("/contracts/{}?done=added", made.id)).into_response()),
        Err(e) => {
            page.errors = refused_as(e, FIELDS)?;
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
    }
}

struct InstalmentRow {
    id: i64,
    due: String,
    what: String,
    amount: String,
    state: &'static str,
    tag: &'static str,
    invoice: Option<(i64, String)>,
    may_raise: bool,
}

struct DeliverableRow {
    id: i64,
    title: String,
    due: String,
    done: Option<String>,
    amount: Option<String>,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "contracts/contract.html")]
struct ContractPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    c: ContractView,
    finance: bool,
    facts: Vec<(&'static str, String)>,
    years: Vec<(String, Vec<String>)>,
    totals: Vec<String>,
    instalments: Vec<InstalmentRow>,
    deliverables: Vec<DeliverableRow>,
    variations: Vec<String>,
    /// Each year's value for the variation form, as typed.
    vary_values: Vec<(usize, String)>,
    vary_from: DateInput,
    vary_reason: String,
    vary_preview: Option<Vec<(String, Vec<String>)>>,
    may_vary: bool,
    notice: Option<String>,
}

fn state_words(state: &str) -> (&'static str, &'static str) {
    match state {
        contracts::SCHEDULED => ("Scheduled", "govuk-tag--blue"),
        contracts::INVOICED => ("Invoiced", "govuk-tag--green"),
        contracts::CANCELLED => ("Replaced by a variation", "govuk-tag--grey"),
        contracts::NOTHING_DUE => ("Nothing due", "govuk-tag--grey"),
        _ => ("Unknown", "govuk-tag--red"),
    }
}

fn year_rows(c: &ContractView) -> Vec<(String, Vec<String>)> {
    c.by_year
        .iter()
        .map(|y| {
            let f = &y.figures;
            (
                format!("Year {} (from {})", y.contract_year, long_date(y.starts)),
                [f.value, f.invoiced, f.received, f.outstanding, f.to_invoice]
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            )
        })
        .collect()
}

async fn contract_page(
    state: &AppState,
    user: &PageUser,
    c: ContractView,
    notice: Option<String>,
) -> Result<ContractPage, PageError> {
    let today = state.clock.today();
    let finance = user.require(Action::ManageBilling).is_ok();
    let mut facts = vec![
        ("Counterparty", c.counterparty_address.replace('\n', ", ")),
        ("Kind of income", c.stream_label.to_string()),
        ("Reference", c.reference.clone().unwrap_or_else(|| "None".into())),
        ("Runs", format!("{} to {}", long_date(c.start_date), long_date(c.end_date))),
        ("How it is paid", c.schedule_in_words.clone()),
        ("VAT", c.vat_rate.label().to_string()),
    ];
    if let Some(v) = &c.counterparty_vat_number {
        facts.push(("Counterparty's VAT number", v.clone()));
    }
    if !c.break_dates.is_empty() {
        facts.push((
            "Break points",
            c.break_dates.iter().map(|d| long_date(*d)).collect::<Vec<_>>().join(", "),
        ));
    }
    if let Some(x) = c.extension_until {
        facts.push(("May be extended to", long_date(x)));
    }
    facts.push((
        "Invoices are emailed to",
        c.billing_emails.clone().unwrap_or_else(|| "No billing email yet".into()),
    ));
    if c.council {
        facts.push((
            "Council officers who see its invoices",
            if c.receives_invoices.is_empty() {
                "None yet: add a commissioner user".into()
            } else {
                c.receives_invoices.join(", ")
            },
        ));
    }
    let t = &c.totals;
    let yearly =
        c.by_year.iter().map(|y| (y.contract_year as usize, y.figures.value.amount().to_string())).collect();
    Ok(ContractPage {
        chrome: Chrome::for_user(user, "/contracts"),
        errors: Vec::new(),
        finance,
        facts,
        years: year_rows(&c),
        totals: [t.value, t.invoiced, t.received, t.outstanding, t.to_invoice]
            .iter()
            .map(ToString::to_string)
            .collect(),
        instalments: c
            .instalments
            .iter()
            .map(|i| {
                let (state, tag) = state_words(&i.state);
                InstalmentRow {
                    id: i.id,
                    due: i.due_on.map(long_date).unwrap_or_else(|| "When signed off".into()),
                    what: match &i.working {
                        Some(w) => format!("{}: {w}", i.description),
                        None => i.description.clone(),
                    },
                    amount: money_text(i.amount),
                    state,
                    tag,
                    invoice: i.invoice_id.zip(i.invoice_number.clone()),
                    may_raise: finance && i.state == contracts::SCHEDULED && i.due_on.is_some(),
                }
            })
            .collect(),
        deliverables: c
            .deliverables
            .iter()
            .map(|d| DeliverableRow {
                id: d.id,
                title: d.title.clone(),
                due: long_date(d.due_on),
                done: d.done_on.map(|on| match &d.note {
                    Some(n) => format!("Signed off {}: {n}", long_date(on)),
                    None => format!("Signed off {}", long_date(on)),
                }),
                amount: d.amount.map(|a| a.to_string()),
                overdue: d.done_on.is_none() && d.due_on < today,
            })
            .collect(),
        variations: c
            .variations
            .iter()
            .map(|v| {
                format!(
                    "From {}: {} to {} ({}, {}). {}",
                    long_date(v.effective_from),
                    v.old_value,
                    v.new_value,
                    v.by,
                    long_date(v.at.date_naive()),
                    v.reason
                )
            })
            .collect(),
        may_vary: finance
            && [ScheduleKind::Fixed.as_str(), ScheduleKind::NamedDates.as_str()].contains(&c.schedule_kind),
        vary_values: yearly,
        vary_from: DateInput::new(
            "from",
            "Takes effect from",
            today,
            "Instalments due from this date change; earlier and invoiced ones stay",
        ),
        vary_reason: String::new(),
        vary_preview: None,
        notice,
        c,
    })
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ShowQuery {
    #[serde(default)]
    done: String,
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let scope = scope_of(&user)?;
    let c = contracts::get(&state.db, user.partnership.id, page_id(&id)?, &scope).await?;
    let notice = match q.done.as_str() {
        "added" => Some("Contract added".to_string()),
        "invoiced" => Some("Instalment invoiced".to_string()),
        "signed-off" => Some("Deliverable signed off".to_string()),
        "varied" => Some("Variation made: later instalments changed".to_string()),
        _ => None,
    };
    Ok(render(&contract_page(&state, &user, c, notice).await?)?.into_response())
}

pub(super) async fn raise_now(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, i)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    editor(&user, &FormData(pairs))?;
    let (id, i) = (page_id(&id)?, page_id(&i)?);
    contracts::raise_now(
        &state.db,
        &user.partnership,
        id,
        i,
        Some(user.user.id),
        state.clock.today(),
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/contracts/{id}?done=invoiced")).into_response())
}

pub(super) async fn sign_off(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, d)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let (id, d) = (page_id(&id)?, page_id(&d)?);
    let done = contracts::complete_deliverable(
        &state.db,
        &user.partnership,
        id,
        d,
        form.get("note"),
        crate::services::ledger::Actor {
            user_id: Some(user.user.id),
            today: state.clock.today(),
            now: state.clock.now(),
        },
    )
    .await;
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{id}?done=signed-off")).into_response()),
        Err(ServiceError::Invalid(list)) => {
            let c = contracts::get(&state.db, user.partnership.id, id, &ContractScope::All).await?;
            let mut page = contract_page(&state, &user, c, None).await?;
            page.errors = list
                .into_iter()
                .map(|f| FieldError {
                    field: format!("note-{d}"),
                    message: crate::web::forms::page::sentence_case(&f.message),
                })
                .collect();
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn vary(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let id = page_id(&id)?;
    let c = contracts::get(&state.db, user.partnership.id, id, &ContractScope::All).await?;
    let years = c.by_year.len();
    let mut page = contract_page(&state, &user, c, None).await?;
    let mut errors = Vec::new();
    let mut yearly = Vec::new();
    page.vary_values = (1..=years).map(|y| (y, form.get(&format!("year{y}")).to_string())).collect();
    for (y, text) in &page.vary_values {
        if let Some(m) = amount(text, &format!("Year {y}'s value"), &format!("year{y}"), &mut errors) {
            yearly.push(m);
        }
    }
    let parts = form.date("from");
    page.vary_from.retype(&parts);
    let from = date_field("from", parts, "Date the variation takes effect", &mut errors);
    page.vary_reason = form.get("reason").to_string();
    if page.vary_reason.trim().is_empty() {
        errors.push(FieldError { field: "reason".into(), message: "Enter why the contract changes".into() });
    }
    let (Some(from), true) = (from, errors.is_empty()) else {
        page.errors = errors;
        return Ok(with_problems(&page.errors.clone(), render(&page)?));
    };
    let v = NewVariation { yearly, effective_from: from, reason: page.vary_reason.clone() };
    let fields = [("yearly_values", "year1"), ("effective_from", "from"), ("reason", "reason")];
    if form.get("action") == "preview" {
        match contracts::preview_variation(&state.db, &user.partnership, id, v, state.clock.now()).await {
            Ok(shown) => page.vary_preview = Some(year_rows(&shown)),
            Err(e) => page.errors = refused_as(e, &fields)?,
        }
        return Ok(with_problems(&page.errors.clone(), render(&page)?));
    }
    match contracts::vary(&state.db, &user.partnership, id, v, Some(user.user.id), state.clock.now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{id}?done=varied")).into_response()),
        Err(e) => {
            page.errors = refused_as(e, &fields)?;
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
    }
}
