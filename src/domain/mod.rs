//! The pure core: no database, no HTTP, no clock. Dates come in as arguments.

pub mod address;
pub mod audit;
pub mod bank;
pub mod billing;
pub mod billing_phase;
pub mod credit;
pub mod direct_debit;
pub mod fees;
pub mod funding;
pub mod gias;
pub mod instalments;
pub mod invoice;
pub mod ledger;
pub mod mail;
pub mod money;
pub mod partnership;
pub mod payer;
pub mod pro_rata;
pub mod provider;
pub mod pupils;
pub mod reminders;
pub mod role;
pub mod school;
pub mod text;
pub mod unknown_name;
pub mod vat;
