//! The outbox: every message with its state, newest first, filtered by state; one message with
//! what it said; and "send again" for a failed or unsent one.

use super::when;
use crate::domain::mail::MessageState;
use crate::domain::role::Action;
use crate::services::mail;
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::fields::FormData;
use crate::web::session::PageUser;
use crate::web::view::{Chrome, Pagination, page_param, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

pub(super) struct Row {
    id: i64,
    queued: String,
    kind: &'static str,
    subject: String,
    to: String,
    state: &'static str,
    tag: &'static str,
    note: String,
}

fn tag(state: MessageState) -> &'static str {
    match state {
        MessageState::Sent => "govuk-tag--green",
        MessageState::Queued | MessageState::Sending => "govuk-tag--blue",
        MessageState::Failed | MessageState::Unsure => "govuk-tag--red",
        MessageState::NoAddress => "govuk-tag--orange",
    }
}

#[derive(Template)]
#[template(path = "mail_pages/outbox.html")]
struct OutboxPage {
    chrome: Chrome,
    notice: Option<String>,
    mailer: String,
    counts: Vec<(String, u64, &'static str)>,
    states: Vec<(&'static str, &'static str, bool)>,
    rows: Vec<Row>,
    payer: Option<i64>,
    count_text: String,
    pagination: Pagination,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    done: String,
    #[serde(default)]
    payer: String,
}

pub(super) async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let page = page_param(&q.page)?;
    let chosen = match q.state.trim() {
        "" => None,
        s => Some(MessageState::parse(s).ok_or_else(|| {
            PageError::BadRequest(format!("\"{s}\" is not a state of a message: choose one from the list"))
        })?),
    };
    let payer = match q.payer.trim() {
        "" => None,
        p => Some(p.parse::<i64>().map_err(|_| PageError::BadRequest(format!("\"{p}\" is not a payer")))?),
    };
    let (rows, total) = mail::list(&state.db, user.partnership.id, chosen, payer, page).await?;
    let counts = mail::counts(&state.db, user.partnership.id).await?;
    let pages = total.div_ceil(mail::PAGE_SIZE).max(1);
    let mut filter = String::new();
    if chosen.is_some() {
        filter.push_str(&format!("state={}&", q.state.trim()));
    }
    if let Some(p) = payer {
        filter.push_str(&format!("payer={p}&"));
    }
    let view = OutboxPage {
        chrome: Chrome::for_user(&user, "/billing"),
        notice: (q.done == "sent-again").then(|| "The message is queued to be sent again.".to_string()),
        mailer: state.settings.mailer.describe(),
        counts: counts
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| (s.label().to_string(), n, tag(s)))
            .collect(),
        states: MessageState::ALL.iter().map(|s| (s.as_str(), s.label(), Some(*s) == chosen)).collect(),
        payer,
        count_text: match total {
            0 if chosen.is_some() => "No messages in this state.".into(),
            0 => "No messages yet. Turn on emailing on the reminders and emails page.".into(),
            1 => "1 message.".into(),
            n => format!("{n} messages, newest first."),
        },
        rows: rows
            .into_iter()
            .map(|r| Row {
                id: r.id,
                queued: when(r.queued_at),
                kind: r.kind.label(),
                subject: r.subject,
                to: if r.recipients.is_empty() { "No address".into() } else { r.recipients },
                state: r.state.label(),
                tag: tag(r.state),
                note: match (r.state, r.last_error) {
                    (MessageState::Sent, _) => {
                        r.sent_at.map(when).map(|w| format!("Sent {w}")).unwrap_or_default()
                    }
                    (MessageState::Queued, Some(e)) => {
                        format!("Try {} failed: {e}. Next try {}.", r.attempts, when(r.next_attempt_at))
                    }
                    (_, Some(e)) => e,
                    (_, None) => String::new(),
                },
            })
            .collect(),
        pagination: Pagination::new("Pages of messages", page, pages, |n| format!("/mail?{filter}page={n}")),
    };
    Ok(render(&view)?.into_response())
}

#[derive(Template)]
#[template(path = "mail_pages/message.html")]
struct MessagePage {
    chrome: Chrome,
    id: i64,
    subject: String,
    facts: Vec<(&'static str, String)>,
    body: String,
    may_send_again: bool,
    error: Option<String>,
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let id = crate::web::view::page_id(&id)?;
    page(&state, &user, id, None).await
}

async fn page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    error: Option<String>,
) -> Result<Response, PageError> {
    let m = mail::get(&state.db, user.partnership.id, id).await?;
    let body = m.text_body.clone();
    let r = mail::row(m)?;
    let mut facts = vec![
        ("What", r.kind.label().to_string()),
        (
            "To",
            if r.recipients.is_empty() { "No billing email address".into() } else { r.recipients.clone() },
        ),
        ("State", r.state.label().to_string()),
        ("Queued", when(r.queued_at)),
        ("Tries", r.attempts.to_string()),
    ];
    if let Some(at) = r.sent_at {
        facts.push(("Sent", when(at)));
    }
    if let Some(e) = &r.last_error {
        facts.push(("The mail server's last reply", e.clone()));
    }
    let view = MessagePage {
        chrome: Chrome::for_user(user, "/billing"),
        id,
        subject: r.subject,
        facts,
        body,
        may_send_again: r.state.may_send_again(),
        error,
    };
    let status =
        if view.error.is_some() { axum::http::StatusCode::CONFLICT } else { axum::http::StatusCode::OK };
    Ok((status, render(&view)?).into_response())
}

pub(super) async fn send_again(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    crate::web::forms::page::editor(&user, &form)?;
    let id = crate::web::view::page_id(&id)?;
    match mail::send_again(&state.db, user.partnership.id, id, Some(user.user.id), state.clock.now()).await {
        Ok(_) => Ok(Redirect::to("/mail?done=sent-again").into_response()),
        Err(crate::services::ServiceError::Invalid(list)) => {
            let message = list.into_iter().map(|f| f.message).collect::<Vec<_>>().join(". ");
            page(&state, &user, id, Some(crate::web::forms::page::sentence_case(&message))).await
        }
        Err(crate::services::ServiceError::Conflict(message)) => {
            page(&state, &user, id, Some(crate::web::forms::page::sentence_case(&message))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Finance emails a payer its statement of account (the PDF is made when it is sent); once a
/// day per payer, so a second click does not send it twice.
pub(super) async fn email_statement(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    crate::web::forms::page::editor(&user, &form)?;
    let payer_id = crate::web::view::page_id(&id)?;
    let today = state.clock.today();
    let p = crate::services::payers::get(&state.db, user.partnership.id, payer_id).await?;
    let account =
        crate::services::ledger::account(&state.db, user.partnership.id, payer_id, None, None, today).await?;
    let mut message = mail::compose::statement(
        &user.partnership,
        &state.settings.public_url,
        &p,
        account.outstanding,
        account.overdue,
        today,
        0,
    );
    message.queued_by = Some(user.user.id);
    let queued = mail::queue(&state.db, user.partnership.id, message, state.clock.now()).await?;
    let done = if queued {
        "The statement is queued to be emailed. The Emails page shows when it has gone."
    } else {
        "The statement was already emailed today."
    };
    Ok(Redirect::to(&format!("/payers/{payer_id}/account?done={}", crate::web::error::urlencode(done)))
        .into_response())
}
