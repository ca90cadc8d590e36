//! The renewal round in a real browser: finance opens a round for next year's offer; the
//! business manager finds it on their home page, answers with a level, a pupil number and a PO
//! number (after a mistake shown beside its field); finance sees the answer and makes the
//! membership after confirming. Every page is checked with axe, and at a phone's width.

use super::{Browser, serve, sign_in, start_browser};
use crate::helpers::{Backend, TestApp};
use std::net::SocketAddr;
use std::time::Duration;

async fn finance_opens_the_round(b: &Browser, base: &SocketAddr) {
    sign_in(b, base, "finance@demo.test", "demo-finance-2025").await;
    b.click_link("Billing").await;
    b.click_partial_link("Renewal rounds").await;
    assert!(b.text().await.contains("No renewal rounds yet."));
    b.accessible("the renewal rounds").await;
    // A date that is not one is named.
    b.fill("answer_by-day", "31").await;
    b.fill("answer_by-month", "2").await;
    b.fill("answer_by-year", "2027").await;
    b.click_button("Open the round and email the schools").await;
    assert!(b.text().await.contains("Date to answer by must be a real date"));
    b.accessible("the renewal rounds with an error").await;
    b.fill("answer_by-day", "31").await;
    b.fill("answer_by-month", "5").await;
    b.fill("note", "Prices rise by 50p a pupil.").await;
    b.click_button("Open the round and email the schools").await;
    let page = b.text().await;
    assert!(page.contains("Renewal round opened") && page.contains("Membership in 2027-28"), "{page}");
    b.accessible("a renewal round").await;
    b.go(base, "/").await;
    b.click_button("Sign out").await;
}

async fn business_manager_answers(b: &Browser, base: &SocketAddr) {
    sign_in(b, base, "sbm@demo.test", "demo-school-2025").await;
    let home = b.text().await;
    assert!(home.contains("Membership in 2027-28: 1 school to answer by 31 May 2027"), "{home}");
    b.click_partial_link("Membership in 2027-28").await;
    b.accessible("the renewal portal").await;
    b.click_partial_link("Answer").await;
    let page = b.text().await;
    assert!(page.contains("Prices rise by 50p a pupil.") && page.contains("a year for"), "{page}");
    b.accessible("the renewal answer").await;
    b.choose("choice", "renew").await;
    b.fill("pupils", "lots").await;
    b.click_button("Send the answer").await;
    let page = b.text().await;
    assert!(page.contains("\"lots\" is not a whole number"), "{page}");
    assert!(!page.contains("Choose a level"), "this year's level is chosen already: {page}");
    b.accessible("the renewal answer with errors").await;
    b.choose("level", "Standard").await;
    b.fill("pupils", "231").await;
    b.fill("po_number", "PO-RP-2027").await;
    b.click_button("Send the answer").await;
    let page = b.text().await;
    assert!(
        page.contains("Thank you: your answer is saved") && page.contains("Standard, 231 pupils"),
        "{page}"
    );
    b.accessible("the renewal portal answered").await;
    b.client.set_window_size(390, 844).await.expect("a phone-sized window");
    let mut too_wide = Vec::new();
    for path in ["/renewal", "/renewals/1/schools/990003"] {
        b.go(base, path).await;
        too_wide.extend(b.fits_the_width(path).await);
        b.accessible(&format!("{path} at 390 px")).await;
    }
    b.client.set_window_size(1280, 1000).await.expect("back to a desktop window");
    assert!(too_wide.is_empty(), "pages wider than a phone:\n{}", too_wide.join("\n"));
    b.go(base, "/").await;
    b.click_button("Sign out").await;
}

async fn finance_makes_the_membership(b: &Browser, base: &SocketAddr) {
    sign_in(b, base, "finance@demo.test", "demo-finance-2025").await;
    b.click_partial_link("Renewal round for 2027-28").await;
    let state = b.client.find(fantoccini::Locator::Id("state")).await.expect("the answer filter");
    state.select_by_label("Renewing").await.expect("choose Renewing");
    b.click_button("Show").await;
    let page = b.text().await;
    assert!(page.contains("Standard, 231 pupils") && page.contains("PO-RP-2027"), "{page}");
    b.click_link("Make 1 membership from the answers").await;
    assert!(b.text().await.contains("Make 1 membership of 2027-28?"));
    b.accessible("confirming the memberships").await;
    b.click_button("Make the memberships").await;
    let page = b.text().await;
    assert!(page.contains("Memberships made from the answers: 1"), "{page}");
    b.accessible("a renewal round converted").await;
    b.client.set_window_size(390, 844).await.expect("a phone-sized window");
    let mut too_wide = Vec::new();
    for path in ["/renewals", "/renewals/1", "/renewals/1/convert", "/renewals/1/close"] {
        b.go(base, path).await;
        too_wide.extend(b.fits_the_width(path).await);
        b.accessible(&format!("{path} at 390 px")).await;
    }
    b.client.set_window_size(1280, 1000).await.expect("back to a desktop window");
    assert!(too_wide.is_empty(), "pages wider than a phone:\n{}", too_wide.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_business_manager_renews_and_finance_makes_the_membership_in_a_real_browser() {
    let app = TestApp::with_demo(Backend::Sqlite)
        .await
        .on_day(chrono::NaiveDate::from_ymd_opt(2027, 3, 1).expect("a day"));
    let p =
        partnership_billing::services::partnerships::find_by_slug(&app.db, "demo").await.unwrap().unwrap();
    let next: partnership_billing::services::offers::NewOffer = serde_json::from_value(serde_json::json!({
        "year": "2027-28", "billing_plan": "annual", "trust_discount_percent": "5", "first_year_discount_percent": "25",
        "levels": [
            { "name": "Basic", "description": "Networks, conference and updates.", "vat_rate": "standard",
              "fee_rule": { "per_pupil": "7.50", "lump_sum": "350.00", "min": "600.00" } },
            { "name": "Standard", "description": "Basic plus adviser days.", "vat_rate": "standard",
              "fee_rule": { "per_pupil": "12.50", "lump_sum": "500.00" } } ] }))
    .expect("an offer");
    partnership_billing::services::offers::create(&app.db, p.id, p.year_kind, &next, None)
        .await
        .expect("next year's offer");
    let base = serve(&app).await;
    let browser = start_browser().await;
    let outcome = tokio::time::timeout(Duration::from_secs(240), async {
        finance_opens_the_round(&browser, &base).await;
        business_manager_answers(&browser, &base).await;
        finance_makes_the_membership(&browser, &base).await;
    })
    .await;
    let _ = browser.client.clone().close().await;
    outcome.expect("the journeys finish in time");
    app.finish().await;
}
