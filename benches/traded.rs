//! Traded services' hot paths: pricing 24,000 buyers by their membership on the day (the
//! services page and every order run this), the price editor's preview table, cancellation
//! fees for 24,000 places, and booking places on SQLite through the service the API calls (each
//! booking takes places with one conditional update and raises its invoice).

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use partnership_billing::domain::billing_phase::BillingPhase;
use partnership_billing::domain::events::{CancellationPolicy, CancellationRule};
use partnership_billing::domain::fees::FeeRule;
use partnership_billing::domain::money::Money;
use partnership_billing::domain::role::SchoolScope;
use partnership_billing::domain::traded::{Buyer, PriceList, price_table, unit_price};
use partnership_billing::services::events::{self, NewBooking, NewEvent};
use partnership_billing::services::ledger::Actor;
use partnership_billing::services::{connect, demo, migrate, partnerships, traded};
use rust_decimal::Decimal;
use std::time::{Duration, Instant};

const BUYERS: usize = 24_000;

fn list() -> PriceList {
    let rule = |json: &str| FeeRule::from_json(json).expect("rule");
    PriceList {
        member: rule(r#"{"by_phase": {"Secondary": {"flat": "1600.00"}, "default": {"flat": "1000.00"}}}"#),
        non_member: Some(rule(r#"{"per_pupil": "3.50", "min": "600.00", "max": "4000.00"}"#)),
        by_level: vec![("Advanced".into(), rule(r#"{"flat": "900.00"}"#))],
    }
}

fn buyers() -> Vec<Buyer> {
    (0..BUYERS)
        .map(|i| Buyer {
            level: match i % 4 {
                0 => None,
                1 => Some("Basic".into()),
                2 => Some("Standard".into()),
                _ => Some("Advanced".into()),
            },
            phase: [BillingPhase::Primary, BillingPhase::Secondary, BillingPhase::Special][i % 3],
            pupils: Some(50 + (i as u32 * 37) % 1800),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let list = list();
    let buyers = buyers();
    c.bench_function("price_24000_buyers", |b| {
        b.iter(|| buyers.iter().filter_map(|buyer| unit_price(&list, buyer).ok()).count())
    });
    let levels: Vec<String> = ["Basic", "Standard", "Advanced"].map(String::from).to_vec();
    let columns: Vec<(BillingPhase, u32)> = BillingPhase::ALL.iter().map(|p| (*p, 250)).collect();
    c.bench_function("price_editor_preview_table", |b| b.iter(|| price_table(&list, &levels, &columns)));
    let policy = CancellationPolicy {
        rules: vec![
            CancellationRule { within_days: 28, percent: Decimal::from(50) },
            CancellationRule { within_days: 14, percent: Decimal::from(100) },
        ],
        no_show_charge: Some(Decimal::from(25)),
    };
    let starts = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
    c.bench_function("cancellation_fees_24000_places", |b| {
        b.iter(|| {
            (0..BUYERS as i64)
                .map(|i| {
                    policy.cancellation_fee(
                        Money::from_pence(12_000),
                        starts,
                        starts - chrono::Duration::days(i % 60),
                    )
                })
                .fold(Money::ZERO, |a, f| a + f)
        })
    });

    // Booking on SQLite: the demo partnership, a course of 100,000 places, one delegate a booking.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("traded.db").display());
    let (db, p, event_id) = runtime.block_on(async {
        migrate(&url).await.expect("migrate");
        let db = connect(&url).await.expect("db");
        demo::load_demo(&db).await.expect("demo");
        let p = partnerships::find_by_slug(&db, demo::DEMO_SLUG).await.expect("find").expect("demo");
        let course = traded::list(&db, p.id).await.expect("list").into_iter().find(|s| s.name == "CPD course place").expect("course");
        let new: NewEvent = serde_json::from_value(serde_json::json!({
            "service_id": course.id, "title": "Bench course", "venue": "Hall", "capacity": 10_000,
            "booking_deadline": "2027-01-01", "sessions": [{ "date": "2027-01-02", "starts_at": "09:00", "ends_at": "12:00" }] }))
        .expect("event");
        let made = events::create(&db, &p, &new, None, chrono::Utc::now()).await.expect("create");
        (db, p, made.id)
    });
    let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let mut group = c.benchmark_group("bookings");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    let mut n = 0u64;
    group.bench_function("book_one_place_and_invoice_sqlite", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                n += 1;
                let booking = NewBooking {
                    urn: format!("{}", 990_001 + (n % 100)),
                    delegates: vec![format!("Delegate {n}")],
                    po_number: None,
                };
                runtime
                    .block_on(events::book(
                        &db,
                        &p,
                        SchoolScope::All,
                        event_id,
                        &booking,
                        Actor { user_id: None, today, now: chrono::Utc::now() },
                    ))
                    .expect("booked");
            }
            start.elapsed()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
