//! The integration tests: one binary, one module per area. Every test gets its own database;
//! tests named `*_sqlite` run on an SQLite file, `*_postgres` on a fresh PostgreSQL database
//! (server from `PB_TEST_POSTGRES_URL`, which `tests/run` starts).

mod helpers;

mod accounts;
mod api;
mod audit;
mod bad_input;
mod billing;
mod browser;
mod cards;
mod catalogue;
mod cli;
mod contracts;
mod credits;
mod details;
mod direct_debit;
mod enrolment;
mod events;
mod exports;
mod funding;
mod import;
mod ledger;
mod ledger_pages;
mod mail;
mod money;
mod numbering;
mod offers;
mod pages;
mod payers;
mod pdf;
mod providers;
mod renewals;
mod reports;
mod roles;
mod schemathesis;
mod statements;
