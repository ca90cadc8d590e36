//! Paying in a real browser: a business manager pays an invoice by card and sets up a Direct
//! Debit, each on a small stand-in for Stripe's hosted Checkout page (localstripe has none),
//! which sends Stripe's signed events for the session to the service's webhook before returning
//! the browser to the service, as Stripe does.

use super::{Browser, start_browser};
use crate::cards::{SEALING_KEY, WEBHOOK_SECRET};
use crate::helpers::{Backend, TestApp};
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect};
use fantoccini::Locator;
use partnership_billing::services::{billing, partnerships, stripe};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Each Checkout Session the service made: its form, by session id.
type Sessions = Arc<Mutex<HashMap<String, Vec<(String, String)>>>>;

#[derive(Clone)]
struct Stub {
    base: String,
    webhook: String,
    sessions: Sessions,
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `prefix[key]=value` pairs as a JSON object.
fn object_of(form: &[(String, String)], prefix: &str) -> Value {
    let mut out = serde_json::Map::new();
    for (k, v) in form {
        if let Some(key) =
            k.strip_prefix(prefix).and_then(|r| r.strip_prefix('[')).and_then(|r| r.strip_suffix(']'))
        {
            out.insert(key.to_string(), json!(v));
        }
    }
    Value::Object(out)
}

async fn create_session(
    State(stub): State<Stub>,
    Form(form): Form<Vec<(String, String)>>,
) -> impl IntoResponse {
    let id = {
        let mut sessions = stub.sessions.lock().unwrap();
        let id = format!("cs_browser_{}", sessions.len() + 1);
        sessions.insert(id.clone(), form);
        id
    };
    axum::Json(
        json!({ "id": id, "object": "checkout.session", "url": format!("{}checkout/{id}", stub.base) }),
    )
}

async fn page(Path(id): Path<String>) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><title>Stub Checkout</title></head><body><main><h1>Stub Stripe Checkout</h1>\
         <form method=\"post\" action=\"/checkout/{id}/complete\"><button type=\"submit\">Complete</button></form></main></body></html>"
    ))
}

async fn deliver(webhook: &str, kind: &str, object: Value) {
    use http_body_util::BodyExt;
    let now = chrono::Utc::now().timestamp();
    let payload = json!({
        "id": format!("evt_{kind}_{}", object["id"].as_str().unwrap_or_default()), "object": "event",
        "api_version": "2026-09-30.endive", "created": now, "livemode": false, "pending_webhooks": 1,
        "type": kind, "data": { "object": object },
    })
    .to_string();
    let signature = stripe_webhook::Webhook::generate_test_header(&payload, WEBHOOK_SECRET, Some(now));
    let client =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let request = axum::http::Request::post(webhook)
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(http_body_util::Full::new(axum::body::Bytes::from(payload)))
        .unwrap();
    let answer = client.request(request).await.expect("the webhook answers");
    let status = answer.status();
    let body = answer.into_body().collect().await.unwrap().to_bytes();
    assert!(status.is_success(), "{kind}: {status} {}", String::from_utf8_lossy(&body));
}

async fn complete(State(stub): State<Stub>, Path(id): Path<String>) -> impl IntoResponse {
    let form = stub.sessions.lock().unwrap().get(&id).cloned().expect("a session made by the service");
    let metadata = object_of(&form, "metadata");
    if field(&form, "mode") == Some("setup") {
        let customer = field(&form, "customer").unwrap_or_default();
        deliver(
            &stub.webhook,
            "checkout.session.completed",
            json!({
                "id": id, "object": "checkout.session", "mode": "setup", "status": "complete",
                "setup_intent": format!("seti_{id}"), "customer": customer, "metadata": metadata,
            }),
        )
        .await;
        deliver(
            &stub.webhook,
            "setup_intent.succeeded",
            json!({
                "id": format!("seti_{id}"), "object": "setup_intent", "status": "succeeded",
                "payment_method": format!("pm_{id}"), "mandate": format!("mandate_{id}"),
                "metadata": object_of(&form, "setup_intent_data[metadata]"),
            }),
        )
        .await;
        deliver(&stub.webhook, "mandate.updated", json!({
            "id": format!("mandate_{id}"), "object": "mandate", "status": "active", "payment_method": format!("pm_{id}"),
            "payment_method_details": { "type": "bacs_debit", "bacs_debit": { "reference": "STUB-MANDATE-1" } },
        }))
        .await;
    } else {
        let mut total = 0i64;
        let mut n = 0;
        while let Some(amount) = field(&form, &format!("line_items[{n}][price_data][unit_amount]")) {
            total += amount.parse::<i64>().unwrap();
            n += 1;
        }
        deliver(&stub.webhook, "checkout.session.completed", json!({
            "id": id, "object": "checkout.session", "mode": "payment", "status": "complete", "payment_status": "paid",
            "amount_total": total, "currency": "gbp", "payment_intent": format!("pi_{id}"), "metadata": metadata,
        }))
        .await;
    }
    let back = field(&form, "success_url").unwrap_or_default().replace("{CHECKOUT_SESSION_ID}", &id);
    Redirect::to(&back)
}

