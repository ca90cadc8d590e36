//! Indexes the funding report reads by at national scale: invoice lines by what they charge for
//! (orders and event places, to find each traded service's invoicing and an invoice's stream),
//! credit-note lines by the line they credit, contract instalments by their invoice, and the
//! invoices' debt and sales of a partnership in one covering index (days sales outstanding).

use crate::helpers::index;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for statement in [
            index("invoice_lines", &["source_kind", "source_id"], false),
            index("credit_note_lines", &["invoice_line_id"], false),
            index("contract_instalments", &["invoice_id"], false),
            index(
                "invoices",
                &["partnership_id", "status", "issue_date", "gross_pence", "outstanding_pence"],
                false,
            ),
        ] {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name) in [
            ("invoice_lines", "ix_invoice_lines_source_kind_source_id"),
            ("credit_note_lines", "ix_credit_note_lines_invoice_line_id"),
            ("contract_instalments", "ix_contract_instalments_invoice_id"),
            ("invoices", "ix_invoices_partnership_id_status_issue_date_gross_pence_outstanding_pence"),
        ] {
            manager.drop_index(Index::drop().name(name).table(table.to_owned()).to_owned()).await?;
        }
        Ok(())
    }
}
