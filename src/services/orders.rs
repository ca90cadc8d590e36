//! Orders of traded services: placed by a school's business manager (for their schools) or by
//! finance, priced on the date of service and with the school's entitlement used first;
//! confirmed by finance (who may change the price, with a reason), delivered, or cancelled; and
//! invoiced when the service says (on confirmation or on delivery), with each line saying why
//! that price.

use super::{ServiceError, audit, begin_write, read_stored, to_stored_pence};
use crate::domain::invoice::{Line, LineSource};
use crate::domain::money::Money;
use crate::domain::payer::PaidBy;
use crate::domain::role::SchoolScope;
use crate::domain::traded::{self, Invoicing, OrderState, Unit};
use crate::domain::vat::VatRate;
use crate::services::invoices::raise::{Raise, RaisedLine, raise};
use crate::services::partnerships::Partnership;
use crate::services::{payers, traded as catalogue};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{order, school};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

/// An order as sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    pub service_id: i64,
    pub urn: String,
    pub quantity: Decimal,
    pub service_date: NaiveDate,
    #[serde(default)]
    pub po_number: Option<String>,
    #[serde(default)]
    pub notes: String,
}

/// An order as read back.
#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    pub id: i64,
    pub service_id: i64,
    pub service: String,
    pub school_id: i64,
    pub school: String,
    pub urn: i32,
    pub state: &'static str,
    pub quantity: String,
    pub free_units: String,
    pub service_date: NaiveDate,
    pub unit_price: String,
    pub why: String,
    pub po_number: Option<String>,
    pub notes: String,
    pub invoice_id: Option<i64>,
    pub price_changed_reason: Option<String>,
    pub delivered_on: Option<NaiveDate>,
    pub delivered_by: Option<String>,
    pub cancelled_reason: Option<String>,
    pub placed_at: DateTime<Utc>,
}

/// Orders as read back, with their services' and schools' names (two queries, whatever the
/// number of orders).
async fn views(db: &impl ConnectionTrait, rows: &[order::Model]) -> Result<Vec<OrderView>, ServiceError> {
    let mut service_ids: Vec<i64> = rows.iter().map(|m| m.service_id).collect();
    service_ids.sort_unstable();
    service_ids.dedup();
    let mut school_ids: Vec<i64> = rows.iter().map(|m| m.school_id).collect();
    school_ids.sort_unstable();
    school_ids.dedup();
    let services: std::collections::HashMap<i64, String> = entity::service::Entity::find()
        .select_only()
        .column(entity::service::Column::Id)
        .column(entity::service::Column::Name)
        .filter(entity::service::Column::Id.is_in(service_ids))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let schools = crate::services::register::school_names(db, school_ids).await?;
    rows.iter()
        .map(|m| {
            let (school, urn) = schools.get(&m.school_id).cloned().unwrap_or_default();
            view(m, services.get(&m.service_id).cloned().unwrap_or_default(), school, urn)
        })
        .collect()
}

async fn view_one(db: &impl ConnectionTrait, m: &order::Model) -> Result<OrderView, ServiceError> {
    Ok(views(db, std::slice::from_ref(m)).await?.remove(0))
}

fn view(m: &order::Model, service: String, school: String, urn: i32) -> Result<OrderView, ServiceError> {
    let state = OrderState::parse(&m.state).ok_or_else(|| ServiceError::Corrupt {
        table: "orders",
        column: "state",
        value: m.state.clone(),
        reason: "not a state of an order".into(),
    })?;
    Ok(OrderView {
        id: m.id,
        service_id: m.service_id,
        service,
        school_id: m.school_id,
        school,
        urn,
        state: state.as_str(),
        quantity: m.quantity.clone(),
        free_units: m.free_units.clone(),
        service_date: m.service_date,
        unit_price: Money::from_pence(m.unit_price_pence).amount().to_string(),
        why: m.why.clone(),
        po_number: m.po_number.clone(),
        notes: m.notes.clone(),
        invoice_id: m.invoice_id,
        price_changed_reason: m.price_changed_reason.clone(),
        delivered_on: m.delivered_on,
        delivered_by: m.delivered_by.clone(),
        cancelled_reason: m.cancelled_reason.clone(),
        placed_at: m.created_at,
    })
}

