//! A partnership's membership offer for a year: its levels, fee rules, VAT and billing plan.

use super::audit::{self, Event};
use super::{FieldError, OrClash, ServiceError, read_stored};
use crate::domain::fees::{Discounts, FeeRule};
use crate::domain::instalments::BillingPlan;
use crate::domain::partnership::{MembershipYear, YearKind};
use crate::domain::pro_rata::ProRataUnit;
use crate::domain::text::{self, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS};
use crate::domain::vat::VatRate;
use entity::{offer, offer_level};

mod levels;
mod preview;
pub use levels::*;
pub use preview::*;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

/// One level of an offer, e.g. Core or Standard.
#[derive(Debug, Clone, Serialize)]
pub struct Level {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub rule: FeeRule,
    pub vat_rate: VatRate,
}

/// An offer as billing and pages see it.
#[derive(Debug, Clone, Serialize)]
pub struct Offer {
    pub id: i64,
    pub year: String,
    pub billing_plan: BillingPlan,
    pub pro_rata_unit: ProRataUnit,
    pub discounts: Discounts,
    pub levels: Vec<Level>,
}

/// A level as typed: the rule is JSON text.
#[derive(Debug, Clone, Deserialize)]
pub struct NewLevel {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub fee_rule: serde_json::Value,
    pub vat_rate: String,
}

/// An offer as typed.
#[derive(Debug, Clone, Deserialize)]
pub struct NewOffer {
    pub year: String,
    pub billing_plan: String,
    #[serde(default)]
    pub pro_rata_unit: Option<String>,
    #[serde(default)]
    pub trust_discount_percent: Option<String>,
    #[serde(default)]
    pub first_year_discount_percent: Option<String>,
    pub levels: Vec<NewLevel>,
}

fn field(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError { field: field.into(), message: message.into() }
}

fn parse_percent(name: &str, text: Option<&str>, errors: &mut Vec<FieldError>) -> Decimal {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Decimal::ZERO,
        Some(t) => match t.trim_end_matches('%').parse::<Decimal>() {
            Ok(v) if v >= Decimal::ZERO && v <= Decimal::ONE_HUNDRED => v,
            _ => {
                errors.push(field(name, format!("\"{t}\" is not a percentage between 0 and 100")));
                Decimal::ZERO
            }
        },
    }
}

/// An offer's plan, part-year unit and discounts, checked.
pub struct Terms {
    pub plan: BillingPlan,
    pub unit: ProRataUnit,
    pub trust: Decimal,
    pub first: Decimal,
}

