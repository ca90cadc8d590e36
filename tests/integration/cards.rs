//! Card payments through Stripe: keys entered on the settings page and sealed, a school business
//! manager sent to a Checkout Session for exactly what the invoice owes (checked against a
//! small local stub of Stripe's API that records what it was asked), and Stripe's signed events
//! recording payments, failures and refunds in the ledger once each, whatever their order.

use crate::helpers::{Backend, Client, TestApp};
use crate::ledger::Books;
use crate::on_both_databases;
use axum::http::StatusCode;
use entity::{invoice, payer, payment, provider_payment, refund};
use partnership_billing::services::{partnerships, stripe, users};
use partnership_billing::web::{WebSettings, router};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

pub const SEALING_KEY: &str = "5f1e0a9c3b7d2e4f6a8c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d2f";
pub const WEBHOOK_SECRET: &str = "whsec_test_partnership_billing";

/// What the stub of Stripe's API was asked: (path, form body).
pub type Asked = Arc<Mutex<Vec<(String, String)>>>;

/// A stand-in for the parts of Stripe's API localstripe lacks (Checkout Sessions) and refunds:
/// records each request and answers with the few fields the service reads.
pub async fn stripe_stub() -> (String, Asked) {
    use axum::routing::post;
    let asked: Asked = Arc::default();
    let log = asked.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let page_base = base.clone();
    let app = axum::Router::new()
        .route(
            "/v1/checkout/sessions",
            post({
                let log = log.clone();
                move |body: String| async move {
                    let n = {
                        let mut l = log.lock().unwrap();
                        l.push(("/v1/checkout/sessions".into(), body));
                        l.len()
                    };
                    axum::Json(json!({
                        "id": format!("cs_test_{n}"), "object": "checkout.session",
                        "url": format!("{page_base}pay/cs_test_{n}"),
                    }))
                }
            }),
        )
        .route(
            "/v1/customers",
            post({
                let log = log.clone();
                move |body: String| async move {
                    let n = {
                        let mut l = log.lock().unwrap();
                        l.push(("/v1/customers".into(), body));
                        l.len()
                    };
                    axum::Json(json!({ "id": format!("cus_test_{n}"), "object": "customer" }))
                }
            }),
        )
        .route(
            "/v1/payment_intents",
            post({
                let log = log.clone();
                let keys: Arc<Mutex<std::collections::HashMap<String, String>>> = Arc::default();
                move |headers: axum::http::HeaderMap, body: String| async move {
                    let key = headers
                        .get("idempotency-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    let id = {
                        let mut l = log.lock().unwrap();
                        l.push(("/v1/payment_intents".into(), format!("idempotency_key={key}&{body}")));
                        let n = l.len();
                        // Stripe answers a repeated key with the PaymentIntent the first made.
                        keys.lock().unwrap().entry(key).or_insert_with(|| format!("pi_test_dd_{n}")).clone()
                    };
                    axum::Json(json!({ "id": id, "object": "payment_intent", "status": "processing" }))
                }
            }),
        )
        .route(
            "/v1/refunds",
            post(move |body: String| async move {
                let n = {
                    let mut l = log.lock().unwrap();
                    l.push(("/v1/refunds".into(), body));
                    l.len()
                };
                axum::Json(json!({ "id": format!("re_test_{n}"), "object": "refund" }))
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (base, asked)
}

/// The demo billed, with card payments set up against `api_base`.
pub async fn card_books(backend: Backend, api_base: &str) -> Books {
    let mut books = Books::new(backend).await;
    let settings = WebSettings {
        payments: partnership_billing::settings::PaymentSettings {
            sealing_key: Some(Arc::new(
                partnership_billing::secrets::SealingKey::from_text(SEALING_KEY).unwrap(),
            )),
            stripe_api_base: Some(api_base.to_string()),
        },
        public_url: "http://billing.test".into(),
        ..WebSettings::local()
    };
    books.app.state.settings = Arc::new(settings);
    books.app.router = router(books.app.state.clone());
    books
}

pub async fn sign_in(app: &TestApp, email: &str) -> Client {
    let mut client = app.client();
    let login = partnership_billing::services::demo::DEMO_LOGINS.iter().find(|l| l.email == email).unwrap();
    client.sign_in(login.email, login.password).await;
    client
}

/// Enters the keys on the settings page as the partnership's admin.
pub async fn enter_keys(app: &TestApp) {
    let mut admin = sign_in(app, "admin@demo.test").await;
    let page = admin.get("/settings/payments").await;
    assert!(page.text().contains("Card payments are off"), "{}", page.text());
    let csrf = page.csrf_token();
    let refused = admin
        .post_form(
            "/settings/payments",
            &[("csrf_token", &csrf), ("secret_key", "pk_test_123"), ("webhook_secret", "nope")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("publishable key") && refused.text().contains("starts whsec_"));
    let saved = admin
        .post_form(
            "/settings/payments",
            &[
                ("csrf_token", &csrf),
                ("secret_key", "sk_test_51Hpartnership"),
                ("webhook_secret", WEBHOOK_SECRET),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let page = admin.get("/settings/payments?done=saved").await.text();
    assert!(page.contains("Card payments are on, with test keys"), "{page}");
    assert!(
        !page.contains("sk_test_51Hpartnership") && !page.contains(WEBHOOK_SECRET),
        "a key was shown again"
    );
    assert!(page.contains("http://billing.test/stripe/webhook/"));
    // Stored sealed: neither secret is in the database in the clear.
    let stored = entity::payment_provider::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert!(!stored.secret_key_sealed.contains("sk_test") && !stored.webhook_secret_sealed.contains("whsec"));
    // Finance cannot see or change them.
    let mut finance = sign_in(app, "finance@demo.test").await;
    assert_eq!(finance.get("/settings/payments").await.status, StatusCode::FORBIDDEN);
}

/// The business manager's school's issued invoice: (invoice, payer, outstanding pence).
pub async fn sbm_invoice(db: &DatabaseConnection) -> (invoice::Model, i64) {
    let sbm = users::find_by_email(db, "sbm@demo.test").await.unwrap().unwrap();
    let school = sbm.school_id.expect("the demo business manager has a school");
    let p = payer::Entity::find()
        .filter(payer::Column::Reference.eq(format!("school:{school}")))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let inv = invoice::Entity::find()
        .filter(invoice::Column::PayerId.eq(p.id))
        .filter(invoice::Column::Status.eq("issued"))
        .filter(invoice::Column::OutstandingPence.gt(0))
        .one(db)
        .await
        .unwrap()
        .expect("an issued invoice to the business manager's school");
    (inv, p.id)
}

/// A Stripe event, as Stripe sends it.
pub fn event(id: &str, kind: &str, created: i64, object: Value) -> String {
    json!({
        "id": id, "object": "event", "api_version": "2026-09-30.endive", "created": created,
        "livemode": false, "pending_webhooks": 1, "type": kind, "data": { "object": object },
    })
    .to_string()
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Delivers a payload signed with `secret` at `signed_at`; (status, outcome or error).
pub async fn deliver(
    app: &TestApp,
    slug: &str,
    payload: &str,
    secret: &str,
    signed_at: i64,
) -> (StatusCode, String) {
    let header = stripe_webhook::Webhook::generate_test_header(payload, secret, Some(signed_at));
    let answer = app
        .client()
        .post_body(
            &format!("/stripe/webhook/{slug}"),
            "application/json",
            payload.as_bytes().to_vec(),
            &[("stripe-signature", &header)],
        )
        .await;
    let body = answer.json();
    let said = body["outcome"]
        .as_str()
        .or_else(|| body["error"]["message"].as_str())
        .unwrap_or_default()
        .to_string();
    (answer.status, said)
}

pub fn intent(id: &str, slug: &str, invoices: &str, pence: i64) -> Value {
    json!({
        "id": id, "object": "payment_intent", "amount": pence, "amount_received": pence, "currency": "gbp",
        "status": "succeeded", "metadata": { "partnership": slug, "invoice_ids": invoices },
    })
}

async fn provider_payments(db: &DatabaseConnection) -> u64 {
    payment::Entity::find().filter(payment::Column::Source.eq("provider")).count(db).await.unwrap()
}

async fn a_business_manager_pays_by_card(backend: Backend) {
    let (stub, asked) = stripe_stub().await;
    let books = card_books(backend, &stub).await;
    let app = &books.app;
    let slug = partnerships::list(&app.db).await.unwrap()[0].slug.clone();
    let (inv, _payer) = sbm_invoice(&app.db).await;
    let owed = inv.outstanding_pence;
    let number = inv.number.clone().unwrap();

    // Without keys there is no card button.
    let mut sbm = sign_in(app, "sbm@demo.test").await;
    let page = sbm.get(&format!("/invoices/{}", inv.id)).await.text();
    assert!(!page.contains("by card"), "card payment offered without keys");
    enter_keys(app).await;
    let page = sbm.get(&format!("/invoices/{}", inv.id)).await;
    assert!(page.text().contains("by card"), "{}", page.text());
    let csrf = page.csrf_token();

    // Paying sends the manager to Stripe's page for exactly what is owed, named in metadata.
    let went = sbm.post_form(&format!("/invoices/{}/pay", inv.id), &[("csrf_token", &csrf)]).await;
    assert_eq!(went.status, StatusCode::SEE_OTHER, "{}", went.text());
    assert_eq!(went.location().unwrap(), format!("{stub}pay/cs_test_1"));
    let (path, form) = asked.lock().unwrap()[0].clone();
    assert_eq!(path, "/v1/checkout/sessions");
    let form = percent_decode(&form);
    for expected in [
        "mode=payment".to_string(),
        format!("metadata[partnership]={slug}"),
        format!("metadata[invoice_ids]={}", inv.id),
        format!("payment_intent_data[metadata][invoice_ids]={}", inv.id),
        format!("payment_intent_data[metadata][partnership]={slug}"),
        format!("line_items[0][price_data][unit_amount]={owed}"),
        "line_items[0][price_data][currency]=gbp".into(),
        "success_url=http://billing.test/pay/done?session={CHECKOUT_SESSION_ID}".into(),
    ] {
        assert!(form.contains(&expected), "{expected} not in {form}");
    }
    // A CSRF token is needed, and another school's invoice cannot be paid.
    let forged = sbm.post_form(&format!("/invoices/{}/pay", inv.id), &[("csrf_token", "x")]).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert_eq!(asked.lock().unwrap().len(), 1, "a forged form asked Stripe for a payment page");
    let other = invoice::Entity::find()
        .filter(invoice::Column::PayerId.ne(inv.payer_id))
        .filter(invoice::Column::Status.eq("issued"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let refused = sbm.post_form(&format!("/invoices/{}/pay", other.id), &[("csrf_token", &csrf)]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    // Back from Stripe before its event: "on its way".
    let done = sbm.get("/pay/done?session=cs_test_1").await.text();
    assert!(done.contains("on its way"), "{done}");

    // Stripe says the session was paid: one card payment, allocated; the invoice is paid.
    let t = now();
    let session = json!({
        "id": "cs_test_1", "object": "checkout.session", "mode": "payment", "payment_status": "paid",
        "payment_intent": "pi_card_1", "amount_total": owed, "currency": "gbp",
        "metadata": { "partnership": slug, "invoice_ids": inv.id.to_string() },
    });
    let completed = event("evt_1", "checkout.session.completed", t, session);
    let (status, said) = deliver(app, &slug, &completed, WEBHOOK_SECRET, t).await;
    assert_eq!(status, StatusCode::OK, "{said}");
    assert!(said.starts_with("Paid £"), "{said}");
    let paid = books.invoice(inv.id).await;
    assert_eq!(paid["payment_state"], "paid", "{paid}");
    let p = payment::Entity::find()
        .filter(payment::Column::SourceRef.eq("pi_card_1"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((p.method.as_str(), p.amount_pence), ("card", owed));

    // The same event again, and the PaymentIntent's own success: nothing more is recorded.
    assert_eq!(deliver(app, &slug, &completed, WEBHOOK_SECRET, t).await.1, "Already taken: nothing changed");
    let succeeded = event(
        "evt_2",
        "payment_intent.succeeded",
        t + 1,
        intent("pi_card_1", &slug, &inv.id.to_string(), owed),
    );
    assert_eq!(deliver(app, &slug, &succeeded, WEBHOOK_SECRET, t).await.1, "Already recorded");
    // A late "processing" does not undo it.
    let late = event(
        "evt_3",
        "payment_intent.processing",
        t - 5,
        intent("pi_card_1", &slug, &inv.id.to_string(), owed),
    );
    assert!(deliver(app, &slug, &late, WEBHOOK_SECRET, t).await.1.contains("kept Paid"));
    assert_eq!(provider_payments(&app.db).await, 1);
    let done = sbm.get("/pay/done?session=cs_test_1").await.text();
    assert!(done.contains("Payment received"), "{done}");
    assert!(sbm.get(&format!("/invoices/{}", inv.id)).await.text().contains(&number));

    // Refused: a bad signature, a stale one, no signature, another partnership's, an unknown one.
    let forged =
        event("evt_4", "payment_intent.succeeded", t, intent("pi_x", &slug, &inv.id.to_string(), 100));
    assert_eq!(deliver(app, &slug, &forged, "whsec_wrong", t).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(deliver(app, &slug, &forged, WEBHOOK_SECRET, t - 600).await.0, StatusCode::BAD_REQUEST);
    let unsigned = app
        .client()
        .post_body(&format!("/stripe/webhook/{slug}"), "application/json", forged.clone().into_bytes(), &[])
        .await;
    assert_eq!(unsigned.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        deliver(app, "no-such-partnership", &forged, WEBHOOK_SECRET, t).await.0,
        StatusCode::NOT_FOUND
    );
    let elsewhere = event(
        "evt_5",
        "payment_intent.succeeded",
        t,
        intent("pi_y", "another-partnership", &inv.id.to_string(), 100),
    );
    assert_eq!(
        deliver(app, &slug, &elsewhere, WEBHOOK_SECRET, t).await.1,
        "For another partnership: nothing changed"
    );
    assert_eq!(provider_payments(&app.db).await, 1);

    // Finance refunds £10 on the payment's page: asked of Stripe, recorded when Stripe
    // confirms it (the invoice then owes it again).
    let pay_id = p.id;
    let mut finance = sign_in(app, "finance@demo.test").await;
    let page = finance.get(&format!("/payments/{pay_id}")).await;
    assert!(
        page.text().contains("This payment came through Stripe")
            && page.text().contains("Refund through Stripe"),
        "{}",
        page.text()
    );
    let csrf = page.csrf_token();
    let too_much = finance
        .post_form(
            &format!("/payments/{pay_id}/refund"),
            &[
                ("csrf_token", &csrf),
                ("refund_amount", &format!("{}.{:02}", (owed + 1) / 100, (owed + 1) % 100)),
                ("refund_reason", "overpaid"),
            ],
        )
        .await;
    assert_eq!(too_much.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_much.text().contains("of this card payment can be refunded"), "{}", too_much.text());
    let asked_refund = finance
        .post_form(
            &format!("/payments/{pay_id}/refund"),
            &[("csrf_token", &csrf), ("refund_amount", "10.00"), ("refund_reason", "overpaid")],
        )
        .await;
    assert_eq!(
        asked_refund.location().as_deref(),
        Some(format!("/payments/{pay_id}?done=refund-requested").as_str())
    );
    assert!(
        finance
            .get(&format!("/payments/{pay_id}?done=refund-requested"))
            .await
            .text()
            .contains("Stripe was asked to refund it")
    );
    let (path, form) = asked.lock().unwrap().last().unwrap().clone();
    assert_eq!(path, "/v1/refunds");
    assert!(form.contains("payment_intent=pi_card_1") && form.contains("amount=1000"), "{form}");
    assert_eq!(refund::Entity::find().count(&app.db).await.unwrap(), 0, "recorded before Stripe confirmed");
    let charge = json!({ "id": "ch_1", "object": "charge", "payment_intent": "pi_card_1", "amount": owed, "amount_refunded": 1000, "currency": "gbp" });
    let refunded = event("evt_6", "charge.refunded", t + 2, charge);
    assert_eq!(deliver(app, &slug, &refunded, WEBHOOK_SECRET, t).await.1, "Refunded £10.00 to the card");
    assert_eq!(deliver(app, &slug, &event("evt_7", "charge.refunded", t + 3, json!({ "id": "ch_1", "object": "charge", "payment_intent": "pi_card_1", "amount_refunded": 1000 })), WEBHOOK_SECRET, t).await.1, "Already recorded");
    let after = books.invoice(inv.id).await;
    assert_eq!(after["outstanding"], "10.00", "{after}");
    assert_eq!(refund::Entity::find().count(&app.db).await.unwrap(), 1);
    books.check().await;
    let row = provider_payment::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.refunded_pence), ("succeeded", 1000));
    books.app.finish().await;
}
on_both_databases!(a_business_manager_pays_by_card, a_business_manager_pays_by_card);

async fn a_failed_payment_is_shown_and_blocks_nothing_else(backend: Backend) {
    let (stub, _) = stripe_stub().await;
    let books = card_books(backend, &stub).await;
    let app = &books.app;
    enter_keys(app).await;
    let slug = partnerships::list(&app.db).await.unwrap()[0].slug.clone();
    let (inv, _) = sbm_invoice(&app.db).await;
    let t = now();
    let mut failing = intent("pi_fail", &slug, &inv.id.to_string(), inv.outstanding_pence);
    failing["last_payment_error"] = json!({ "message": "Your card was declined." });
    let (status, said) =
        deliver(app, &slug, &event("evt_f1", "payment_intent.payment_failed", t, failing), WEBHOOK_SECRET, t)
            .await;
    assert_eq!(status, StatusCode::OK, "{said}");
    assert_eq!(said, "Payment failed: Your card was declined.");
    let mut sbm = sign_in(app, "sbm@demo.test").await;
    let page = sbm.get(&format!("/invoices/{}", inv.id)).await.text();
    assert!(page.contains("Payment failed") && page.contains("Your card was declined."), "{page}");
    assert!(page.contains("by card"), "a failed card payment does not stop another try");
    // A refund for a payment not yet recorded waits (Stripe sends it again).
    let early =
        json!({ "id": "ch_2", "object": "charge", "payment_intent": "pi_later", "amount_refunded": 100 });
    assert_eq!(
        deliver(app, &slug, &event("evt_f2", "charge.refunded", t, early), WEBHOOK_SECRET, t).await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(provider_payments(&app.db).await, 0);
    books.app.finish().await;
}
on_both_databases!(
    a_failed_payment_is_shown_and_blocks_nothing_else,
    a_failed_payment_is_shown_and_blocks_nothing_else
);

/// A small deterministic shuffle (no test randomness that cannot be replayed).
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        items.swap(i, (seed >> 33) as usize % (i + 1));
    }
}

/// 1,000 deliveries: each payment's events sent once or twice, out of order, with forged ones
/// among them and refunds that arrive before their payment (refused, then sent again as Stripe
/// does). Afterwards: exactly one ledger payment per PaymentIntent, none lost, the books add up.
async fn a_thousand_deliveries_record_each_payment_once(backend: Backend) {
    let (stub, _) = stripe_stub().await;
    let books = card_books(backend, &stub).await;
    let app = &books.app;
    enter_keys(app).await;
    let slug = partnerships::list(&app.db).await.unwrap()[0].slug.clone();
    let invoices =
        invoice::Entity::find().filter(invoice::Column::Status.eq("issued")).all(&app.db).await.unwrap();
    let t = now();
    let mut deliveries: Vec<(String, &str)> = Vec::new();
    let intents = 150;
    let mut refunded = 0i64;
    for n in 0..intents {
        let inv = &invoices[n % invoices.len()];
        let pi = format!("pi_bulk_{n}");
        let pence = 100 + n as i64;
        let ids = inv.id.to_string();
        let base = t - 200 + n as i64;
        let mut own = vec![
            event(&format!("evt_{n}_a"), "payment_intent.processing", base, intent(&pi, &slug, &ids, pence)),
            event(
                &format!("evt_{n}_b"),
                "payment_intent.succeeded",
                base + 1,
                intent(&pi, &slug, &ids, pence),
            ),
            event(
                &format!("evt_{n}_c"),
                "checkout.session.completed",
                base + 1,
                json!({ "id": format!("cs_bulk_{n}"), "object": "checkout.session", "mode": "payment", "payment_status": "paid", "payment_intent": pi, "amount_total": pence, "currency": "gbp", "metadata": { "partnership": slug, "invoice_ids": ids } }),
            ),
        ];
        if n % 5 == 0 {
            refunded += 50;
            own.push(event(
                &format!("evt_{n}_r"),
                "charge.refunded",
                base + 2,
                json!({ "id": format!("ch_{n}"), "object": "charge", "payment_intent": pi, "amount_refunded": 50 }),
            ));
        }
        for e in own {
            deliveries.push((e.clone(), WEBHOOK_SECRET));
            if n % 2 == 0 {
                deliveries.push((e, WEBHOOK_SECRET));
            }
        }
    }
    while deliveries.len() < 1000 {
        let n = deliveries.len();
        let forged = event(
            &format!("evt_forged_{n}"),
            "payment_intent.succeeded",
            t,
            intent(&format!("pi_forged_{n}"), &slug, &invoices[0].id.to_string(), 99),
        );
        deliveries.push((forged, "whsec_attacker"));
    }
    assert_eq!(deliveries.len(), 1000, "the test sends exactly 1,000 deliveries");
    shuffle(&mut deliveries, 2026);
    let mut queue: std::collections::VecDeque<_> = deliveries.into();
    let (mut sent, mut forged_refused, mut retried) = (0, 0, 0);
    while let Some((payload, secret)) = queue.pop_front() {
        sent += 1;
        assert!(sent < 3000, "deliveries did not settle");
        let (status, said) = deliver(app, &slug, &payload, secret, now()).await;
        match status {
            StatusCode::OK => {}
            StatusCode::BAD_REQUEST if secret != WEBHOOK_SECRET => forged_refused += 1,
            StatusCode::CONFLICT => {
                retried += 1;
                queue.push_back((payload, secret));
            }
            other => panic!("{other}: {said}"),
        }
    }
    let recorded = provider_payments(&app.db).await;
    assert_eq!(recorded, intents as u64, "one payment per PaymentIntent: none duplicated, none lost");
    let distinct: std::collections::BTreeSet<String> = payment::Entity::find()
        .filter(payment::Column::Source.eq("provider"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|p| p.source_ref)
        .collect();
    assert_eq!(distinct.len(), intents);
    let refunds: i64 =
        refund::Entity::find().all(&app.db).await.unwrap().iter().map(|r| r.amount_pence).sum();
    assert_eq!(refunds, refunded, "each refund recorded once");
    assert!(
        forged_refused > 0 && retried > 0,
        "the mix had forged deliveries ({forged_refused}) and early refunds ({retried})"
    );
    books.check().await;
    books.app.finish().await;
}
on_both_databases!(
    a_thousand_deliveries_record_each_payment_once,
    a_thousand_deliveries_record_each_payment_once
);

pub fn percent_decode(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = bytes.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(h).unwrap_or("zz"), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The fake Stripe `tests/run` starts (localstripe from PyPI).
fn localstripe_url() -> String {
    std::env::var("PB_TEST_LOCALSTRIPE_URL").unwrap_or_else(|_| {
        panic!("PB_TEST_LOCALSTRIPE_URL is not set: run the suite with tests/run (it starts localstripe)")
    })
}

/// POSTs a JSON body to a local HTTP server; the status code.
async fn post_json(url: &str, body: &Value) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap();
    let body = body.to_string();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[derive(miniserde::Deserialize)]
struct Made {
    id: String,
}

/// Against localstripe: a PaymentIntent paid with a test card sends a signed
/// `payment_intent.succeeded` to the running service, which records and allocates it; a declined
/// card's `payment_intent.payment_failed` is shown; a refund is accepted by the fake Stripe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fake_stripe_sends_real_signed_events() {
    use ::stripe::StripeRequest;
    let base = localstripe_url();
    let books = card_books(Backend::Sqlite, &base).await;
    let app = &books.app;
    enter_keys(app).await;
    let slug = partnerships::list(&app.db).await.unwrap()[0].slug.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let service = app.router.clone().into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.ok() });
    let hook = json!({ "url": format!("http://{address}/stripe/webhook/{slug}"), "secret": WEBHOOK_SECRET });
    assert_eq!(post_json(&format!("{base}_config/webhooks/partnership-billing-test"), &hook).await, 200);

    let (inv, _) = sbm_invoice(&app.db).await;
    let client =
        ::stripe::ClientBuilder::new("sk_test_partnershipbilling").url(base.as_str()).build().unwrap();
    let metadata = std::collections::HashMap::from([
        ("partnership".to_string(), slug.clone()),
        ("invoice_ids".to_string(), inv.id.to_string()),
    ]);
    let paid = stripe_core::payment_intent::CreatePaymentIntent::new(2500, stripe_types::Currency::GBP)
        .payment_method("pm_card_visa")
        .confirm(true)
        .metadata(metadata.clone())
        .build()
        .customize::<Made>()
        .send(&client)
        .await
        .expect("localstripe takes the payment");
    // A declined card: Stripe refuses the confirmation and sends payment_intent.payment_failed.
    let declined = stripe_core::payment_intent::CreatePaymentIntent::new(1500, stripe_types::Currency::GBP)
        .payment_method("pm_card_chargeCustomerFail")
        .confirm(true)
        .metadata(metadata)
        .build()
        .customize::<Made>()
        .send(&client)
        .await;
    assert!(declined.is_err(), "the fake Stripe declines pm_card_chargeCustomerFail");

    // localstripe sends its events about a second later.
    let mut recorded = None;
    let mut failed = None;
    for _ in 0..100 {
        recorded = payment::Entity::find()
            .filter(payment::Column::SourceRef.eq(paid.id.as_str()))
            .one(&app.db)
            .await
            .unwrap();
        failed = provider_payment::Entity::find()
            .filter(provider_payment::Column::AmountPence.eq(1500))
            .filter(provider_payment::Column::State.eq("failed"))
            .one(&app.db)
            .await
            .unwrap();
        if recorded.is_some() && failed.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let recorded = recorded.expect("the signed payment_intent.succeeded from localstripe was recorded");
    assert_eq!((recorded.amount_pence, recorded.method.as_str()), (2500, "card"));
    assert!(failed.is_some(), "the declined card's payment_intent.payment_failed was recorded");
    let invoice = books.invoice(inv.id).await;
    assert_eq!(invoice["payment_state"], "part_paid", "{invoice}");
    let mut sbm = sign_in(app, "sbm@demo.test").await;
    assert!(sbm.get(&format!("/invoices/{}", inv.id)).await.text().contains("Payment failed"));

    // A refund goes to the fake Stripe (recorded when its charge.refunded arrives).
    let partnership = partnerships::list(&app.db).await.unwrap().remove(0);
    let actor = partnership_billing::services::ledger::Actor {
        user_id: None,
        today: chrono::Utc::now().date_naive(),
        now: chrono::Utc::now(),
    };
    let refund_id = stripe::refund_card(
        &app.db,
        &app.state.settings.payments,
        &partnership,
        recorded.id,
        partnership_billing::domain::money::Money::from_pence(500),
        actor,
    )
    .await
    .expect("localstripe takes the refund");
    assert!(refund_id.starts_with("re_"), "{refund_id}");
    books.check().await;
    books.app.finish().await;
}
