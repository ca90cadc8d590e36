//! sea-orm entities: plain columns, one module per table. Money is whole pence (`i64`) so it is
//! exact on SQLite and PostgreSQL alike.

pub mod api_token;
pub mod income_budget;
pub mod local_authority;
pub mod partnership;
pub mod pupil_count;
pub mod school;
pub mod school_link;
pub mod session;
pub mod trust;
pub mod user;
