//! Paying provider schools (brokerage): the rate agreed with a school for each service its
//! people deliver, a record of every delivery (who, when, how much, and what the partnership
//! owes for it), and the monthly self-billing statements that pay them.

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
                    .table("provider_rates")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(big_integer("school_id"))
                    .col(big_integer("service_id"))
                    .col(big_integer("rate_pence"))
                    .foreign_key(&mut fk("provider_rates", "partnership_id", "partnerships", Cascade))
                    .foreign_key(&mut fk("provider_rates", "school_id", "schools", Cascade))
                    .foreign_key(&mut fk("provider_rates", "service_id", "services", Cascade))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("provider_rates", &["school_id", "service_id"], true)).await?;
        manager
            .create_table(
                Table::create()
                    .table("provider_statements")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(big_integer("school_id"))
                    .col(string("month"))
                    .col(string("number"))
                    .col(big_integer("total_pence"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(date_null("paid_on"))
                    .col(string_null("paid_reference"))
                    .foreign_key(&mut fk("provider_statements", "partnership_id", "partnerships", Cascade))
                    .foreign_key(&mut fk("provider_statements", "school_id", "schools", Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("provider_statements", &["partnership_id", "school_id", "month"], true))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("deliveries")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(big_integer("order_id"))
                    .col(date("delivered_on"))
                    .col(string("units"))
                    .col(string("delivered_by"))
                    .col(big_integer_null("provider_school_id"))
                    .col(big_integer("payable_pence"))
                    .col(text("notes"))
                    .col(big_integer_null("statement_id"))
                    .col(big_integer_null("created_by_user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("deliveries", "partnership_id", "partnerships", Cascade))
                    .foreign_key(&mut fk("deliveries", "order_id", "orders", Cascade))
                    .foreign_key(&mut fk("deliveries", "provider_school_id", "schools", SetNull))
                    .foreign_key(&mut fk("deliveries", "statement_id", "provider_statements", SetNull))
                    .foreign_key(&mut fk("deliveries", "created_by_user_id", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("deliveries", &["partnership_id", "delivered_on"], false)).await?;
        manager.create_index(index("deliveries", &["order_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["deliveries", "provider_statements", "provider_rates"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
