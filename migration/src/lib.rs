//! Schema migrations. The app runs [`Migrator::up`] at start; `partnership-billing migrate` too.

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261122_000001_foundation;
mod m20261122_000002_billing;
mod m20261122_000003_scenarios;
mod m20261129_000004_solid_ground;
mod m20261129_000005_read_paths;
mod m20261129_000006_details_and_addresses;
mod m20261129_000007_ledger;
mod m20261129_000008_bank_statements;
mod m20261130_000009_card_payments;
mod m20261130_000010_mail_and_jobs;
mod m20261130_000011_direct_debit;
mod m20261130_000012_late_payment_rate;
mod m20261130_000013_traded_services;
mod m20261130_000014_orders;
mod m20261130_000015_events;
mod m20261130_000016_providers;
mod m20261130_000017_outside_area;
mod m20261130_000018_contracts;
mod m20261130_000019_exports;
mod m20261130_000020_account_codes;
mod m20261130_000021_renewal_rounds;
mod m20261130_000022_payments_export_and_service_budgets;
mod m20261130_000023_report_indexes;
mod m20261130_000024_school_name_search;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_billing::Migration),
            Box::new(m20261122_000003_scenarios::Migration),
            Box::new(m20261129_000004_solid_ground::Migration),
            Box::new(m20261129_000005_read_paths::Migration),
            Box::new(m20261129_000006_details_and_addresses::Migration),
            Box::new(m20261129_000007_ledger::Migration),
            Box::new(m20261129_000008_bank_statements::Migration),
            Box::new(m20261130_000009_card_payments::Migration),
            Box::new(m20261130_000010_mail_and_jobs::Migration),
            Box::new(m20261130_000011_direct_debit::Migration),
            Box::new(m20261130_000012_late_payment_rate::Migration),
            Box::new(m20261130_000013_traded_services::Migration),
            Box::new(m20261130_000014_orders::Migration),
            Box::new(m20261130_000015_events::Migration),
            Box::new(m20261130_000016_providers::Migration),
            Box::new(m20261130_000017_outside_area::Migration),
            Box::new(m20261130_000018_contracts::Migration),
            Box::new(m20261130_000019_exports::Migration),
            Box::new(m20261130_000020_account_codes::Migration),
            Box::new(m20261130_000021_renewal_rounds::Migration),
            Box::new(m20261130_000022_payments_export_and_service_budgets::Migration),
            Box::new(m20261130_000023_report_indexes::Migration),
            Box::new(m20261130_000024_school_name_search::Migration),
        ]
    }
}
