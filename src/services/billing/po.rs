//! Releasing invoices held for a purchase-order number.

use super::super::partnerships::Partnership;
use super::super::{ServiceError, begin_write, invoices};
use crate::domain::invoice::InvoiceStatus;
use chrono::{DateTime, Utc};
use entity::{invoice, payer};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession, TransactionTrait};

/// Records a payer's PO number for a year and issues every invoice of theirs held for it.
/// Returns the numbers issued.
pub async fn release_with_po<C>(
    db: &C,
    partnership: &Partnership,
    payer_id: i64,
    year: &str,
    po: &str,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = begin_write(db).await?;
    let payer = payer::Entity::find_by_id(payer_id)
        .filter(payer::Column::PartnershipId.eq(partnership.id))
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("payer {payer_id}")))?;
    crate::services::payers::record_po(&txn, payer.id, year, po, user_id).await?;
    let held = invoice::Entity::find()
        .filter(invoice::Column::PayerId.eq(payer.id))
        .filter(invoice::Column::Year.eq(year))
        .filter(invoice::Column::Status.eq(InvoiceStatus::WaitingForPo.as_str()))
        .all(&txn)
        .await?;
    let mut numbers = Vec::new();
    for draft in held {
        let issued = invoices::issue(
            &txn,
            partnership,
            draft,
            Some(po.trim().to_string()),
            now.date_naive(),
            now,
            user_id,
        )
        .await?;
        numbers.extend(issued.number);
    }
    txn.commit().await?;
    Ok(numbers)
}
