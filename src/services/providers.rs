//! Paying provider schools (brokerage): the rate agreed with a school for a service its people
//! deliver; each month's self-billing statement (remittance advice) of what was delivered, at
//! what rate, and the total owed, marked paid when it is; an adviser's timesheet; and the
//! margin the partnership keeps, by service and by provider.

use super::{ServiceError, audit, begin_write, read_stored, to_stored_pence};
use crate::domain::money::Money;
use crate::domain::traded::{self, Unit};
use crate::services::partnerships::Partnership;
use crate::services::traded as catalogue;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{delivery, order, provider_rate, provider_statement, service};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionSession, TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;

/// An agreed rate as read back.
#[derive(Debug, Clone, Serialize)]
pub struct RateView {
    pub id: i64,
    pub urn: i32,
    pub school: String,
    pub service_id: i64,
    pub service: String,
    pub rate: String,
    pub rate_in_words: String,
}

/// Sets (or replaces) what the partnership pays `urn`'s school for a unit of a service.
pub async fn set_rate<C>(
    db: &C,
    partnership: &Partnership,
    urn: &str,
    service_id: i64,
    rate: Money,
    user_id: Option<i64>,
) -> Result<RateView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let s = catalogue::school_by_urn(db, partnership.id, urn).await?;
    let found = catalogue::get(db, partnership.id, service_id).await.map_err(|_| {
        ServiceError::invalid("service_id", format!("the catalogue has no service {service_id}"))
    })?;
    if rate <= Money::ZERO || rate > Money::from_pence(10_000_000) {
        return Err(ServiceError::invalid("rate", "a rate is from £0.01 to £100,000.00 a unit"));
    }
    let txn = begin_write(db).await?;
    let existing = provider_rate::Entity::find()
        .filter(provider_rate::Column::SchoolId.eq(s.id))
        .filter(provider_rate::Column::ServiceId.eq(service_id))
        .one(&txn)
        .await?;
    let before =
        existing.as_ref().map(|r| serde_json::json!({ "rate": Money::from_pence(r.rate_pence).to_string() }));
    let pence = to_stored_pence("rate", rate)?;
    match existing {
        Some(r) => {
            let mut active: provider_rate::ActiveModel = r.into();
            active.rate_pence = Set(pence);
            active.update(&txn).await?;
        }
        None => {
            provider_rate::ActiveModel {
                partnership_id: Set(partnership.id),
                school_id: Set(s.id),
                service_id: Set(service_id),
                rate_pence: Set(pence),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    audit::record(
        &txn,
        audit::Event {
            partnership_id: partnership.id,
            user_id,
            action: "provider.rate_set",
            entity: "school",
            entity_id: s.id,
            before,
            after: Some(serde_json::json!({ "service": found.name, "rate": rate.to_string() })),
        },
    )
    .await?;
    txn.commit().await?;
    rates(db, partnership.id)
        .await?
        .into_iter()
        .find(|r| r.urn == s.urn && r.service_id == service_id)
        .ok_or_else(|| ServiceError::NotFound("the rate just set".into()))
}

/// Every agreed rate of the partnership, by school then service.
pub async fn rates(db: &impl ConnectionTrait, partnership_id: i64) -> Result<Vec<RateView>, ServiceError> {
    let rows = provider_rate::Entity::find()
        .filter(provider_rate::Column::PartnershipId.eq(partnership_id))
        .limit(5000)
        .all(db)
        .await?;
    let schools =
        crate::services::register::school_names(db, rows.iter().map(|r| r.school_id).collect()).await?;
    let services: HashMap<i64, (String, String)> = service::Entity::find()
        .filter(service::Column::PartnershipId.eq(partnership_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, (s.name, s.unit)))
        .collect();
    let mut out: Vec<RateView> = rows
        .into_iter()
        .map(|r| {
            let (school, urn) = schools.get(&r.school_id).cloned().unwrap_or_default();
            let (service, unit) = services.get(&r.service_id).cloned().unwrap_or_default();
            let rate = Money::from_pence(r.rate_pence);
            RateView {
                id: r.id,
                urn,
                school,
                service_id: r.service_id,
                service,
                rate: rate.amount().to_string(),
                rate_in_words: format!("{rate} {}", Unit::parse(&unit).unwrap_or(Unit::Item).per()),
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.school, &a.service).cmp(&(&b.school, &b.service)));
    Ok(out)
}

/// A delivery as a timesheet or statement line.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryLine {
    pub id: i64,
    pub order_id: i64,
    pub delivered_on: NaiveDate,
    pub delivered_by: String,
    pub service: String,
    pub school: String,
    pub units: String,
    pub units_in_words: String,
    pub provider: Option<String>,
    pub payable: String,
    pub notes: String,
}

async fn lines(
    db: &impl ConnectionTrait,
    rows: &[delivery::Model],
) -> Result<Vec<DeliveryLine>, ServiceError> {
    let orders: HashMap<i64, order::Model> = order::Entity::find()
        .filter(order::Column::Id.is_in(rows.iter().map(|d| d.order_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let services: HashMap<i64, (String, String)> = service::Entity::find()
        .filter(service::Column::Id.is_in(orders.values().map(|o| o.service_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, (s.name, s.unit)))
        .collect();
    let mut school_ids: Vec<i64> = orders.values().map(|o| o.school_id).collect();
    school_ids.extend(rows.iter().filter_map(|d| d.provider_school_id));
    let schools = crate::services::register::school_names(db, school_ids).await?;
    rows.iter()
        .map(|d| {
            let o = orders.get(&d.order_id);
            let (service, unit) = o.and_then(|o| services.get(&o.service_id)).cloned().unwrap_or_default();
            let units: Decimal = read_stored("deliveries", "units", &d.units)?;
            Ok(DeliveryLine {
                id: d.id,
                order_id: d.order_id,
                delivered_on: d.delivered_on,
                delivered_by: d.delivered_by.clone(),
                service,
                school: o.and_then(|o| schools.get(&o.school_id)).map(|s| s.0.clone()).unwrap_or_default(),
                units_in_words: Unit::parse(&unit).unwrap_or(Unit::Item).count(units),
                units: units.normalize().to_string(),
                provider: d.provider_school_id.and_then(|p| schools.get(&p)).map(|s| s.0.clone()),
                payable: Money::from_pence(d.payable_pence).amount().to_string(),
                notes: d.notes.clone(),
            })
        })
        .collect()
}

fn month_bounds(month: &str) -> Result<(NaiveDate, NaiveDate), ServiceError> {
    let start = NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()))
        .ok_or_else(|| {
            ServiceError::invalid("month", format!("\"{}\" is not a month like 2026-10", month.trim()))
        })?;
    let end = start.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(start);
    Ok((start, end))
}

/// An adviser's (or every person's) deliveries in a month, by date.
pub async fn timesheet(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    person: Option<&str>,
    month: &str,
) -> Result<Vec<DeliveryLine>, ServiceError> {
    let (start, end) = month_bounds(month)?;
    let mut query = delivery::Entity::find()
        .filter(delivery::Column::PartnershipId.eq(partnership_id))
        .filter(delivery::Column::DeliveredOn.between(start, end));
    if let Some(p) = person.map(str::trim).filter(|p| !p.is_empty()) {
        query = query.filter(delivery::Column::DeliveredBy.eq(p));
    }
    let rows = query
        .order_by_asc(delivery::Column::DeliveredOn)
        .order_by_asc(delivery::Column::Id)
        .limit(2000)
        .all(db)
        .await?;
    lines(db, &rows).await
}

/// The people who have delivered for the partnership, by name.
pub async fn people(db: &impl ConnectionTrait, partnership_id: i64) -> Result<Vec<String>, ServiceError> {
    Ok(delivery::Entity::find()
        .select_only()
        .column(delivery::Column::DeliveredBy)
        .distinct()
        .filter(delivery::Column::PartnershipId.eq(partnership_id))
        .order_by_asc(delivery::Column::DeliveredBy)
        .limit(1000)
        .into_tuple::<String>()
        .all(db)
        .await?)
}

/// A statement as read back.
#[derive(Debug, Clone, Serialize)]
pub struct StatementView {
    pub id: i64,
    pub number: String,
    pub urn: i32,
    pub school: String,
    pub month: String,
    pub total: String,
    pub paid_on: Option<NaiveDate>,
    pub paid_reference: Option<String>,
    pub lines: Vec<DeliveryLine>,
}

async fn statement_view(
    db: &impl ConnectionTrait,
    m: provider_statement::Model,
) -> Result<StatementView, ServiceError> {
    let rows = delivery::Entity::find()
        .filter(delivery::Column::StatementId.eq(m.id))
        .order_by_asc(delivery::Column::DeliveredOn)
        .order_by_asc(delivery::Column::Id)
        .all(db)
        .await?;
    let schools = crate::services::register::school_names(db, vec![m.school_id]).await?;
    let (school, urn) = schools.get(&m.school_id).cloned().unwrap_or_default();
    Ok(StatementView {
        id: m.id,
        number: m.number,
        urn,
        school,
        month: m.month,
        total: Money::from_pence(m.total_pence).amount().to_string(),
        paid_on: m.paid_on,
        paid_reference: m.paid_reference,
        lines: lines(db, &rows).await?,
    })
}

/// Makes the month's self-billing statements: one per provider school for its deliveries of
/// the month not yet on a statement (added to the month's statement while it is unpaid). Only
/// for a month that has ended.
pub async fn make_statements<C>(
    db: &C,
    partnership: &Partnership,
    month: &str,
    user_id: Option<i64>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<StatementView>, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let (start, end) = month_bounds(month)?;
    if end >= today {
        return Err(ServiceError::invalid("month", format!("{} has not ended yet", start.format("%B %Y"))));
    }
    let label = start.format("%Y-%m").to_string();
    let txn = begin_write(db).await?;
    let due = delivery::Entity::find()
        .filter(delivery::Column::PartnershipId.eq(partnership.id))
        .filter(delivery::Column::DeliveredOn.between(start, end))
        .filter(delivery::Column::ProviderSchoolId.is_not_null())
        .filter(delivery::Column::StatementId.is_null())
        .all(&txn)
        .await?;
    let mut by_school: std::collections::BTreeMap<i64, Vec<delivery::Model>> = Default::default();
    for d in due {
        if let Some(p) = d.provider_school_id {
            by_school.entry(p).or_default().push(d);
        }
    }
    let schools = crate::services::register::school_names(&txn, by_school.keys().copied().collect()).await?;
    let mut made = Vec::new();
    for (school_id, list) in by_school {
        let existing = provider_statement::Entity::find()
            .filter(provider_statement::Column::PartnershipId.eq(partnership.id))
            .filter(provider_statement::Column::SchoolId.eq(school_id))
            .filter(provider_statement::Column::Month.eq(label.clone()))
            .one(&txn)
            .await?;
        let added: i64 = list.iter().map(|d| d.payable_pence).sum();
        let statement = match existing {
            Some(s) if s.paid_on.is_some() => continue,
            Some(s) => {
                let mut active: provider_statement::ActiveModel = s.clone().into();
                active.total_pence = Set(s.total_pence + added);
                active.update(&txn).await?
            }
            None => {
                let urn = schools.get(&school_id).map(|s| s.1).unwrap_or_default();
                provider_statement::ActiveModel {
                    partnership_id: Set(partnership.id),
                    school_id: Set(school_id),
                    month: Set(label.clone()),
                    number: Set(format!("SB-{urn}-{label}")),
                    total_pence: Set(added),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
            }
        };
        delivery::Entity::update_many()
            .col_expr(delivery::Column::StatementId, Expr::value(Some(statement.id)))
            .filter(delivery::Column::Id.is_in(list.iter().map(|d| d.id).collect::<Vec<_>>()))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            audit::Event {
                partnership_id: partnership.id,
                user_id,
                action: "provider.statement_made",
                entity: "provider_statement",
                entity_id: statement.id,
                before: None,
                after: Some(serde_json::json!({ "month": label, "deliveries": list.len(), "total": Money::from_pence(statement.total_pence).to_string() })),
            },
        )
        .await?;
        made.push(statement);
    }
    txn.commit().await?;
    let mut out = Vec::new();
    for m in made {
        out.push(statement_view(db, m).await?);
    }
    Ok(out)
}

/// The partnership's statements, newest month first (one month's when given).
pub async fn statements(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    month: Option<&str>,
) -> Result<Vec<StatementView>, ServiceError> {
    let mut query = provider_statement::Entity::find()
        .filter(provider_statement::Column::PartnershipId.eq(partnership_id));
    if let Some(m) = month.map(str::trim).filter(|m| !m.is_empty()) {
        month_bounds(m)?;
        query = query.filter(provider_statement::Column::Month.eq(m));
    }
    let rows = query
        .order_by_desc(provider_statement::Column::Month)
        .order_by_asc(provider_statement::Column::Number)
        .limit(500)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for m in rows {
        out.push(statement_view(db, m).await?);
    }
    Ok(out)
}

/// One statement.
pub async fn statement(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
) -> Result<StatementView, ServiceError> {
    let m = provider_statement::Entity::find_by_id(id)
        .filter(provider_statement::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("provider statement {id}")))?;
    statement_view(db, m).await
}

/// Records that a statement is paid (once).
pub async fn mark_paid<C>(
    db: &C,
    partnership: &Partnership,
    id: i64,
    paid_on: NaiveDate,
    reference: &str,
    user_id: Option<i64>,
    today: NaiveDate,
) -> Result<StatementView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let found = statement(db, partnership.id, id).await?;
    if found.paid_on.is_some() {
        return Err(ServiceError::Conflict(format!("{} is already paid", found.number)));
    }
    if paid_on > today || paid_on < today - chrono::Duration::days(366) {
        return Err(ServiceError::invalid("paid_on", "the date paid is today or in the past year"));
    }
    let reference = crate::domain::text::required(reference, 100, "enter the payment's reference")
        .map_err(|m| ServiceError::invalid("reference", m))?;
    let txn = begin_write(db).await?;
    let done = provider_statement::Entity::update_many()
        .col_expr(provider_statement::Column::PaidOn, Expr::value(Some(paid_on)))
        .col_expr(provider_statement::Column::PaidReference, Expr::value(Some(reference.clone())))
        .filter(provider_statement::Column::Id.eq(id))
        .filter(provider_statement::Column::PaidOn.is_null())
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(ServiceError::Conflict(format!("{} is already paid", found.number)));
    }
    audit::record(
        &txn,
        audit::Event {
            partnership_id: partnership.id,
            user_id,
            action: "provider.statement_paid",
            entity: "provider_statement",
            entity_id: id,
            before: None,
            after: Some(serde_json::json!({ "paid_on": paid_on, "reference": reference })),
        },
    )
    .await?;
    txn.commit().await?;
    statement(db, partnership.id, id).await
}

/// Income, cost and margin for one service or provider.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Margin {
    pub name: String,
    pub units: String,
    pub income: String,
    pub cost: String,
    pub margin: String,
}

