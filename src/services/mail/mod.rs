//! Outgoing mail through an outbox: every message is recorded (with who it goes to and what it
//! says) before anything is sent; the mail job sends what is due, retries failures with backoff,
//! and never sends a message twice by itself. Finance sees every message and its state.

pub mod collect;
pub mod compose;
pub mod send;
pub mod transport;

use super::{ServiceError, begin_write};
use crate::domain::mail::{self, MessageKind, MessageState};
use askama::Template;
use chrono::{DateTime, Utc};
use entity::{outbox_message, payer};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// What a message says, before it is written out as HTML and as plain text.
#[derive(Debug, Clone, Default)]
pub struct Letter {
    pub greeting: String,
    pub paragraphs: Vec<String>,
    pub facts_caption: String,
    pub facts: Vec<(String, String)>,
    /// Where to read or pay it on the service, and the words of the link.
    pub link: Option<(String, String)>,
    pub sign_off: String,
    pub footer: Vec<String>,
}

#[derive(Template)]
#[template(path = "mail/letter.html")]
struct LetterHtml<'a> {
    subject: &'a str,
    letter: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/letter.txt")]
struct LetterText<'a> {
    letter: &'a Letter,
}

/// The letter as (plain text, HTML).
pub fn render(subject: &str, letter: &Letter) -> Result<(String, String), ServiceError> {
    let failed = |e: askama::Error| ServiceError::Internal(format!("a mail template failed: {e}"));
    let text = LetterText { letter }.render().map_err(failed)?;
    let html = LetterHtml { subject, letter }.render().map_err(failed)?;
    Ok((text, html))
}

/// The PDF a message carries, made from the stored document when the message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attachment {
    Invoice,
    CreditNote,
    Statement,
}

impl Attachment {
    pub fn as_str(self) -> &'static str {
        match self {
            Attachment::Invoice => "invoice",
            Attachment::CreditNote => "credit_note",
            Attachment::Statement => "statement",
        }
    }

    pub fn parse(text: &str) -> Option<Attachment> {
        [Attachment::Invoice, Attachment::CreditNote, Attachment::Statement]
            .into_iter()
            .find(|a| a.as_str() == text)
    }
}

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub kind: MessageKind,
    /// What it is about, e.g. "invoice:12" or "reminder:12:14": a second message with the same
    /// key is not queued.
    pub dedupe_key: String,
    pub payer_id: Option<i64>,
    pub document_id: Option<i64>,
    pub subject: String,
    pub letter: Letter,
    pub attachment: Option<Attachment>,
    pub queued_by: Option<i64>,
    /// Addresses it goes to besides the payer's billing addresses (a school's business managers).
    pub to: Vec<String>,
}

/// A payer's billing addresses as stored, or why they cannot be used.
pub fn payer_addresses(p: &payer::Model) -> Result<Vec<String>, String> {
    mail::parse_addresses(p.email.as_deref().unwrap_or_default())
}

/// Records a message; returns false (and changes nothing) when one with the same key is there.
/// A payer without a usable address gets the message recorded as "no address", so finance sees
/// who was not told.
pub async fn queue<C: ConnectionTrait>(
    db: &C,
    partnership_id: i64,
    message: NewMessage,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let (mut recipients, mut problem) = match message.payer_id {
        None => (Vec::new(), None),
        Some(id) => {
            let p = payer::Entity::find_by_id(id)
                .filter(payer::Column::PartnershipId.eq(partnership_id))
                .one(db)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("payer {id}")))?;
            match payer_addresses(&p) {
                Ok(list) => (list, None),
                Err(e) => (Vec::new(), Some(format!("the billing email is unusable: {e}"))),
            }
        }
    };
    for address in &message.to {
        if !recipients.contains(address) {
            recipients.push(address.clone());
        }
    }
    let state = if recipients.is_empty() {
        if message.payer_id.is_none() && message.to.is_empty() {
            problem = Some("the message has nobody to go to".to_string());
        }
        MessageState::NoAddress
    } else {
        problem = None;
        MessageState::Queued
    };
    let (text, html) = render(&message.subject, &message.letter)?;
    let row = outbox_message::ActiveModel {
        partnership_id: Set(partnership_id),
        kind: Set(message.kind.as_str().into()),
        dedupe_key: Set(message.dedupe_key),
        payer_id: Set(message.payer_id),
        document_id: Set(message.document_id),
        recipients: Set(mail::join_addresses(&recipients)),
        subject: Set(message.subject),
        text_body: Set(text),
        html_body: Set(html),
        attachment: Set(message.attachment.map(|a| a.as_str().to_string())),
        state: Set(state.as_str().into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(problem),
        queued_at: Set(now),
        sent_at: Set(None),
        queued_by_user_id: Set(message.queued_by),
        ..Default::default()
    };
    let inserted = outbox_message::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([outbox_message::Column::PartnershipId, outbox_message::Column::DedupeKey])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

/// One message as finance sees it.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: MessageKind,
    pub state: MessageState,
    pub recipients: String,
    pub subject: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub queued_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
    pub payer_id: Option<i64>,
}

