//! The account code each income stream posts to in the partnership's accounts, for exports.

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
            .create_table(
                Table::create()
                    .table("stream_accounts")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(string("stream"))
                    .col(string("account_code"))
                    .foreign_key(&mut fk(
                        "stream_accounts",
                        "partnership_id",
                        "partnerships",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("stream_accounts", &["partnership_id", "stream"], true)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("stream_accounts").to_owned()).await
    }
}