/// The margin on deliveries in a membership year: by service, and by provider school (the
/// partnership's own advisers as "Partnership advisers").
pub async fn margin(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    year: &str,
) -> Result<(Vec<Margin>, Vec<Margin>), ServiceError> {
    let span =
        crate::domain::partnership::MembershipYear::parse(partnership.year_kind, year).ok_or_else(|| {
            ServiceError::invalid("year", format!("\"{year}\" is not a membership year like 2026-27"))
        })?;
    let rows = delivery::Entity::find()
        .filter(delivery::Column::PartnershipId.eq(partnership.id))
        .filter(delivery::Column::DeliveredOn.between(span.first_day(), span.last_day()))
        .all(db)
        .await?;
    let orders: HashMap<i64, order::Model> = order::Entity::find()
        .filter(order::Column::Id.is_in(rows.iter().map(|d| d.order_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let services: HashMap<i64, String> = service::Entity::find()
        .filter(service::Column::PartnershipId.eq(partnership.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let schools = crate::services::register::school_names(
        db,
        rows.iter().filter_map(|d| d.provider_school_id).collect(),
    )
    .await?;
    type Sums = (Decimal, Money, Money);
    let mut by_service: std::collections::BTreeMap<String, Sums> = Default::default();
    let mut by_provider: std::collections::BTreeMap<String, Sums> = Default::default();
    for d in &rows {
        let Some(o) = orders.get(&d.order_id) else { continue };
        if o.state == crate::domain::traded::OrderState::Cancelled.as_str() {
            continue;
        }
        let units: Decimal = read_stored("deliveries", "units", &d.units)?;
        let quantity: Decimal = read_stored("orders", "quantity", &o.quantity)?;
        let free: Decimal = read_stored("orders", "free_units", &o.free_units)?;
        let income = traded::delivery_income(units, quantity, free, Money::from_pence(o.unit_price_pence));
        let cost = Money::from_pence(d.payable_pence);
        let provider = d
            .provider_school_id
            .and_then(|p| schools.get(&p))
            .map(|s| s.0.clone())
            .unwrap_or_else(|| "Partnership advisers".into());
        for (map, key) in [
            (&mut by_service, services.get(&o.service_id).cloned().unwrap_or_default()),
            (&mut by_provider, provider),
        ] {
            let e = map.entry(key).or_insert((Decimal::ZERO, Money::ZERO, Money::ZERO));
            e.0 += units;
            e.1 = e.1 + income;
            e.2 = e.2 + cost;
        }
    }
    let out = |map: std::collections::BTreeMap<String, Sums>| {
        map.into_iter()
            .map(|(name, (units, income, cost))| Margin {
                name,
                units: units.normalize().to_string(),
                income: income.amount().to_string(),
                cost: cost.amount().to_string(),
                margin: (income - cost).amount().to_string(),
            })
            .collect::<Vec<_>>()
    };
    Ok((out(by_service), out(by_provider)))
}
