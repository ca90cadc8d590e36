//! Card payments through Stripe: each partnership's Stripe keys (sealed), every Stripe event
//! taken in (its id unique per partnership, so a replayed event changes nothing), and each
//! payment asked of Stripe with what became of it.

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
        let tables = [
            Table::create()
                .table("payment_providers")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(text("secret_key_sealed"))
                .col(text("webhook_secret_sealed"))
                .col(boolean("live"))
                .col(big_integer_null("set_by_user_id"))
                .col(timestamp_with_time_zone("set_at"))
                .foreign_key(&mut fk("payment_providers", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("payment_providers", "set_by_user_id", "users", SetNull))
                .to_owned(),
            Table::create()
                .table("provider_events")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(string("event_id"))
                .col(string("event_type"))
                .col(string_null("object_id"))
                .col(timestamp_with_time_zone("occurred_at"))
                .col(timestamp_with_time_zone("received_at"))
                .col(text("outcome"))
                .foreign_key(&mut fk("provider_events", "partnership_id", "partnerships", Cascade))
                .to_owned(),
            Table::create()
                .table("provider_payments")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(big_integer("payer_id"))
                .col(string("kind"))
                .col(string_null("checkout_session_id"))
                .col(string_null("payment_intent_id"))
                .col(text("invoice_ids"))
                .col(big_integer("amount_pence"))
                .col(string("state"))
                .col(timestamp_with_time_zone("state_at"))
                .col(text_null("failure"))
                .col(big_integer_null("payment_id"))
                .col(big_integer("refunded_pence"))
                .col(big_integer("refund_requested_pence"))
                .col(big_integer_null("created_by_user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("provider_payments", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("provider_payments", "payer_id", "payers", Cascade))
                .foreign_key(&mut fk("provider_payments", "payment_id", "payments", SetNull))
                .foreign_key(&mut fk("provider_payments", "created_by_user_id", "users", SetNull))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        manager.create_index(index("payment_providers", &["partnership_id"], true)).await?;
        manager.create_index(index("provider_events", &["partnership_id", "event_id"], true)).await?;
        manager.create_index(index("provider_events", &["partnership_id", "received_at"], false)).await?;
        manager
            .create_index(index("provider_payments", &["partnership_id", "checkout_session_id"], true))
            .await?;
        manager
            .create_index(index("provider_payments", &["partnership_id", "payment_intent_id"], true))
            .await?;
        manager.create_index(index("provider_payments", &["payer_id", "state"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["provider_payments", "provider_events", "payment_providers"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
