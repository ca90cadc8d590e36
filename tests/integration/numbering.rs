//! Property: whatever sequence of billing, PO releases and credit notes happens, invoice and
//! credit-note numbers each run 1, 2, 3... with no gap and no repeat.

use crate::helpers::{Backend, TestApp};
use chrono::NaiveDate;
use entity::{credit_note, invoice};
use partnership_billing::domain::money::Money;
use partnership_billing::services::invoices::{self, CreditAmounts};
use partnership_billing::services::{billing, partnerships};
use proptest::prelude::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

#[derive(Debug, Clone)]
enum Step {
    Bill(&'static str),
    ReleasePo,
    CreditPart(usize, i64),
    CreditAll(usize),
    CreditTooMuch(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        prop::sample::select(vec!["autumn", "spring", "summer"]).prop_map(Step::Bill),
        Just(Step::ReleasePo),
        (0usize..200, 1i64..50_000).prop_map(|(i, p)| Step::CreditPart(i, p)),
        (0usize..200).prop_map(Step::CreditAll),
        (0usize..200).prop_map(Step::CreditTooMuch),
    ]
}

async fn run_steps(steps: Vec<Step>) {
    let app = TestApp::with_demo(Backend::Sqlite).await;
    let p = partnerships::find_by_slug(&app.db, "demo").await.unwrap().unwrap();
    let today = NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
    for step in steps {
        let issued = invoice::Entity::find()
            .filter(invoice::Column::Status.eq("issued"))
            .order_by_asc(invoice::Column::Id)
            .all(&app.db)
            .await
            .unwrap();
        let pick = |i: usize| issued.get(i % issued.len().max(1)).map(|m| m.id);
        match step {
            Step::Bill(period) => {
                billing::commit(
                    &app.db,
                    &p,
                    "2025-26",
                    period,
                    partnership_billing::services::billing::RunBy::on(today),
                    &mut |_, _| {},
                )
                .await
                .unwrap();
            }
            Step::ReleasePo => {
                let held = invoice::Entity::find()
                    .filter(invoice::Column::Status.eq("waiting_for_po"))
                    .one(&app.db)
                    .await
                    .unwrap();
                if let Some(h) = held {
                    billing::release_with_po(
                        &app.db,
                        &p,
                        h.payer_id,
                        "2025-26",
                        "PO-1",
                        None,
                        today.and_hms_opt(9, 0, 0).unwrap().and_utc(),
                    )
                    .await
                    .unwrap();
                }
            }
            Step::CreditPart(i, pence) => {
                if let Some(id) = pick(i) {
                    let _ = invoices::credit(
                        &app.db,
                        &p,
                        id,
                        &CreditAmounts::Amount(Money::from_pence(pence)),
                        partnership_billing::services::invoices::CreditRequest {
                            reason: "part",
                            user_id: None,
                            today,
                            now: chrono::Utc::now(),
                        },
                    )
                    .await;
                }
            }
            Step::CreditAll(i) => {
                if let Some(id) = pick(i) {
                    let _ = invoices::credit(
                        &app.db,
                        &p,
                        id,
                        &CreditAmounts::Everything,
                        partnership_billing::services::invoices::CreditRequest {
                            reason: "void",
                            user_id: None,
                            today,
                            now: chrono::Utc::now(),
                        },
                    )
                    .await;
                }
            }
            Step::CreditTooMuch(i) => {
                if let Some(id) = pick(i) {
                    let refused = invoices::credit(
                        &app.db,
                        &p,
                        id,
                        &CreditAmounts::Amount(Money::from_pence(100_000_000_000)),
                        partnership_billing::services::invoices::CreditRequest {
                            reason: "x",
                            user_id: None,
                            today,
                            now: chrono::Utc::now(),
                        },
                    )
                    .await;
                    assert!(refused.is_err());
                }
            }
        }
        let invoice_numbers: Vec<i64> = invoice::Entity::find()
            .filter(invoice::Column::Status.eq("issued"))
            .order_by_asc(invoice::Column::Sequence)
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|i| i.sequence)
            .collect();
        assert_eq!(invoice_numbers, (1..=invoice_numbers.len() as i64).collect::<Vec<_>>());
        let notes = credit_note::Entity::find()
            .order_by_asc(credit_note::Column::Sequence)
            .all(&app.db)
            .await
            .unwrap();
        let note_numbers: Vec<i64> = notes.iter().map(|n| n.sequence).collect();
        assert_eq!(note_numbers, (1..=note_numbers.len() as i64).collect::<Vec<_>>());
        // And no invoice is ever credited beyond its total.
        for inv in invoice::Entity::find().all(&app.db).await.unwrap() {
            let credited: i64 = notes.iter().filter(|n| n.invoice_id == inv.id).map(|n| n.gross_pence).sum();
            assert!(
                credited <= inv.gross_pence,
                "invoice {} credited {credited} of {}",
                inv.id,
                inv.gross_pence
            );
        }
    }
    app.finish().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]
    #[test]
    fn numbers_stay_unbroken_whatever_happens(steps in prop::collection::vec(step(), 1..12)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(run_steps(steps));
    }
}
