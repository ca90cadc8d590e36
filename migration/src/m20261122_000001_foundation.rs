//! The register, users and sessions.

use crate::helpers::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        let tables = [
            Table::create()
                .table("partnerships")
                .col(big_pk_auto("id"))
                .col(string_uniq("slug"))
                .col(string("name"))
                .col(text("address"))
                .col(string_null("vat_number"))
                .col(string("year_kind"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
            Table::create()
                .table("local_authorities")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(string("code"))
                .col(string("name"))
                .foreign_key(&mut fk("local_authorities", "partnership_id", "partnerships", Cascade))
                .to_owned(),
            Table::create()
                .table("trusts")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(string("name"))
                .col(string_null("companies_house_number"))
                .foreign_key(&mut fk("trusts", "partnership_id", "partnerships", Cascade))
                .to_owned(),
            Table::create()
                .table("schools")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(integer("urn"))
                .col(string("name"))
                .col(big_integer("local_authority_id"))
                .col(string_null("establishment_number"))
                .col(string("type_name"))
                .col(string_null("type_group"))
                .col(string("gias_phase"))
                .col(string("billing_phase"))
                .col(integer_null("low_age"))
                .col(integer_null("high_age"))
                .col(string("status"))
                .col(date_null("open_date"))
                .col(date_null("close_date"))
                .col(big_integer_null("trust_id"))
                .col(string_null("postcode"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("schools", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("schools", "local_authority_id", "local_authorities", Restrict))
                .foreign_key(&mut fk("schools", "trust_id", "trusts", SetNull))
                .to_owned(),
            Table::create()
                .table("school_links")
                .col(big_pk_auto("id"))
                .col(big_integer("school_id"))
                .col(integer("linked_urn"))
                .col(string("kind"))
                .foreign_key(&mut fk("school_links", "school_id", "schools", Cascade))
                .to_owned(),
            Table::create()
                .table("users")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(string_uniq("email"))
                .col(string("name"))
                .col(string("role"))
                .col(big_integer_null("school_id"))
                .col(big_integer_null("trust_id"))
                .col(big_integer_null("local_authority_id"))
                .col(string("password_hash"))
                .col(integer("failed_sign_ins").default(0))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_sign_in_at"))
                .foreign_key(&mut fk("users", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("users", "school_id", "schools", Restrict))
                .foreign_key(&mut fk("users", "trust_id", "trusts", Restrict))
                .foreign_key(&mut fk("users", "local_authority_id", "local_authorities", Restrict))
                .to_owned(),
            Table::create()
                .table("pupil_counts")
                .col(big_pk_auto("id"))
                .col(big_integer("school_id"))
                .col(date("census_date"))
                .col(integer("pupils"))
                .col(string("source"))
                .col(big_integer_null("entered_by_user_id"))
                .col(text_null("reason"))
                .col(timestamp_with_time_zone("recorded_at"))
                .foreign_key(&mut fk("pupil_counts", "school_id", "schools", Cascade))
                .foreign_key(&mut fk("pupil_counts", "entered_by_user_id", "users", SetNull))
                .to_owned(),
            Table::create()
                .table("sessions")
                .col(string("id").primary_key())
                .col(big_integer("user_id"))
                .col(string("csrf_token"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .foreign_key(&mut fk("sessions", "user_id", "users", Cascade))
                .to_owned(),
            Table::create()
                .table("api_tokens")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(string("name"))
                .col(string_uniq("token_hash"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk("api_tokens", "user_id", "users", Cascade))
                .to_owned(),
            Table::create()
                .table("income_budgets")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(string("year"))
                .col(string("stream"))
                .col(big_integer("amount_pence"))
                .foreign_key(&mut fk("income_budgets", "partnership_id", "partnerships", Cascade))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("local_authorities", &["partnership_id", "code"], true),
            index("trusts", &["partnership_id", "name"], true),
            index("schools", &["partnership_id", "urn"], true),
            index("schools", &["partnership_id", "name"], false),
            index("schools", &["trust_id"], false),
            index("school_links", &["school_id", "linked_urn"], true),
            index("pupil_counts", &["school_id", "census_date"], false),
            index("users", &["partnership_id"], false),
            index("sessions", &["user_id"], false),
            index("income_budgets", &["partnership_id", "year", "stream"], true),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "income_budgets",
            "api_tokens",
            "sessions",
            "pupil_counts",
            "users",
            "school_links",
            "schools",
            "trusts",
            "local_authorities",
            "partnerships",
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
