//! Memberships (a school at a level of a year's offer, from a date, paid by someone), payers and
//! purchase-order numbers.

use super::audit::{self, Event};
use super::{FieldError, OrClash, ServiceError, offers};
pub use crate::domain::payer::PaidBy;
use crate::domain::school::{Urn, is_maintained};
use chrono::NaiveDate;
use entity::{local_authority, membership, payer, purchase_order, school, trust};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

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

/// The payer for a school's membership, created the first time it is needed.
pub async fn payer_for(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    school: &school::Model,
    paid_by: PaidBy,
) -> Result<payer::Model, ServiceError> {
    let (reference, name, address) = match paid_by {
        PaidBy::School => (
            format!("school:{}", school.id),
            school.name.clone(),
            [school.name.clone(), school.postcode.clone().unwrap_or_default()].join("\n").trim().to_string(),
        ),
        PaidBy::Trust => {
            let trust_id = school
                .trust_id
                .ok_or_else(|| problem("paid_by", format!("{} is not in a trust", school.name)))?;
            let trust = trust::Entity::find_by_id(trust_id)
                .one(db)
                .await?
                .ok_or_else(|| ServiceError::NotFound("trust".into()))?;
            (format!("trust:{}", trust.id), trust.name.clone(), format!("{}\nFinance team", trust.name))
        }
        PaidBy::Council => {
            let la = local_authority::Entity::find_by_id(school.local_authority_id)
                .one(db)
                .await?
                .ok_or_else(|| ServiceError::NotFound("local authority".into()))?;
            (
                format!("council:{}", la.id),
                format!("{} Council", la.name),
                format!("{} Council\nSchools Finance", la.name),
            )
        }
    };
    if let Some(existing) = payer::Entity::find()
        .filter(payer::Column::PartnershipId.eq(partnership_id))
        .filter(payer::Column::Reference.eq(reference.as_str()))
        .one(db)
        .await?
    {
        return Ok(existing);
    }
    Ok(payer::ActiveModel {
        partnership_id: Set(partnership_id),
        kind: Set(paid_by.as_str().to_string()),
        reference: Set(reference),
        name: Set(name),
        address: Set(address),
        email: Set(None),
        requires_po: Set(false),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Every payer of the partnership, by name.
pub async fn payers(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Vec<payer::Model>, ServiceError> {
    Ok(payer::Entity::find()
        .filter(payer::Column::PartnershipId.eq(partnership_id))
        .order_by_asc(payer::Column::Name)
        .all(db)
        .await?)
}

/// The payers to offer as a choice: all of them, by name, when there are at most `limit`;
/// otherwise (a national register has thousands, which no list can be chosen from) only
/// `chosen`, so a filter already applied still shows, and people search by name instead.
pub async fn payers_to_choose(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    limit: u64,
    chosen: Option<i64>,
) -> Result<Vec<payer::Model>, ServiceError> {
    use sea_orm::{PaginatorTrait, QuerySelect};
    let mut query = payer::Entity::find().filter(payer::Column::PartnershipId.eq(partnership_id));
    if query.clone().limit(limit + 1).count(db).await? > limit {
        let Some(chosen) = chosen else { return Ok(Vec::new()) };
        query = query.filter(payer::Column::Id.eq(chosen));
    }
    Ok(query.order_by_asc(payer::Column::Name).all(db).await?)
}

/// Says whether a payer's invoices wait for a purchase-order number.
pub async fn set_requires_po(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    payer_id: i64,
    requires: bool,
    user_id: Option<i64>,
) -> Result<payer::Model, ServiceError> {
    let found = payer::Entity::find_by_id(payer_id)
        .filter(payer::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("payer {payer_id}")))?;
    let before = found.requires_po;
    let mut active: payer::ActiveModel = found.into();
    active.requires_po = Set(requires);
    let updated = active.update(db).await?;
    audit::record(
        db,
        Event {
            partnership_id,
            user_id,
            action: "payer.requires_po",
            entity: "payer",
            entity_id: payer_id,
            before: Some(serde_json::json!(before)),
            after: Some(serde_json::json!(requires)),
        },
    )
    .await?;
    Ok(updated)
}

/// The PO number a payer gave for a year, if any.
pub async fn po_number(
    db: &impl ConnectionTrait,
    payer_id: i64,
    year: &str,
) -> Result<Option<String>, ServiceError> {
    Ok(purchase_order::Entity::find()
        .filter(purchase_order::Column::PayerId.eq(payer_id))
        .filter(purchase_order::Column::Year.eq(year))
        .one(db)
        .await?
        .map(|p| p.po_number))
}

/// Records (or replaces) the PO number a payer gave for a year.
pub async fn record_po(
    db: &impl ConnectionTrait,
    payer_id: i64,
    year: &str,
    po: &str,
    user_id: Option<i64>,
) -> Result<(), ServiceError> {
    let po = po.trim();
    if po.is_empty() || po.chars().count() > 60 || crate::domain::text::control_character(po).is_some() {
        return Err(problem("po_number", "enter the purchase-order number (up to 60 characters)"));
    }
    let existing = purchase_order::Entity::find()
        .filter(purchase_order::Column::PayerId.eq(payer_id))
        .filter(purchase_order::Column::Year.eq(year))
        .one(db)
        .await?;
    match existing {
        Some(row) => {
            let mut active: purchase_order::ActiveModel = row.into();
            active.po_number = Set(po.to_string());
            active.entered_by_user_id = Set(user_id);
            active.entered_at = Set(chrono::Utc::now());
            active.update(db).await?;
        }
        None => {
            purchase_order::ActiveModel {
                payer_id: Set(payer_id),
                year: Set(year.to_string()),
                po_number: Set(po.to_string()),
                entered_by_user_id: Set(user_id),
                entered_at: Set(chrono::Utc::now()),
                ..Default::default()
            }
            .insert(db)
            .await
            .or_clash("po_number", "a PO number for that year was recorded at the same moment: look again")?;
        }
    }
    Ok(())
}

/// A membership as lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct MembershipRow {
    pub id: i64,
    pub urn: i32,
    pub school: String,
    pub year: String,
    pub level: String,
    pub level_description: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub paid_by: PaidBy,
    pub first_year: bool,
}

/// The memberships of a year, by school name; `school_ids` narrows them to some schools.
pub async fn list_for_year(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
    school_ids: Option<&[i64]>,
) -> Result<Vec<MembershipRow>, ServiceError> {
    let Some(offer) = offers::find(db, partnership_id, year).await? else { return Ok(vec![]) };
    let mut rows = Vec::new();
    for m in of_offer(db, offer.id).await? {
        if school_ids.is_some_and(|ids| !ids.contains(&m.school_id)) {
            continue;
        }
        let Some(s) = school::Entity::find_by_id(m.school_id).one(db).await? else { continue };
        let level =
            offer.levels.iter().find(|l| l.id == m.level_id).ok_or_else(|| ServiceError::Corrupt {
                table: "memberships",
                column: "level_id",
                value: m.level_id.to_string(),
                reason: format!("not a level of the {} offer", offer.year),
            })?;
        rows.push(MembershipRow {
            id: m.id,
            urn: s.urn,
            school: s.name,
            year: offer.year.clone(),
            level: level.name.clone(),
            level_description: level.description.clone(),
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            paid_by: super::read_stored("memberships", "paid_by", &m.paid_by)?,
            first_year: m.first_year,
        });
    }
    rows.sort_by(|a, b| a.school.cmp(&b.school).then(a.starts_on.cmp(&b.starts_on)));
    Ok(rows)
}
