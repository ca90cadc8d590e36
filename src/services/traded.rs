//! The traded-services catalogue: each partnership's services with a price list per year, and
//! the price a school pays for one on a date (from its membership that day, its phase and its
//! pupils, by [`crate::domain::traded::unit_price`]).

use super::{FieldError, ServiceError, audit, begin_write, read_stored};
use crate::domain::fees::FeeRule;
use crate::domain::partnership::MembershipYear;
use crate::domain::school::Urn;
use crate::domain::text;
use crate::domain::traded::{self, Buyer, Category, Invoicing, PriceList, Unit};
use crate::domain::vat::VatRate;
use crate::services::partnerships::Partnership;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{membership, offer_level, school, service, service_price};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A year's prices as sent: each a fee rule (`{"flat": "650.00"}`, `{"by_phase": …}`, …).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPrices {
    pub year: String,
    pub member: Value,
    #[serde(default)]
    pub non_member: Option<Value>,
    #[serde(default)]
    pub by_level: BTreeMap<String, Value>,
}

/// A service as sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewService {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub category: String,
    pub unit: String,
    pub vat_rate: String,
    pub invoicing: String,
    /// The income stream it reports under: traded_services (the default), memberships,
    /// la_commission, other_commission or grant.
    #[serde(default)]
    pub income_stream: Option<String>,
    pub active_from: NaiveDate,
    #[serde(default)]
    pub active_to: Option<NaiveDate>,
    #[serde(default)]
    pub accounting_code: Option<String>,
    #[serde(default)]
    pub prices: Vec<NewPrices>,
    /// Units of the service a membership level includes in a year.
    #[serde(default)]
    pub entitlements: Vec<NewEntitlement>,
}

/// "The Standard level of 2026-27 includes 2 days."
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEntitlement {
    pub year: String,
    pub level: String,
    pub units: rust_decimal::Decimal,
}

/// One year's prices as read back, each rule with its words.
#[derive(Debug, Clone, Serialize)]
pub struct PricesView {
    pub year: String,
    pub member: Value,
    pub member_in_words: String,
    pub non_member: Option<Value>,
    pub non_member_in_words: Option<String>,
    pub by_level: BTreeMap<String, Value>,
}

/// A service as read back.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub category: &'static str,
    pub category_label: &'static str,
    pub unit: &'static str,
    pub vat_rate: &'static str,
    pub invoicing: &'static str,
    pub income_stream: String,
    pub active_from: NaiveDate,
    pub active_to: Option<NaiveDate>,
    pub accounting_code: Option<String>,
    pub prices: Vec<PricesView>,
}

fn rule_at(value: &Value, field: &str, errors: &mut Vec<FieldError>) -> Option<FeeRule> {
    match FeeRule::from_json(&value.to_string()) {
        Ok(rule) => Some(rule),
        Err(e) => {
            errors.push(FieldError { field: field.into(), message: e.to_string() });
            None
        }
    }
}

