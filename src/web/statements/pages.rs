//! Statement pages: the statements with an upload form, and one statement's lines, each with
//! what matching found and the decisions finance can make (one by one, or confirming many
//! suggestions at once).

use super::PER_PAGE;
use crate::domain::bank::{ColumnMapping, Format, LineState};
use crate::domain::role::Action;
use crate::services::bank::{self, Choice, LineFilter};
use crate::services::{FieldError, ServiceError};
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::forms::fields::FormData;
use crate::web::forms::page::{editor, sentence_case};
use crate::web::forms::upload::read_multipart;
use crate::web::session::PageUser;
use crate::web::view::{
    Chrome, FieldErrors, Pagination, SelectOption, field_errors, long_date, page_param, render,
};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/bank-statements",
            get(list).post(upload).layer(DefaultBodyLimit::max(bank::MAX_FILE_BYTES + 64 * 1024)),
        )
        .route("/bank-statements/sample.csv", get(sample))
        .route("/bank-statements/{id}", get(show))
        .route("/bank-statements/{id}/confirm", post(confirm_many))
        .route("/bank-statement-lines/{id}", post(decide))
}

field_errors!(ListPage);

fn parse_id(text: &str) -> Result<i64, PageError> {
    text.parse().map_err(|_| PageError::NotFound)
}

fn states_text(states: &[(LineState, u64)]) -> String {
    states.iter().map(|(s, n)| format!("{n} {}", s.label().to_lowercase())).collect::<Vec<_>>().join(", ")
}

struct StatementRow {
    id: i64,
    file_name: String,
    imported: String,
    lines: String,
    states: String,
}

#[derive(Template)]
#[template(path = "statements/list.html")]
struct ListPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    rows: Vec<StatementRow>,
    pagination: Pagination,
    format_options: Vec<SelectOption>,
    mapping: [(&'static str, &'static str, String); 5],
    /// The demo offers a sample statement to try.
    demo: bool,
}

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    page: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &PageUser,
    page: u64,
    errors: Vec<FieldError>,
    typed: Option<&FormData>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let found = bank::statements(&state.db, user.partnership.id, page, PER_PAGE).await?;
    let get = |name: &str| typed.map(|f| f.get(name).to_string()).unwrap_or_default();
    let chosen = get("format");
    let mut format_options = vec![SelectOption::new("", "Work it out from the file", Some(chosen.as_str()))];
    format_options
        .extend(Format::ALL.iter().map(|f| SelectOption::new(f.as_str(), f.label(), Some(chosen.as_str()))));
    let view = ListPage {
        chrome: Chrome::for_user(user, "/payments"),
        notice: None,
        pagination: Pagination::new("Pages of statements", found.page, found.pages, |n| {
            format!("/bank-statements?page={n}")
        }),
        rows: found
            .rows
            .into_iter()
            .map(|s| StatementRow {
                id: s.id,
                imported: long_date(s.imported_at.date_naive()),
                lines: format!("{} lines, {} new", s.lines, s.new),
                states: states_text(&s.states),
                file_name: s.file_name,
            })
            .collect(),
        format_options,
        demo: user.partnership.slug == crate::services::demo::DEMO_SLUG,
        mapping: [
            ("date_column", "Date column", get("date_column")),
            ("description_column", "Description column", get("description_column")),
            ("credit_column", "Money in column", get("credit_column")),
            ("debit_column", "Money out column", get("debit_column")),
            ("amount_column", "Or one amount column (money in positive)", get("amount_column")),
        ],
        errors,
    };
    let code = if view.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((code, render(&view)?).into_response())
}

async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let page = page_param(q.page.as_deref().unwrap_or(""))?;
    list_page(&state, &user, page, Vec::new(), None).await
}