fn check_quantity(q: Decimal) -> Result<(), ServiceError> {
    if q <= Decimal::ZERO || q > Decimal::from(1000) || q.scale() > 2 {
        return Err(ServiceError::invalid(
            "quantity",
            "order more than 0 and at most 1000 units, to two decimal places",
        ));
    }
    Ok(())
}

/// Places an order for a school in the user's scope.
pub async fn place<C>(
    db: &C,
    partnership: &Partnership,
    scope: SchoolScope,
    new: &NewOrder,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<OrderView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    check_quantity(new.quantity)?;
    let po = crate::domain::text::optional(new.po_number.as_deref().unwrap_or_default(), 100)
        .map_err(|m| ServiceError::invalid("po_number", m))?;
    let notes = crate::domain::text::optional(&new.notes, crate::domain::text::MAX_DESCRIPTION_CHARS)
        .map_err(|m| ServiceError::invalid("notes", m))?
        .unwrap_or_default();
    let s = catalogue::school_by_urn(db, partnership.id, &new.urn).await?;
    if !scope.includes(s.id, s.trust_id) {
        return Err(ServiceError::NotFound(format!("school {}", s.urn)));
    }
    let q = catalogue::quote(db, partnership, new.service_id, &s, new.service_date).await?;
    let payer = payers::payer_for(db, partnership.id, &s, PaidBy::School).await?;
    let txn = begin_write(db).await?;
    // Orders of one payer take turns, so two at once never use one entitlement twice.
    crate::services::ledger::lock_payers(&txn, partnership.id, &[payer.id]).await?;
    let used = used_units(&txn, s.id, new.service_id, &q.year, None).await?;
    let (free, _) = traded::use_entitlement(q.included, used, new.quantity);
    let made = order::ActiveModel {
        partnership_id: Set(partnership.id),
        service_id: Set(new.service_id),
        school_id: Set(s.id),
        payer_id: Set(payer.id),
        state: Set(OrderState::Requested.as_str().into()),
        quantity: Set(new.quantity.normalize().to_string()),
        free_units: Set(free.normalize().to_string()),
        service_date: Set(new.service_date),
        year: Set(q.year.clone()),
        unit_price_pence: Set(to_stored_pence("unit_price", q.unit.amount)?),
        why: Set(q.unit.why.clone()),
        level: Set(q.level.clone()),
        po_number: Set(po),
        notes: Set(notes),
        created_by_user_id: Set(user_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Event {
            partnership_id: partnership.id,
            user_id,
            action: "order.placed",
            entity: "order",
            entity_id: made.id,
            before: None,
            after: Some(
                serde_json::json!({ "service": q.service.name, "school": s.name, "quantity": made.quantity }),
            ),
        },
    )
    .await?;
    txn.commit().await?;
    view(&made, q.service.name, s.name, s.urn)
}

/// Units of an order delivered so far.
pub async fn delivered_units(db: &impl ConnectionTrait, order_id: i64) -> Result<Decimal, ServiceError> {
    entity::delivery::Entity::find()
        .select_only()
        .column(entity::delivery::Column::Units)
        .filter(entity::delivery::Column::OrderId.eq(order_id))
        .into_tuple::<String>()
        .all(db)
        .await?
        .iter()
        .map(|u| read_stored::<Decimal>("deliveries", "units", u))
        .sum()
}

/// Units of a service's entitlement a school has used in a year (by orders not cancelled; up to
/// and including order `up_to` when given).
pub async fn used_units(
    db: &impl ConnectionTrait,
    school_id: i64,
    service_id: i64,
    year: &str,
    up_to: Option<i64>,
) -> Result<Decimal, ServiceError> {
    let mut query = order::Entity::find()
        .select_only()
        .column(order::Column::FreeUnits)
        .filter(order::Column::SchoolId.eq(school_id))
        .filter(order::Column::ServiceId.eq(service_id))
        .filter(order::Column::Year.eq(year))
        .filter(order::Column::State.ne(OrderState::Cancelled.as_str()));
    if let Some(id) = up_to {
        query = query.filter(order::Column::Id.lte(id));
    }
    query
        .into_tuple::<String>()
        .all(db)
        .await?
        .iter()
        .map(|u| read_stored::<Decimal>("orders", "free_units", u))
        .sum()
}

/// One order of the partnership, if it is in the scope.
pub async fn get(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
    id: i64,
) -> Result<OrderView, ServiceError> {
    let m = found(db, partnership_id, id).await?;
    let trust = school::Entity::find_by_id(m.school_id).one(db).await?.and_then(|s| s.trust_id);
    if !scope.includes(m.school_id, trust) {
        return Err(ServiceError::NotFound(format!("order {id}")));
    }
    view_one(db, &m).await
}

async fn found(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
) -> Result<order::Model, ServiceError> {
    order::Entity::find_by_id(id)
        .filter(order::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("order {id}")))
}

