//! The `provider_payments` table: a payment asked of Stripe (a Checkout Session, a Direct Debit
//! collection) and its state; `payment_id` is the ledger payment once Stripe says it succeeded.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub payer_id: i64,
    pub kind: String,
    pub checkout_session_id: Option<String>,
    pub payment_intent_id: Option<String>,
    pub invoice_ids: String,
    pub amount_pence: i64,
    pub state: String,
    pub state_at: DateTimeUtc,
    pub failure: Option<String>,
    pub payment_id: Option<i64>,
    pub refunded_pence: i64,
    pub refund_requested_pence: i64,
    pub created_by_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
