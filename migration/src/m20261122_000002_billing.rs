//! Offers, levels, memberships, payers, billing runs, invoices, credit notes, numbering and the
//! audit log.

use crate::helpers::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            string("invoice_prefix").default("INV-").to_owned(),
            string("credit_note_prefix").default("CN-").to_owned(),
            integer("payment_terms_days").default(30).to_owned(),
            string_null("bank_account_name").to_owned(),
            string_null("bank_sort_code").to_owned(),
            string_null("bank_account_number").to_owned(),
            string_null("remittance_email").to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(Table::alter().table("partnerships").add_column(&mut column).to_owned())
                .await?;
        }
        let tables = [
            Table::create()
                .table("offers")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(string("year"))
                .col(string("billing_plan"))
                .col(string("pro_rata_unit"))
                .col(string("trust_discount_percent"))
                .col(string("first_year_discount_percent"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("offers", "partnership_id", "partnerships", Cascade))
                .to_owned(),
            Table::create()
                .table("offer_levels")
                .col(big_pk_auto("id"))
                .col(big_integer("offer_id"))
                .col(string("name"))
                .col(text("description"))
                .col(text("fee_rule"))
                .col(string("vat_rate"))
                .col(integer("position"))
                .foreign_key(&mut fk("offer_levels", "offer_id", "offers", Cascade))
                .to_owned(),
            Table::create()
                .table("payers")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(string("kind"))
                .col(string("reference"))
                .col(string("name"))
                .col(text("address"))
                .col(string_null("email"))
                .col(boolean("requires_po").default(false))
                .foreign_key(&mut fk("payers", "partnership_id", "partnerships", Cascade))
                .to_owned(),
            Table::create()
                .table("memberships")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(big_integer("school_id"))
                .col(big_integer("offer_id"))
                .col(big_integer("level_id"))
                .col(date("starts_on"))
                .col(date_null("ends_on"))
                .col(string("paid_by"))
                .col(boolean("first_year").default(false))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("memberships", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("memberships", "school_id", "schools", Restrict))
                .foreign_key(&mut fk("memberships", "offer_id", "offers", Restrict))
                .foreign_key(&mut fk("memberships", "level_id", "offer_levels", Restrict))
                .to_owned(),
            Table::create()
                .table("purchase_orders")
                .col(big_pk_auto("id"))
                .col(big_integer("payer_id"))
                .col(string("year"))
                .col(string("po_number"))
                .col(big_integer_null("entered_by_user_id"))
                .col(timestamp_with_time_zone("entered_at"))
                .foreign_key(&mut fk("purchase_orders", "payer_id", "payers", Cascade))
                .foreign_key(&mut fk("purchase_orders", "entered_by_user_id", "users", SetNull))
                .to_owned(),
            Table::create()
                .table("billing_runs")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(string("year"))
                .col(string("period"))
                .col(string("status"))
                .col(big_integer_null("started_by_user_id"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .col(integer("invoices_raised").default(0))
                .col(big_integer("total_pence").default(0))
                .foreign_key(&mut fk("billing_runs", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("billing_runs", "started_by_user_id", "users", SetNull))
                .to_owned(),
            Table::create()
                .table("invoices")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(big_integer("payer_id"))
                .col(big_integer_null("billing_run_id"))
                .col(string("source_key"))
                .col(string("year"))
                .col(string("period"))
                .col(string("status"))
                .col(string_null("number"))
                .col(big_integer_null("sequence"))
                .col(date_null("issue_date"))
                .col(date_null("supply_date"))
                .col(date_null("due_date"))
                .col(date("period_start"))
                .col(date("period_end"))
                .col(string_null("po_number"))
                .col(string("payer_name"))
                .col(text("payer_address"))
                .col(string("supplier_name"))
                .col(text("supplier_address"))
                .col(string_null("supplier_vat_number"))
                .col(big_integer("net_pence"))
                .col(big_integer("vat_pence"))
                .col(big_integer("gross_pence"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("issued_at"))
                .foreign_key(&mut fk("invoices", "partnership_id", "partnerships", Restrict))
                .foreign_key(&mut fk("invoices", "payer_id", "payers", Restrict))
                .foreign_key(&mut fk("invoices", "billing_run_id", "billing_runs", SetNull))
                .to_owned(),
            Table::create()
                .table("invoice_lines")
                .col(big_pk_auto("id"))
                .col(big_integer("invoice_id"))
                .col(integer("position"))
                .col(text("description"))
                .col(string("quantity"))
                .col(big_integer("unit_price_pence"))
                .col(big_integer("net_pence"))
                .col(string("vat_rate"))
                .col(big_integer_null("school_id"))
                .col(string("source_kind"))
                .col(big_integer("source_id"))
                .col(string_null("charge_key"))
                .foreign_key(&mut fk("invoice_lines", "invoice_id", "invoices", Cascade))
                .foreign_key(&mut fk("invoice_lines", "school_id", "schools", SetNull))
                .to_owned(),
            Table::create()
                .table("credit_notes")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(big_integer("invoice_id"))
                .col(string("number"))
                .col(big_integer("sequence"))
                .col(text("reason"))
                .col(date("issue_date"))
                .col(big_integer("net_pence"))
                .col(big_integer("vat_pence"))
                .col(big_integer("gross_pence"))
                .col(big_integer_null("created_by_user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("credit_notes", "partnership_id", "partnerships", Restrict))
                .foreign_key(&mut fk("credit_notes", "invoice_id", "invoices", Restrict))
                .to_owned(),
            Table::create()
                .table("credit_note_lines")
                .col(big_pk_auto("id"))
                .col(big_integer("credit_note_id"))
                .col(big_integer("invoice_line_id"))
                .col(text("description"))
                .col(big_integer("net_pence"))
                .col(string("vat_rate"))
                .foreign_key(&mut fk("credit_note_lines", "credit_note_id", "credit_notes", Cascade))
                .foreign_key(&mut fk("credit_note_lines", "invoice_line_id", "invoice_lines", Restrict))
                .to_owned(),
            Table::create()
                .table("document_sequences")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(string("kind"))
                .col(big_integer("next_value"))
                .foreign_key(&mut fk("document_sequences", "partnership_id", "partnerships", Cascade))
                .to_owned(),
            Table::create()
                .table("audit_log")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(big_integer_null("user_id"))
                .col(timestamp_with_time_zone("at"))
                .col(string("action"))
                .col(string("entity"))
                .col(big_integer("entity_id"))
                .col(text_null("before_json"))
                .col(text_null("after_json"))
                .foreign_key(&mut fk("audit_log", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("audit_log", "user_id", "users", SetNull))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("offers", &["partnership_id", "year"], true),
            index("offer_levels", &["offer_id", "name"], true),
            index("payers", &["partnership_id", "reference"], true),
            index("memberships", &["offer_id", "school_id"], false),
            index("purchase_orders", &["payer_id", "year"], true),
            index("billing_runs", &["partnership_id", "year", "period"], true),
            // Two runs at once can never raise the same invoice, nor number two alike.
            index("invoices", &["partnership_id", "source_key"], true),
            index("invoices", &["partnership_id", "number"], true),
            index("invoices", &["partnership_id", "status"], false),
            index("invoices", &["payer_id"], false),
            // The same charge (membership, year, period) can never be on two invoice lines.
            index("invoice_lines", &["charge_key"], true),
            index("invoice_lines", &["invoice_id"], false),
            index("credit_notes", &["partnership_id", "number"], true),
            index("credit_notes", &["invoice_id"], false),
            index("credit_note_lines", &["credit_note_id"], false),
            index("document_sequences", &["partnership_id", "kind"], true),
            index("audit_log", &["partnership_id", "at"], false),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "audit_log",
            "document_sequences",
            "credit_note_lines",
            "credit_notes",
            "invoice_lines",
            "invoices",
            "billing_runs",
            "purchase_orders",
            "memberships",
            "payers",
            "offer_levels",
            "offers",
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for column in [
            "invoice_prefix",
            "credit_note_prefix",
            "payment_terms_days",
            "bank_account_name",
            "bank_sort_code",
            "bank_account_number",
            "remittance_email",
        ] {
            manager.alter_table(Table::alter().table("partnerships").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