async fn customer() -> impl IntoResponse {
    axum::Json(json!({ "id": "cus_browser_1", "object": "customer" }))
}

/// Starts the stand-in; returns its base address.
async fn checkout_stub(webhook: String) -> String {
    use axum::routing::{get, post};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let stub = Stub { base: base.clone(), webhook, sessions: Arc::default() };
    let app = axum::Router::new()
        .route("/v1/checkout/sessions", post(create_session))
        .route("/v1/customers", post(customer))
        .route("/checkout/{id}", get(page))
        .route("/checkout/{id}/complete", post(complete))
        .with_state(stub);
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    base
}

async fn click_button_containing(b: &Browser, text: &str) {
    let xpath = format!("//button[contains(normalize-space(), '{text}')]");
    b.mark_page().await;
    b.client
        .find(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|_| panic!("no button with {text}"))
        .click()
        .await
        .unwrap();
    b.wait_for_new_page().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paying_by_card_and_direct_debit_in_a_real_browser() {
    let mut app = TestApp::with_demo(Backend::Sqlite).await;
    let p = partnerships::list(&app.db).await.unwrap().remove(0);
    let today = chrono::Utc::now().date_naive();
    billing::commit(&app.db, &p, "2026-27", "annual", billing::RunBy::on(today), &mut |_, _| {})
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = listener.local_addr().unwrap();
    let stub = checkout_stub(format!("http://{base}/stripe/webhook/{}", p.slug)).await;
    let payments = partnership_billing::settings::PaymentSettings {
        sealing_key: Some(Arc::new(
            partnership_billing::secrets::SealingKey::from_text(SEALING_KEY).unwrap(),
        )),
        stripe_api_base: Some(stub.clone()),
    };
    let actor =
        partnership_billing::services::ledger::Actor { user_id: None, today, now: chrono::Utc::now() };
    stripe::set_keys(&app.db, &payments, &p, "sk_test_browser", WEBHOOK_SECRET, actor).await.unwrap();
    app.state.settings = Arc::new(partnership_billing::web::WebSettings {
        payments,
        public_url: format!("http://{base}"),
        ..partnership_billing::web::WebSettings::local()
    });
    app.router = partnership_billing::web::router(app.state.clone());
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    let browser = start_browser().await;
    let b = &browser;
    let outcome = tokio::time::timeout(Duration::from_secs(180), async {
        super::sign_in(b, &base, "sbm@demo.test", "demo-school-2025").await;
        b.click_link("Invoices").await;
        b.click_partial_link("RH-").await;
        b.accessible("an invoice that can be paid by card").await;
        click_button_containing(b, "by card").await;
        assert!(b.text().await.contains("Stub Stripe Checkout"), "sent to Stripe's page");
        b.click_button("Complete").await;
        assert_eq!(b.path().await, "/pay/done");
        let done = b.text().await;
        assert!(done.contains("Payment received") && done.contains("was paid by card"), "{done}");
        b.accessible("the card payment result").await;
        b.click_partial_link("RH-").await;
        let invoice = b.text().await;
        assert!(invoice.contains("Paid") && !invoice.contains("by card now"), "{invoice}");
        b.click_partial_link("statement of account").await;
        b.accessible("a statement with Direct Debit on offer").await;
        b.click_button("Set up a Direct Debit").await;
        assert!(b.text().await.contains("Stub Stripe Checkout"));
        b.click_button("Complete").await;
        assert_eq!(b.path().await, "/direct-debit/done");
        assert!(b.text().await.contains("your Direct Debit is being set up"));
        b.accessible("the Direct Debit result").await;
        b.go(&base, "/invoices").await;
        b.click_partial_link("RH-").await;
        b.click_partial_link("statement of account").await;
        let statement = b.text().await;
        assert!(statement.contains("Active since") && statement.contains("STUB-MANDATE-1"), "{statement}");
        b.accessible("a statement with an active Direct Debit").await;
    })
    .await;
    let _ = browser.client.clone().close().await;
    outcome.expect("the journey finishes in time");
    app.finish().await;
}
