//! The reference rate (Bank of England base rate, in hundredths of a percent) a partnership's
//! late-payment claims add 8% to.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut column = integer("late_payment_reference_bp").default(400).to_owned();
        manager.alter_table(Table::alter().table("partnerships").add_column(&mut column).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table("partnerships").drop_column("late_payment_reference_bp").to_owned(),
            )
            .await
    }
}
