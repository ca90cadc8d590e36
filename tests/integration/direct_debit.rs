//! Bacs Direct Debit against a small local stub of Stripe's API (localstripe has neither
//! Checkout nor Bacs): a business manager sets one up on Stripe's page in setup mode, signed
//! events (some out of order) make the mandate active, the Direct Debit job gives advance notice
//! and then collects the invoice on its due date with an idempotency key naming the invoice and
//! the attempt; a failed collection stops collection until finance starts it again; the
//! collection that succeeds pays the invoice.

use crate::cards::{
    WEBHOOK_SECRET, card_books, deliver, enter_keys, event, now, sbm_invoice, sign_in, stripe_stub,
};
use crate::on_both_databases;
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate, Utc};
use entity::{invoice, outbox_message, payment, provider_payment};
use partnership_billing::domain::direct_debit::notice_day;
use partnership_billing::jobs::{self, Job, JobContext, Trigger, outcome};
use partnership_billing::services::partnerships;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

async fn collecting_by_direct_debit(backend: crate::helpers::Backend) {
    let (stub, asked) = stripe_stub().await;
    let books = card_books(backend, &stub).await;
    let app = &books.app;
    let db = &app.db;
    let p = partnerships::list(db).await.unwrap().remove(0);
    let slug = p.slug.clone();
    let (inv, payer_id) = sbm_invoice(db).await;
    let owed = inv.outstanding_pence;
    let account = format!("/payers/{payer_id}/account");

    // Without Stripe keys nothing is offered.
    let mut sbm = sign_in(app, "sbm@demo.test").await;
    assert!(!sbm.get(&account).await.text().contains("Set up a Direct Debit"));
    enter_keys(app).await;
    let page = sbm.get(&account).await;
    assert!(page.text().contains("Set up a Direct Debit"), "{}", page.text());
    let csrf = page.csrf_token();
    // finance cannot give a school's bank details for it
    let mut finance = sign_in(app, "finance@demo.test").await;
    let finance_csrf = finance.get(&account).await.csrf_token();
    let refused = finance
        .post_form(&format!("/payers/{payer_id}/direct-debit"), &[("csrf_token", &finance_csrf)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let go = sbm.post_form(&format!("/payers/{payer_id}/direct-debit"), &[("csrf_token", &csrf)]).await;
    assert_eq!(go.status, StatusCode::SEE_OTHER, "{}", go.text());
    assert!(
        go.location().is_some_and(|l| l.starts_with(&format!("{stub}pay/cs_test_"))),
        "{:?}",
        go.location()
    );
    let session_id = go.location().unwrap().rsplit('/').next().unwrap().to_string();
    {
        let asked = asked.lock().unwrap();
        let customer = asked.iter().find(|(path, _)| path == "/v1/customers").expect("a customer was made");
        assert!(customer.1.contains("metadata[payer]=") && customer.1.contains("name="), "{}", customer.1);
        let session = &asked.iter().rev().find(|(path, _)| path == "/v1/checkout/sessions").unwrap().1;
        for part in [
            "mode=setup",
            "currency=gbp",
            "bacs_debit",
            "customer=cus_test_",
            &format!("setup_intent_data[metadata][payer]={payer_id}"),
            &format!("metadata[partnership]={slug}"),
        ] {
            assert!(session.contains(part), "{part} missing from {session}");
        }
    }
    assert!(sbm.get(&account).await.text().contains("Being set up since"));
    assert!(
        sbm.get("/direct-debit/done?session=x").await.text().contains("your Direct Debit is being set up")
    );

    // Stripe's events: the mandate's own news first, before this service knows it: asked again later.
    let mandate = json!({
        "id": "mandate_1", "object": "mandate", "payment_method": "pm_bacs_1", "status": "active",
        "payment_method_details": { "type": "bacs_debit", "bacs_debit": { "reference": "PB-REF-0001", "network_status": "accepted" } },
    });
    let t = now();
    let early =
        deliver(app, &slug, &event("evt_m1", "mandate.updated", t, mandate.clone()), WEBHOOK_SECRET, t).await;
    assert_eq!(early.0, StatusCode::CONFLICT, "{early:?}");
    let completed = json!({
        "id": session_id, "object": "checkout.session", "mode": "setup", "status": "complete",
        "setup_intent": "seti_1", "customer": "cus_test_1", "metadata": { "partnership": slug, "payer": payer_id.to_string() },
    });
    let (status, said) =
        deliver(app, &slug, &event("evt_c1", "checkout.session.completed", t, completed), WEBHOOK_SECRET, t)
            .await;
    assert_eq!(status, StatusCode::OK, "{said}");
    assert!(sbm.get(&account).await.text().contains("Waiting for the bank to confirm"));
    let setup = json!({
        "id": "seti_1", "object": "setup_intent", "status": "succeeded", "payment_method": "pm_bacs_1",
        "mandate": "mandate_1", "metadata": { "partnership": slug, "payer": payer_id.to_string() },
    });
    let (status, said) =
        deliver(app, &slug, &event("evt_s1", "setup_intent.succeeded", t + 1, setup), WEBHOOK_SECRET, t + 1)
            .await;
    assert_eq!(status, StatusCode::OK, "{said}");
    // Stripe sends the mandate's news again (same event id): now it is taken
    let (status, said) =
        deliver(app, &slug, &event("evt_m1", "mandate.updated", t + 2, mandate), WEBHOOK_SECRET, t + 2).await;
    assert_eq!((status, said.as_str()), (StatusCode::OK, "Direct Debit: Active"));
    let page = sbm.get(&account).await.text();
    assert!(page.contains("Active since") && page.contains("reference PB-REF-0001"), "{page}");
    assert!(!page.contains("Set up a Direct Debit"), "no second mandate is offered");

    // The job: nothing before the notice day, the notice three working days ahead, the
    // collection on the due date (not before), once.
    let ctx = JobContext {
        db: db.clone(),
        mailer: app.state.settings.mailer.clone(),
        payments: app.state.settings.payments.clone(),
        public_url: "https://billing.example".into(),
        instance: "test".into(),
    };
    let due = inv.due_date.unwrap();
    let at = |day: NaiveDate| day.and_hms_opt(6, 0, 0).unwrap().and_utc();
    let run = |day: NaiveDate| {
        let ctx = ctx.clone();
        let p = p.clone();
        async move {
            let run =
                jobs::run(&ctx, Job::DirectDebit, &p, day, at(day), Trigger::Schedule, None).await.unwrap();
            assert_eq!(run.outcome, outcome::SUCCEEDED, "{}", run.summary);
            run.summary
        }
    };
    let intents = || {
        asked
            .lock()
            .unwrap()
            .iter()
            .filter(|(path, _)| path == "/v1/payment_intents")
            .map(|(_, b)| b.clone())
            .collect::<Vec<_>>()
    };
    let notice = notice_day(due);
    assert!(run(notice - Duration::days(1)).await.contains("Sent 0 advance notices"));
    assert!(run(notice).await.contains("Sent 1 advance notices"));
    let told = outbox_message::Entity::find()
        .filter(outbox_message::Column::DedupeKey.eq(format!("dd_notice:{}", inv.id)))
        .one(db)
        .await
        .unwrap()
        .expect("an advance notice");
    assert!(
        told.subject.starts_with("Direct Debit notice from") && told.text_body.contains("PB-REF-0001"),
        "{}",
        told.text_body
    );
    let (_, held) =
        partnership_billing::services::reminders::due(db, p.id, due + Duration::days(40)).await.unwrap();
    assert!(
        held.iter().any(|h| h.invoice.id == inv.id && h.reason == "To be collected by Direct Debit"),
        "no reminder meanwhile"
    );
    run(due - Duration::days(1)).await;
    assert!(intents().is_empty(), "nothing collected before the due date");
    let collected = run(due).await;
    assert!(collected.contains("asked for 1 collections"), "{collected}");
    run(due).await;
    run(due + Duration::days(1)).await;
    let asked_for = intents();
    assert_eq!(asked_for.len(), 1, "collected once: {asked_for:?}");
    let first = &asked_for[0];
    for part in [
        format!("idempotency_key=pb-dd-{}-{}-1", p.id, inv.id),
        format!("amount={owed}"),
        "off_session=true".into(),
        "confirm=true".into(),
        "mandate=mandate_1".into(),
        "payment_method=pm_bacs_1".into(),
        format!("metadata[invoice_ids]={}", inv.id),
    ] {
        assert!(first.contains(&part), "{part} missing from {first}");
    }
    let pending = sbm.get(&format!("/invoices/{}", inv.id)).await.text();
    assert!(pending.contains("Collection pending: ") && pending.contains("by Direct Debit"), "{pending}");

    // The bank returns it: collection stops until finance acts.
    let failed = json!({
        "id": "pi_test_dd_", "object": "payment_intent", "amount": owed, "currency": "gbp", "status": "requires_payment_method",
        "last_payment_error": { "message": "The account has insufficient funds." },
        "metadata": { "partnership": slug, "invoice_ids": inv.id.to_string(), "method": "direct_debit" },
    });
    let pi = provider_payment::Entity::find()
        .filter(provider_payment::Column::Kind.eq("direct_debit"))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .payment_intent_id
        .unwrap();
    let mut failed = failed;
    failed["id"] = json!(pi);
    let (status, said) = deliver(
        app,
        &slug,
        &event("evt_f1", "payment_intent.payment_failed", at(due + Duration::days(1)).timestamp(), failed),
        WEBHOOK_SECRET,
        t + 3,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(said.ends_with("automatic collection stopped"), "{said}");
    let page = finance.get(&account).await.text();
    assert!(
        page.contains(
            "Automatic collection is stopped. A collection failed: The account has insufficient funds."
        ),
        "{page}"
    );
    assert!(
        page.contains("Payment failed: ") && page.contains("by Direct Debit"),
        "the failure is on the payer's account: {page}"
    );
    run(due + Duration::days(2)).await;
    assert_eq!(intents().len(), 1, "nothing collected while stopped");
    let resumed = finance
        .post_form(&format!("/payers/{payer_id}/direct-debit/resume"), &[("csrf_token", &finance_csrf)])
        .await;
    assert_eq!(resumed.status, StatusCode::SEE_OTHER);
    run(due + Duration::days(3)).await;
    let asked_for = intents();
    assert_eq!(asked_for.len(), 2);
    assert!(
        asked_for[1].contains(&format!("idempotency_key=pb-dd-{}-{}-2", p.id, inv.id)),
        "the second attempt has its own key"
    );
    let second = provider_payment::Entity::find()
        .filter(provider_payment::Column::Kind.eq("direct_debit"))
        .filter(provider_payment::Column::State.eq("processing"))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .payment_intent_id
        .unwrap();
    let paid = json!({
        "id": second, "object": "payment_intent", "amount": owed, "amount_received": owed, "currency": "gbp", "status": "succeeded",
        "metadata": { "partnership": slug, "invoice_ids": inv.id.to_string(), "method": "direct_debit" },
    });
    // (Stripe's events carry the time they happened: after the collection was asked for)
    let payload = event("evt_p2", "payment_intent.succeeded", at(due + Duration::days(5)).timestamp(), paid);
    let (status, said) = deliver(app, &slug, &payload, WEBHOOK_SECRET, t + 4).await;
    assert_eq!(status, StatusCode::OK, "{said}");
    deliver(app, &slug, &payload, WEBHOOK_SECRET, t + 5).await;
    let after = invoice::Entity::find_by_id(inv.id).one(db).await.unwrap().unwrap();
    assert_eq!(after.outstanding_pence, 0, "the invoice is paid");
    let payments = payment::Entity::find()
        .filter(payment::Column::Method.eq("direct_debit"))
        .filter(payment::Column::PayerId.eq(payer_id))
        .all(db)
        .await
        .unwrap();
    assert_eq!(payments.len(), 1, "one payment, however often Stripe says so");
    assert_eq!(payments[0].amount_pence, owed);
    let _ = Utc::now();
}
on_both_databases!(a_school_pays_its_invoice_by_direct_debit, collecting_by_direct_debit);
