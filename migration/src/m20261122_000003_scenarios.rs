//! Saved funding-model scenarios, one partnership each.

use crate::helpers::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("scenarios")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(string("name"))
                    .col(text("document"))
                    .col(big_integer_null("updated_by_user_id"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "scenarios",
                        "partnership_id",
                        "partnerships",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "scenarios",
                        "updated_by_user_id",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("scenarios", &["partnership_id", "name"], true)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("scenarios").to_owned()).await
    }
}