/// Adds a service with its price lists; every problem is named by its field.
pub async fn create<C>(
    db: &C,
    partnership: &Partnership,
    new: &NewService,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<ServiceView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let mut errors = Vec::new();
    let mut problem = |field: &str, message: String| errors.push(FieldError { field: field.into(), message });
    let name = text::required(&new.name, text::MAX_NAME_CHARS, "enter the service's name")
        .map_err(|m| problem("name", m))
        .ok();
    let description = text::optional(&new.description, text::MAX_DESCRIPTION_CHARS)
        .map_err(|m| problem("description", m))
        .ok()
        .flatten()
        .unwrap_or_default();
    let category = Category::parse(&new.category);
    if category.is_none() {
        problem(
            "category",
            format!(
                "\"{}\" is not a category: use one of {}",
                new.category,
                Category::ALL.map(Category::as_str).join(", ")
            ),
        );
    }
    let unit = Unit::parse(&new.unit);
    if unit.is_none() {
        problem(
            "unit",
            format!("\"{}\" is not a unit: use one of {}", new.unit, Unit::ALL.map(Unit::as_str).join(", ")),
        );
    }
    let vat = VatRate::parse(&new.vat_rate);
    if vat.is_none() {
        problem(
            "vat_rate",
            format!(
                "\"{}\" is not a VAT rate: standard, reduced, zero, exempt or outside_scope",
                new.vat_rate
            ),
        );
    }
    let invoicing = Invoicing::parse(&new.invoicing);
    if invoicing.is_none() {
        problem(
            "invoicing",
            format!(
                "\"{}\" is not when a service is invoiced: on_confirmation, on_delivery or monthly_in_arrears",
                new.invoicing
            ),
        );
    }
    let stream =
        new.income_stream.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("traded_services");
    if !traded::INCOME_STREAMS.iter().any(|(k, _)| *k == stream) {
        problem(
            "income_stream",
            format!(
                "\"{}\" is not an income stream: use one of {}",
                stream.chars().take(40).collect::<String>(),
                traded::INCOME_STREAMS.map(|(k, _)| k).join(", ")
            ),
        );
    }
    let stream = stream.to_string();
    if new.active_to.is_some_and(|to| to < new.active_from) {
        problem("active_to", "the service stops before it starts".into());
    }
    let code = match new.accounting_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) if c.chars().count() > 50 || c.chars().any(char::is_control) => {
            problem("accounting_code", "an accounting code is at most 50 characters".into());
            None
        }
        other => other.map(String::from),
    };
    if new.prices.len() > 20 {
        problem("prices", "give at most 20 years' price lists at once".into());
    }
    let mut years = Vec::new();
    for (i, p) in new.prices.iter().enumerate() {
        if p.by_level.len() > 20 {
            problem(&format!("prices[{i}].by_level"), "give at most 20 levels' prices".into());
        }
        for level in p.by_level.keys() {
            if level.trim().is_empty() || level.chars().count() > text::MAX_NAME_CHARS {
                problem(
                    &format!("prices[{i}].by_level"),
                    format!("\"{}\" is not a level's name", level.chars().take(50).collect::<String>()),
                );
            }
        }
        if MembershipYear::parse(partnership.year_kind, &p.year).is_none() {
            problem(
                &format!("prices[{i}].year"),
                format!("\"{}\" is not a membership year like 2026-27", p.year),
            );
        }
        if years.contains(&p.year) {
            problem(&format!("prices[{i}].year"), format!("{} has two price lists", p.year));
        }
        years.push(p.year.clone());
    }
    for (i, p) in new.prices.iter().enumerate() {
        rule_at(&p.member, &format!("prices[{i}].member"), &mut errors);
        if let Some(n) = &p.non_member {
            rule_at(n, &format!("prices[{i}].non_member"), &mut errors);
        }
        for (level, rule) in &p.by_level {
            rule_at(rule, &format!("prices[{i}].by_level.{level}"), &mut errors);
        }
    }
    let mut level_ids = Vec::new();
    for (i, e) in new.entitlements.iter().enumerate() {
        if e.units <= rust_decimal::Decimal::ZERO
            || e.units > rust_decimal::Decimal::from(1000)
            || e.units.scale() > 2
        {
            errors.push(FieldError {
                field: format!("entitlements[{i}].units"),
                message: "units must be more than 0 and at most 1000, to two decimal places".into(),
            });
        }
        let level = level_named(db, partnership.id, &e.year, &e.level).await?;
        match level {
            Some(l) => level_ids.push((l.id, e.units)),
            None => errors.push(FieldError {
                field: format!("entitlements[{i}].level"),
                message: format!("the {} offer has no level \"{}\"", e.year, e.level),
            }),
        }
    }
    let (Some(name), Some(category), Some(unit), Some(vat), Some(invoicing), true) =
        (name, category, unit, vat, invoicing, errors.is_empty())
    else {
        return Err(ServiceError::Invalid(errors));
    };
    let txn = begin_write(db).await?;
    let row = service::ActiveModel {
        partnership_id: Set(partnership.id),
        name: Set(name),
        description: Set(description),
        category: Set(category.as_str().into()),
        unit: Set(unit.as_str().into()),
        vat_rate: Set(vat.as_str().into()),
        income_stream: Set(stream),
        invoicing: Set(invoicing.as_str().into()),
        active_from: Set(new.active_from),
        active_to: Set(new.active_to),
        accounting_code: Set(code),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            ServiceError::invalid("name", "a service with that name is already in the catalogue")
        }
        _ => ServiceError::Database(e),
    })?;
    for p in &new.prices {
        service_price::ActiveModel {
            service_id: Set(row.id),
            year: Set(p.year.clone()),
            member_rule: Set(p.member.to_string()),
            non_member_rule: Set(p.non_member.as_ref().map(Value::to_string)),
            level_rules: Set(serde_json::to_string(&p.by_level).unwrap_or_else(|_| "{}".into())),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    for (level_id, units) in level_ids {
        entity::level_entitlement::ActiveModel {
            offer_level_id: Set(level_id),
            service_id: Set(row.id),
            units: Set(units.normalize().to_string()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        audit::Event {
            partnership_id: partnership.id,
            user_id,
            action: "service.created",
            entity: "service",
            entity_id: row.id,
            before: None,
            after: Some(serde_json::json!({ "name": row.name, "category": row.category, "unit": row.unit })),
        },
    )
    .await?;
    txn.commit().await?;
    get(db, partnership.id, row.id).await
}

/// A year's price list as sent to replace it (the year is in the address).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearPrices {
    pub member: Value,
    #[serde(default)]
    pub non_member: Option<Value>,
    #[serde(default)]
    pub by_level: BTreeMap<String, Value>,
}

/// Sets (or replaces) a service's price list for one year; orders already placed keep the price
/// they were placed at.
pub async fn set_prices<C>(
    db: &C,
    partnership: &Partnership,
    service_id: i64,
    year: &str,
    prices: &YearPrices,
    user_id: Option<i64>,
) -> Result<ServiceView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let found = get(db, partnership.id, service_id).await?;
    let mut errors = Vec::new();
    if MembershipYear::parse(partnership.year_kind, year).is_none() {
        errors.push(FieldError {
            field: "year".into(),
            message: format!("\"{year}\" is not a membership year like 2026-27"),
        });
    }
    rule_at(&prices.member, "member", &mut errors);
    if let Some(n) = &prices.non_member {
        rule_at(n, "non_member", &mut errors);
    }
    if prices.by_level.len() > 20 {
        errors
            .push(FieldError { field: "by_level".into(), message: "give at most 20 levels' prices".into() });
    }
    for (level, rule) in &prices.by_level {
        if level.trim().is_empty() || level.chars().count() > text::MAX_NAME_CHARS {
            errors.push(FieldError {
                field: "by_level".into(),
                message: "a level's name is 1 to 200 characters".into(),
            });
        }
        rule_at(rule, &format!("by_level.{level}"), &mut errors);
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let txn = begin_write(db).await?;
    let before = found.prices.iter().find(|p| p.year == year).map(|p| {
        serde_json::json!({
            "member": p.member_in_words, "non_member": p.non_member_in_words,
        })
    });
    service_price::Entity::delete_many()
        .filter(service_price::Column::ServiceId.eq(service_id))
        .filter(service_price::Column::Year.eq(year))
        .exec(&txn)
        .await?;
    service_price::ActiveModel {
        service_id: Set(service_id),
        year: Set(year.to_string()),
        member_rule: Set(prices.member.to_string()),
        non_member_rule: Set(prices.non_member.as_ref().map(Value::to_string)),
        level_rules: Set(serde_json::to_string(&prices.by_level).unwrap_or_else(|_| "{}".into())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Event {
            partnership_id: partnership.id,
            user_id,
            action: "service.prices_set",
            entity: "service",
            entity_id: service_id,
            before,
            after: Some(
                serde_json::json!({ "year": year, "member": prices.member, "non_member": prices.non_member }),
            ),
        },
    )
    .await?;
    txn.commit().await?;
    get(db, partnership.id, service_id).await
}

fn stored_rule(column: &'static str, text: &str) -> Result<FeeRule, ServiceError> {
    FeeRule::from_json(text).map_err(|e| ServiceError::Corrupt {
        table: "service_prices",
        column,
        value: text.chars().take(200).collect(),
        reason: e.to_string(),
    })
}

fn price_list(p: &service_price::Model) -> Result<PriceList, ServiceError> {
    let levels: BTreeMap<String, Value> =
        serde_json::from_str(&p.level_rules).map_err(|e| ServiceError::Corrupt {
            table: "service_prices",
            column: "level_rules",
            value: p.level_rules.chars().take(200).collect(),
            reason: e.to_string(),
        })?;
    Ok(PriceList {
        member: stored_rule("member_rule", &p.member_rule)?,
        non_member: p.non_member_rule.as_deref().map(|t| stored_rule("non_member_rule", t)).transpose()?,
        by_level: levels
            .iter()
            .map(|(name, v)| stored_rule("level_rules", &v.to_string()).map(|r| (name.clone(), r)))
            .collect::<Result<_, _>>()?,
    })
}

fn view(m: service::Model, prices: Vec<service_price::Model>) -> Result<ServiceView, ServiceError> {
    let category: Category = Category::parse(&m.category).ok_or_else(|| ServiceError::Corrupt {
        table: "services",
        column: "category",
        value: m.category.clone(),
        reason: "not a category".into(),
    })?;
    let unit = Unit::parse(&m.unit).ok_or_else(|| ServiceError::Corrupt {
        table: "services",
        column: "unit",
        value: m.unit.clone(),
        reason: "not a unit".into(),
    })?;
    let vat: VatRate = read_stored("services", "vat_rate", &m.vat_rate)?;
    let invoicing = Invoicing::parse(&m.invoicing).ok_or_else(|| ServiceError::Corrupt {
        table: "services",
        column: "invoicing",
        value: m.invoicing.clone(),
        reason: "not when a service is invoiced".into(),
    })?;
    let mut lists = Vec::new();
    for p in prices {
        let list = price_list(&p)?;
        lists.push(PricesView {
            year: p.year.clone(),
            member: serde_json::from_str(&p.member_rule).unwrap_or(Value::Null),
            member_in_words: unit.describe(&list.member),
            non_member: p.non_member_rule.as_deref().and_then(|t| serde_json::from_str(t).ok()),
            non_member_in_words: list.non_member.as_ref().map(|r| unit.describe(r)),
            by_level: serde_json::from_str(&p.level_rules).unwrap_or_default(),
        });
    }
    Ok(ServiceView {
        id: m.id,
        name: m.name,
        description: m.description,
        category: category.as_str(),
        category_label: category.label(),
        unit: unit.as_str(),
        vat_rate: vat.as_str(),
        invoicing: invoicing.as_str(),
        income_stream: m.income_stream,
        active_from: m.active_from,
        active_to: m.active_to,
        accounting_code: m.accounting_code,
        prices: lists,
    })
}

/// One service of the partnership, with its price lists.
pub async fn get(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
) -> Result<ServiceView, ServiceError> {
    let m = service::Entity::find_by_id(id)
        .filter(service::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("service {id}")))?;
    let prices = service_price::Entity::find()
        .filter(service_price::Column::ServiceId.eq(id))
        .order_by_asc(service_price::Column::Year)
        .all(db)
        .await?;
    view(m, prices)
}

/// The partnership's catalogue, by name.
pub async fn list(db: &impl ConnectionTrait, partnership_id: i64) -> Result<Vec<ServiceView>, ServiceError> {
    let services = service::Entity::find()
        .filter(service::Column::PartnershipId.eq(partnership_id))
        .order_by_asc(service::Column::Name)
        .all(db)
        .await?;
    let ids: Vec<i64> = services.iter().map(|s| s.id).collect();
    let mut prices: BTreeMap<i64, Vec<service_price::Model>> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        for p in service_price::Entity::find()
            .filter(service_price::Column::ServiceId.is_in(chunk.to_vec()))
            .order_by_asc(service_price::Column::Year)
            .all(db)
            .await?
        {
            prices.entry(p.service_id).or_default().push(p);
        }
    }
    services
        .into_iter()
        .map(|s| {
            let p = prices.remove(&s.id).unwrap_or_default();
            view(s, p)
        })
        .collect()
}

/// The price a school pays for a service on a date, and why.
#[derive(Debug, Clone, Serialize)]
pub struct PriceAnswer {
    pub service_id: i64,
    pub urn: i32,
    pub school: String,
    pub date: NaiveDate,
    pub year: String,
    pub member: bool,
    pub level: Option<String>,
    /// Pounds and pence, e.g. "650.00".
    pub unit_price: String,
    pub why: String,
}

/// A service priced for a school on a date.
#[derive(Debug, Clone)]
pub struct Quote {
    pub service: ServiceView,
    pub year: String,
    pub level: Option<String>,
    pub unit: traded::UnitPrice,
    /// Units of the service the school's level includes in the year.
    pub included: rust_decimal::Decimal,
}

/// What `s` pays for one unit of the service on `date`: by its membership that day.
pub async fn quote(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    service_id: i64,
    s: &school::Model,
    date: NaiveDate,
) -> Result<Quote, ServiceError> {
    let found = get(db, partnership.id, service_id).await?;
    if date < found.active_from || found.active_to.is_some_and(|to| date > to) {
        return Err(ServiceError::invalid("date", format!("{} is not offered on {date}", found.name)));
    }
    let year = partnership
        .year_kind
        .year_containing(date)
        .ok_or_else(|| {
            ServiceError::invalid("date", format!("{date} is outside the years this service can price"))
        })?
        .label();
    let row = service_price::Entity::find()
        .filter(service_price::Column::ServiceId.eq(service_id))
        .filter(service_price::Column::Year.eq(year.clone()))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Conflict(format!("{} has no prices for {year}", found.name)))?;
    let list = price_list(&row)?;
    let on_the_day = membership::Entity::find()
        .filter(membership::Column::PartnershipId.eq(partnership.id))
        .filter(membership::Column::SchoolId.eq(s.id))
        .filter(membership::Column::StartsOn.lte(date))
        .all(db)
        .await?
        .into_iter()
        .filter(|m| m.ends_on.is_none_or(|end| end >= date))
        .max_by_key(|m| m.starts_on);
    let level = match &on_the_day {
        Some(m) => offer_level::Entity::find_by_id(m.level_id).one(db).await?,
        None => None,
    };
    let included = match &level {
        Some(l) => included_units(db, l.id, service_id).await?,
        None => rust_decimal::Decimal::ZERO,
    };
    let figures = crate::services::register::pupil_figures(db, &[s.id]).await?;
    let pupils =
        crate::services::register::pupils_in_force(&figures, s.id, date).and_then(|p| u32::try_from(p).ok());
    let level_name = level.map(|l| l.name);
    let buyer =
        Buyer { level: level_name.clone(), phase: crate::services::register::billing_phase_of(s)?, pupils };
    let unit =
        traded::unit_price(&list, &buyer).map_err(|e| ServiceError::Conflict(format!("{}: {e}", s.name)))?;
    Ok(Quote { service: found, year, level: level_name, unit, included })
}

