//! Orders of traded services: who ordered what for which school, when it is wanted, the price
//! fixed when it was ordered (and why), the units an entitlement covered, where it stands, and
//! the invoice it became.

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
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table("orders")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(big_integer("service_id"))
                    .col(big_integer("school_id"))
                    .col(big_integer("payer_id"))
                    .col(string("state"))
                    .col(string("quantity"))
                    .col(string("free_units"))
                    .col(date("service_date"))
                    .col(string("year"))
                    .col(big_integer("unit_price_pence"))
                    .col(text("why"))
                    .col(string_null("level"))
                    .col(string_null("po_number"))
                    .col(text("notes"))
                    .col(text_null("price_changed_reason"))
                    .col(big_integer_null("invoice_id"))
                    .col(date_null("delivered_on"))
                    .col(string_null("delivered_by"))
                    .col(text_null("cancelled_reason"))
                    .col(big_integer_null("created_by_user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("orders", "partnership_id", "partnerships", Cascade))
                    .foreign_key(&mut fk("orders", "service_id", "services", Cascade))
                    .foreign_key(&mut fk("orders", "school_id", "schools", Cascade))
                    .foreign_key(&mut fk("orders", "payer_id", "payers", Cascade))
                    .foreign_key(&mut fk("orders", "invoice_id", "invoices", SetNull))
                    .foreign_key(&mut fk("orders", "created_by_user_id", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("orders", &["partnership_id", "state"], false)).await?;
        manager.create_index(index("orders", &["school_id", "service_id", "year"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("orders").to_owned()).await
    }
}
