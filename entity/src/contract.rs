//! The `contracts` table: a commission or grant agreement and the schedule it is paid on.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contracts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub payer_id: i64,
    /// The council, when the counterparty is one (its commissioners see the contract).
    pub local_authority_id: Option<i64>,
    /// la_commission, other_commission or grant.
    pub stream: String,
    pub title: String,
    /// The counterparty's contract or PO number, printed on invoices.
    pub reference: Option<String>,
    pub start_date: Date,
    pub end_date: Date,
    /// ISO dates, comma-separated (empty when there are none).
    pub break_dates: String,
    pub extension_until: Option<Date>,
    /// fixed, named_dates, matched or milestones.
    pub schedule_kind: String,
    /// monthly, quarterly or annually (fixed schedules).
    pub frequency: Option<String>,
    /// in_advance or in_arrears (fixed schedules).
    pub timing: Option<String>,
    /// Each contract year's value in pence, comma-separated (fixed schedules).
    pub yearly_pence: String,
    pub matched_year: Option<String>,
    /// Decimal string, e.g. "0.5".
    pub matched_ratio: Option<String>,
    pub matched_cap_pence: Option<i64>,
    pub vat_rate: String,
    pub counterparty_vat_number: Option<String>,
    pub value_pence: i64,
    pub created_by_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