fn moving(m: &order::Model, next: OrderState) -> Result<(), ServiceError> {
    let now = OrderState::parse(&m.state).unwrap_or(OrderState::Cancelled);
    if now.may_become(next) {
        Ok(())
    } else {
        Err(ServiceError::Conflict(format!(
            "this order is {}: it cannot be {} now",
            now.label().to_lowercase(),
            next.label().to_lowercase()
        )))
    }
}

/// One delivery as recorded.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    pub on: NaiveDate,
    pub by: String,
    pub units: Option<Decimal>,
    pub provider_urn: Option<String>,
    pub notes: String,
}

/// What changes when an order moves on.
pub enum Step {
    /// Confirmed, at a new unit price with the reason when finance changes it.
    Confirm {
        price: Option<(Money, String)>,
    },
    /// A delivery of `units` (all that is left when none are given) by a person, from a
    /// provider school when the partnership buys their time.
    Deliver(Delivery),
    /// The date agreed with the school (in the same membership year, so the price stands).
    Schedule {
        on: NaiveDate,
    },
    Cancel {
        reason: String,
    },
}

/// Moves an order on; raises its invoice when the service is invoiced at that step.
pub async fn step<C>(
    db: &C,
    partnership: &Partnership,
    id: i64,
    step: Step,
    user_id: Option<i64>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<OrderView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = begin_write(db).await?;
    let m = found(&txn, partnership.id, id).await?;
    let service = catalogue::get(&txn, partnership.id, m.service_id).await?;
    let invoicing = Invoicing::parse(service.invoicing).unwrap_or(Invoicing::OnDelivery);
    let before = serde_json::json!({ "state": m.state, "unit_price": Money::from_pence(m.unit_price_pence).to_string() });
    let mut active: order::ActiveModel = m.clone().into();
    let deliver_step = matches!(step, Step::Deliver(_));
    let (next, invoice_now) = match step {
        Step::Confirm { price } => {
            moving(&m, OrderState::Confirmed)?;
            if let Some((amount, reason)) = price {
                let reason = crate::domain::text::required(
                    &reason,
                    crate::domain::text::MAX_REASON_CHARS,
                    "say why the price is changed",
                )
                .map_err(|e| ServiceError::invalid("reason", e))?;
                if amount < Money::ZERO {
                    return Err(ServiceError::invalid("unit_price", "a price cannot be below £0.00"));
                }
                active.unit_price_pence = Set(to_stored_pence("unit_price", amount)?);
                active.why = Set(format!("price set by finance: {reason}"));
                active.price_changed_reason = Set(Some(reason));
            }
            (OrderState::Confirmed, invoicing == Invoicing::OnConfirmation)
        }
        Step::Deliver(d) => {
            moving(&m, OrderState::Delivered)?;
            let by = crate::domain::text::required(
                &d.by,
                crate::domain::text::MAX_NAME_CHARS,
                "say who delivered it",
            )
            .map_err(|e| ServiceError::invalid("delivered_by", e))?;
            let notes = crate::domain::text::optional(&d.notes, crate::domain::text::MAX_DESCRIPTION_CHARS)
                .map_err(|e| ServiceError::invalid("notes", e))?
                .unwrap_or_default();
            let year = chrono::Duration::days(366);
            if d.on > today + chrono::Duration::days(1)
                || d.on < m.service_date - year
                || d.on > m.service_date + year
            {
                return Err(ServiceError::invalid(
                    "delivered_on",
                    "the delivery date is not in the future and within a year of the date wanted",
                ));
            }
            let quantity: Decimal = read_stored("orders", "quantity", &m.quantity)?;
            let done = delivered_units(&txn, m.id).await?;
            let left = quantity - done;
            let units = d.units.unwrap_or(left);
            if units <= Decimal::ZERO || units > left || units.scale() > 2 {
                return Err(ServiceError::invalid(
                    "units",
                    format!(
                        "deliver more than 0 and at most the {} units left, to two decimal places",
                        left.normalize()
                    ),
                ));
            }
            let (provider, payable) = match d.provider_urn.as_deref().map(str::trim).filter(|u| !u.is_empty())
            {
                None => (None, Money::ZERO),
                Some(urn) => {
                    let provider =
                        catalogue::school_by_urn(&txn, partnership.id, urn).await.map_err(|_| {
                            ServiceError::invalid(
                                "provider_urn",
                                format!("no school in the register has the URN {urn}"),
                            )
                        })?;
                    let rate = entity::provider_rate::Entity::find()
                        .filter(entity::provider_rate::Column::SchoolId.eq(provider.id))
                        .filter(entity::provider_rate::Column::ServiceId.eq(m.service_id))
                        .one(&txn)
                        .await?
                        .ok_or_else(|| {
                            ServiceError::invalid(
                                "provider_urn",
                                format!("there is no agreed rate with {} for {}: set one on the providers page first", provider.name, service.name),
                            )
                        })?;
                    (Some(provider.id), traded::line_total(units, Money::from_pence(rate.rate_pence)))
                }
            };
            entity::delivery::ActiveModel {
                partnership_id: Set(partnership.id),
                order_id: Set(m.id),
                delivered_on: Set(d.on),
                units: Set(units.normalize().to_string()),
                delivered_by: Set(by.clone()),
                provider_school_id: Set(provider),
                payable_pence: Set(to_stored_pence("payable", payable)?),
                notes: Set(notes),
                created_by_user_id: Set(user_id),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            if units < left {
                // Part delivered: the order stays as it is until the rest is delivered.
                (OrderState::parse(&m.state).unwrap_or(OrderState::Confirmed), false)
            } else {
                active.delivered_on = Set(Some(d.on));
                active.delivered_by = Set(Some(by));
                (OrderState::Delivered, invoicing == Invoicing::OnDelivery)
            }
        }
        Step::Schedule { on } => {
            moving(&m, OrderState::Scheduled)?;
            let year = partnership.year_kind.year_containing(on).map(|y| y.label());
            if year.as_deref() != Some(m.year.as_str()) {
                return Err(ServiceError::invalid(
                    "date",
                    format!(
                        "the order is priced for {}: a date in another year needs that year's price, so cancel it and order again",
                        m.year
                    ),
                ));
            }
            active.service_date = Set(on);
            (OrderState::Scheduled, false)
        }
        Step::Cancel { reason } => {
            moving(&m, OrderState::Cancelled)?;
            if m.invoice_id.is_some() {
                return Err(ServiceError::Conflict(
                    "this order is invoiced: credit its invoice instead".into(),
                ));
            }
            let reason = crate::domain::text::required(
                &reason,
                crate::domain::text::MAX_REASON_CHARS,
                "say why it is cancelled",
            )
            .map_err(|e| ServiceError::invalid("reason", e))?;
            active.cancelled_reason = Set(Some(reason));
            (OrderState::Cancelled, false)
        }
    };
    active.state = Set(next.as_str().into());
    let mut updated = active.update(&txn).await?;
    // An order wholly covered by the membership's entitlement costs nothing: no invoice.
    let charged = read_stored::<Decimal>("orders", "quantity", &updated.quantity)?
        - read_stored::<Decimal>("orders", "free_units", &updated.free_units)?;
    if invoice_now && updated.invoice_id.is_none() && charged > Decimal::ZERO {
        let invoice_id = invoice_order(&txn, partnership, &updated, &service, today, now).await?;
        let mut active: order::ActiveModel = updated.into();
        active.invoice_id = Set(Some(invoice_id));
        updated = active.update(&txn).await?;
    }
    audit::record(
        &txn,
        audit::Event {
            partnership_id: partnership.id,
            user_id,
            action: match next {
                OrderState::Confirmed | OrderState::Scheduled if deliver_step => "order.part_delivered",
                OrderState::Confirmed => "order.confirmed",
                OrderState::Scheduled => "order.scheduled",
                OrderState::Delivered => "order.delivered",
                _ => "order.cancelled",
            },
            entity: "order",
            entity_id: id,
            before: Some(before),
            after: Some(serde_json::json!({ "state": updated.state, "unit_price": Money::from_pence(updated.unit_price_pence).to_string(), "invoice_id": updated.invoice_id })),
        },
    )
    .await?;
    let out = view_one(&txn, &updated).await?;
    txn.commit().await?;
    Ok(out)
}

/// An order's invoice lines: one for the units the entitlement covers (at £0.00, saying so)
/// and one for the rest at the order's price, saying why.
async fn order_lines(
    txn: &impl ConnectionTrait,
    m: &order::Model,
    service: &catalogue::ServiceView,
) -> Result<Vec<RaisedLine>, ServiceError> {
    let quantity: Decimal = read_stored("orders", "quantity", &m.quantity)?;
    let free: Decimal = read_stored("orders", "free_units", &m.free_units)?;
    let charged = quantity - free;
    let unit = Unit::parse(service.unit).unwrap_or(Unit::Item);
    let vat: VatRate = read_stored("services", "vat_rate", service.vat_rate)?;
    let price = Money::from_pence(m.unit_price_pence);
    let when = m.delivered_on.unwrap_or(m.service_date).format("%-d %B %Y");
    let school_name =
        school::Entity::find_by_id(m.school_id).one(txn).await?.map(|s| s.name).unwrap_or_default();
    let mut lines = Vec::new();
    let key = format!("order:{}", m.id);
    if free > Decimal::ZERO {
        let level = m.level.clone().unwrap_or_default();
        // "1 of 2 days used": what the membership includes in the year, and how much of it this
        // and the school's earlier orders have used.
        let used = used_units(txn, m.school_id, m.service_id, &m.year, Some(m.id)).await?;
        let included = entitlement_units(txn, m).await?;
        let of = if included > Decimal::ZERO {
            format!(", {} of {} used", used.normalize(), unit.count(included))
        } else {
            String::new()
        };
        lines.push(RaisedLine {
            line: Line {
                description: format!(
                    "{}, {when}, {school_name}: {} included in your {level} membership{of}",
                    service.name,
                    unit.count(free)
                ),
                quantity: free,
                unit_price: Money::ZERO,
                net: Money::ZERO,
                vat_rate: vat,
                source: LineSource::Other { reference: key.clone() },
            },
            school_id: Some(m.school_id),
            source_kind: "order",
            source_id: m.id,
            charge_key: format!("{key}:included"),
        });
    }
    if charged > Decimal::ZERO {
        lines.push(RaisedLine {
            line: Line {
                description: format!(
                    "{}, {when}, {school_name}: {} at {price} ({})",
                    service.name,
                    unit.count(charged),
                    m.why
                ),
                quantity: charged,
                unit_price: price,
                net: traded::line_total(charged, price),
                vat_rate: vat,
                source: LineSource::Other { reference: key.clone() },
            },
            school_id: Some(m.school_id),
            source_kind: "order",
            source_id: m.id,
            charge_key: format!("{key}:charged"),
        });
    }
    Ok(lines)
}

/// The units of the order's service its membership level included in the order's year.
async fn entitlement_units(txn: &impl ConnectionTrait, m: &order::Model) -> Result<Decimal, ServiceError> {
    let Some(level) = &m.level else { return Ok(Decimal::ZERO) };
    let Some(l) = catalogue::level_named(txn, m.partnership_id, &m.year, level).await? else {
        return Ok(Decimal::ZERO);
    };
    catalogue::included_units(txn, l.id, m.service_id).await
}

/// The order's own invoice (invoiced on confirmation or on delivery).
async fn invoice_order(
    txn: &impl ConnectionTrait,
    partnership: &Partnership,
    m: &order::Model,
    service: &catalogue::ServiceView,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    let lines = order_lines(txn, m, service).await?;
    let payer = payers::get(txn, partnership.id, m.payer_id).await?;
    let made = raise(
        txn,
        partnership,
        Raise {
            payer,
            source_key: format!("order:{}", m.id),
            year: m.year.clone(),
            period: "traded services".into(),
            period_start: m.service_date,
            period_end: m.delivered_on.unwrap_or(m.service_date),
            po_number: m.po_number.clone(),
            lines,
        },
        today,
        now,
    )
    .await?;
    Ok(made.id)
}

/// What a monthly invoicing did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthlyInvoicing {
    pub invoices: usize,
    pub orders: usize,
}

