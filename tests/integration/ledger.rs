//! Payer accounts through the API: payments allocated oldest first or as chosen, part and over
//! payments, credit notes on paid invoices, refunds, write-offs, reversals, council budget
//! deductions, statements and aged debt; every step leaves the books adding up, and two finance
//! users allocating one payment at once cannot over-allocate it.

use crate::helpers::{Backend, TestApp};
use crate::on_both_databases;
use axum::http::StatusCode;
use partnership_billing::services::{auth, ledger, users};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

pub struct Books {
    pub app: TestApp,
    pub bearer: String,
}

impl Books {
    /// The demo with its 2026-27 annual invoices issued, and a finance token.
    pub async fn new(backend: Backend) -> Books {
        let books = Books::unbilled(backend).await;
        books.bill().await;
        books
    }

    /// The demo with a finance token, nothing billed yet.
    pub async fn unbilled(backend: Backend) -> Books {
        let app = TestApp::with_demo(backend).await;
        let finance = users::find_by_email(&app.db, "finance@demo.test").await.unwrap().unwrap();
        let token = auth::create_api_token(&app.db, finance.id, "ledger").await.unwrap();
        Books { app, bearer: format!("Bearer {}", token.expose_secret()) }
    }

    /// Issues the 2026-27 annual invoices.
    pub async fn bill(&self) {
        let (status, body) =
            self.post("/api/v1/billing-runs", json!({ "year": "2026-27", "period": "annual" })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let answer = self
            .app
            .client()
            .post_body(
                path,
                "application/json",
                body.to_string().into_bytes(),
                &[("authorization", &self.bearer)],
            )
            .await;
        (answer.status, answer.json())
    }

    pub async fn get(&self, path: &str) -> Value {
        let answer = self.app.client().get_with(path, &[("authorization", &self.bearer)]).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.text());
        answer.json()
    }

    pub async fn invoice(&self, id: i64) -> Value {
        self.get(&format!("/api/v1/invoices/{id}")).await
    }

    pub async fn check(&self) {
        let check = self.get("/api/v1/ledger-check").await;
        assert_eq!(check["ok"], true, "{check}");
    }
}

fn pence(v: &Value) -> i64 {
    let text = v.as_str().unwrap_or_else(|| panic!("an amount, not {v}"));
    let (pounds, p) = text.split_once('.').unwrap();
    let sign = if pounds.starts_with('-') { -1 } else { 1 };
    sign * (pounds.trim_start_matches('-').parse::<i64>().unwrap() * 100 + p.parse::<i64>().unwrap())
}

fn pounds(pence: i64) -> String {
    format!("{}{}.{:02}", if pence < 0 { "-" } else { "" }, pence.abs() / 100, pence.abs() % 100)
}

async fn a_school_invoice(books: &Books) -> (i64, i64, i64) {
    let list = books.get("/api/v1/invoices?year=2026-27&status=issued&per_page=500").await;
    for summary in list["invoices"].as_array().unwrap() {
        let id = summary["id"].as_i64().unwrap();
        let invoice = books.invoice(id).await;
        if invoice["lines"].as_array().unwrap().len() == 1
            && !invoice["payer_name"].as_str().unwrap().contains("Trust")
        {
            return (id, invoice["payer_id"].as_i64().unwrap(), pence(&invoice["totals"]["gross"]));
        }
    }
    panic!("no school invoice in {list}");
}

