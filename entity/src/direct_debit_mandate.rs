//! The `direct_debit_mandates` table: one payer's Bacs Direct Debit mandate with Stripe.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "direct_debit_mandates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub payer_id: i64,
    pub customer_id: Option<String>,
    pub checkout_session_id: Option<String>,
    pub setup_intent_id: Option<String>,
    pub payment_method_id: Option<String>,
    pub mandate_id: Option<String>,
    /// The mandate reference the payer's bank shows.
    pub reference: Option<String>,
    /// setting_up, pending, active or inactive.
    pub state: String,
    pub state_at: DateTimeUtc,
    /// Why automatic collection is stopped (a failed collection); none when it runs.
    pub stopped_reason: Option<String>,
    pub created_by_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
