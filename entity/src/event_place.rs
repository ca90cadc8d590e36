//! The `event_places` table: one place on an event for one named delegate of a school.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_places")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub event_id: i64,
    pub school_id: i64,
    pub payer_id: i64,
    pub delegate: String,
    /// `domain::events::PlaceState`.
    pub state: String,
    /// The place's price when it was booked.
    pub price_pence: i64,
    pub why: String,
    pub po_number: Option<String>,
    pub invoice_id: Option<i64>,
    pub cancelled_on: Option<Date>,
    /// What cancelling or not coming cost, by the event's policy.
    pub fee_pence: Option<i64>,
    pub credit_note_id: Option<i64>,
    /// The invoice of a no-show charge (or a fee for a place not invoiced before).
    pub charge_invoice_id: Option<i64>,
    pub created_by_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