async fn upload(
    State(state): State<AppState>,
    user: PageUser,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let (form, file) = read_multipart(multipart, bank::MAX_FILE_BYTES).await?;
    editor(&user, &form)?;
    let mut errors = Vec::new();
    if file.is_empty() {
        errors
            .push(FieldError { field: "file".into(), message: "Choose the statement file to upload".into() });
    }
    let format = super::api::format_of(Some(form.get("format"))).unwrap_or_else(|m| {
        errors.push(FieldError { field: "format".into(), message: sentence_case(&m) });
        None
    });
    let opt = |name: &str| Some(form.get(name).to_string()).filter(|v| !v.is_empty());
    let mapping = match (opt("date_column"), opt("description_column")) {
        (Some(date), Some(description)) => Some(ColumnMapping {
            date,
            description,
            amount: opt("amount_column"),
            credit: opt("credit_column"),
            debit: opt("debit_column"),
            balance: None,
            counterparty: None,
        }),
        _ => None,
    };
    if errors.is_empty() {
        let name = form.get("file_name").to_string();
        match bank::import(
            &state.db,
            &user.partnership,
            &file,
            if name.is_empty() { "statement" } else { &name },
            format,
            mapping,
            state.actor(user.user.id),
        )
        .await
        {
            Ok(s) => {
                let done = format!(
                    "{} lines read, {} new: {} matched automatically, {} with suggestions to check, {} unmatched, {} money out.",
                    s.lines, s.new, s.auto_matched, s.suggested, s.unmatched, s.debits
                );
                return Ok(Redirect::to(&format!(
                    "/bank-statements/{}?done={}",
                    s.statement_id,
                    urlencode(&done)
                ))
                .into_response());
            }
            Err(ServiceError::Invalid(list)) => errors.extend(list.into_iter().map(|f| FieldError {
                field: if f.field == "format" { "format".into() } else { "file".into() },
                message: sentence_case(&f.message),
            })),
            Err(other) => return Err(other.into()),
        }
    }
    list_page(&state, &user, 1, errors, Some(&form)).await
}

/// The demo's sample statement (Lloyds CSV), paying some of what the demo is owed.
async fn sample(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    if user.partnership.slug != crate::services::demo::DEMO_SLUG {
        return Err(PageError::NotFound);
    }
    let csv =
        crate::services::demo::sample_statement(&state.db, &user.partnership, state.clock.today()).await?;
    Ok(crate::web::view::download(csv.into_bytes(), "text/csv; charset=utf-8", "sample-lloyds-statement.csv"))
}

struct SuggestionRow {
    index: usize,
    payer: String,
    reason: String,
}

struct LineRow {
    id: i64,
    line_no: i32,
    date: String,
    description: String,
    amount: String,
    money_in: bool,
    state: &'static str,
    tag: &'static str,
    decision: Option<String>,
    suggestions: Vec<SuggestionRow>,
    can_undo: bool,
    open: bool,
    payment: Option<i64>,
}

#[derive(Template)]
#[template(path = "statements/statement.html")]
struct StatementPage {
    chrome: Chrome,
    notice: Option<String>,
    id: i64,
    file_name: String,
    imported: String,
    filters: Vec<(String, String, bool)>,
    rows: Vec<LineRow>,
    any_suggested: bool,
    pagination: Pagination,
}

#[derive(serde::Deserialize, Default)]
struct ShowQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: Option<String>,
    done: Option<String>,
}

