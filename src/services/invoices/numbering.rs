//! Unbroken document numbers, and issuing a held invoice.

use super::super::audit::{self, Event};
use super::super::partnerships::Partnership;
use super::super::{ServiceError, read_stored};
use crate::domain::invoice::{InvoiceStatus, document_number};
use crate::domain::money::Money;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{document_sequence, invoice};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// The kinds of numbered document.
pub const INVOICE: &str = "invoice";
pub const CREDIT_NOTE: &str = "credit_note";

/// Takes the next number of a sequence inside the caller's transaction (see
/// [`allocate_block`]): numbers never skip or repeat.
pub async fn allocate_number(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    kind: &str,
) -> Result<i64, ServiceError> {
    allocate_block(db, partnership_id, kind, 1).await
}

/// Takes `count` consecutive numbers of a sequence inside the caller's transaction and returns
/// the first. The row is updated first, so a concurrent transaction waits for this one, and a
/// rolled-back one gives its numbers back.
pub async fn allocate_block(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    kind: &str,
    count: i64,
) -> Result<i64, ServiceError> {
    let filter = Condition::all()
        .add(document_sequence::Column::PartnershipId.eq(partnership_id))
        .add(document_sequence::Column::Kind.eq(kind));
    let updated = document_sequence::Entity::update_many()
        .col_expr(
            document_sequence::Column::NextValue,
            Expr::col(document_sequence::Column::NextValue).add(count),
        )
        .filter(filter.clone())
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        document_sequence::ActiveModel {
            partnership_id: Set(partnership_id),
            kind: Set(kind.to_string()),
            next_value: Set(count + 1),
            ..Default::default()
        }
        .insert(db)
        .await?;
        return Ok(1);
    }
    let row = document_sequence::Entity::find()
        .filter(filter)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("sequence".into()))?;
    Ok(row.next_value - count)
}

/// Issues a draft or held invoice on `today`: gives it the next number and its dates.
pub async fn issue(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    draft: invoice::Model,
    po_number: Option<String>,
    today: NaiveDate,
    now: DateTime<Utc>,
    user_id: Option<i64>,
) -> Result<invoice::Model, ServiceError> {
    let status: InvoiceStatus = read_stored("invoices", "status", &draft.status)?;
    if status == InvoiceStatus::Issued {
        return Err(ServiceError::Conflict(format!(
            "invoice {} is already issued",
            draft.number.unwrap_or_default()
        )));
    }
    let sequence = allocate_number(db, partnership.id, INVOICE).await?;
    let number = document_number(&partnership.invoice_prefix, sequence);
    let id = draft.id;
    let mut active: invoice::ActiveModel = draft.into();
    active.status = Set(InvoiceStatus::Issued.as_str().to_string());
    active.sequence = Set(Some(sequence));
    active.number = Set(Some(number.clone()));
    active.issue_date = Set(Some(today));
    active.supply_date = Set(Some(today));
    active.due_date = Set(Some(partnership.due_date(today)));
    active.issued_at = Set(Some(now));
    if po_number.is_some() {
        active.po_number = Set(po_number);
    }
    let issued = active.update(db).await?;
    audit::record(
        db,
        Event {
            partnership_id: partnership.id,
            user_id,
            action: "invoice.issued",
            entity: "invoice",
            entity_id: id,
            before: None,
            after: Some(serde_json::json!({"number": number, "gross": Money::from_pence(issued.gross_pence), "payer": issued.payer_name})),
        },
    )
    .await?;
    Ok(issued)
}