/// The level of a year's offer with `name`, if the offer and the level exist.
pub async fn level_named(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
    name: &str,
) -> Result<Option<offer_level::Model>, ServiceError> {
    let Some(offer) = entity::offer::Entity::find()
        .filter(entity::offer::Column::PartnershipId.eq(partnership_id))
        .filter(entity::offer::Column::Year.eq(year))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(offer_level::Entity::find()
        .filter(offer_level::Column::OfferId.eq(offer.id))
        .filter(offer_level::Column::Name.eq(name))
        .one(db)
        .await?)
}

/// Units of a service a membership level includes in its year (none when it says nothing).
pub async fn included_units(
    db: &impl ConnectionTrait,
    level_id: i64,
    service_id: i64,
) -> Result<rust_decimal::Decimal, ServiceError> {
    match entity::level_entitlement::Entity::find()
        .filter(entity::level_entitlement::Column::OfferLevelId.eq(level_id))
        .filter(entity::level_entitlement::Column::ServiceId.eq(service_id))
        .one(db)
        .await?
    {
        Some(e) => read_stored("level_entitlements", "units", &e.units),
        None => Ok(rust_decimal::Decimal::ZERO),
    }
}

/// The school of the partnership with `urn`.
pub async fn school_by_urn(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    urn: &str,
) -> Result<school::Model, ServiceError> {
    let urn = Urn::parse(urn).map_err(|m| ServiceError::invalid("urn", m))?;
    school::Entity::find()
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .filter(school::Column::Urn.eq(urn.value()))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("school {}", urn.value())))
}

