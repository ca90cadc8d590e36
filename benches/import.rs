//! The GIAS import hot path: parsing, and a whole import into a fresh SQLite database, of a
//! generated 50,000-row file in GIAS's full 111-column format.

use criterion::{Criterion, criterion_group, criterion_main};
use partnership_billing::domain::gias::{ParseOptions, parse_file};
use partnership_billing::domain::partnership::YearKind;
use partnership_billing::services::import::{ImportOptions, import_schools};
use partnership_billing::services::partnerships::{self, NewPartnership};
use partnership_billing::services::{connect, migrate};
use std::time::{Duration, Instant};

mod common;
use common::gias::GiasFile;

const ROWS: usize = 50_000;

fn bench(c: &mut Criterion) {
    // As a national download: one in ten closed with a successor, one in 17 without pupils.
    let file =
        GiasFile { rows: ROWS, first_urn: 100_000, closed_every: Some(10), blank_pupils_every: Some(17) }
            .bytes();
    let mut group = c.benchmark_group("gias_import_50000_rows");
    group.sample_size(10).measurement_time(Duration::from_secs(30));
    group.bench_function("parse", |b| b.iter(|| parse_file(&file, &ParseOptions::default())));
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    group.bench_function("import_into_fresh_sqlite", |b| {
        b.iter_custom(|iterations| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let dir = tempfile::tempdir().expect("dir");
                    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                    migrate(&url).await.expect("migrate");
                    let db = connect(&url).await.expect("db");
                    let partnership = partnerships::create(
                        &db,
                        NewPartnership {
                            slug: "bench".into(),
                            name: "Bench".into(),
                            address: String::new(),
                            vat_number: None,
                            year_kind: YearKind::Academic,
                        },
                    )
                    .await
                    .expect("partnership");
                    let started = Instant::now();
                    let summary =
                        import_schools(&db, partnership.id, &file, &ImportOptions::default(), &mut |_, _| {})
                            .await
                            .expect("import");
                    total += started.elapsed();
                    assert_eq!(summary.created, ROWS);
                    db.close().await.ok();
                }
                total
            })
        })
    });
    group.bench_function("reimport_unchanged_sqlite", |b| {
        let dir = tempfile::tempdir().expect("dir");
        let (db, partnership) = runtime.block_on(async {
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            migrate(&url).await.expect("migrate");
            let db = connect(&url).await.expect("db");
            let p = partnerships::create(
                &db,
                NewPartnership {
                    slug: "bench".into(),
                    name: "Bench".into(),
                    address: String::new(),
                    vat_number: None,
                    year_kind: YearKind::Academic,
                },
            )
            .await
            .expect("partnership");
            import_schools(&db, p.id, &file, &ImportOptions::default(), &mut |_, _| {})
                .await
                .expect("first import");
            (db, p)
        });
        b.iter(|| {
            runtime.block_on(async {
                let summary =
                    import_schools(&db, partnership.id, &file, &ImportOptions::default(), &mut |_, _| {})
                        .await
                        .expect("import");
                assert_eq!(summary.unchanged, ROWS);
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