async fn payments_through_their_life(backend: Backend) {
    let books = Books::new(backend).await;
    let today = chrono::Utc::now().date_naive().to_string();
    let (id, payer, gross) = a_school_invoice(&books).await;
    let fresh = books.invoice(id).await;
    assert_eq!((fresh["payment_state"].as_str(), pence(&fresh["outstanding"])), (Some("issued"), gross));

    // A part payment, oldest first: the invoice is part paid.
    let (status, part) = books
        .post("/api/v1/payments", json!({ "payer_id": payer, "received_on": today, "amount": "100.00", "method": "bacs_credit", "reference": "PART" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{part}");
    assert_eq!(part["allocations"][0]["invoice_id"], id, "{part}");
    let after_part = books.invoice(id).await;
    assert_eq!(after_part["payment_state"], "part_paid");
    assert_eq!(pence(&after_part["outstanding"]), gross - 10_000);

    // Chosen allocations that ask too much are refused by name, and nothing is written.
    let (status, spare) = books
        .post("/api/v1/payments", json!({ "payer_id": payer, "received_on": today, "amount": "5.00", "method": "cheque", "allocate": "none" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{spare}");
    assert_eq!(spare["unallocated"], "5.00");
    let spare_id = spare["id"].as_i64().unwrap();
    let (status, body) = books
        .post(
            &format!("/api/v1/payments/{spare_id}/allocations"),
            json!({ "allocations": [{ "invoice_id": id, "amount": "6.00" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("£5.00 left to allocate"), "{body}");
    let other = books.get("/api/v1/invoices?year=2026-27&status=issued&per_page=500").await["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["payer_name"] != fresh["payer_name"])
        .map(|i| i["id"].as_i64().unwrap())
        .unwrap();
    let (status, body) = books
        .post(
            &format!("/api/v1/payments/{spare_id}/allocations"),
            json!({ "allocations": [{ "invoice_id": other, "amount": "1.00" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "another payer's invoice: {body}");
    assert_eq!(pence(&books.invoice(id).await["outstanding"]), gross - 10_000);

    // An over-payment pays the rest and leaves credit.
    let rest = gross - 10_000;
    let (status, over) = books
        .post("/api/v1/payments", json!({ "payer_id": payer, "received_on": today, "amount": pounds(rest + 5_000), "method": "bank_transfer", "reference": "REST" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{over}");
    assert_eq!(over["unallocated"], "50.00", "{over}");
    let paid = books.invoice(id).await;
    assert_eq!((paid["payment_state"].as_str(), paid["outstanding"].as_str()), (Some("paid"), Some("0.00")));
    let statement = books.get(&format!("/api/v1/payers/{payer}/statement")).await;
    assert_eq!(statement["credit"], "55.00", "50.00 over and 5.00 not yet allocated: {statement}");
    assert_eq!(statement["closing_balance"], "-55.00");

    // A credit note on the paid invoice frees that much of the newest payment as credit.
    let (status, note) = books
        .post(
            &format!("/api/v1/invoices/{id}/credit-notes"),
            json!({ "reason": "Fewer pupils", "amount": "10.00" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    let note_gross = pence(&note["gross"]);
    let statement = books.get(&format!("/api/v1/payers/{payer}/statement")).await;
    assert_eq!(pence(&statement["credit"]), 5_500 + note_gross, "{statement}");
    assert_eq!(books.invoice(id).await["payment_state"], "paid");

    // A refund of credit, never more than the payment has left.
    let over_id = over["id"].as_i64().unwrap();
    let (status, body) = books
        .post(&format!("/api/v1/payments/{over_id}/refunds"), json!({ "amount": "1000000.00", "refunded_on": today, "method": "bank_transfer", "reason": "Paid twice" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = books
        .post(&format!("/api/v1/payments/{over_id}/refunds"), json!({ "amount": "20.00", "refunded_on": today, "method": "bank_transfer", "reason": "Paid twice" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let statement = books.get(&format!("/api/v1/payers/{payer}/statement")).await;
    assert_eq!(pence(&statement["credit"]), 3_500 + note_gross);
    // A refunded payment cannot be reversed; the part payment can, and the invoice owes again.
    let (status, _) =
        books.post(&format!("/api/v1/payments/{over_id}/reverse"), json!({ "reason": "bounced" })).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let part_id = part["id"].as_i64().unwrap();
    let (status, reversed) = books
        .post(&format!("/api/v1/payments/{part_id}/reverse"), json!({ "reason": "Cheque bounced" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{reversed}");
    assert_eq!(reversed["allocated"], "0.00");
    let owed = books.invoice(id).await;
    assert_eq!(pence(&owed["outstanding"]), 10_000, "{owed}");
    let (status, _) =
        books.post(&format!("/api/v1/payments/{part_id}/reverse"), json!({ "reason": "again" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "a payment is reversed once");

    // Applying credit: the spare cheque goes on the invoice; the rest is written off.
    let (status, body) = books
        .post(&format!("/api/v1/payments/{spare_id}/allocations"), json!({ "allocate": "oldest_first" }))
        .await;
    assert_eq!((status, body["allocated"].as_str()), (StatusCode::OK, Some("5.00")), "{body}");
    let (status, body) = books
        .post(
            &format!("/api/v1/invoices/{id}/write-offs"),
            json!({ "kind": "small_remainder", "reason": "Too small to chase" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "£95.00 is over the £1.00 limit: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("at most £1.00"), "{body}");
    let (status, body) = books
        .post(
            &format!("/api/v1/invoices/{id}/write-offs"),
            json!({ "kind": "bad_debt", "reason": "School closed" }),
        )
        .await;
    assert_eq!((status, body["amount"].as_str()), (StatusCode::CREATED, Some("95.00")), "{body}");
    let written = books.invoice(id).await;
    assert_eq!(
        (written["payment_state"].as_str(), written["outstanding"].as_str()),
        (Some("written_off"), Some("0.00"))
    );

    // The statement adds up: opening 0, every document, closing = invoices + refunds - the rest.
    let statement = books.get(&format!("/api/v1/payers/{payer}/statement")).await;
    let entries = statement["entries"].as_array().unwrap();
    let kinds: Vec<&str> = entries.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for kind in ["invoice", "payment", "credit_note", "refund", "payment_reversed", "write_off"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let sum: i64 = entries.iter().map(|e| pence(&e["debit"]) - pence(&e["credit"])).sum();
    assert_eq!(pence(&statement["closing_balance"]), sum);
    assert_eq!(pence(&statement["closing_balance"]), -pence(&statement["credit"]));
    books.check().await;

    // The year's collection rate adds up what payments cleared on its invoices.
    let mut raised = 0i64;
    let mut cleared = 0i64;
    let (mut seen_credited, mut seen_written_off) = (false, false);
    for summary in books.get("/api/v1/invoices?year=2026-27&status=issued&per_page=500").await["invoices"]
        .as_array()
        .unwrap()
    {
        let one = books.invoice(summary["id"].as_i64().unwrap()).await;
        raised += pence(&one["money"]["gross"]) - pence(&one["money"]["credited"]);
        cleared += pence(&one["money"]["allocated"]);
        // The list adds up each invoice's credit notes, payments (not the undone) and
        // write-offs in its own query: the same figures as the invoice itself.
        let money = &one["money"];
        assert_eq!(pence(&summary["credited"]), pence(&money["credited"]), "{summary}");
        assert_eq!(pence(&summary["paid"]), pence(&money["allocated"]), "{summary}");
        let owed = pence(&money["gross"])
            - pence(&money["credited"])
            - pence(&money["allocated"])
            - pence(&money["written_off"]);
        assert_eq!(pence(&summary["outstanding"]), owed, "{summary}");
        seen_credited |= pence(&money["credited"]) > 0;
        seen_written_off |= pence(&money["written_off"]) > 0;
    }
    assert!(seen_credited && seen_written_off, "the year has a credited and a written-off invoice");
    let p = partnership_billing::services::partnerships::find_by_slug(&books.app.db, "demo")
        .await
        .unwrap()
        .unwrap();
    let c = ledger::collection(&books.app.db, p.id, "2026-27").await.unwrap();
    assert_eq!(
        (c.invoiced, c.collected),
        (
            partnership_billing::domain::money::Money::from_pence(raised),
            partnership_billing::domain::money::Money::from_pence(cleared)
        )
    );

    // The audit log says it in words.
    let audit = books.get("/api/v1/audit?kind=payments").await;
    let sentences: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().filter_map(|e| e["sentence"].as_str()).collect();
    assert!(
        sentences.iter().any(|s| s.contains("recorded a payment of £100.00") && s.contains("bacs credit")),
        "{sentences:?}"
    );
    assert!(
        sentences.iter().any(|s| s.contains("reversed") && s.contains("Cheque bounced")),
        "{sentences:?}"
    );
    assert!(sentences.iter().any(|s| s.contains("refunded £20.00")), "{sentences:?}");

    // A business manager reads only their own account, and records nothing.
    let sbm = users::find_by_email(&books.app.db, "sbm@demo.test").await.unwrap().unwrap();
    let token = auth::create_api_token(&books.app.db, sbm.id, "sbm").await.unwrap();
    let sbm_bearer = format!("Bearer {}", token.expose_secret());
    let sbm_user = users::get(&books.app.db, sbm.id).await.unwrap().unwrap();
    let own = partnership_billing::services::invoices::scope_for(&books.app.db, &sbm_user).await.unwrap();
    let Some(partnership_billing::services::invoices::InvoiceScope::Payers(own)) = own else {
        panic!("a scope")
    };
    let mut client = books.app.client();
    let auth = [("authorization", sbm_bearer.as_str())];
    assert_eq!(
        client.get_with(&format!("/api/v1/payers/{}/statement", own[0]), &auth).await.status,
        StatusCode::OK
    );
    if !own.contains(&payer) {
        assert_eq!(
            client.get_with(&format!("/api/v1/payers/{payer}/statement"), &auth).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let body =
        json!({ "payer_id": own[0], "received_on": today, "amount": "1.00", "method": "cash" }).to_string();
    assert_eq!(
        client.post_body("/api/v1/payments", "application/json", body.into_bytes(), &auth).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(client.get_with("/api/v1/aged-debt", &auth).await.status, StatusCode::FORBIDDEN);
    books.app.finish().await;
}
on_both_databases!(payments_through_their_life_, payments_through_their_life);

async fn council_budget_deduction(backend: Backend) {
    let books = Books::new(backend).await;
    let today = chrono::Utc::now().date_naive().to_string();
    let list = books.get("/api/v1/invoices?year=2026-27&status=issued&per_page=500").await;
    let mut schools = Vec::new();
    let mut trust_invoice = None;
    for summary in list["invoices"].as_array().unwrap() {
        let id = summary["id"].as_i64().unwrap();
        let invoice = books.invoice(id).await;
        if invoice["payer_name"].as_str().unwrap().contains("Trust") {
            trust_invoice = Some(id);
        } else if schools.len() < 2 {
            schools.push((id, pence(&invoice["outstanding"])));
        }
    }
    let trust_invoice = trust_invoice.expect("a trust invoice");
    let ids: Vec<i64> = schools.iter().map(|s| s.0).collect();
    let (status, body) = books
        .post(
            "/api/v1/settlements",
            json!({ "reference": "DD-2026-11", "settled_on": today, "invoice_ids": [ids[0], trust_invoice] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("not a school"), "{body}");
    assert_eq!(books.invoice(ids[0]).await["payment_state"], "issued", "nothing was written");
    let (status, body) = books
        .post(
            "/api/v1/settlements",
            json!({ "reference": "DD-2026-11", "settled_on": today, "invoice_ids": ids }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for (id, owed) in &schools {
        let invoice = books.invoice(*id).await;
        assert_eq!(invoice["payment_state"], "paid", "{invoice}");
        assert_eq!(pence(&invoice["money"]["allocated"]), *owed);
    }
    let (status, _) = books
        .post(
            "/api/v1/settlements",
            json!({ "reference": "again", "settled_on": today, "invoice_ids": [ids[0]] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a settled invoice owes nothing");
    let payments = books.get("/api/v1/payments?q=DD-2026-11").await;
    assert_eq!(payments["total"], 2, "{payments}");
    assert_eq!(payments["rows"][0]["method"], "council_budget_deduction");
    books.check().await;
    books.app.finish().await;
}
on_both_databases!(a_council_budget_deduction_settles_many_invoices, council_budget_deduction);

/// Two finance users allocate all of one payment to two different invoices at the same moment:
/// one wins, the other is refused, and the payment is never over-allocated.
async fn concurrent_allocations(backend: Backend) {
    let books = Books::new(backend).await;
    let today = chrono::Utc::now().date_naive().to_string();
    let (id, payer, _) = a_school_invoice(&books).await;
    let (status, pay) = books
        .post("/api/v1/payments", json!({ "payer_id": payer, "received_on": today, "amount": "30.00", "method": "bank_transfer", "allocate": "none" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pay}");
    let payment = pay["id"].as_i64().unwrap();
    for round in 0..5 {
        let body = json!({ "allocations": [{ "invoice_id": id, "amount": "30.00" }] });
        let path = format!("/api/v1/payments/{payment}/allocations");
        let (a, b) = tokio::join!(books.post(&path, body.clone()), books.post(&path, body.clone()));
        let won = [a.0, b.0].iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(won, 1, "round {round}: exactly one allocation wins: {a:?} {b:?}");
        let lost = if a.0 == StatusCode::OK { b } else { a };
        assert_eq!(lost.0, StatusCode::UNPROCESSABLE_ENTITY, "{lost:?}");
        let now = books.get(&format!("/api/v1/payments/{payment}")).await;
        assert_eq!(now["allocated"], "30.00", "{now}");
        let allocation =
            now["allocations"].as_array().unwrap().iter().find(|a| a["undone_at"].is_null()).unwrap()["id"]
                .as_i64()
                .unwrap();
        let (status, _) =
            books.post(&format!("/api/v1/allocations/{allocation}/undo"), json!({ "reason": "again" })).await;
        assert_eq!(status, StatusCode::OK);
    }
    books.check().await;
    books.app.finish().await;
}
on_both_databases!(two_finance_users_cannot_over_allocate_a_payment, concurrent_allocations);

/// Thousands of random operations on the books; after each, every invariant holds.
async fn random_operations(backend: Backend, cases: u32, ops: usize) {
    use partnership_billing::domain::ledger::{PaymentMethod, PaymentSource, WriteOffKind};
    use partnership_billing::domain::money::Money;
    use partnership_billing::services::invoices::{CreditAmounts, CreditRequest, credit};
    use partnership_billing::services::partnerships;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let books = Books::new(backend).await;
    let p = partnerships::find_by_slug(&books.app.db, "demo").await.unwrap().unwrap();
    let invoices: Vec<entity::invoice::Model> = entity::invoice::Entity::find()
        .filter(entity::invoice::Column::Status.eq("issued"))
        .all(&books.app.db)
        .await
        .unwrap();
    let invoices: Vec<(i64, i64)> = invoices.iter().take(12).map(|i| (i.id, i.payer_id)).collect();
    let op = prop_oneof![
        (0..invoices.len(), 1i64..300_000, any::<bool>()).prop_map(|(i, p, a)| (0u8, i, p, a as usize)),
        (0..invoices.len(), 0i64..50, 0usize..64).prop_map(|(i, p, k)| (1, i, p, k)),
        (0..invoices.len(), 0i64..50, 0usize..64).prop_map(|(i, p, k)| (2, i, p, k)),
        (0..invoices.len(), 0i64..50, 0usize..64).prop_map(|(i, p, k)| (3, i, p, k)),
        (0..invoices.len(), 1i64..20_000, 0usize..64).prop_map(|(i, p, k)| (4, i, p, k)),
        (0..invoices.len(), 1i64..200, any::<bool>()).prop_map(|(i, p, b)| (5, i, p, b as usize)),
        (0..invoices.len(), 1i64..50_000, 0usize..2).prop_map(|(i, p, k)| (6, i, p, k)),
    ];
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let strategy = proptest::collection::vec(op, ops..=ops);
    let handle = tokio::runtime::Handle::current();
    let db = books.app.db.clone();
    let result = runner.run(&strategy, |steps| {
        let db = db.clone();
        let p = p.clone();
        let invoices = invoices.clone();
        let outcome = tokio::task::block_in_place(|| {
            handle.block_on(async move {
                let today = chrono::Utc::now().date_naive();
                let actor = ledger::Actor { user_id: None, today, now: chrono::Utc::now() };
                for (n, (kind, i, amount, k)) in steps.iter().enumerate() {
                    let (invoice, payer) = invoices[*i];
                    let payments = ledger::list_payments(
                        &db,
                        p.id,
                        &ledger::PaymentFilter { payer_id: Some(payer), ..Default::default() },
                        1,
                        50,
                    )
                    .await
                    .unwrap();
                    let pick = |k: usize| payments.rows.get(k % payments.rows.len().max(1)).map(|v| v.id);
                    let result = match kind {
                        0 => ledger::record(
                            &db,
                            &p,
                            &ledger::NewPayment {
                                payer_id: payer,
                                received_on: today,
                                amount: Money::from_pence(*amount),
                                method: PaymentMethod::BankTransfer,
                                reference: format!("op {n}"),
                                source: PaymentSource::Typed,
                                source_ref: None,
                            },
                            if *k == 1 { &ledger::Allocate::OldestFirst } else { &ledger::Allocate::Nothing },
                            actor,
                        )
                        .await
                        .map(|_| ()),
                        1 => match pick(*k) {
                            Some(id) => ledger::allocate(&db, &p, id, &ledger::Allocate::OldestFirst, actor)
                                .await
                                .map(|_| ()),
                            None => Ok(()),
                        },
                        2 => match pick(*k) {
                            Some(id) => {
                                let view = ledger::get_payment(&db, p.id, id).await.unwrap();
                                match view.allocations.iter().find(|a| a.undone_at.is_none()) {
                                    Some(a) => {
                                        ledger::unallocate(&db, &p, a.id, "random", actor).await.map(|_| ())
                                    }
                                    None => Ok(()),
                                }
                            }
                            None => Ok(()),
                        },
                        3 => match pick(*k) {
                            Some(id) => ledger::reverse(&db, &p, id, "random", actor).await.map(|_| ()),
                            None => Ok(()),
                        },
                        4 => match pick(*k) {
                            Some(id) => ledger::refund(
                                &db,
                                &p,
                                &ledger::NewRefund {
                                    payment_id: id,
                                    amount: Money::from_pence(*amount),
                                    refunded_on: today,
                                    method: PaymentMethod::BankTransfer,
                                    reason: "random".into(),
                                },
                                actor,
                            )
                            .await
                            .map(|_| ()),
                            None => Ok(()),
                        },
                        5 => ledger::write_off(
                            &db,
                            &p,
                            &ledger::NewWriteOff {
                                invoice_id: invoice,
                                amount: Some(Money::from_pence(*amount)),
                                kind: if *k == 1 {
                                    WriteOffKind::SmallRemainder
                                } else {
                                    WriteOffKind::BadDebt
                                },
                                reason: "random".into(),
                            },
                            actor,
                        )
                        .await
                        .map(|_| ()),
                        _ => credit(
                            &db,
                            &p,
                            invoice,
                            &CreditAmounts::Amount(Money::from_pence(*amount)),
                            CreditRequest { reason: "random", user_id: None, today, now: chrono::Utc::now() },
                        )
                        .await
                        .map(|_| ()),
                    };
                    if let Err(e) = result {
                        let refused = matches!(
                            e,
                            partnership_billing::services::ServiceError::Invalid(_)
                                | partnership_billing::services::ServiceError::Conflict(_)
                        );
                        if !refused {
                            return Err(format!("step {n} ({kind}) failed: {e:?}"));
                        }
                    }
                    let check = ledger::check_ledger(&db, Some("demo")).await.unwrap();
                    if !check.breaches.is_empty() {
                        return Err(format!(
                            "after step {n} {:?}: {:?}",
                            steps[n],
                            check.breaches.iter().map(|b| b.breach.to_string()).collect::<Vec<_>>()
                        ));
                    }
                }
                Ok(())
            })
        });
        outcome.map_err(proptest::test_runner::TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The operations did things, not only get refused.
    for table in ["payments", "allocations", "refunds", "write_offs", "credit_notes"] {
        use sea_orm::ConnectionTrait;
        let row = books
            .app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                books.app.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        let n: i64 = row.try_get("", "n").unwrap();
        assert!(n > 0, "no {table} were made");
    }
    books.app.finish().await;
}

async fn random_sqlite(backend: Backend) {
    random_operations(backend, 5, 400).await;
}

async fn random_postgres(backend: Backend) {
    random_operations(backend, 2, 250).await;
}

mod random_operations_keep_every_invariant {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::random_sqlite(crate::helpers::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::random_postgres(crate::helpers::Backend::Postgres).await;
    }
}

/// A stored amount that no longer matches the documents is named by the API's check and by
/// `check-ledger`, which exits non-zero.
async fn breaches_are_named(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let books = Books::new(backend).await;
    let (id, _, _) = a_school_invoice(&books).await;
    books.check().await;
    let number = books.invoice(id).await["number"].as_str().unwrap().to_string();
    books
        .app
        .db
        .execute_unprepared(&format!(
            "UPDATE invoices SET outstanding_pence = outstanding_pence + 1 WHERE id = {id}"
        ))
        .await
        .unwrap();
    let check = books.get("/api/v1/ledger-check").await;
    assert_eq!(check["ok"], false);
    let breaches = check["breaches"].to_string();
    assert!(breaches.contains(&format!("invoice {number}: the stored outstanding amount")), "{breaches}");
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_partnership-billing"))
        .args(["check-ledger", "--partnership", "demo"])
        .env("DATABASE_URL", &books.app.url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run check-ledger");
    let out = String::from_utf8_lossy(&cli.stdout);
    assert_eq!(cli.status.code(), Some(1), "{out}");
    assert!(out.contains(&format!("demo: invoice {number}: the stored outstanding amount")), "{out}");
    assert!(out.contains("1 breach(es) found"), "{out}");
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_partnership-billing"))
        .args(["check-ledger", "--partnership", "nowhere"])
        .env("DATABASE_URL", &books.app.url)
        .output()
        .expect("run check-ledger");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("partnership nowhere not found"));
    books.app.finish().await;
}
on_both_databases!(a_broken_ledger_is_named_by_the_check, breaches_are_named);
