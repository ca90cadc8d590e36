//! The annual renewal round: finance asks every member and every other school of the area to
//! confirm next year's level, pupil number and PO number, or to decline; each school's answer is
//! kept until finance turns the accepted ones into memberships.

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
                    .table("renewal_rounds")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(big_integer("offer_id"))
                    .col(date("answer_by"))
                    .col(text_null("note"))
                    .col(big_integer_null("opened_by_user_id"))
                    .col(timestamp_with_time_zone("opened_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .foreign_key(&mut fk("renewal_rounds", "partnership_id", "partnerships", Cascade))
                    .foreign_key(&mut fk("renewal_rounds", "offer_id", "offers", Cascade))
                    .foreign_key(&mut fk("renewal_rounds", "opened_by_user_id", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        // One round for each year's offer.
        manager.create_index(index("renewal_rounds", &["partnership_id", "offer_id"], true)).await?;
        manager
            .create_table(
                Table::create()
                    .table("renewal_answers")
                    .col(big_pk_auto("id"))
                    .col(big_integer("round_id"))
                    .col(big_integer("partnership_id"))
                    .col(big_integer("school_id"))
                    // The level and payer of the school's membership in the year before, if any.
                    .col(string_null("current_level"))
                    .col(string_null("current_paid_by"))
                    // waiting, accepted or declined.
                    .col(string("state"))
                    .col(big_integer_null("level_id"))
                    .col(integer_null("pupils"))
                    .col(string_null("po_number"))
                    .col(text_null("comment"))
                    .col(big_integer_null("answered_by_user_id"))
                    .col(timestamp_with_time_zone_null("answered_at"))
                    .col(integer("chased"))
                    .col(timestamp_with_time_zone_null("last_chased_at"))
                    .col(big_integer_null("membership_id"))
                    .foreign_key(&mut fk("renewal_answers", "round_id", "renewal_rounds", Cascade))
                    .foreign_key(&mut fk("renewal_answers", "partnership_id", "partnerships", Cascade))
                    .foreign_key(&mut fk("renewal_answers", "school_id", "schools", Cascade))
                    .foreign_key(&mut fk("renewal_answers", "level_id", "offer_levels", SetNull))
                    .foreign_key(&mut fk("renewal_answers", "answered_by_user_id", "users", SetNull))
                    .foreign_key(&mut fk("renewal_answers", "membership_id", "memberships", SetNull))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("renewal_answers", &["round_id", "school_id"], true)).await?;
        manager.create_index(index("renewal_answers", &["round_id", "state"], false)).await?;
        manager.create_index(index("renewal_answers", &["school_id"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("renewal_answers").to_owned()).await?;
        manager.drop_table(Table::drop().table("renewal_rounds").to_owned()).await
    }
}