/// What school `urn` (in `scope`) pays for one unit of the service on `date`, and why.
pub async fn price_for(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    service_id: i64,
    urn: &str,
    date: NaiveDate,
    scope: crate::domain::role::SchoolScope,
) -> Result<PriceAnswer, ServiceError> {
    get(db, partnership.id, service_id).await?;
    let s = school_by_urn(db, partnership.id, urn).await?;
    // A school's own people see their own schools' prices only.
    if !scope.includes(s.id, s.trust_id) {
        return Err(ServiceError::NotFound(format!("school {}", s.urn)));
    }
    let q = quote(db, partnership, service_id, &s, date).await?;
    Ok(PriceAnswer {
        service_id,
        urn: s.urn,
        school: s.name,
        date,
        year: q.year,
        member: q.level.is_some(),
        level: q.level,
        unit_price: q.unit.amount.amount().to_string(),
        why: q.unit.why,
    })
}

/// "The Standard level of 2026-27 includes 2 days of this service."
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Entitlement {
    pub year: String,
    pub level: String,
    pub units: rust_decimal::Decimal,
}

/// What each level of each year includes of a service, by year then the level's order.
pub async fn entitlements(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    service_id: i64,
) -> Result<Vec<Entitlement>, ServiceError> {
    let rows = entity::level_entitlement::Entity::find()
        .filter(entity::level_entitlement::Column::ServiceId.eq(service_id))
        .all(db)
        .await?;
    let level_ids: Vec<i64> = rows.iter().map(|r| r.offer_level_id).collect();
    let levels = offer_level::Entity::find().filter(offer_level::Column::Id.is_in(level_ids)).all(db).await?;
    let offer_ids: Vec<i64> = levels.iter().map(|l| l.offer_id).collect();
    let offers = entity::offer::Entity::find()
        .filter(entity::offer::Column::Id.is_in(offer_ids))
        .filter(entity::offer::Column::PartnershipId.eq(partnership_id))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let Some(level) = levels.iter().find(|l| l.id == r.offer_level_id) else { continue };
        let Some(offer) = offers.iter().find(|o| o.id == level.offer_id) else { continue };
        out.push((
            offer.year.clone(),
            level.position,
            Entitlement {
                year: offer.year.clone(),
                level: level.name.clone(),
                units: read_stored("level_entitlements", "units", &r.units)?,
            },
        ));
    }
    out.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    Ok(out.into_iter().map(|(_, _, e)| e).collect())
}

