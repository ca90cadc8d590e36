//! The `invoices` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub payer_id: i64,
    pub billing_run_id: Option<i64>,
    /// What the invoice is for, unique per partnership, e.g. "membership:2025-26:autumn:payer:7".
    pub source_key: String,
    pub year: String,
    pub period: String,
    /// draft, waiting_for_po or issued.
    pub status: String,
    pub number: Option<String>,
    pub sequence: Option<i64>,
    pub issue_date: Option<Date>,
    pub supply_date: Option<Date>,
    pub due_date: Option<Date>,
    pub period_start: Date,
    pub period_end: Date,
    pub po_number: Option<String>,
    pub payer_name: String,
    pub payer_address: String,
    pub supplier_name: String,
    pub supplier_address: String,
    pub supplier_vat_number: Option<String>,
    pub supplier_company_number: Option<String>,
    pub supplier_registered_office: Option<String>,
    pub net_pence: i64,
    pub vat_pence: i64,
    pub gross_pence: i64,
    pub outstanding_pence: i64,
    pub created_at: DateTimeUtc,
    pub issued_at: Option<DateTimeUtc>,
    /// Why reminders are paused for this invoice (e.g. disputed); none when they are on.
    pub reminders_paused: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