/// Invoices, monthly in arrears, every order of a service invoiced that way that was delivered
/// before the month `today` is in: one invoice per payer per month of delivery, a line or two
/// per order. Each order is invoiced once (its invoice is set in the same transaction), so
/// running it again raises nothing new. An order wholly covered by an entitlement is left out.
pub async fn invoice_month<C>(
    db: &C,
    partnership: &Partnership,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<MonthlyInvoicing, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    use chrono::Datelike;
    let month_start = today.with_day(1).unwrap_or(today);
    let monthly: Vec<i64> = entity::service::Entity::find()
        .select_only()
        .column(entity::service::Column::Id)
        .filter(entity::service::Column::PartnershipId.eq(partnership.id))
        .filter(entity::service::Column::Invoicing.eq(Invoicing::MonthlyInArrears.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    if monthly.is_empty() {
        return crate::services::events::invoice_month(db, partnership, today, now).await;
    }
    let due = order::Entity::find()
        .filter(order::Column::PartnershipId.eq(partnership.id))
        .filter(order::Column::ServiceId.is_in(monthly))
        .filter(order::Column::State.eq(OrderState::Delivered.as_str()))
        .filter(order::Column::InvoiceId.is_null())
        .filter(order::Column::DeliveredOn.lt(month_start))
        .order_by_asc(order::Column::DeliveredOn)
        .order_by_asc(order::Column::Id)
        .all(db)
        .await?;
    let mut groups: std::collections::BTreeMap<(i64, i32, u32), Vec<order::Model>> = Default::default();
    for m in due {
        let quantity: Decimal = read_stored("orders", "quantity", &m.quantity)?;
        let free: Decimal = read_stored("orders", "free_units", &m.free_units)?;
        let Some(on) = m.delivered_on else { continue };
        if quantity > free {
            groups.entry((m.payer_id, on.year(), on.month())).or_default().push(m);
        }
    }
    let mut done = crate::services::events::invoice_month(db, partnership, today, now).await?;
    for ((payer_id, year, month), list) in groups {
        let start = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(month_start);
        let end =
            start.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(start);
        let txn = begin_write(db).await?;
        crate::services::ledger::lock_payers(&txn, partnership.id, &[payer_id]).await?;
        // Another run may have invoiced them since they were read.
        let still: Vec<order::Model> = order::Entity::find()
            .filter(order::Column::Id.is_in(list.iter().map(|m| m.id).collect::<Vec<_>>()))
            .filter(order::Column::InvoiceId.is_null())
            .order_by_asc(order::Column::DeliveredOn)
            .order_by_asc(order::Column::Id)
            .all(&txn)
            .await?;
        if still.is_empty() {
            continue;
        }
        let mut lines = Vec::new();
        for m in &still {
            let service = catalogue::get(&txn, partnership.id, m.service_id).await?;
            lines.extend(order_lines(&txn, m, &service).await?);
        }
        let po =
            still[0].po_number.clone().filter(|po| still.iter().all(|m| m.po_number.as_ref() == Some(po)));
        let payer = payers::get(&txn, partnership.id, payer_id).await?;
        let made = raise(
            &txn,
            partnership,
            Raise {
                payer,
                // The first order makes the key unique: a delivery recorded late for the month
                // is invoiced by a later run under its own key.
                source_key: format!("traded-month:{payer_id}:{year:04}-{month:02}:{}", still[0].id),
                year: partnership.year_kind.year_containing(start).map(|y| y.label()).unwrap_or_default(),
                period: format!("traded services, {}", start.format("%B %Y")),
                period_start: start,
                period_end: end,
                po_number: po,
                lines,
            },
            today,
            now,
        )
        .await?;
        order::Entity::update_many()
            .col_expr(order::Column::InvoiceId, sea_orm::sea_query::Expr::value(Some(made.id)))
            .filter(order::Column::Id.is_in(still.iter().map(|m| m.id).collect::<Vec<_>>()))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            audit::Event {
                partnership_id: partnership.id,
                user_id: None,
                action: "order.invoiced_monthly",
                entity: "invoice",
                entity_id: made.id,
                before: None,
                after: Some(
                    serde_json::json!({ "orders": still.len(), "month": start.format("%B %Y").to_string() }),
                ),
            },
        )
        .await?;
        txn.commit().await?;
        done.invoices += 1;
        done.orders += still.len();
    }
    Ok(done)
}

/// Orders per page of the list.
pub const PER_PAGE: u64 = 50;

/// A page of the partnership's orders in the scope (in one state, if given), newest first, and
/// how many there are.
pub async fn list(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
    state: Option<OrderState>,
    page: u64,
) -> Result<(Vec<OrderView>, u64), ServiceError> {
    let mut query = order::Entity::find().filter(order::Column::PartnershipId.eq(partnership_id));
    if let Some(state) = state {
        query = query.filter(order::Column::State.eq(state.as_str()));
    }
    match scope {
        SchoolScope::All => {}
        SchoolScope::School(id) => query = query.filter(order::Column::SchoolId.eq(id)),
        SchoolScope::Trust(trust) => {
            let ids: Vec<i64> = school::Entity::find()
                .select_only()
                .column(school::Column::Id)
                .filter(school::Column::PartnershipId.eq(partnership_id))
                .filter(school::Column::TrustId.eq(trust))
                .into_tuple()
                .all(db)
                .await?;
            query = query.filter(order::Column::SchoolId.is_in(ids));
        }
        SchoolScope::Nothing => return Ok((Vec::new(), 0)),
    }
    let total = query.clone().count(db).await?;
    let offset = page.saturating_sub(1).saturating_mul(PER_PAGE);
    let rows = crate::services::rows_at(db, query.order_by_desc(order::Column::Id), offset, PER_PAGE).await?;
    Ok((views(db, &rows).await?, total))
}