pub(crate) fn row(m: outbox_message::Model) -> Result<OutboxRow, ServiceError> {
    let kind = MessageKind::parse(&m.kind).ok_or_else(|| ServiceError::Corrupt {
        table: "outbox_messages",
        column: "kind",
        value: m.kind.clone(),
        reason: "not a kind of message".into(),
    })?;
    let state = MessageState::parse(&m.state).ok_or_else(|| ServiceError::Corrupt {
        table: "outbox_messages",
        column: "state",
        value: m.state.clone(),
        reason: "not a state of a message".into(),
    })?;
    Ok(OutboxRow {
        id: m.id,
        kind,
        state,
        recipients: m.recipients,
        subject: m.subject,
        attempts: m.attempts,
        last_error: m.last_error,
        queued_at: m.queued_at,
        sent_at: m.sent_at,
        next_attempt_at: m.next_attempt_at,
        payer_id: m.payer_id,
    })
}

/// Messages per page of the outbox.
pub const PAGE_SIZE: u64 = 25;

/// A page of the partnership's outbox, newest first, optionally of one state and one payer;
/// with the number of messages in all.
pub async fn list(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    state: Option<MessageState>,
    payer_id: Option<i64>,
    page: u64,
) -> Result<(Vec<OutboxRow>, u64), ServiceError> {
    let mut query =
        outbox_message::Entity::find().filter(outbox_message::Column::PartnershipId.eq(partnership_id));
    if let Some(state) = state {
        query = query.filter(outbox_message::Column::State.eq(state.as_str()));
    }
    if let Some(payer_id) = payer_id {
        query = query.filter(outbox_message::Column::PayerId.eq(payer_id));
    }
    let total = query.clone().count(db).await?;
    let offset = page.saturating_sub(1).saturating_mul(PAGE_SIZE);
    let models =
        crate::services::rows_at(db, query.order_by_desc(outbox_message::Column::Id), offset, PAGE_SIZE)
            .await?;
    Ok((models.into_iter().map(row).collect::<Result<_, _>>()?, total))
}

/// How many messages are in each state.
pub async fn counts(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Vec<(MessageState, u64)>, ServiceError> {
    let rows: Vec<(String, i64)> = outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::State)
        .column_as(outbox_message::Column::Id.count(), "n")
        .filter(outbox_message::Column::PartnershipId.eq(partnership_id))
        .group_by(outbox_message::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts = Vec::new();
    for state in MessageState::ALL {
        let n = rows.iter().find(|(s, _)| s == state.as_str()).map_or(0, |(_, n)| *n);
        counts.push((state, u64::try_from(n).unwrap_or(0)));
    }
    Ok(counts)
}

/// One message with its bodies.
pub async fn get(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
) -> Result<outbox_message::Model, ServiceError> {
    outbox_message::Entity::find_by_id(id)
        .filter(outbox_message::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("message {id}")))
}

/// Puts a failed, unsure or unaddressed message back in the queue, to the payer's billing
/// addresses as they are now.
pub async fn send_again<C>(
    db: &C,
    partnership_id: i64,
    id: i64,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<OutboxRow, ServiceError>
where
    C: ConnectionTrait + sea_orm::TransactionTrait,
{
    let txn = begin_write(db).await?;
    let found = get(&txn, partnership_id, id).await?;
    let state = row(found.clone())?.state;
    if !state.may_send_again() {
        return Err(ServiceError::Conflict(format!(
            "this message is {}: only a failed or unsent message can be sent again",
            state.label().to_lowercase()
        )));
    }
    let recipients = match found.payer_id {
        // A message to people rather than a payer goes to them again.
        None => mail::parse_addresses(&found.recipients).unwrap_or_default(),
        Some(payer_id) => {
            let p = payer::Entity::find_by_id(payer_id)
                .one(&txn)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("payer {payer_id}")))?;
            payer_addresses(&p).map_err(|e| ServiceError::invalid("email", e))?
        }
    };
    if recipients.is_empty() {
        return Err(ServiceError::invalid(
            "email",
            "the payer has no billing email address: add one on the payer's page first",
        ));
    }
    let before = serde_json::json!({"state": found.state, "recipients": found.recipients});
    let mut active: outbox_message::ActiveModel = found.into();
    active.state = Set(MessageState::Queued.as_str().into());
    active.recipients = Set(mail::join_addresses(&recipients));
    active.attempts = Set(0);
    active.next_attempt_at = Set(now);
    let updated = active.update(&txn).await?;
    super::audit::record(
        &txn,
        super::audit::Event {
            partnership_id,
            user_id,
            action: "mail.sent_again",
            entity: "outbox_message",
            entity_id: id,
            before: Some(before),
            after: Some(serde_json::json!({"state": updated.state, "recipients": updated.recipients})),
        },
    )
    .await?;
    sea_orm::TransactionSession::commit(txn).await?;
    row(updated)
}
