//! Sending what the outbox holds: each due message is claimed (queued to sending) by one
//! conditional update, so two jobs never send one message; sent, or retried later with backoff,
//! or shown as failed with the server's reply.

use super::transport::{self, Envelope, Mailer};
use super::{Attachment, ServiceError};
use crate::domain::mail::{self, MessageState};
use crate::services::invoices::{self, InvoiceScope};
use crate::services::partnerships::Partnership;
use chrono::{DateTime, Utc};
use entity::outbox_message;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// What one run of the mail job did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendSummary {
    pub sent: u64,
    /// Failed this time, to be tried again later.
    pub retrying: u64,
    /// Failed for the last time: shown to finance.
    pub failed: u64,
    /// Found "sending" from a run that stopped: marked "may not have been sent".
    pub unsure: u64,
}

impl SendSummary {
    pub fn words(&self) -> String {
        format!(
            "{} sent, {} to try again, {} failed, {} may not have been sent",
            self.sent, self.retrying, self.failed, self.unsure
        )
    }
}

/// How many due messages are read at a time.
pub const BATCH: u64 = 500;

/// Sends the partnership's messages that are due at `now`.
pub async fn send_due<C: ConnectionTrait>(
    db: &C,
    mailer: &Mailer,
    partnership: &Partnership,
    now: DateTime<Utc>,
) -> Result<SendSummary, ServiceError> {
    send_up_to(db, mailer, partnership, now, u64::MAX).await
}

/// [`send_due`], stopping after about `most` messages (a benchmark's sample).
pub async fn send_up_to<C: ConnectionTrait>(
    db: &C,
    mailer: &Mailer,
    partnership: &Partnership,
    now: DateTime<Utc>,
    most: u64,
) -> Result<SendSummary, ServiceError> {
    // a run that stopped mid-send left its messages "sending": never resent by themselves
    let unsure = outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::State, Expr::value(MessageState::Unsure.as_str()))
        .col_expr(
            outbox_message::Column::LastError,
            Expr::value("the mail job stopped while sending this message: check with the payer, then send it again if needed"),
        )
        .filter(outbox_message::Column::PartnershipId.eq(partnership.id))
        .filter(outbox_message::Column::State.eq(MessageState::Sending.as_str()))
        .filter(outbox_message::Column::NextAttemptAt.lt(now - mail::sending_gives_up_after()))
        .exec(db)
        .await?
        .rows_affected;
    let mut summary = SendSummary { unsure, ..SendSummary::default() };
    // Batch after batch until nothing is due or the run has used its time (the next run
    // carries on), so a national billing run's invoices go out within the hour.
    let started = std::time::Instant::now();
    let mut after_id = 0;
    loop {
        let due = outbox_message::Entity::find()
            .filter(outbox_message::Column::PartnershipId.eq(partnership.id))
            .filter(outbox_message::Column::State.eq(MessageState::Queued.as_str()))
            .filter(outbox_message::Column::NextAttemptAt.lte(now))
            .filter(outbox_message::Column::Id.gt(after_id))
            .order_by_asc(outbox_message::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        let Some(last) = due.last() else { break };
        after_id = last.id;
        send_batch(db, mailer, partnership, now, due, &mut summary).await?;
        if started.elapsed() > RUN_TIME || summary.sent + summary.retrying + summary.failed >= most {
            break;
        }
    }
    Ok(summary)
}

/// How long one run keeps sending before it leaves the rest to the next.
pub const RUN_TIME: std::time::Duration = std::time::Duration::from_secs(240);

