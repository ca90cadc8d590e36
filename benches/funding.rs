//! Funding models: a 3-option comparison over 24,000 schools and a 1,000-point sign-up sweep.

use criterion::{Criterion, criterion_group, criterion_main};
use partnership_billing::domain::billing_phase::BillingPhase;
use partnership_billing::domain::funding::{ModelSchool, Prepared, Scenario, SignUp, model};
use rust_decimal::Decimal;

fn schools() -> Vec<ModelSchool> {
    (0..24_000)
        .map(|i| ModelSchool {
            urn: 100_000 + i,
            name: format!("School {i}"),
            billing_phase: [
                BillingPhase::Primary,
                BillingPhase::Primary,
                BillingPhase::Secondary,
                BillingPhase::Special,
            ][i as usize % 4],
            pupils: (i % 50 != 0).then_some(50 + (i as u32 * 37) % 1800),
        })
        .collect()
}

fn scenario() -> Scenario {
    serde_json::from_value(serde_json::json!({
        "year": "2026-27",
        "schools": { "register": "bench" },
        "costs": [
            { "name": "Core", "kind": "core", "amount": "9000000.00" },
            { "name": "Additional", "kind": "additional", "days": "4000", "day_rate": "650.00" }
        ],
        "options": [
            { "name": "Single fee", "membership_fee": { "per_pupil": "12.00", "min": "1500.00", "max": "20000.00" }, "covers": ["core", "additional"] },
            { "name": "Tiers", "membership_fee": { "by_phase": { "Secondary": { "flat": "4000.00" }, "default": { "flat": "2000.00" } } },
              "covers": ["core", "additional"],
              "levels": [ { "name": "Advanced", "fee": { "per_pupil": "3.00" }, "sign_up": { "Secondary": "0.5", "default": "0.25" } } ] },
            { "name": "Core only", "membership_fee": { "bands": [ { "up_to": 300, "flat": "2000.00" }, { "per_pupil": "6.00" } ], "mode": "graduated" },
              "sign_up": "0.9", "covers": ["core"] }
        ],
        "council": { "match": "0.5", "cap": "500000.00" },
        "baseline": { "per_pupil": "10.00" }
    }))
    .expect("scenario")
}

fn bench(c: &mut Criterion) {
    let schools = schools();
    let scenario = scenario();
    let mut group = c.benchmark_group("funding");
    group.sample_size(10);
    group.bench_function("compare_3_options_24000_schools", |b| b.iter(|| model(&scenario, &schools)));
    let option = &scenario.options[0];
    let council = scenario.council.as_ref().map(|c| &c.council);
    group.bench_function("sign_up_sweep_1000_points", |b| {
        b.iter(|| {
            let prepared = Prepared::new(option, &schools);
            (0..1000).map(|i| prepared.income(&SignUp::All(Decimal::new(i, 3)), council, 0).total()).max()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
