//! Bacs Direct Debit: each payer's mandate with Stripe (customer, payment method, mandate and
//! its state), and whether automatic collection is stopped after a failure until finance acts.

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
                    .table("direct_debit_mandates")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(big_integer("payer_id"))
                    .col(string_null("customer_id"))
                    .col(string_null("checkout_session_id"))
                    .col(string_null("setup_intent_id"))
                    .col(string_null("payment_method_id"))
                    .col(string_null("mandate_id"))
                    .col(string_null("reference"))
                    .col(string("state"))
                    .col(timestamp_with_time_zone("state_at"))
                    .col(text_null("stopped_reason"))
                    .col(big_integer_null("created_by_user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("direct_debit_mandates", "partnership_id", "partnerships", Cascade))
                    .foreign_key(&mut fk("direct_debit_mandates", "payer_id", "payers", Cascade))
                    .foreign_key(&mut fk("direct_debit_mandates", "created_by_user_id", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("direct_debit_mandates", &["partnership_id", "payer_id"], true)).await?;
        manager
            .create_index(index("direct_debit_mandates", &["partnership_id", "mandate_id"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("direct_debit_mandates").to_owned()).await
    }
}
