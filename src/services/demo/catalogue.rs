//! The demo's traded services: adviser days, peer reviews priced by phase, CPD places, a
//! safeguarding SLA per pupil and governor clerking for members only; what each level includes;
//! and a few orders, one delivered and invoiced.

use super::super::ServiceError;
use super::super::orders::{self, NewOrder, Step};
use super::super::partnerships::Partnership;
use super::super::traded::{self, NewService};
use crate::domain::role::SchoolScope;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, TransactionTrait};

fn service(json: serde_json::Value) -> Result<NewService, ServiceError> {
    serde_json::from_value(json).map_err(|e| ServiceError::Conflict(format!("demo catalogue: {e}")))
}

/// The demo catalogue, with 2025-26 and 2026-27 prices and entitlements.
pub(super) async fn load_demo_catalogue<C>(
    db: &C,
    partnership: &Partnership,
    now: DateTime<Utc>,
) -> Result<(), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let both = |member: serde_json::Value, non_member: serde_json::Value| {
        serde_json::json!([
            { "year": "2025-26", "member": member, "non_member": non_member },
            { "year": "2026-27", "member": member, "non_member": non_member },
        ])
    };
    let catalogue = [
        serde_json::json!({
            "name": "Adviser day", "category": "adviser_support", "unit": "day", "vat_rate": "standard",
            "invoicing": "on_delivery", "active_from": "2025-09-01", "accounting_code": "4010",
            "description": "A day of a school improvement adviser's time in school: learning walks, leadership coaching, preparing for inspection.",
            "prices": both(serde_json::json!({ "flat": "650.00" }), serde_json::json!({ "flat": "800.00" })),
            "entitlements": [
                { "year": "2025-26", "level": "Core", "units": "1" }, { "year": "2025-26", "level": "Standard", "units": "3" },
                { "year": "2025-26", "level": "Enhanced", "units": "6" },
                { "year": "2026-27", "level": "Basic", "units": "1" }, { "year": "2026-27", "level": "Standard", "units": "2" },
                { "year": "2026-27", "level": "Advanced", "units": "5" } ]
        }),
        serde_json::json!({
            "name": "Peer review", "category": "peer_review", "unit": "review", "vat_rate": "standard",
            "invoicing": "on_delivery", "active_from": "2025-09-01", "accounting_code": "4020",
            "description": "A review team of two headteachers for two days, with a written report.",
            "prices": both(
                serde_json::json!({ "by_phase": { "Secondary": { "flat": "1600.00" }, "All-through": { "flat": "1600.00" }, "default": { "flat": "1000.00" } } }),
                serde_json::json!({ "by_phase": { "Secondary": { "flat": "2000.00" }, "All-through": { "flat": "2000.00" }, "default": { "flat": "1300.00" } } })),
            "entitlements": [ { "year": "2026-27", "level": "Advanced", "units": "1" } ]
        }),
        serde_json::json!({
            "name": "CPD course place", "category": "cpd_course", "unit": "place", "vat_rate": "standard",
            "invoicing": "on_confirmation", "active_from": "2025-09-01", "accounting_code": "4030",
            "description": "A place for one delegate on a partnership course.",
            "prices": both(serde_json::json!({ "flat": "120.00" }), serde_json::json!({ "flat": "180.00" }))
        }),
        serde_json::json!({
            "name": "Safeguarding service-level agreement", "category": "service_level_agreement", "unit": "per_pupil_per_year",
            "vat_rate": "standard", "invoicing": "on_confirmation", "active_from": "2025-09-01", "accounting_code": "4040",
            "description": "Safeguarding audit, training for the designated lead and a helpline for a year.",
            "prices": both(serde_json::json!({ "per_pupil": "2.50", "min": "400.00" }), serde_json::json!({ "per_pupil": "3.50", "min": "600.00" }))
        }),
        serde_json::json!({
            "name": "Governor clerking", "category": "governance", "unit": "half_day", "vat_rate": "standard",
            "invoicing": "on_delivery", "active_from": "2025-09-01", "accounting_code": "4050",
            "description": "A trained clerk for a full governing board meeting, with minutes. For members only.",
            "prices": [ { "year": "2026-27", "member": { "flat": "180.00" }, "by_level": { "Advanced": { "flat": "150.00" } } } ]
        }),
    ];
    for json in catalogue {
        traded::create(db, partnership, &service(json)?, None, now).await?;
    }
    Ok(())
}