async fn send_batch<C: ConnectionTrait>(
    db: &C,
    mailer: &Mailer,
    partnership: &Partnership,
    now: DateTime<Utc>,
    due: Vec<outbox_message::Model>,
    summary: &mut SendSummary,
) -> Result<(), ServiceError> {
    for message in due {
        let claimed = outbox_message::Entity::update_many()
            .col_expr(outbox_message::Column::State, Expr::value(MessageState::Sending.as_str()))
            .col_expr(outbox_message::Column::NextAttemptAt, Expr::value(now))
            .filter(outbox_message::Column::Id.eq(message.id))
            .filter(outbox_message::Column::State.eq(MessageState::Queued.as_str()))
            .exec(db)
            .await?
            .rows_affected;
        if claimed == 0 {
            continue; // another run took it
        }
        let attempts = message.attempts.saturating_add(1);
        let outcome = match attachment(db, partnership, &message).await {
            Ok(pdf) => {
                let recipients: Vec<String> =
                    message.recipients.split(", ").filter(|r| !r.is_empty()).map(str::to_string).collect();
                let built = transport::build(
                    mailer.from_address(),
                    Envelope {
                        id: message.id,
                        sender_name: &partnership.name,
                        reply_to: partnership.remittance_email.as_deref(),
                        recipients: &recipients,
                        subject: &message.subject,
                        text: &message.text_body,
                        html: &message.html_body,
                        attachment: pdf,
                    },
                );
                match built {
                    Ok(m) => mailer.deliver(m, message.id).await,
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        let mut update = outbox_message::Entity::update_many()
            .col_expr(outbox_message::Column::Attempts, Expr::value(attempts))
            .filter(outbox_message::Column::Id.eq(message.id));
        match outcome {
            Ok(()) => {
                summary.sent += 1;
                update = update
                    .col_expr(outbox_message::Column::State, Expr::value(MessageState::Sent.as_str()))
                    .col_expr(outbox_message::Column::SentAt, Expr::value(Some(now)))
                    .col_expr(outbox_message::Column::LastError, Expr::value(Option::<String>::None));
            }
            Err(reply) => {
                tracing::warn!(message = message.id, attempts, "a message was not sent: {reply}");
                let (state, next) = match mail::retry_after(attempts) {
                    Some(wait) => {
                        summary.retrying += 1;
                        (MessageState::Queued, now + wait)
                    }
                    None => {
                        summary.failed += 1;
                        (MessageState::Failed, now)
                    }
                };
                update = update
                    .col_expr(outbox_message::Column::State, Expr::value(state.as_str()))
                    .col_expr(outbox_message::Column::NextAttemptAt, Expr::value(next))
                    .col_expr(outbox_message::Column::LastError, Expr::value(Some(reply)));
            }
        }
        update.exec(db).await?;
    }
    Ok(())
}

/// The PDF a message carries, made from the stored document now (issued documents do not change).
async fn attachment(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    message: &outbox_message::Model,
) -> Result<Option<(String, Vec<u8>)>, ServiceError> {
    let Some(kind) = message.attachment.as_deref() else { return Ok(None) };
    let kind = Attachment::parse(kind).ok_or_else(|| ServiceError::Corrupt {
        table: "outbox_messages",
        column: "attachment",
        value: kind.to_string(),
        reason: "not a kind of attachment".into(),
    })?;
    let missing = || ServiceError::Corrupt {
        table: "outbox_messages",
        column: "document_id",
        value: String::new(),
        reason: "a message with a document attached names no document".into(),
    };
    let today = message.queued_at.date_naive();
    Ok(Some(match kind {
        Attachment::Invoice => {
            let id = message.document_id.ok_or_else(missing)?;
            let view = invoices::get(db, partnership.id, id, &InvoiceScope::All, today).await?;
            let number = view.number.clone().unwrap_or_else(|| format!("invoice-{id}"));
            let doc = crate::pdf::documents::invoice_document(&view, partnership);
            (format!("{number}.pdf"), crate::pdf::render(&doc))
        }
        Attachment::CreditNote => {
            let id = message.document_id.ok_or_else(missing)?;
            let note = invoices::credit::get_credit_note(db, partnership.id, id, &InvoiceScope::All).await?;
            let doc = crate::pdf::documents::credit_note_document(&note);
            (format!("{}.pdf", note.number), crate::pdf::render(&doc))
        }
        Attachment::Statement => {
            let payer_id = message.payer_id.ok_or_else(missing)?;
            let account =
                crate::services::ledger::account(db, partnership.id, payer_id, None, None, today).await?;
            let doc = crate::pdf::documents::statement_document(&account, partnership, today);
            (format!("statement-{today}.pdf"), crate::pdf::render(&doc))
        }
    }))
}
