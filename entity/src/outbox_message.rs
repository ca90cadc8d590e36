//! The `outbox_messages` table: every message, recorded before it is sent, with its state.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    /// invoice, credit_note, statement, receipt, reminder or direct_debit_notice.
    pub kind: String,
    /// What the message is about, unique per partnership, so nothing is queued twice.
    pub dedupe_key: String,
    pub payer_id: Option<i64>,
    /// The invoice, credit note or payment the message is about.
    pub document_id: Option<i64>,
    /// Addresses, separated by ", "; empty when the payer has none.
    pub recipients: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// invoice, credit_note or statement: the PDF made when the message is sent.
    pub attachment: Option<String>,
    /// queued, sending, sent, failed, no_address or unsure.
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub last_error: Option<String>,
    pub queued_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub queued_by_user_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