fn tag_of(state: LineState) -> &'static str {
    match state {
        LineState::Matched => "govuk-tag--green",
        LineState::Suggested => "govuk-tag--yellow",
        LineState::Unmatched => "govuk-tag--red",
        LineState::Ignored | LineState::Refund => "govuk-tag--grey",
        LineState::Debit => "govuk-tag--blue",
    }
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let id = parse_id(&id)?;
    let chosen =
        match q.state.as_str() {
            "" => None,
            s => Some(LineState::parse(s).ok_or_else(|| {
                PageError::BadRequest(format!("\"{s}\" is not a state of a statement line"))
            })?),
        };
    let page = page_param(q.page.as_deref().unwrap_or(""))?;
    let s = bank::statement(&state.db, user.partnership.id, id).await?;
    let found =
        bank::lines(&state.db, user.partnership.id, id, &LineFilter { state: chosen }, page, PER_PAGE)
            .await?;
    let mut filters = vec![(
        format!("/bank-statements/{id}"),
        format!("All {} lines", s.states.iter().map(|x| x.1).sum::<u64>()),
        chosen.is_none(),
    )];
    filters.extend(s.states.iter().map(|(st, n)| {
        (
            format!("/bank-statements/{id}?state={}", st.as_str()),
            format!("{} ({n})", st.label()),
            chosen == Some(*st),
        )
    }));
    let state_param = q.state.clone();
    let view = StatementPage {
        chrome: Chrome::for_user(&user, "/payments"),
        notice: q.done,
        id,
        file_name: s.file_name.clone(),
        imported: long_date(s.imported_at.date_naive()),
        filters,
        any_suggested: found.rows.iter().any(|l| l.state == LineState::Suggested),
        pagination: Pagination::new("Pages of lines", found.page, found.pages, move |n| {
            format!("/bank-statements/{id}?state={}&page={n}", urlencode(&state_param))
        }),
        rows: found
            .rows
            .into_iter()
            .map(|l| LineRow {
                id: l.id,
                line_no: l.line_no,
                date: long_date(l.booked_on),
                description: match &l.counterparty {
                    Some(c) if !l.description.contains(c.as_str()) => format!("{c} {}", l.description),
                    _ => l.description.clone(),
                },
                money_in: l.amount.amount().is_sign_positive(),
                amount: l.amount.to_string(),
                state: l.state.label(),
                tag: tag_of(l.state),
                decision: l.decision.clone(),
                can_undo: matches!(l.state, LineState::Matched | LineState::Ignored | LineState::Refund),
                open: matches!(l.state, LineState::Suggested | LineState::Unmatched | LineState::Debit),
                payment: l.payment_ids.last().copied(),
                suggestions: l
                    .suggestions
                    .iter()
                    .enumerate()
                    .map(|(index, s)| SuggestionRow {
                        index,
                        payer: s.payer_name.clone(),
                        reason: sentence_case(&s.reason),
                    })
                    .collect(),
            })
            .collect(),
    };
    Ok(render(&view)?.into_response())
}

async fn decide(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let line = parse_id(&id)?;
    let back = parse_id(form.get("statement"))?;
    let choice = match form.get("action") {
        "confirm" => Choice::Suggestion(form.get("suggestion").parse().map_err(|_| {
            PageError::BadRequest(format!(
                "\"{}\" is not one of the line's suggestions",
                form.get("suggestion")
            ))
        })?),
        "numbers" => Choice::Numbers(form.get("numbers").to_string()),
        "reject" => Choice::Reject,
        "ignore" => Choice::Ignore,
        "refund" => Choice::Refund,
        "undo" => Choice::Undo,
        other => {
            return Err(PageError::BadRequest(format!(
                "\"{other}\" is not something to do with a statement line"
            )));
        }
    };
    let done =
        match bank::decide(&state.db, &user.partnership, line, &choice, state.actor(user.user.id)).await {
            Ok(s) => format!("Line {} is now {}.", form.get("line_no"), s.label().to_lowercase()),
            Err(ServiceError::Conflict(m)) => sentence_case(&m),
            Err(ServiceError::Invalid(list)) => {
                list.iter().map(|f| sentence_case(&f.message)).collect::<Vec<_>>().join(". ")
            }
            Err(other) => return Err(other.into()),
        };
    let state_param = form.get("state");
    Ok(Redirect::to(&format!(
        "/bank-statements/{back}?state={}&done={}#line-{line}",
        urlencode(state_param),
        urlencode(&done)
    ))
    .into_response())
}

async fn confirm_many(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let statement = parse_id(&id)?;
    let chosen: Vec<i64> =
        form.0.iter().filter(|(k, _)| k == "line").filter_map(|(_, v)| v.parse().ok()).collect();
    let (mut confirmed, mut refused) = (0, Vec::new());
    for line in chosen {
        match bank::decide(
            &state.db,
            &user.partnership,
            line,
            &Choice::Suggestion(0),
            state.actor(user.user.id),
        )
        .await
        {
            Ok(_) => confirmed += 1,
            Err(ServiceError::Conflict(m)) => refused.push(m),
            Err(ServiceError::Invalid(list)) => refused.extend(list.into_iter().map(|f| f.message)),
            Err(other) => return Err(other.into()),
        }
    }
    let mut done = match confirmed {
        0 => "No suggestion was confirmed: tick the lines to confirm.".to_string(),
        1 => "1 suggestion confirmed.".to_string(),
        n => format!("{n} suggestions confirmed."),
    };
    if !refused.is_empty() {
        done.push_str(&format!(" {} could not be: {}", refused.len(), refused.join("; ")));
    }
    Ok(Redirect::to(&format!("/bank-statements/{statement}?state=suggested&done={}", urlencode(&done)))
        .into_response())
}
