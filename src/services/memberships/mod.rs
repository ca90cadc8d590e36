//! Memberships (a school at a level of a year's offer, from a date, paid by someone), payers and
//! purchase-order numbers.

use super::audit::{self, Event};
use super::{FieldError, ServiceError, offers};
pub use crate::domain::payer::PaidBy;
use crate::domain::school::{Urn, is_maintained};
use chrono::NaiveDate;
use entity::{membership, school};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use serde::Deserialize;

mod bulk;
mod list;
pub use bulk::*;
pub use list::*;

/// A membership as typed by finance or loaded by the demo.
#[derive(Debug, Clone, Deserialize)]
pub struct NewMembership {
    pub urn: i32,
    pub year: String,
    pub level: String,
    pub starts_on: NaiveDate,
    #[serde(default)]
    pub ends_on: Option<NaiveDate>,
    pub paid_by: String,
    #[serde(default)]
    pub first_year: bool,
}

fn problem(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(vec![FieldError { field: field.into(), message: message.into() }])
}

/// Enrols a school for a year at a level. Refuses overlapping memberships of the same school
/// in the same year, a trust payer for a school with no trust, and a council payer for a school
/// the council does not maintain.
pub async fn join<C>(
    db: &C,
    partnership_id: i64,
    new: &NewMembership,
    user_id: Option<i64>,
) -> Result<membership::Model, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let urn = Urn::parse(&new.urn.to_string()).map_err(|e| problem("urn", e))?;
    let school = school::Entity::find()
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .filter(school::Column::Urn.eq(urn.value()))
        .one(db)
        .await?
        .ok_or_else(|| problem("urn", format!("no school with URN {urn} in the register")))?;
    let offer = offers::find(db, partnership_id, &new.year)
        .await?
        .ok_or_else(|| problem("year", format!("there is no offer for {}", new.year)))?;
    let level =
        offer.levels.iter().find(|l| l.name.eq_ignore_ascii_case(new.level.trim())).ok_or_else(|| {
            let names: Vec<&str> = offer.levels.iter().map(|l| l.name.as_str()).collect();
            problem(
                "level",
                format!("\"{}\" is not a level of {} ({})", new.level, new.year, names.join(", ")),
            )
        })?;
    let paid_by = PaidBy::parse(&new.paid_by)
        .ok_or_else(|| problem("paid_by", format!("\"{}\" is not school, trust or council", new.paid_by)))?;
    if paid_by == PaidBy::Trust && school.trust_id.is_none() {
        return Err(problem(
            "paid_by",
            format!("{} is not in a trust, so its trust cannot pay", school.name),
        ));
    }
    if paid_by == PaidBy::Council && !is_maintained(&school.type_name) {
        return Err(problem(
            "paid_by",
            format!(
                "{} is a {}, not a maintained school, so the council cannot pay",
                school.name,
                school.type_name.to_lowercase()
            ),
        ));
    }
    if let Some(ends) = new.ends_on
        && ends < new.starts_on
    {
        return Err(problem(
            "ends_on",
            format!("the membership cannot end on {ends} before it starts on {}", new.starts_on),
        ));
    }
    let existing = membership::Entity::find()
        .filter(membership::Column::OfferId.eq(offer.id))
        .filter(membership::Column::SchoolId.eq(school.id))
        .all(db)
        .await?;
    let overlaps = existing.iter().any(|m| {
        let ends = m.ends_on.unwrap_or(NaiveDate::MAX);
        let new_ends = new.ends_on.unwrap_or(NaiveDate::MAX);
        m.starts_on <= new_ends && new.starts_on <= ends
    });
    if overlaps {
        return Err(problem(
            "starts_on",
            format!("{} is already a member for part of that time in {}", school.name, new.year),
        ));
    }
    let txn = super::begin_write(db).await?;
    let created = membership::ActiveModel {
        partnership_id: Set(partnership_id),
        school_id: Set(school.id),
        offer_id: Set(offer.id),
        level_id: Set(level.id),
        starts_on: Set(new.starts_on),
        ends_on: Set(new.ends_on),
        paid_by: Set(paid_by.as_str().to_string()),
        first_year: Set(new.first_year),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Event {
            partnership_id,
            user_id,
            action: "membership.joined",
            entity: "membership",
            entity_id: created.id,
            before: None,
            after: Some(serde_json::json!({"urn": urn.value(), "year": new.year, "level": level.name, "starts_on": new.starts_on, "ends_on": new.ends_on, "paid_by": paid_by.as_str()})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Ends a membership on `last_day` (the last day the school is a member).
pub async fn leave<C>(
    db: &C,
    partnership_id: i64,
    membership_id: i64,
    last_day: NaiveDate,
    user_id: Option<i64>,
) -> Result<membership::Model, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let found = get(db, partnership_id, membership_id).await?;
    if last_day < found.starts_on {
        return Err(problem(
            "ends_on",
            format!("the school cannot leave on {last_day} before it joined on {}", found.starts_on),
        ));
    }
    let txn = super::begin_write(db).await?;
    let before = serde_json::json!({"ends_on": found.ends_on});
    let mut active: membership::ActiveModel = found.into();
    active.ends_on = Set(Some(last_day));
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        Event {
            partnership_id,
            user_id,
            action: "membership.left",
            entity: "membership",
            entity_id: updated.id,
            before: Some(before),
            after: Some(serde_json::json!({"ends_on": last_day})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Moves a school to another level from `from`: the current membership ends the day before and
/// a new one starts, each charged pro rata.
pub async fn change_level<C>(
    db: &C,
    partnership_id: i64,
    membership_id: i64,
    level: &str,
    from: NaiveDate,
    user_id: Option<i64>,
) -> Result<membership::Model, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let current = get(db, partnership_id, membership_id).await?;
    if from <= current.starts_on {
        return Err(problem(
            "from",
            format!("the change must come after the membership starts on {}", current.starts_on),
        ));
    }
    let offer = entity::offer::Entity::find_by_id(current.offer_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("offer".into()))?;
    let school = school::Entity::find_by_id(current.school_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("school".into()))?;
    let ends_on = current.ends_on;
    let day_before = from.pred_opt().unwrap_or(from);
    // Both halves in one transaction: a refused new level leaves the old membership as it was.
    let txn = super::begin_write(db).await?;
    leave(&txn, partnership_id, membership_id, day_before, user_id).await?;
    let created = join(
        &txn,
        partnership_id,
        &NewMembership {
            urn: school.urn,
            year: offer.year,
            level: level.to_string(),
            starts_on: from,
            ends_on,
            paid_by: current.paid_by,
            first_year: current.first_year,
        },
        user_id,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// One membership of the partnership.
pub async fn get(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    membership_id: i64,
) -> Result<membership::Model, ServiceError> {
    membership::Entity::find_by_id(membership_id)
        .filter(membership::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("membership {membership_id}")))
}

/// The memberships of a year's offer, in the order they were made.
pub async fn of_offer(
    db: &impl ConnectionTrait,
    offer_id: i64,
) -> Result<Vec<membership::Model>, ServiceError> {
    Ok(membership::Entity::find()
        .filter(membership::Column::OfferId.eq(offer_id))
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?)
}
