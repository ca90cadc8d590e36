//! Exports count the payments they hold (Xero's bank-statement file of payments received), and
//! finance may set a budget for each traded service beside each income stream's.

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
        manager
            .alter_table(
                Table::alter()
                    .table("exports")
                    .add_column(big_integer("payments").default(0).to_owned())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("service_budgets")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(string("year"))
                    .col(big_integer("service_id"))
                    .col(big_integer("amount_pence"))
                    .foreign_key(&mut fk(
                        "service_budgets",
                        "partnership_id",
                        "partnerships",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "service_budgets",
                        "service_id",
                        "services",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("service_budgets", &["partnership_id", "year", "service_id"], true))
            .await?;
        manager.create_index(index("service_budgets", &["service_id"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("service_budgets").to_owned()).await?;
        manager.alter_table(Table::alter().table("exports").drop_column("payments").to_owned()).await
    }
}
