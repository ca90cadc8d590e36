//! The `events` table: a CPD course or conference with its capacity and the places taken.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    /// The CPD service whose price list prices a place.
    pub service_id: i64,
    pub title: String,
    pub description: String,
    pub venue: String,
    pub online: bool,
    pub capacity: i32,
    /// Places booked, offered or used; the database keeps it within the capacity.
    pub places_taken: i32,
    pub booking_deadline: Date,
    pub starts_on: Date,
    pub ends_on: Date,
    /// The cancellation policy, as JSON (`domain::events::CancellationPolicy`).
    pub policy: String,
    /// "per_booking" or "monthly".
    pub invoicing: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
