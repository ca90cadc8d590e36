//! The `partnerships` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partnerships")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub address: String,
    pub vat_number: Option<String>,
    pub year_kind: String,
    pub created_at: DateTimeUtc,
    pub invoice_prefix: String,
    pub credit_note_prefix: String,
    pub payment_terms_days: i32,
    pub bank_account_name: Option<String>,
    pub bank_sort_code: Option<String>,
    pub bank_account_number: Option<String>,
    pub remittance_email: Option<String>,
    pub company_number: Option<String>,
    pub registered_office: Option<String>,
    pub small_write_off_pence: i64,
    pub bank_csv_mapping: Option<String>,
    /// Reminders of unpaid invoices are queued by the reminders job.
    pub reminders_on: bool,
    /// No reminder for an invoice owing less than this.
    pub reminder_minimum_pence: i64,
    /// The final reminder offers a late-payment claim (interest and fixed compensation).
    pub late_payment_claims: bool,
    /// Invoices, credit notes and receipts from this moment are emailed; none when empty.
    pub documents_mailed_from: Option<DateTimeUtc>,
    /// The reference rate late-payment interest adds 8% to, in hundredths of a percent.
    pub late_payment_reference_bp: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
