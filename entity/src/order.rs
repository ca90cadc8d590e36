//! The `orders` table: one order of a traded service for one school.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub service_id: i64,
    pub school_id: i64,
    pub payer_id: i64,
    /// requested, confirmed, delivered or cancelled.
    pub state: String,
    /// Decimal string: units ordered.
    pub quantity: String,
    /// Decimal string: units an entitlement covers.
    pub free_units: String,
    pub service_date: Date,
    /// The membership year of the service date.
    pub year: String,
    pub unit_price_pence: i64,
    /// Why that price, e.g. "member price, Standard level".
    pub why: String,
    /// The school's membership level on the service date, if a member.
    pub level: Option<String>,
    pub po_number: Option<String>,
    pub notes: String,
    pub price_changed_reason: Option<String>,
    pub invoice_id: Option<i64>,
    pub delivered_on: Option<Date>,
    pub delivered_by: Option<String>,
    pub cancelled_reason: Option<String>,
    pub created_by_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
