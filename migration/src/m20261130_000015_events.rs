//! CPD courses and conferences: an event sold through a CPD service (whose price list prices a
//! place), its sessions, its capacity with a count of places held that the database itself
//! keeps within the capacity, and one row per place (a named delegate) with where it stands,
//! what it costs and the invoices it made.

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
                    .table("events")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(big_integer("service_id"))
                    .col(string("title"))
                    .col(text("description"))
                    .col(text("venue"))
                    .col(boolean("online"))
                    .col(integer("capacity"))
                    // Places booked, offered or used: never above the capacity, whoever books
                    // at the same moment (one conditional update per booking, and this check).
                    .col(integer("places_taken").default(0))
                    .col(date("booking_deadline"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .col(text("policy"))
                    .col(string("invoicing"))
                    .col(timestamp_with_time_zone("created_at"))
                    .check(
                        Expr::col("places_taken")
                            .lte(Expr::col("capacity"))
                            .and(Expr::col("places_taken").gte(0))
                            .and(Expr::col("capacity").gt(0)),
                    )
                    .foreign_key(&mut fk("events", "partnership_id", "partnerships", Cascade))
                    .foreign_key(&mut fk("events", "service_id", "services", Cascade))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("events", &["partnership_id", "starts_on"], false)).await?;
        manager
            .create_table(
                Table::create()
                    .table("event_sessions")
                    .col(big_pk_auto("id"))
                    .col(big_integer("event_id"))
                    .col(date("on_date"))
                    .col(string("starts_at"))
                    .col(string("ends_at"))
                    .col(text("venue"))
                    .foreign_key(&mut fk("event_sessions", "event_id", "events", Cascade))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("event_sessions", &["event_id", "on_date"], false)).await?;
        manager
            .create_table(
                Table::create()
                    .table("event_places")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(big_integer("event_id"))
                    .col(big_integer("school_id"))
                    .col(big_integer("payer_id"))
                    .col(string("delegate"))
                    .col(string("state"))
                    .col(big_integer("price_pence"))
                    .col(text("why"))
                    .col(string_null("po_number"))
                    .col(big_integer_null("invoice_id"))
                    .col(date_null("cancelled_on"))
                    .col(big_integer_null("fee_pence"))
                    .col(big_integer_null("credit_note_id"))
                    .col(big_integer_null("charge_invoice_id"))
                    .col(big_integer_null("created_by_user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("event_places", "partnership_id", "partnerships", Cascade))
                    .foreign_key(&mut fk("event_places", "event_id", "events", Cascade))
                    .foreign_key(&mut fk("event_places", "school_id", "schools", Cascade))
                    .foreign_key(&mut fk("event_places", "payer_id", "payers", Cascade))
                    .foreign_key(&mut fk("event_places", "invoice_id", "invoices", SetNull))
                    .foreign_key(&mut fk("event_places", "charge_invoice_id", "invoices", SetNull))
                    .foreign_key(&mut fk("event_places", "credit_note_id", "credit_notes", SetNull))
                    .foreign_key(&mut fk("event_places", "created_by_user_id", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("event_places", &["event_id", "state"], false)).await?;
        manager.create_index(index("event_places", &["school_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["event_places", "event_sessions", "events"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
