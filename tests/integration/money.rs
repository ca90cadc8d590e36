//! Money columns keep amounts exactly on both databases.

use crate::helpers::{Backend, TestApp};
use crate::import::new_partnership;
use crate::on_both_databases;
use partnership_billing::domain::money::Money;
use partnership_billing::services::budgets;

async fn round_trip(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let pid = new_partnership(&app, "money").await;
    let tenth = Money::parse("0.10").unwrap();
    let fifth = Money::parse("0.20").unwrap();
    budgets::set(&app.db, pid, "2025-26", "schools", tenth + fifth).await.unwrap();
    assert_eq!(
        budgets::get(&app.db, pid, "2025-26", "schools").await.unwrap(),
        Some(Money::parse("0.30").unwrap())
    );
    // The largest amount typed is £1,000,000,000.00, but storage holds far more exactly.
    for (text, pence) in
        [("12345678.91", 1_234_567_891), ("99999999999999.99", 9_999_999_999_999_999), ("-0.01", -1)]
    {
        let amount = Money::from_pence(pence);
        budgets::set(&app.db, pid, "2025-26", "traded", amount).await.unwrap();
        let back = budgets::get(&app.db, pid, "2025-26", "traded").await.unwrap().unwrap();
        assert_eq!(back, amount, "{text}");
        assert_eq!(back.amount().to_string(), text);
    }
    // A sum done by the database is exact too.
    budgets::set(&app.db, pid, "2026-27", "a", tenth).await.unwrap();
    budgets::set(&app.db, pid, "2026-27", "b", fifth).await.unwrap();
    budgets::set(&app.db, pid, "2026-27", "c", Money::parse("12345678.91").unwrap()).await.unwrap();
    assert_eq!(budgets::total(&app.db, pid, "2026-27").await.unwrap(), Money::parse("12345679.21").unwrap());
    app.finish().await;
}
on_both_databases!(money_round_trips_exactly, round_trip);
