//! The funding report of a year over a national register: 24,000 schools, 100,000 issued
//! invoices (90,000 from billing runs, 10,000 others), 1,000 credit notes and 100,000 payments
//! each allocated to an invoice, on SQLite and, when `PB_TEST_POSTGRES_URL` names a server, on
//! a fresh PostgreSQL database (dropped afterwards). Issue 14's goal: at most 1 s.

mod common;

use chrono::{NaiveDate, Utc};
use common::gias::GiasFile;
use criterion::{Criterion, criterion_group, criterion_main};
use entity::{allocation, billing_run, credit_note, invoice, invoice_line, payer, payment, school};
use partnership_billing::domain::partnership::YearKind;
use partnership_billing::services::import::{ImportOptions, import_schools};
use partnership_billing::services::partnerships::{self, NewPartnership, Partnership};
use partnership_billing::services::{connect, migrate, reports};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
};
use std::time::Duration;

const SCHOOLS: usize = 24_000;
const INVOICES: usize = 100_000;
const PAYMENTS: usize = 100_000;
const CHUNK: usize = 500;

async fn fixture(url: &str) -> (DatabaseConnection, Partnership) {
    migrate(url).await.expect("migrate");
    let db = connect(url).await.expect("db");
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
    let now = Utc::now();
    let schools: Vec<school::Model> = school::Entity::find()
        .filter(school::Column::PartnershipId.eq(p.id))
        .all(&db)
        .await
        .expect("schools");
    let mut payers = Vec::with_capacity(SCHOOLS);
    for chunk in schools.chunks(CHUNK) {
        payer::Entity::insert_many(chunk.iter().map(|s| payer::ActiveModel {
            partnership_id: Set(p.id),
            kind: Set(if s.id % 10 == 0 { "council".into() } else { "school".into() }),
            reference: Set(format!("school:{}", s.id)),
            name: Set(s.name.clone()),
            address: Set(format!("{}\n1 Road", s.name)),
            email: Set(None),
            contact_name: Set(None),
            requires_po: Set(false),
            ledger_version: Set(0),
            reminders_paused: Set(None),
            ..Default::default()
        }))
        .exec(&db)
        .await
        .expect("payers");
    }
    payers.extend(
        payer::Entity::find().filter(payer::Column::PartnershipId.eq(p.id)).all(&db).await.expect("payers"),
    );
    let run = billing_run::ActiveModel {
        partnership_id: Set(p.id),
        year: Set("2026-27".into()),
        period: Set("annual".into()),
        status: Set("committed".into()),
        started_by_user_id: Set(None),
        started_at: Set(now),
        finished_at: Set(Some(now)),
        invoices_raised: Set(90_000),
        total_pence: Set(0),
        planned: Set(90_000),
        heartbeat_at: Set(None),
        error: Set(None),
        ..Default::default()
    }
    .insert(&db)
    .await
    .expect("run");
    let day = |i: usize| NaiveDate::from_ymd_opt(2026, 9, 1).unwrap() + chrono::Days::new((i % 300) as u64);
    for start in (0..INVOICES).step_by(CHUNK) {
        invoice::Entity::insert_many((start..(start + CHUNK).min(INVOICES)).map(|i| {
            let payer = &payers[i % payers.len()];
            let net = 50_000 + (i as i64 % 700) * 100;
            invoice::ActiveModel {
                partnership_id: Set(p.id),
                payer_id: Set(payer.id),
                billing_run_id: Set((i < 90_000).then_some(run.id)),
                source_key: Set(format!("bench:{i}")),
                year: Set("2026-27".into()),
                period: Set("annual".into()),
                status: Set("issued".into()),
                number: Set(Some(format!("B-{:06}", i + 1))),
                sequence: Set(Some(i as i64 + 1)),
                issue_date: Set(Some(day(i))),
                supply_date: Set(Some(day(i))),
                due_date: Set(Some(day(i) + chrono::Days::new(30))),
                period_start: Set(NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()),
                period_end: Set(NaiveDate::from_ymd_opt(2027, 8, 31).unwrap()),
                po_number: Set(None),
                payer_name: Set(payer.name.clone()),
                payer_address: Set(payer.address.clone()),
                supplier_name: Set("Bench".into()),
                supplier_address: Set("1 Road".into()),
                supplier_vat_number: Set(Some("GB1".into())),
                supplier_company_number: Set(None),
                supplier_registered_office: Set(None),
                net_pence: Set(net),
                vat_pence: Set(net / 5),
                gross_pence: Set(net + net / 5),
                outstanding_pence: Set(0),
                created_at: Set(now),
                issued_at: Set(Some(now)),
                reminders_paused: Set(None),
                ..Default::default()
            }
        }))
        .exec(&db)
        .await
        .expect("invoices");
    }
    let invoices: Vec<(i64, i64, i64)> = invoice::Entity::find()
        .filter(invoice::Column::PartnershipId.eq(p.id))
        .all(&db)
        .await
        .expect("invoices")
        .into_iter()
        .map(|i| (i.id, i.payer_id, i.gross_pence))
        .collect();
    // A membership line for each school of each billing-run invoice (for the breakdown by school).
    let school_ids: Vec<i64> = school::Entity::find()
        .filter(school::Column::PartnershipId.eq(p.id))
        .all(&db)
        .await
        .expect("schools")
        .into_iter()
        .map(|s| s.id)
        .collect();
    let run_invoices: Vec<(i64, i64)> = invoice::Entity::find()
        .filter(invoice::Column::BillingRunId.eq(run.id))
        .all(&db)
        .await
        .expect("run invoices")
        .into_iter()
        .map(|i| (i.id, i.net_pence))
        .collect();
    for (start, chunk) in run_invoices.chunks(CHUNK).enumerate() {
        invoice_line::Entity::insert_many(chunk.iter().enumerate().map(|(k, (id, net))| {
            let n = start * CHUNK + k;
            invoice_line::ActiveModel {
                invoice_id: Set(*id),
                position: Set(1),
                description: Set("Membership".into()),
                quantity: Set("1".into()),
                unit_price_pence: Set(*net),
                net_pence: Set(*net),
                vat_rate: Set("standard".into()),
                school_id: Set(Some(school_ids[n % school_ids.len()])),
                source_kind: Set("membership".into()),
                source_id: Set(n as i64 + 1),
                charge_key: Set(Some(format!("bench-line:{n}"))),
                ..Default::default()
            }
        }))
        .exec(&db)
        .await
        .expect("invoice lines");
    }
    let credited: Vec<(usize, &(i64, i64, i64))> = invoices.iter().step_by(100).enumerate().collect();
    for chunk in credited.chunks(CHUNK) {
        credit_note::Entity::insert_many(chunk.iter().map(|(k, (id, _, _))| credit_note::ActiveModel {
            partnership_id: Set(p.id),
            invoice_id: Set(*id),
            number: Set(format!("BC-{:06}", k + 1)),
            sequence: Set(*k as i64 + 1),
            reason: Set("bench".into()),
            issue_date: Set(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()),
            net_pence: Set(1_000),
            vat_pence: Set(200),
            gross_pence: Set(1_200),
            created_by_user_id: Set(None),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec(&db)
        .await
        .expect("credit notes");
    }
    for start in (0..PAYMENTS).step_by(CHUNK) {
        let rows: Vec<payment::ActiveModel> = (start..(start + CHUNK).min(PAYMENTS))
            .map(|i| {
                let (_, payer_id, gross) = invoices[i % invoices.len()];
                payment::ActiveModel {
                    partnership_id: Set(p.id),
                    payer_id: Set(payer_id),
                    received_on: Set(day(i)),
                    amount_pence: Set(gross),
                    method: Set("bacs_credit".into()),
                    reference: Set(format!("P{i}")),
                    source: Set("typed".into()),
                    source_ref: Set(None),
                    settlement_id: Set(None),
                    reversed_at: Set(None),
                    reversed_by_user_id: Set(None),
                    reversal_reason: Set(None),
                    created_by_user_id: Set(None),
                    created_at: Set(now),
                    ..Default::default()
                }
            })
            .collect();
        payment::Entity::insert_many(rows).exec(&db).await.expect("payments");
    }
    let payments: Vec<payment::Model> = payment::Entity::find()
        .filter(payment::Column::PartnershipId.eq(p.id))
        .all(&db)
        .await
        .expect("payments");
    for (start, chunk) in payments.chunks(CHUNK).enumerate() {
        allocation::Entity::insert_many(chunk.iter().enumerate().map(|(k, pay)| {
            let (invoice_id, _, _) = invoices[(start * CHUNK + k) % invoices.len()];
            allocation::ActiveModel {
                partnership_id: Set(p.id),
                payment_id: Set(pay.id),
                invoice_id: Set(invoice_id),
                amount_pence: Set(pay.amount_pence),
                created_by_user_id: Set(None),
                created_at: Set(now),
                undone_at: Set(None),
                undone_by_user_id: Set(None),
                undone_reason: Set(None),
                ..Default::default()
            }
        }))
        .exec(&db)
        .await
        .expect("allocations");
    }
    // A running server's autovacuum vacuums and analyses tables that grew like these within a
    // minute or two; do it now, so what is measured is a settled server, not the first reads of
    // freshly loaded rows (or autovacuum working beside the benchmark).
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("VACUUM ANALYZE").await.expect("vacuum analyze");
    }
    let p = partnerships::get(&db, p.id).await.expect("partnership");
    (db, p)
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let mut targets =
        vec![("sqlite", format!("sqlite://{}?mode=rwc", dir.path().join("reports.db").display()))];
    if let Ok(server) = std::env::var("PB_TEST_POSTGRES_URL") {
        let name = format!("pb_bench_reports_{}", std::process::id());
        runtime.block_on(async {
            let admin = connect(&server).await.expect("postgres");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create database");
        });
        let base = server.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(server.clone());
        targets.push(("postgres", format!("{base}/{name}")));
    }
    let mut group = c.benchmark_group("funding_report");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    for (name, url) in targets {
        let (db, p) = runtime.block_on(fixture(&url));
        group.bench_function(format!("year_100000_invoices_{name}"), |b| {
            b.iter(|| runtime.block_on(reports::funding(&db, &p, "2026-27")).expect("report"))
        });
        group.bench_function(format!("breakdown_by_school_{name}"), |b| {
            b.iter(|| runtime.block_on(reports::breakdown(&db, &p, "2026-27")).expect("breakdown"))
        });
        // Everything the report page, its downloads and the board report read for a year.
        let today = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        group.bench_function(format!("whole_report_page_{name}"), |b| {
            b.iter(|| runtime.block_on(reports::pack(&db, &p, "2026-27", today)).expect("pack"))
        });
        let pack = runtime.block_on(reports::pack(&db, &p, "2026-27", today)).expect("pack");
        group.bench_function(format!("board_report_pdf_{name}"), |b| {
            b.iter(|| partnership_billing::pdf::funding_report::render(&pack, &p.name, today))
        });
        let (from, to) =
            (NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(), NaiveDate::from_ymd_opt(2027, 3, 31).unwrap());
        group.bench_function(format!("income_by_month_financial_year_{name}"), |b| {
            b.iter(|| runtime.block_on(reports::income_by_month(&db, p.id, from, to)).expect("income"))
        });
        runtime.block_on(db.close()).ok();
    }
    group.finish();
    if let Ok(server) = std::env::var("PB_TEST_POSTGRES_URL") {
        runtime.block_on(async {
            let admin = connect(&server).await.expect("postgres");
            let name = format!("pb_bench_reports_{}", std::process::id());
            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}")).await.ok();
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
