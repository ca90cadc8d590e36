//! sea-orm entities: plain columns, one module per table. Money is whole pence (`i64`) so it is
//! exact on SQLite and PostgreSQL alike.

pub mod allocation;
pub mod api_token;
pub mod audit_entry;
pub mod bank_line;
pub mod bank_statement;
pub mod billing_run;
pub mod credit_note;
pub mod credit_note_line;
pub mod credit_note_rate;
pub mod document_sequence;
pub mod income_budget;
pub mod invoice;
pub mod invoice_line;
pub mod local_authority;
pub mod membership;
pub mod offer;
pub mod offer_level;
pub mod partnership;
pub mod payer;
pub mod payer_alias;
pub mod payment;
pub mod payment_provider;
pub mod provider_event;
pub mod provider_payment;
pub mod pupil_count;
pub mod purchase_order;
pub mod refund;
pub mod scenario;
pub mod school;
pub mod school_link;
pub mod session;
pub mod settlement;
pub mod trust;
pub mod user;
pub mod write_off;
