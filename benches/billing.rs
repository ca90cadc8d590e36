//! Billing's hot paths: pricing 24,000 schools, rendering invoice PDFs, and a billing run of
//! 24,000 schools on SQLite as users build it (a GIAS-format file imported, every school
//! enrolled through the service the API calls): commit, preview, and preview once all is raised.

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use partnership_billing::domain::billing_phase::BillingPhase;
use partnership_billing::domain::fees::{Discounts, FeeRule, price_school};
use partnership_billing::domain::partnership::YearKind;
use partnership_billing::domain::pro_rata::Coverage;
use partnership_billing::pdf::{Document, DocumentLine, render};
use partnership_billing::services::billing::RunBy;
use partnership_billing::services::import::{ImportOptions, import_schools};
use partnership_billing::services::memberships::{self, NewMembership};
use partnership_billing::services::offers::{self, NewOffer};
use partnership_billing::services::partnerships::{self, NewPartnership, Partnership};
use partnership_billing::services::{billing, connect, migrate, reminders};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::time::{Duration, Instant};

mod common;
use common::gias::GiasFile;

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

/// A fresh SQLite partnership as a user builds it: 24,000 schools imported from a GIAS-format
/// file, an offer, and every school enrolled through the same service call the API makes.
/// Built once; each measured run works on a copy of the file.
async fn billing_fixture(dir: &std::path::Path) -> (String, Partnership) {
    let path = dir.join("fixture.db");
    let url = format!("sqlite://{}", path.display());
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
    let file = GiasFile { rows: SCHOOLS, first_urn: 100_000, closed_every: None, blank_pupils_every: None };
    import_schools(&db, p.id, &file.bytes(), &ImportOptions::default(), &mut |_, _| {})
        .await
        .expect("schools");
    let offer: NewOffer = serde_json::from_value(serde_json::json!({
        "year": "2025-26", "billing_plan": "annual",
        "levels": [{ "name": "Core", "fee_rule": serde_json::from_str::<serde_json::Value>(RULE).unwrap(), "vat_rate": "standard" }]
    }))
    .expect("offer");
    offers::create(&db, p.id, YearKind::Academic, &offer, None).await.expect("offer");
    for i in 0..SCHOOLS {
        let join = NewMembership {
            urn: (100_000 + i) as i32,
            year: "2025-26".into(),
            level: "Core".into(),
            starts_on: NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
            ends_on: None,
            paid_by: "school".into(),
            first_year: false,
        };
        memberships::join(&db, p.id, &join, None).await.expect("membership");
    }
    // One file, nothing left in a write-ahead log: copies of it are whole.
    db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await.expect("checkpoint");
    db.close().await.ok();
    (url, p)
}

/// A copy of the fixture's database file, opened.
async fn copy_of(fixture: &std::path::Path, dir: &std::path::Path) -> DatabaseConnection {
    let path = dir.join("run.db");
    std::fs::copy(fixture, &path).expect("copy the fixture");
    connect(&format!("sqlite://{}", path.display())).await.expect("db")
}

