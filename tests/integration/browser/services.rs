//! Traded services in a real browser: a business manager sees their own prices, books two
//! named delegates on a CPD course and orders an adviser day; finance confirms the day, records its
//! delivery, and the invoice is on the school's statement. Every page is checked with axe and
//! at a phone's width.

use super::{Browser, serve, sign_in, start_browser};
use crate::helpers::{Backend, TestApp};
use fantoccini::Locator;
use std::net::SocketAddr;
use std::time::Duration;

async fn service_id(app: &TestApp, name: &str) -> i64 {
    let p = partnership_billing::services::partnerships::list(&app.db).await.unwrap().remove(0);
    partnership_billing::services::traded::list(&app.db, p.id)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("the demo has {name}"))
        .id
}

async fn click_css(b: &Browser, css: &str) {
    b.mark_page().await;
    let link = b.client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("nothing at {css}"));
    link.click().await.expect("click");
    b.wait_for_new_page().await;
}

async fn order(b: &Browser, quantity: &str, day: &str, month: &str, year: &str, po: &str) {
    b.fill("quantity", quantity).await;
    b.fill("service_date-day", day).await;
    b.fill("service_date-month", month).await;
    b.fill("service_date-year", year).await;
    b.fill("po_number", po).await;
    b.click_button("Place the order").await;
}

async fn school_orders(b: &Browser, base: &SocketAddr, adviser: i64) {
    sign_in(b, base, "sbm@demo.test", "demo-school-2025").await;
    b.click_link("Services").await;
    let page = b.text().await;
    assert!(page.contains("£650.00 a day") && page.contains("Member price, Basic level"), "{page}");
    assert!(page.contains("1 day included, none used yet"), "{page}");
    b.accessible("a school's services").await;

    // Two places on a course.
    b.click_partial_link("Courses and conferences").await;
    b.accessible("courses and conferences").await;
    b.click_link("Phonics for new teachers").await;
    let page = b.text().await;
    assert!(page.contains("A place costs £120.00 for Riverside Park Primary School"), "{page}");
    b.accessible("a course").await;
    b.click_button("Book the places").await;
    assert!(b.text().await.contains("Enter each delegate"));
    b.accessible("a course with an error").await;
    b.fill("delegates", "Sam Ray\nJo Fox").await;
    b.fill("po_number", "PO-CPD-7").await;
    b.click_button("Book the places").await;
    let page = b.text().await;
    assert!(
        page.contains("The places are booked") && page.contains("Sam Ray") && page.contains("Jo Fox"),
        "{page}"
    );
    assert!(page.contains("Free to cancel today"), "{page}");
    b.accessible("a course, booked").await;

    // An adviser day: the included day is used first.
    b.click_link("Services").await;
    click_css(b, &format!("a[href^='/services/{adviser}/order']")).await;
    assert!(b.text().await.contains("1 day still to use"));
    order(b, "2", "20", "11", "2026", "PO-ADV-3").await;
    let page = b.text().await;
    assert!(page.contains("1 day, at no charge") && page.contains("£650.00"), "{page}");
    b.go(base, "/orders").await;
    let page = b.text().await;
    assert!(
        page.contains("Adviser day") && page.contains("Places on courses") && page.contains("Sam Ray"),
        "{page}"
    );
    b.accessible("a school's orders").await;
    b.go(base, "/").await;
    b.click_button("Sign out").await;
}

