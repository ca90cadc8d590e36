//! Changing an offer after it is made: its plan and discounts, and its levels (add, change,
//! rename, reorder, remove while unused).

use super::*;
use entity::{invoice, membership};
use sea_orm::PaginatorTrait;

async fn offer_for(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
) -> Result<Offer, ServiceError> {
    find(db, partnership_id, year).await?.ok_or_else(|| ServiceError::NotFound(format!("offer for {year}")))
}

fn level_of<'a>(offer: &'a Offer, level_name: &str) -> Result<&'a Level, ServiceError> {
    offer
        .levels
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(level_name.trim()))
        .ok_or_else(|| ServiceError::NotFound(format!("level {level_name} of {}", offer.year)))
}

fn snapshot(l: &offer_level::Model, year: &str) -> serde_json::Value {
    serde_json::json!({"year": year, "name": l.name, "fee_rule": l.fee_rule, "vat_rate": l.vat_rate, "description": l.description, "position": l.position})
}

/// Replaces one level's name, fee rule, description and VAT rate. Invoices already raised keep
/// their figures; the change prices what is billed from now on. A blank name keeps the name.
pub async fn update_level<C>(
    db: &C,
    partnership_id: i64,
    year: &str,
    level_name: &str,
    changed: &NewLevel,
    user_id: Option<i64>,
) -> Result<Level, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let offer = offer_for(db, partnership_id, year).await?;
    let level = level_of(&offer, level_name)?;
    let mut changed = changed.clone();
    if changed.name.trim().is_empty() {
        changed.name = level.name.clone();
    }
    let mut errors = Vec::new();
    let checked = check_level("level", &changed, &mut errors);
    let new_name = changed.name.trim().to_string();
    if offer.levels.iter().any(|l| l.id != level.id && l.name.eq_ignore_ascii_case(&new_name)) {
        errors.push(field("level.name", format!("there is already a level called {new_name}")));
    }
    let Some((rule, vat)) = checked.filter(|_| errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let txn = crate::services::begin_write(db).await?;
    let model = offer_level::Entity::find_by_id(level.id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound("level".into()))?;
    let before = snapshot(&model, &offer.year);
    let mut active: offer_level::ActiveModel = model.into();
    active.name = Set(new_name);
    active.fee_rule = Set(rule_json(&rule)?);
    active.vat_rate = Set(vat.as_str().to_string());
    active.description = Set(changed.description.trim().to_string());
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        Event {
            partnership_id,
            user_id,
            action: "offer_level.changed",
            entity: "offer_level",
            entity_id: updated.id,
            before: Some(before),
            after: Some(snapshot(&updated, &offer.year)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Level { id: updated.id, name: updated.name, description: updated.description, rule, vat_rate: vat })
}

/// Adds a level at the end of the offer.
pub async fn add_level<C>(
    db: &C,
    partnership_id: i64,
    year: &str,
    new: &NewLevel,
    user_id: Option<i64>,
) -> Result<Level, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let offer = offer_for(db, partnership_id, year).await?;
    let mut errors = Vec::new();
    let checked = check_level("level", new, &mut errors);
    let name = new.name.trim().to_string();
    if offer.levels.iter().any(|l| l.name.eq_ignore_ascii_case(&name)) {
        errors.push(field("level.name", format!("there is already a level called {name}")));
    }
    let Some((rule, vat)) = checked.filter(|_| errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let txn = crate::services::begin_write(db).await?;
    let position = offer_level::Entity::find()
        .filter(offer_level::Column::OfferId.eq(offer.id))
        .order_by_desc(offer_level::Column::Position)
        .one(&txn)
        .await?
        .map_or(0, |l| l.position + 1);
    let added = offer_level::ActiveModel {
        offer_id: Set(offer.id),
        name: Set(name.clone()),
        description: Set(new.description.trim().to_string()),
        fee_rule: Set(rule_json(&rule)?),
        vat_rate: Set(vat.as_str().to_string()),
        position: Set(position),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .or_clash("level.name", format!("there is already a level called {name}"))?;
    audit::record(
        &txn,
        Event {
            partnership_id,
            user_id,
            action: "offer_level.added",
            entity: "offer_level",
            entity_id: added.id,
            before: None,
            after: Some(snapshot(&added, &offer.year)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Level { id: added.id, name: added.name, description: added.description, rule, vat_rate: vat })
}

/// Moves a level one place up (earlier) or down in the offer's order.
pub async fn move_level<C>(
    db: &C,
    partnership_id: i64,
    year: &str,
    level_name: &str,
    up: bool,
    user_id: Option<i64>,
) -> Result<(), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let offer = offer_for(db, partnership_id, year).await?;
    let level = level_of(&offer, level_name)?;
    let at = offer.levels.iter().position(|l| l.id == level.id).unwrap_or_default();
    let other = if up { at.checked_sub(1) } else { Some(at + 1) };
    let Some(other) = other.and_then(|i| offer.levels.get(i)) else {
        return Ok(());
    };
    let txn = crate::services::begin_write(db).await?;
    let mut order: Vec<i64> = offer.levels.iter().map(|l| l.id).collect();
    let other_at = order.iter().position(|id| *id == other.id).unwrap_or_default();
    order.swap(at, other_at);
    for (position, id) in order.iter().enumerate() {
        offer_level::ActiveModel { id: Set(*id), position: Set(position as i32), ..Default::default() }
            .update(&txn)
            .await?;
    }
    audit::record(
        &txn,
        Event {
            partnership_id,
            user_id,
            action: "offer_level.moved",
            entity: "offer_level",
            entity_id: level.id,
            before: Some(serde_json::json!({"year": offer.year, "name": level.name, "place": at + 1})),
            after: Some(serde_json::json!({"year": offer.year, "name": level.name, "place": other_at + 1})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// How many memberships (of any date) hold a level.
pub async fn members_of_level(db: &impl ConnectionTrait, level_id: i64) -> Result<u64, ServiceError> {
    Ok(membership::Entity::find().filter(membership::Column::LevelId.eq(level_id)).count(db).await?)
}

/// Removes a level nobody holds; an offer keeps at least one level.
pub async fn remove_level<C>(
    db: &C,
    partnership_id: i64,
    year: &str,
    level_name: &str,
    user_id: Option<i64>,
) -> Result<(), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let offer = offer_for(db, partnership_id, year).await?;
    let level = level_of(&offer, level_name)?;
    if offer.levels.len() == 1 {
        return Err(ServiceError::invalid(
            "level",
            format!("{} is the offer's only level: add another before removing it", level.name),
        ));
    }
    let txn = crate::services::begin_write(db).await?;
    let members = members_of_level(&txn, level.id).await?;
    if members > 0 {
        return Err(ServiceError::invalid(
            "level",
            format!(
                "{} cannot be removed: {members} membership{} use it. Move them to another level first",
                level.name,
                if members == 1 { "" } else { "s" }
            ),
        ));
    }
    let model = offer_level::Entity::find_by_id(level.id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound("level".into()))?;
    let before = snapshot(&model, &offer.year);
    offer_level::Entity::delete_by_id(level.id).exec(&txn).await?;
    audit::record(
        &txn,
        Event {
            partnership_id,
            user_id,
            action: "offer_level.removed",
            entity: "offer_level",
            entity_id: level.id,
            before: Some(before),
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// How many invoices (of any state) a year already has.
pub async fn invoices_in_year(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
) -> Result<u64, ServiceError> {
    Ok(invoice::Entity::find()
        .filter(invoice::Column::PartnershipId.eq(partnership_id))
        .filter(invoice::Column::Year.eq(year.trim()))
        .count(db)
        .await?)
}

/// Changes an offer's billing plan, part-year unit and discounts. The plan cannot change once
/// the year has invoices: its periods would no longer match what was billed.
#[allow(clippy::too_many_arguments)]
pub async fn update_terms<C>(
    db: &C,
    partnership_id: i64,
    year: &str,
    plan: &str,
    unit: &str,
    trust: &str,
    first: &str,
    user_id: Option<i64>,
) -> Result<Offer, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let offer = offer_for(db, partnership_id, year).await?;
    let mut errors = Vec::new();
    let terms = check_terms(plan, Some(unit), Some(trust), Some(first), &mut errors);
    if let Some(t) = &terms
        && t.plan != offer.billing_plan
    {
        let invoices = invoices_in_year(db, partnership_id, year).await?;
        if invoices > 0 {
            errors.push(field(
                "billing_plan",
                format!(
                    "{} already has {invoices} invoice{}, so its billing plan cannot change",
                    offer.year,
                    if invoices == 1 { "" } else { "s" }
                ),
            ));
        }
    }
    let (Some(terms), true) = (terms, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let txn = crate::services::begin_write(db).await?;
    let model = offer::Entity::find_by_id(offer.id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound("offer".into()))?;
    let shot = |m: &offer::Model| serde_json::json!({"billing_plan": m.billing_plan, "pro_rata_unit": m.pro_rata_unit, "trust_discount_percent": m.trust_discount_percent, "first_year_discount_percent": m.first_year_discount_percent});
    let before = shot(&model);
    let mut active: offer::ActiveModel = model.into();
    active.billing_plan = Set(terms.plan.as_str().to_string());
    active.pro_rata_unit = Set(terms.unit.as_str().to_string());
    active.trust_discount_percent = Set(terms.trust.to_string());
    active.first_year_discount_percent = Set(terms.first.to_string());
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        Event {
            partnership_id,
            user_id,
            action: "offer.changed",
            entity: "offer",
            entity_id: updated.id,
            before: Some(before),
            after: Some(shot(&updated)),
        },
    )
    .await?;
    txn.commit().await?;
    offer_for(db, partnership_id, year).await
}

/// The typed form of an existing offer, for a new year: the same plan, discounts and levels.
pub fn copy_for(offer: &Offer, year: &str) -> NewOffer {
    NewOffer {
        year: year.to_string(),
        billing_plan: offer.billing_plan.as_str().to_string(),
        pro_rata_unit: Some(offer.pro_rata_unit.as_str().to_string()),
        trust_discount_percent: Some(offer.discounts.trust_percent.to_string()),
        first_year_discount_percent: Some(offer.discounts.first_year_percent.to_string()),
        levels: offer
            .levels
            .iter()
            .map(|l| NewLevel {
                name: l.name.clone(),
                description: l.description.clone(),
                fee_rule: serde_json::to_value(&l.rule).unwrap_or(serde_json::Value::Null),
                vat_rate: l.vat_rate.as_str().to_string(),
            })
            .collect(),
    }
}