fn invoice_document(lines: usize) -> Document {
    Document {
        title: "VAT invoice".into(),
        supplier_name: "Riverside and Hillbrook Schools Partnership".into(),
        supplier_address: vec!["The Learning Centre".into(), "12 Mill Lane".into(), "Riverside".into(), "RV1 2AB".into()],
        supplier_vat_number: Some("GB 123 4567 89".into()),
        supplier_company: Some("Company number 01234567. Registered office: 1 High Street, Riverside RV1 1AA".into()),
        columns: partnership_billing::pdf::LINE_COLUMNS,
        remittance: vec![("Invoice number".into(), "RH-000001".into())],
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

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let fixture_dir = tempfile::tempdir().expect("dir");
    let (_, p) = runtime.block_on(billing_fixture(fixture_dir.path()));
    let fixture = fixture_dir.path().join("fixture.db");
    let today = NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
    let mut group = c.benchmark_group("billing_run_24000_schools_sqlite");
    group.sample_size(10).measurement_time(Duration::from_secs(40));
    group.bench_function("commit", |b| {
        b.iter_custom(|iterations| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let dir = tempfile::tempdir().expect("dir");
                    let db = copy_of(&fixture, dir.path()).await;
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
    let dir = tempfile::tempdir().expect("dir");
    let db = runtime.block_on(copy_of(&fixture, dir.path()));
    group.bench_function("preview_all_to_raise", |b| {
        b.iter(|| {
            let plan = runtime.block_on(billing::plan(&db, &p, "2025-26", "annual")).expect("plan");
            assert_eq!(plan.invoices.len(), SCHOOLS);
        })
    });
    // Emailing on from before the run, so the mail job has 24,000 invoices to queue.
    let since = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
    runtime.block_on(async {
        let mut schedule = reminders::schedule(&db, p.id).await.expect("schedule");
        schedule.documents_mailed = true;
        schedule.on = true;
        reminders::save_schedule(&db, p.id, &schedule, None, since).await.expect("emailing on");
    });
    runtime
        .block_on(billing::commit(&db, &p, "2025-26", "annual", RunBy::on(today), &mut |_, _| {}))
        .expect("run");
    group.bench_function("preview_nothing_left", |b| {
        b.iter(|| {
            let plan = runtime.block_on(billing::plan(&db, &p, "2025-26", "annual")).expect("plan");
            assert_eq!((plan.invoices.len(), plan.already_raised), (0, SCHOOLS));
        })
    });
    group.finish();
    mail_benches(c, &runtime, &db, &p, dir.path());
}

/// The mail and reminder jobs on the 24,000 invoices just raised: today's reminders worked out
/// (criterion), and one pass of queuing every new invoice's email and sending 500 of them (with
/// their PDFs) to the outbox folder, timed once and printed (each can only run once).
fn mail_benches(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    db: &DatabaseConnection,
    p: &Partnership,
    dir: &std::path::Path,
) {
    use partnership_billing::services::mail::{self, transport::Mailer};
    let due_day = NaiveDate::from_ymd_opt(2025, 11, 1).unwrap();
    let mut group = c.benchmark_group("mail_24000_invoices_sqlite");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    group.bench_function("reminders_due", |b| {
        b.iter(|| {
            let (due, _) = runtime.block_on(reminders::due(db, p.id, due_day)).expect("due");
            assert_eq!(due.len(), SCHOOLS);
        })
    });
    group.finish();
    let now = NaiveDate::from_ymd_opt(2025, 9, 2).unwrap().and_hms_opt(8, 0, 0).unwrap().and_utc();
    runtime.block_on(async {
        use sea_orm::{EntityTrait, sea_query::Expr};
        entity::payer::Entity::update_many()
            .col_expr(
                entity::payer::Column::Email,
                Expr::value("finance@school.example, head@school.example"),
            )
            .exec(db)
            .await
            .expect("billing addresses");
    });
    let started = Instant::now();
    let queued = runtime
        .block_on(mail::collect::queue_new_documents(db, p, "https://billing.example", now))
        .expect("queue");
    let queue_time = started.elapsed();
    assert_eq!(queued.invoices as usize, SCHOOLS);
    let mailer = Mailer::Folder { dir: dir.join("outbox"), from: "billing@partnership.example".into() };
    let started = Instant::now();
    let sent = runtime.block_on(mail::send::send_up_to(db, &mailer, p, now, 500)).expect("send");
    let send_time = started.elapsed();
    println!(
        "mail_24000_invoices_sqlite/queue_every_new_invoice: {:.2} s for {} messages; send_500_with_pdfs_to_folder: {:.2} s for {} sent ({:.1} ms each; {} not queued)",
        queue_time.as_secs_f64(),
        queued.invoices,
        send_time.as_secs_f64(),
        sent.sent,
        send_time.as_secs_f64() * 1000.0 / sent.sent.max(1) as f64,
        SCHOOLS as u64 - queued.invoices,
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