/// Replaces what the levels of one year's offer include of a service: `units` by level name
/// (a level left out includes nothing). Orders already placed keep what they used.
pub async fn set_entitlements<C>(
    db: &C,
    partnership: &Partnership,
    service_id: i64,
    year: &str,
    units: &[(String, rust_decimal::Decimal)],
    user_id: Option<i64>,
) -> Result<(), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    get(db, partnership.id, service_id).await?;
    let offer = entity::offer::Entity::find()
        .filter(entity::offer::Column::PartnershipId.eq(partnership.id))
        .filter(entity::offer::Column::Year.eq(year))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("the {year} offer")))?;
    let levels =
        offer_level::Entity::find().filter(offer_level::Column::OfferId.eq(offer.id)).all(db).await?;
    let mut chosen = Vec::new();
    let mut errors = Vec::new();
    for (name, n) in units {
        if *n < rust_decimal::Decimal::ZERO || *n > rust_decimal::Decimal::from(1000) || n.scale() > 2 {
            errors.push(FieldError {
                field: format!("entitlements.{name}"),
                message: format!("{name}: units must be from 0 to 1000, to two decimal places"),
            });
            continue;
        }
        match levels.iter().find(|l| &l.name == name) {
            Some(l) if !n.is_zero() => chosen.push((l.id, *n)),
            Some(_) => {}
            None => errors.push(FieldError {
                field: format!("entitlements.{name}"),
                message: format!("the {year} offer has no level \"{name}\""),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let txn = begin_write(db).await?;
    let level_ids: Vec<i64> = levels.iter().map(|l| l.id).collect();
    entity::level_entitlement::Entity::delete_many()
        .filter(entity::level_entitlement::Column::ServiceId.eq(service_id))
        .filter(entity::level_entitlement::Column::OfferLevelId.is_in(level_ids))
        .exec(&txn)
        .await?;
    for (level_id, n) in &chosen {
        entity::level_entitlement::ActiveModel {
            offer_level_id: Set(*level_id),
            service_id: Set(service_id),
            units: Set(n.normalize().to_string()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        audit::Event {
            partnership_id: partnership.id,
            user_id,
            action: "service.entitlements_set",
            entity: "service",
            entity_id: service_id,
            before: None,
            after: Some(serde_json::json!({ "year": year, "units": units.iter().map(|(l, n)| (l.clone(), n.normalize().to_string())).collect::<BTreeMap<_, _>>() })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A service's price list for one year, if it has one.
pub async fn price_list_for(
    db: &impl ConnectionTrait,
    service_id: i64,
    year: &str,
) -> Result<Option<PriceList>, ServiceError> {
    service_price::Entity::find()
        .filter(service_price::Column::ServiceId.eq(service_id))
        .filter(service_price::Column::Year.eq(year))
        .one(db)
        .await?
        .as_ref()
        .map(price_list)
        .transpose()
}

/// How much of one service was bought in a year.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TakeUp {
    pub service_id: i64,
    pub service: String,
    pub category: &'static str,
    /// Schools that ordered it or booked a place.
    pub schools: u64,
    /// Of those, schools that were members when they bought.
    pub member_schools: u64,
    /// Orders not cancelled, and places booked (not cancelled or waiting).
    pub orders: u64,
    pub places: u64,
    /// Units ordered and the share of them a membership included.
    pub units: String,
    pub included_units: String,
    /// What it charges before VAT (orders' charged units at their price, places at theirs).
    pub value: String,
}

/// Take-up of each service in a membership year: who bought it, how much, and what it is worth.
pub async fn take_up(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    year: &str,
) -> Result<Vec<TakeUp>, ServiceError> {
    use crate::domain::events::PlaceState;
    use crate::domain::money::Money;
    use std::collections::{BTreeSet, HashMap};
    let span = MembershipYear::parse(partnership.year_kind, year).ok_or_else(|| {
        ServiceError::invalid("year", format!("\"{year}\" is not a membership year like 2026-27"))
    })?;
    let services = list(db, partnership.id).await?;
    let orders = entity::order::Entity::find()
        .filter(entity::order::Column::PartnershipId.eq(partnership.id))
        .filter(entity::order::Column::Year.eq(year))
        .filter(entity::order::Column::State.ne(traded::OrderState::Cancelled.as_str()))
        .all(db)
        .await?;
    let events: HashMap<i64, i64> = entity::event::Entity::find()
        .filter(entity::event::Column::PartnershipId.eq(partnership.id))
        .filter(entity::event::Column::StartsOn.between(span.first_day(), span.last_day()))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.service_id))
        .collect();
    let held = [PlaceState::Booked, PlaceState::Attended, PlaceState::NoShow].map(|s| s.as_str());
    let places = entity::event_place::Entity::find()
        .filter(entity::event_place::Column::EventId.is_in(events.keys().copied().collect::<Vec<_>>()))
        .filter(entity::event_place::Column::State.is_in(held))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for s in services {
        let mine: Vec<&entity::order::Model> = orders.iter().filter(|o| o.service_id == s.id).collect();
        let my_places: Vec<&entity::event_place::Model> =
            places.iter().filter(|p| events.get(&p.event_id) == Some(&s.id)).collect();
        let mut schools: BTreeSet<i64> = mine.iter().map(|o| o.school_id).collect();
        schools.extend(my_places.iter().map(|p| p.school_id));
        let members: BTreeSet<i64> = mine.iter().filter(|o| o.level.is_some()).map(|o| o.school_id).collect();
        let (mut units, mut included, mut value) =
            (rust_decimal::Decimal::ZERO, rust_decimal::Decimal::ZERO, Money::ZERO);
        for o in &mine {
            let q: rust_decimal::Decimal = read_stored("orders", "quantity", &o.quantity)?;
            let f: rust_decimal::Decimal = read_stored("orders", "free_units", &o.free_units)?;
            units += q;
            included += f;
            value = value + traded::line_total(q - f, Money::from_pence(o.unit_price_pence));
        }
        for p in &my_places {
            value = value + Money::from_pence(p.price_pence);
        }
        if mine.is_empty() && my_places.is_empty() {
            continue;
        }
        out.push(TakeUp {
            service_id: s.id,
            service: s.name,
            category: s.category_label,
            schools: schools.len() as u64,
            member_schools: members.len() as u64,
            orders: mine.len() as u64,
            places: my_places.len() as u64,
            units: units.normalize().to_string(),
            included_units: included.normalize().to_string(),
            value: value.amount().to_string(),
        });
    }
    Ok(out)
}

/// A school from outside the area, as sent, to buy traded services as a customer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    pub urn: String,
    pub name: String,
    #[serde(default)]
    pub address: String,
    pub postcode: String,
    /// A billing phase's label: Primary, Secondary, …
    pub phase: String,
}

/// The local authority customers from outside the area are filed under.
const OUTSIDE_CODE: &str = "OUT";

/// Adds a school from outside the partnership's area as a customer: it buys traded services at
/// non-member prices with its own name and address on its invoices, and is not counted among
/// the area's schools. Every problem is named by its field.
pub async fn add_customer<C>(
    db: &C,
    partnership: &Partnership,
    new: &NewCustomer,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<school::Model, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    use crate::domain::billing_phase::BillingPhase;
    let mut errors = Vec::new();
    let urn =
        Urn::parse(&new.urn).map_err(|m| errors.push(FieldError { field: "urn".into(), message: m })).ok();
    let name = text::required(&new.name, text::MAX_NAME_CHARS, "enter the school's name")
        .map_err(|m| errors.push(FieldError { field: "name".into(), message: m }))
        .ok();
    let address = new.address.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n");
    if address.chars().count() > 500 || address.chars().any(|c| c.is_control() && c != '\n') {
        errors.push(FieldError {
            field: "address".into(),
            message: "an address is at most 500 characters".into(),
        });
    }
    let postcode = new.postcode.trim().to_uppercase();
    if postcode.is_empty()
        || postcode.len() > 10
        || !postcode.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
    {
        errors.push(FieldError {
            field: "postcode".into(),
            message: "enter the school's postcode, like RV1 2AB".into(),
        });
    }
    let phase = BillingPhase::parse(&new.phase);
    if phase.is_none() {
        errors.push(FieldError {
            field: "phase".into(),
            message: format!(
                "\"{}\" is not a phase: use one of {}",
                new.phase.chars().take(30).collect::<String>(),
                BillingPhase::ALL.map(BillingPhase::label).join(", ")
            ),
        });
    }
    let (Some(urn), Some(name), Some(phase), true) = (urn, name, phase, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let txn = begin_write(db).await?;
    let la = match entity::local_authority::Entity::find()
        .filter(entity::local_authority::Column::PartnershipId.eq(partnership.id))
        .filter(entity::local_authority::Column::Code.eq(OUTSIDE_CODE))
        .one(&txn)
        .await?
    {
        Some(la) => la,
        None => {
            entity::local_authority::ActiveModel {
                partnership_id: Set(partnership.id),
                code: Set(OUTSIDE_CODE.into()),
                name: Set("Outside the area".into()),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let made = school::ActiveModel {
        partnership_id: Set(partnership.id),
        urn: Set(urn.value()),
        name: Set(name),
        local_authority_id: Set(la.id),
        type_name: Set("School outside the area".into()),
        gias_phase: Set(phase.label().into()),
        billing_phase: Set(phase.label().into()),
        status: Set(crate::domain::school::SchoolStatus::Open.as_str().into()),
        postcode: Set(Some(postcode)),
        address: Set((!address.is_empty()).then_some(address)),
        outside_area: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            ServiceError::invalid("urn", format!("URN {} is in the register already", urn.value()))
        }
        _ => ServiceError::Database(e),
    })?;
    audit::record(
        &txn,
        audit::Event {
            partnership_id: partnership.id,
            user_id,
            action: "school.customer_added",
            entity: "school",
            entity_id: made.id,
            before: None,
            after: Some(serde_json::json!({ "urn": made.urn, "name": made.name })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(made)
}
