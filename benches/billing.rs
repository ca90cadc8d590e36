//! Billing's hot paths: pricing 24,000 schools, a billing run of 24,000 schools into SQLite,
//! and rendering invoice PDFs.

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use partnership_billing::domain::billing_phase::BillingPhase;
use partnership_billing::domain::fees::{Discounts, FeeRule, price_school};
use partnership_billing::domain::partnership::YearKind;
use partnership_billing::domain::pro_rata::Coverage;
use partnership_billing::pdf::{Document, DocumentLine, render};
use partnership_billing::services::billing::RunBy;
use partnership_billing::services::import::{ImportOptions, import_schools};
use partnership_billing::services::offers::{self, NewOffer};
use partnership_billing::services::partnerships::{self, NewPartnership, Partnership};
use partnership_billing::services::{billing, connect, migrate};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use std::time::{Duration, Instant};

const SCHOOLS: usize = 24_000;

const RULE: &str = r#"{"by_phase": {
    "Primary": {"per_pupil": "6.50", "lump_sum": "400.00"},
    "Secondary": {"bands": [{"up_to": 600, "flat": "5000.00"}, {"up_to": 1200, "per_pupil": "4.00"}, {"per_pupil": "3.00"}], "mode": "graduated"},
    "default": {"flat": "900.00"}}, "min": "550.00", "max": "15000.00"}"#;

fn phases() -> Vec<(BillingPhase, u32)> {
    (0..SCHOOLS)
        .map(|i| {
            let phase = [
                BillingPhase::Primary,
                BillingPhase::Primary,
                BillingPhase::Secondary,
                BillingPhase::Special,
            ][i % 4];
            (phase, 50 + (i as u32 * 37) % 1800)
        })
        .collect()
}

fn register_csv() -> String {
    let mut out = String::from(
        "URN,LA (code),LA (name),EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),EstablishmentStatus (name),NumberOfPupils,CensusDate\n",
    );
    for i in 0..SCHOOLS {
        let phase = ["Primary", "Primary", "Secondary", "Not applicable"][i % 4];
        let kind = if i % 4 == 3 { "Community special school" } else { "Community school" };
        out.push_str(&format!(
            "{},{},Authority {},School {i},{kind},{phase},Open,{},16-01-2025\n",
            200_000 + i,
            800 + i % 150,
            800 + i % 150,
            50 + (i * 37) % 1800
        ));
    }
    out
}

/// A fresh SQLite partnership with 24,000 schools, each a member paying for itself.
async fn billing_fixture(dir: &std::path::Path, csv: &str) -> (DatabaseConnection, Partnership) {
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    migrate(&url).await.expect("migrate");
    let db = connect(&url).await.expect("db");
    let p = partnerships::create(
        &db,
        NewPartnership {
            slug: "bench".into(),
            name: "Bench".into(),
            address: "1 Road".into(),
            vat_number: Some("GB1".into()),
            year_kind: YearKind::Academic,
        },
    )
    .await
    .expect("partnership");
    import_schools(&db, p.id, csv.as_bytes(), &ImportOptions::default(), &mut |_, _| {})
        .await
        .expect("schools");
    let offer: NewOffer = serde_json::from_value(serde_json::json!({
        "year": "2025-26", "billing_plan": "annual",
        "levels": [{ "name": "Core", "fee_rule": serde_json::from_str::<serde_json::Value>(RULE).unwrap(), "vat_rate": "standard" }]
    }))
    .expect("offer");
    let offer = offers::create(&db, p.id, YearKind::Academic, &offer, None).await.expect("offer");
    let schools = entity::school::Entity::find().all(&db).await.expect("schools");
    let memberships: Vec<entity::membership::ActiveModel> = schools
        .iter()
        .map(|s| entity::membership::ActiveModel {
            partnership_id: Set(p.id),
            school_id: Set(s.id),
            offer_id: Set(offer.id),
            level_id: Set(offer.levels[0].id),
            starts_on: Set(NaiveDate::from_ymd_opt(2025, 9, 1).unwrap()),
            ends_on: Set(None),
            paid_by: Set("school".into()),
            first_year: Set(false),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        })
        .collect();
    for batch in memberships.chunks(2000) {
        entity::membership::Entity::insert_many(batch.to_vec()).exec(&db).await.expect("memberships");
    }
    (db, p)
}

fn invoice_document(lines: usize) -> Document {
    Document {
        title: "VAT invoice".into(),
        supplier_name: "Riverside and Hillbrook Schools Partnership".into(),
        supplier_address: vec!["The Learning Centre".into(), "12 Mill Lane".into(), "Riverside".into(), "RV1 2AB".into()],
        supplier_vat_number: Some("GB 123 4567 89".into()),
        customer_heading: "Invoice to".into(),
        customer_name: "Northgate Learning Trust".into(),
        customer_address: vec!["Finance team".into()],
        details: vec![("Invoice number".into(), "RH-000042".into()), ("Date of issue".into(), "1 September 2025".into())],
        lines: (0..lines)
            .map(|i| DocumentLine {
                description: format!("Membership 2025-26, Core: School {i}: 420 pupils x £6.50 + lump sum £400.00, less trust discount 5%, autumn term (4 of 12 months)"),
                quantity: "1".into(),
                unit_price: "£1,234.56".into(),
                vat_rate: "20%".into(),
                net: "£1,234.56".into(),
            })
            .collect(),
        totals: vec![("Total net".into(), "£12,345.60".into()), ("Total VAT".into(), "£2,469.12".into()), ("Total due".into(), "£14,814.72".into())],
        notes: vec!["Pay by bank transfer to Riverside and Hillbrook Schools Partnership Ltd, sort code 20-45-77, account number 43218765. Quote the invoice number RH-000042.".into()],
    }
}

fn bench(c: &mut Criterion) {
    let rule = FeeRule::from_json(RULE).expect("rule");
    let schools = phases();
    c.bench_function("price_24000_schools", |b| {
        b.iter(|| {
            schools
                .iter()
                .map(|(phase, pupils)| {
                    price_school(&rule, *phase, Some(*pupils), Discounts::default(), Coverage::WHOLE_YEAR)
                        .map(|p| p.fee)
                })
                .filter(Result::is_ok)
                .count()
        })
    });

    let one_line = invoice_document(1);
    let ten_lines = invoice_document(10);
    c.bench_function("render_invoice_pdf_1_line", |b| b.iter(|| render(&one_line)));
    c.bench_function("render_invoice_pdf_10_lines", |b| b.iter(|| render(&ten_lines)));

    let csv = register_csv();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut group = c.benchmark_group("billing_run");
    group.sample_size(10).measurement_time(Duration::from_secs(40));
    group.bench_function("annual_run_24000_schools_sqlite", |b| {
        b.iter_custom(|iterations| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let dir = tempfile::tempdir().expect("dir");
                    let (db, p) = billing_fixture(dir.path(), &csv).await;
                    let today = NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
                    let started = Instant::now();
                    let summary =
                        billing::commit(&db, &p, "2025-26", "annual", RunBy::on(today), &mut |_, _| {})
                            .await
                            .expect("run");
                    total += started.elapsed();
                    assert_eq!(summary.invoices, SCHOOLS);
                    db.close().await.ok();
                }
                total
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