async fn finance_confirms_and_delivers(b: &Browser, base: &SocketAddr) {
    sign_in(b, base, "finance@demo.test", "demo-finance-2025").await;
    b.click_link("Services").await;
    b.accessible("the catalogue").await;
    b.click_link("Adviser day").await;
    assert!(b.text().await.contains("What each kind of school pays for one day"));
    b.accessible("a service").await;
    b.click_partial_link("Change the 2026-27 prices").await;
    b.accessible("the price editor").await;
    b.click_button("Preview what schools would pay").await;
    assert!(b.text().await.contains("Nothing is saved yet"));
    b.accessible("the price editor's preview").await;

    b.click_link("Services").await;
    b.click_link("Orders").await;
    b.accessible("the orders queue").await;
    let select = b.client.find(Locator::Id("state")).await.expect("the state filter");
    select.select_by_value("requested").await.expect("choose requested");
    b.click_button("Show orders").await;
    let queue = b.text().await;
    assert!(queue.contains("Riverside Park Primary School") && queue.contains("1 order."), "{queue}");
    b.click_partial_link("Adviser day").await;
    let page = b.text().await;
    assert!(page.contains("Riverside Park Primary School") && page.contains("PO-ADV-3"), "{page}");
    b.accessible("an order for finance").await;
    b.fill("reason", "").await;
    b.click_button("Confirm the order").await;
    assert!(b.text().await.contains("The order is confirmed"));
    b.fill("delivered_on-day", "20").await;
    b.fill("delivered_on-month", "11").await;
    b.fill("delivered_on-year", "2026").await;
    b.click_button("Record the delivery").await;
    assert!(b.text().await.contains("Say who delivered it"));
    b.accessible("recording a delivery with an error").await;
    b.fill("delivered_by", "Helen Marsh").await;
    b.click_button("Record the delivery").await;
    let page = b.text().await;
    assert!(page.contains("The delivery is recorded") && page.contains("by Helen Marsh"), "{page}");
    b.click_link("See the invoice for this order").await;
    let invoice = b.text().await;
    assert!(
        invoice.contains("1 day included in your Basic membership") && invoice.contains("PO-ADV-3"),
        "{invoice}"
    );
    b.accessible("the order's invoice").await;
    b.go(base, "/").await;
    b.click_button("Sign out").await;
}

async fn school_sees_the_invoice(b: &Browser, base: &SocketAddr) {
    sign_in(b, base, "sbm@demo.test", "demo-school-2025").await;
    b.go(base, "/orders").await;
    b.click_partial_link("Adviser day").await;
    b.click_link("See the invoice for this order").await;
    let invoice = b.text().await;
    let number = invoice
        .split_whitespace()
        .find(|w| w.starts_with("RH-"))
        .expect("an invoice number")
        .trim_end_matches([',', '.', ':'])
        .to_string();
    b.click_partial_link("statement of account").await;
    assert!(b.text().await.contains(&number), "the invoice {number} is on the statement");
    let mut too_wide = Vec::new();
    b.client.set_window_size(390, 844).await.expect("a phone-sized window");
    for path in ["/services", "/orders", "/events", "/events/1"] {
        b.go(base, path).await;
        too_wide.extend(b.fits_the_width(&format!("{path} for a business manager")).await);
        b.accessible(&format!("{path} for a business manager at 390 px")).await;
    }
    b.go(base, "/").await;
    b.click_button("Sign out").await;
    sign_in(b, base, "finance@demo.test", "demo-finance-2025").await;
    for path in [
        "/services",
        "/services/new",
        "/services/1",
        "/services/1/prices/2026-27",
        "/orders",
        "/orders/1",
        "/events",
        "/events/new",
        "/events/1",
        "/providers",
        "/deliveries",
        "/services/margin",
        "/services/take-up",
    ] {
        b.go(base, path).await;
        too_wide.extend(b.fits_the_width(path).await);
        b.accessible(&format!("{path} at 390 px")).await;
    }
    b.client.set_window_size(1280, 1000).await.expect("back to a desktop window");
    assert!(too_wide.is_empty(), "pages wider than a phone:\n{}", too_wide.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schools_order_services_and_finance_delivers_them_in_a_real_browser() {
    // Prices are for the demo's years, so the service's clock is on a day of 2026-27.
    let app = TestApp::with_demo(Backend::Sqlite)
        .await
        .on_day(chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("a day"));
    let (adviser, course) =
        (service_id(&app, "Adviser day").await, service_id(&app, "CPD course place").await);
    let p = partnership_billing::services::partnerships::list(&app.db).await.unwrap().remove(0);
    let event: partnership_billing::services::events::NewEvent = serde_json::from_value(serde_json::json!({
        "service_id": course, "title": "Phonics for new teachers", "venue": "The Learning Centre", "capacity": 12,
        "booking_deadline": "2027-01-15", "sessions": [{ "date": "2027-01-29", "starts_at": "09:30", "ends_at": "12:30" }],
        "cancellation_policy": { "rules": [{ "within_days": 14, "percent": "100" }] } }))
    .unwrap();
    partnership_billing::services::events::create(&app.db, &p, &event, None, chrono::Utc::now())
        .await
        .unwrap();
    let base = serve(&app).await;
    let browser = start_browser().await;
    let outcome = tokio::time::timeout(Duration::from_secs(240), async {
        school_orders(&browser, &base, adviser).await;
        finance_confirms_and_delivers(&browser, &base).await;
        school_sees_the_invoice(&browser, &base).await;
    })
    .await;
    let _ = browser.client.clone().close().await;
    outcome.expect("the journeys finish in time");
    app.finish().await;
}
