//! Traded services: each partnership's catalogue (what is sold, in which unit, at which VAT rate,
//! invoiced when), each service's price list per year (member, non-member and per-level prices,
//! each a fee rule), and the units of a service a membership level includes.

use crate::helpers::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        let tables = [
            Table::create()
                .table("services")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(string("name"))
                .col(text("description"))
                .col(string("category"))
                .col(string("unit"))
                .col(string("vat_rate"))
                .col(string("income_stream"))
                .col(string("invoicing"))
                .col(date("active_from"))
                .col(date_null("active_to"))
                .col(string_null("accounting_code"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("services", "partnership_id", "partnerships", Cascade))
                .to_owned(),
            Table::create()
                .table("service_prices")
                .col(big_pk_auto("id"))
                .col(big_integer("service_id"))
                .col(string("year"))
                .col(text("member_rule"))
                .col(text_null("non_member_rule"))
                .col(text("level_rules"))
                .foreign_key(&mut fk("service_prices", "service_id", "services", Cascade))
                .to_owned(),
            Table::create()
                .table("level_entitlements")
                .col(big_pk_auto("id"))
                .col(big_integer("offer_level_id"))
                .col(big_integer("service_id"))
                .col(string("units"))
                .foreign_key(&mut fk("level_entitlements", "offer_level_id", "offer_levels", Cascade))
                .foreign_key(&mut fk("level_entitlements", "service_id", "services", Cascade))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        manager.create_index(index("services", &["partnership_id", "name"], true)).await?;
        manager.create_index(index("service_prices", &["service_id", "year"], true)).await?;
        manager.create_index(index("level_entitlements", &["offer_level_id", "service_id"], true)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["level_entitlements", "service_prices", "services"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