/// A few orders on the demo catalogue: the business manager's school uses its included adviser
/// day, another school's peer review is confirmed, and a delivered adviser day is invoiced.
pub(super) async fn load_demo_orders<C>(
    db: &C,
    partnership: &Partnership,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let services = traded::list(db, partnership.id).await?;
    let id = |name: &str| services.iter().find(|s| s.name == name).map(|s| s.id);
    let (Some(adviser), Some(review)) = (id("Adviser day"), id("Peer review")) else {
        return Ok(());
    };
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(today);
    let order = |service_id, urn: &str, quantity: i64, on: NaiveDate, notes: &str| NewOrder {
        service_id,
        urn: urn.into(),
        quantity: Decimal::from(quantity),
        service_date: on,
        po_number: None,
        notes: notes.into(),
    };
    let all = SchoolScope::All;
    orders::place(
        db,
        partnership,
        all,
        &order(adviser, "990003", 2, day(2027, 1, 20), "Leadership coaching for the new deputy head"),
        None,
        now,
    )
    .await?;
    let review_order =
        orders::place(db, partnership, all, &order(review, "990001", 1, day(2027, 3, 3), ""), None, now)
            .await?;
    orders::step(db, partnership, review_order.id, Step::Confirm { price: None }, None, today, now).await?;
    let delivered = orders::place(
        db,
        partnership,
        all,
        &order(adviser, "990007", 3, day(2026, 10, 14), "Preparing for inspection"),
        None,
        now,
    )
    .await?;
    orders::step(db, partnership, delivered.id, Step::Confirm { price: None }, None, today, now).await?;
    orders::step(
        db,
        partnership,
        delivered.id,
        Step::Deliver(orders::Delivery {
            on: day(2026, 10, 14),
            by: "Helen Marsh (partnership adviser)".into(),
            ..Default::default()
        }),
        None,
        today,
        now,
    )
    .await?;
    load_demo_provider(db, partnership, adviser, today, now).await?;
    load_demo_event(db, partnership, today, now).await
}

/// A provider school paid for an SLE's days: a rate agreed with it, an order delivered partly
/// by its SLE, and October's self-billing statement (made once October is over).
async fn load_demo_provider<C>(
    db: &C,
    partnership: &Partnership,
    adviser: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    use super::super::providers;
    use crate::domain::money::Money;
    providers::set_rate(db, partnership, "990012", adviser, Money::from_pence(55_000), None).await?;
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(today);
    let placed = orders::place(
        db,
        partnership,
        SchoolScope::All,
        &NewOrder {
            service_id: adviser,
            urn: "990010".into(),
            quantity: Decimal::from(3),
            service_date: day(2026, 10, 6),
            po_number: Some("PO-4410".into()),
            notes: "Support for the new maths lead".into(),
        },
        None,
        now,
    )
    .await?;
    orders::step(db, partnership, placed.id, Step::Confirm { price: None }, None, today, now).await?;
    for (on, by, units, provider) in [
        (day(2026, 10, 6), "Priya Shah (SLE, Brookfield)", Decimal::ONE, Some("990012")),
        (day(2026, 10, 20), "Helen Marsh (partnership adviser)", Decimal::from(2), None),
    ] {
        let delivery = orders::Delivery {
            on,
            by: by.into(),
            units: Some(units),
            provider_urn: provider.map(String::from),
            notes: String::new(),
        };
        orders::step(db, partnership, placed.id, Step::Deliver(delivery), None, today, now).await?;
    }
    if today > day(2026, 10, 31) {
        providers::make_statements(db, partnership, "2026-10", None, today, now).await?;
    }
    Ok(())
}

/// A full course with a waiting list: twelve places, booked by six schools two at a time, and
/// two more delegates waiting. Only while its bookings are open.
async fn load_demo_event<C>(
    db: &C,
    partnership: &Partnership,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    use super::super::events::{self, NewBooking, NewEvent};
    use super::super::ledger::Actor;
    let Some(course) =
        traded::list(db, partnership.id).await?.into_iter().find(|s| s.name == "CPD course place")
    else {
        return Ok(());
    };
    let new: NewEvent = serde_json::from_value(serde_json::json!({
        "service_id": course.id, "title": "Phonics for new teachers",
        "description": "Two mornings on systematic synthetic phonics for early career teachers, with a follow-up task.",
        "venue": "The Learning Centre, 12 Mill Lane, Riverside", "capacity": 12, "booking_deadline": "2027-01-15",
        "sessions": [{ "date": "2027-01-29", "starts_at": "09:30", "ends_at": "12:30" },
                     { "date": "2027-02-05", "starts_at": "09:30", "ends_at": "12:30" }],
        "cancellation_policy": { "rules": [{ "within_days": 14, "percent": "100" }] } }))
    .map_err(|e| ServiceError::Conflict(format!("demo event: {e}")))?;
    let event = events::create(db, partnership, &new, None, now).await?;
    if today > event.booking_deadline {
        return Ok(());
    }
    let bookings = [
        ("990001", ["Amy Clarke", "Ben Osei"].as_slice()),
        ("990002", &["Cara Singh", "Dan Webb"]),
        ("990004", &["Ella Rossi", "Finn Murphy"]),
        ("990005", &["Grace Obi", "Hari Patel"]),
        ("990006", &["Isla Brown", "Jack Nowak"]),
        ("990008", &["Kemi Ade", "Liam Hughes"]),
        ("990009", &["Maya Khan", "Noah Evans"]),
    ];
    for (urn, delegates) in bookings {
        let booking = NewBooking {
            urn: urn.into(),
            delegates: delegates.iter().map(|d| d.to_string()).collect(),
            po_number: None,
        };
        events::book(
            db,
            partnership,
            SchoolScope::All,
            event.id,
            &booking,
            Actor { user_id: None, today, now },
        )
        .await?;
    }
    Ok(())
}