/// Checks an offer's typed plan, part-year unit and discounts (blank unit: whole months; blank
/// discount: none).
pub fn check_terms(
    plan: &str,
    unit: Option<&str>,
    trust: Option<&str>,
    first: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<Terms> {
    let plan_read = BillingPlan::parse(plan);
    if plan_read.is_none() {
        errors.push(field("billing_plan", format!("\"{plan}\" is not annual, termly or monthly")));
    }
    let unit = match unit.map(str::trim) {
        None | Some("") | Some("months") => Some(ProRataUnit::Months),
        Some("days") => Some(ProRataUnit::Days),
        Some(other) => {
            errors.push(field("pro_rata_unit", format!("\"{other}\" is not months or days")));
            None
        }
    };
    let trust = parse_percent("trust_discount_percent", trust, errors);
    let first = parse_percent("first_year_discount_percent", first, errors);
    Some(Terms { plan: plan_read?, unit: unit?, trust, first })
}

/// A rule as stored: its JSON.
fn rule_json(rule: &FeeRule) -> Result<String, ServiceError> {
    serde_json::to_string(rule).map_err(|e| ServiceError::invalid("fee_rule", e.to_string()))
}

/// Checks a typed level, returning its rule and VAT rate or the problems (named by `prefix`).
pub fn check_level(
    prefix: &str,
    level: &NewLevel,
    errors: &mut Vec<FieldError>,
) -> Option<(FeeRule, VatRate)> {
    if let Err(message) = text::required(&level.name, MAX_NAME_CHARS, "give the level a name, e.g. Core") {
        errors.push(field(format!("{prefix}.name"), message));
    }
    if let Err(message) = text::optional(&level.description, MAX_DESCRIPTION_CHARS) {
        errors.push(field(format!("{prefix}.description"), message));
    }
    let rule = match FeeRule::from_json(&level.fee_rule.to_string()) {
        Ok(rule) => Some(rule),
        Err(e) => {
            errors.push(field(format!("{prefix}.fee_rule"), e.to_string()));
            None
        }
    };
    let vat = VatRate::parse(&level.vat_rate);
    if vat.is_none() {
        errors.push(field(
            format!("{prefix}.vat_rate"),
            format!(
                "\"{}\" is not a VAT rate (standard, reduced, zero, exempt or outside_scope)",
                level.vat_rate
            ),
        ));
    }
    Some((rule?, vat?))
}

/// Creates the offer for a year with its levels; everything is checked first and nothing is
/// written when anything is wrong.
pub async fn create<C>(
    db: &C,
    partnership_id: i64,
    year_kind: YearKind,
    new: &NewOffer,
    user_id: Option<i64>,
) -> Result<Offer, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let mut errors = Vec::new();
    if MembershipYear::parse(year_kind, &new.year).is_none() {
        errors.push(field("year", format!("\"{}\" is not a membership year like 2025-26", new.year)));
    }
    let terms = check_terms(
        &new.billing_plan,
        new.pro_rata_unit.as_deref(),
        new.trust_discount_percent.as_deref(),
        new.first_year_discount_percent.as_deref(),
        &mut errors,
    );
    if new.levels.is_empty() {
        errors.push(field("levels", "an offer needs at least one level"));
    }
    let mut checked = Vec::new();
    for (i, level) in new.levels.iter().enumerate() {
        if let Some(ok) = check_level(&format!("levels[{i}]"), level, &mut errors) {
            checked.push(ok);
        }
        if new.levels[..i].iter().any(|l| l.name.trim().eq_ignore_ascii_case(level.name.trim())) {
            errors.push(field(
                format!("levels[{i}].name"),
                format!("there is already a level called {}", level.name),
            ));
        }
    }
    if find(db, partnership_id, &new.year).await?.is_some() {
        errors.push(field("year", format!("there is already an offer for {}", new.year)));
    }
    let (Some(Terms { plan, unit, trust, first }), true) = (terms, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let txn = crate::services::begin_write(db).await?;
    let created = offer::ActiveModel {
        partnership_id: Set(partnership_id),
        year: Set(new.year.trim().to_string()),
        billing_plan: Set(plan.as_str().to_string()),
        pro_rata_unit: Set(unit.as_str().to_string()),
        trust_discount_percent: Set(trust.to_string()),
        first_year_discount_percent: Set(first.to_string()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .or_clash("year", format!("there is already an offer for {}", new.year.trim()))?;
    for (position, (level, (rule, vat))) in new.levels.iter().zip(checked).enumerate() {
        offer_level::ActiveModel {
            offer_id: Set(created.id),
            name: Set(level.name.trim().to_string()),
            description: Set(level.description.trim().to_string()),
            fee_rule: Set(rule_json(&rule)?),
            vat_rate: Set(vat.as_str().to_string()),
            position: Set(position as i32),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        Event {
            partnership_id,
            user_id,
            action: "offer.created",
            entity: "offer",
            entity_id: created.id,
            before: None,
            after: Some(serde_json::json!({ "year": new.year, "billing_plan": plan.as_str(), "levels": new.levels.iter().map(|l| serde_json::json!({"name": l.name, "fee_rule": l.fee_rule, "vat_rate": l.vat_rate})).collect::<Vec<_>>() })),
        },
    )
    .await?;
    txn.commit().await?;
    find(db, partnership_id, &new.year).await?.ok_or_else(|| ServiceError::NotFound("the new offer".into()))
}

/// The offer for a year, with its levels in order.
pub async fn find(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
) -> Result<Option<Offer>, ServiceError> {
    let Some(model) = offer::Entity::find()
        .filter(offer::Column::PartnershipId.eq(partnership_id))
        .filter(offer::Column::Year.eq(year.trim()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(load(db, model).await?))
}

/// Every offer of the partnership, newest year first.
pub async fn list(db: &impl ConnectionTrait, partnership_id: i64) -> Result<Vec<Offer>, ServiceError> {
    let models = offer::Entity::find()
        .filter(offer::Column::PartnershipId.eq(partnership_id))
        .order_by_desc(offer::Column::Year)
        .all(db)
        .await?;
    // Every offer's levels in one query rather than one a year.
    let mut levels: std::collections::HashMap<i64, Vec<offer_level::Model>> =
        std::collections::HashMap::new();
    if !models.is_empty() {
        for l in offer_level::Entity::find()
            .filter(offer_level::Column::OfferId.is_in(models.iter().map(|m| m.id).collect::<Vec<_>>()))
            .order_by_asc(offer_level::Column::Position)
            .all(db)
            .await?
        {
            levels.entry(l.offer_id).or_default().push(l);
        }
    }
    models
        .into_iter()
        .map(|m| {
            let of_offer = levels.remove(&m.id).unwrap_or_default();
            from_models(m, of_offer)
        })
        .collect()
}

/// [`list`] for pages that only show the offers (the memberships list and its fees): kept while
/// nothing is written ([`crate::services::counts::kept`]), so a page of the list does not read
/// and check every offer and fee rule again. Never for billing, which reads them afresh.
pub async fn list_kept(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<std::sync::Arc<Vec<Offer>>, ServiceError> {
    crate::services::counts::kept(|| format!("offers of partnership {partnership_id}"), async {
        list(db, partnership_id).await.map(std::sync::Arc::new)
    })
    .await
}

async fn load(db: &impl ConnectionTrait, model: offer::Model) -> Result<Offer, ServiceError> {
    let levels = offer_level::Entity::find()
        .filter(offer_level::Column::OfferId.eq(model.id))
        .order_by_asc(offer_level::Column::Position)
        .all(db)
        .await?;
    from_models(model, levels)
}

/// An offer from its stored row and its levels' rows (in order), each read strictly.
fn from_models(model: offer::Model, levels: Vec<offer_level::Model>) -> Result<Offer, ServiceError> {
    let levels = levels.into_iter().map(Level::try_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Offer {
        id: model.id,
        billing_plan: read_stored("offers", "billing_plan", &model.billing_plan)?,
        pro_rata_unit: read_stored("offers", "pro_rata_unit", &model.pro_rata_unit)?,
        discounts: Discounts {
            trust_percent: read_stored("offers", "trust_discount_percent", &model.trust_discount_percent)?,
            first_year_percent: read_stored(
                "offers",
                "first_year_discount_percent",
                &model.first_year_discount_percent,
            )?,
        },
        year: model.year,
        levels,
    })
}

/// A stored level, its fee rule read by the one checking reader: a level whose rule does not
/// read is an error naming it, never a level that silently disappears.
impl TryFrom<offer_level::Model> for Level {
    type Error = ServiceError;

    fn try_from(l: offer_level::Model) -> Result<Level, ServiceError> {
        let rule = FeeRule::from_json(&l.fee_rule).map_err(|e| ServiceError::Corrupt {
            table: "offer_levels",
            column: "fee_rule",
            value: l.fee_rule.clone(),
            reason: e.to_string(),
        })?;
        Ok(Level {
            id: l.id,
            vat_rate: read_stored("offer_levels", "vat_rate", &l.vat_rate)?,
            name: l.name,
            description: l.description,
            rule,
        })
    }
}
