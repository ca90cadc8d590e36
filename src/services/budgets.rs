//! Income budgets by year and stream, in whole pence.

use super::ServiceError;
use crate::domain::money::Money;
use entity::income_budget;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// Sets the budget for one income stream of one year, replacing what was there.
pub async fn set(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
    stream: &str,
    amount: Money,
) -> Result<(), ServiceError> {
    let pence = amount.to_pence().map_err(|e| ServiceError::invalid("amount", e.to_string()))?;
    let existing = income_budget::Entity::find()
        .filter(income_budget::Column::PartnershipId.eq(partnership_id))
        .filter(income_budget::Column::Year.eq(year))
        .filter(income_budget::Column::Stream.eq(stream))
        .one(db)
        .await?;
    match existing {
        Some(row) => {
            let mut active: income_budget::ActiveModel = row.into();
            active.amount_pence = Set(pence);
            active.update(db).await?;
        }
        None => {
            income_budget::ActiveModel {
                partnership_id: Set(partnership_id),
                year: Set(year.to_string()),
                stream: Set(stream.to_string()),
                amount_pence: Set(pence),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// The budget for one stream of one year, if set.
pub async fn get(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
    stream: &str,
) -> Result<Option<Money>, ServiceError> {
    Ok(income_budget::Entity::find()
        .filter(income_budget::Column::PartnershipId.eq(partnership_id))
        .filter(income_budget::Column::Year.eq(year))
        .filter(income_budget::Column::Stream.eq(stream))
        .one(db)
        .await?
        .map(|row| Money::from_pence(row.amount_pence)))
}

/// The year's budget over all streams, added up by the database.
pub async fn total(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
) -> Result<Money, ServiceError> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{Expr, ExprTrait};
    let sum: Option<Option<i64>> = income_budget::Entity::find()
        .select_only()
        .column_as(Expr::col(income_budget::Column::AmountPence).sum().cast_as("BIGINT"), "total")
        .filter(income_budget::Column::PartnershipId.eq(partnership_id))
        .filter(income_budget::Column::Year.eq(year))
        .into_tuple()
        .one(db)
        .await?;
    Ok(Money::from_pence(sum.flatten().unwrap_or(0)))
}
