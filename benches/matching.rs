//! Matching a bank statement: 10,000 credit lines, written the way payers write them, against
//! 24,000 open invoices of 300 payers. Prints the accuracy (wrong automatic matches, share
//! matched automatically, right top suggestions) and times the whole statement.

use criterion::{Criterion, criterion_group, criterion_main};
use partnership_billing::domain::bank::matching::Matcher;
use partnership_billing::domain::bank::synthetic::{generate, measure};
use std::time::Instant;

fn statement(c: &mut Criterion) {
    let s = generate(2026, 10_000, 24_000, 300);
    let started = Instant::now();
    let acc = measure(&s);
    let took = started.elapsed();
    println!(
        "accuracy: {} lines; {} matched automatically ({:.1}%), {} of them wrong; top suggestion right for {} of the other {} ({:.1}%); {:.0} ms",
        acc.lines,
        acc.auto,
        acc.auto_share() * 100.0,
        acc.wrong_auto,
        acc.top_right,
        acc.not_auto,
        acc.top_share() * 100.0,
        took.as_secs_f64() * 1000.0
    );
    for miss in acc.misses.iter().take(10) {
        println!("  {miss}");
    }
    let mut group = c.benchmark_group("matching");
    group.sample_size(10);
    group.bench_function("10,000 lines against 24,000 invoices", |b| {
        b.iter(|| {
            let mut m = Matcher::new("RH-", s.items.clone(), s.payers.clone());
            let mut auto = 0;
            for line in &s.lines {
                if matches!(
                    m.match_line(&line.text, line.amount),
                    partnership_billing::domain::bank::Outcome::Auto(_)
                ) {
                    auto += 1;
                }
            }
            auto
        })
    });
    group.finish();
}

criterion_group!(benches, statement);
criterion_main!(benches);
