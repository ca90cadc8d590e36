//! Contracts and grants (a council's commission, another body's commission, a grant): who
//! pays, what for, the schedule it is paid on, each instalment with the charge key that lets it
//! be invoiced once, the variations that changed it, and what the partnership owes back.

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
                    .table("contracts")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(big_integer("payer_id"))
                    .col(big_integer_null("local_authority_id"))
                    .col(string("stream"))
                    .col(string("title"))
                    .col(string_null("reference"))
                    .col(date("start_date"))
                    .col(date("end_date"))
                    .col(text("break_dates"))
                    .col(date_null("extension_until"))
                    .col(string("schedule_kind"))
                    .col(string_null("frequency"))
                    .col(string_null("timing"))
                    .col(text("yearly_pence"))
                    .col(string_null("matched_year"))
                    .col(string_null("matched_ratio"))
                    .col(big_integer_null("matched_cap_pence"))
                    .col(string("vat_rate"))
                    .col(string_null("counterparty_vat_number"))
                    .col(big_integer("value_pence"))
                    .col(big_integer_null("created_by_user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("contracts", "partnership_id", "partnerships", Cascade))
                    .foreign_key(&mut fk("contracts", "payer_id", "payers", Cascade))
                    .foreign_key(&mut fk("contracts", "local_authority_id", "local_authorities", SetNull))
                    .foreign_key(&mut fk("contracts", "created_by_user_id", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("contracts", &["partnership_id", "local_authority_id"], false)).await?;
        manager
            .create_table(
                Table::create()
                    .table("contract_deliverables")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(big_integer("contract_id"))
                    .col(string("title"))
                    .col(date("due_on"))
                    .col(date_null("done_on"))
                    .col(text_null("note"))
                    .col(big_integer_null("done_by_user_id"))
                    .foreign_key(&mut fk("contract_deliverables", "partnership_id", "partnerships", Cascade))
                    .foreign_key(&mut fk("contract_deliverables", "contract_id", "contracts", Cascade))
                    .foreign_key(&mut fk("contract_deliverables", "done_by_user_id", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("contract_deliverables", &["contract_id", "due_on"], false)).await?;
        manager
            .create_table(
                Table::create()
                    .table("contract_instalments")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(big_integer("contract_id"))
                    .col(integer("position"))
                    .col(string("kind"))
                    .col(integer("contract_year"))
                    .col(string("description"))
                    .col(date("period_start"))
                    .col(date("period_end"))
                    .col(date_null("due_on"))
                    .col(big_integer_null("amount_pence"))
                    .col(string("state"))
                    .col(big_integer_null("deliverable_id"))
                    .col(big_integer_null("invoice_id"))
                    .col(text_null("working"))
                    .col(string("charge_key"))
                    .foreign_key(&mut fk("contract_instalments", "partnership_id", "partnerships", Cascade))
                    .foreign_key(&mut fk("contract_instalments", "contract_id", "contracts", Cascade))
                    .foreign_key(&mut fk(
                        "contract_instalments",
                        "deliverable_id",
                        "contract_deliverables",
                        SetNull,
                    ))
                    .foreign_key(&mut fk("contract_instalments", "invoice_id", "invoices", SetNull))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("contract_instalments", &["charge_key"], true)).await?;
        manager.create_index(index("contract_instalments", &["contract_id", "position"], true)).await?;
        manager
            .create_index(index("contract_instalments", &["partnership_id", "state", "due_on"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("contract_variations")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(big_integer("contract_id"))
                    .col(date("effective_from"))
                    .col(text("reason"))
                    .col(big_integer("old_value_pence"))
                    .col(big_integer("new_value_pence"))
                    .col(text("old_yearly_pence"))
                    .col(text("new_yearly_pence"))
                    .col(big_integer_null("user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("contract_variations", "partnership_id", "partnerships", Cascade))
                    .foreign_key(&mut fk("contract_variations", "contract_id", "contracts", Cascade))
                    .foreign_key(&mut fk("contract_variations", "user_id", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("contract_variations", &["contract_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["contract_variations", "contract_instalments", "contract_deliverables", "contracts"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
