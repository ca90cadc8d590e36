//! Contracts in a real browser: finance adds a council's contract with a declining schedule,
//! previews it, saves it, runs the contract invoicing job, and the council's commissioner finds
//! the invoice on their contract and downloads it. Every page is checked with axe and at a
//! phone's width.

use super::{Browser, serve, sign_in, start_browser};
use crate::helpers::{Backend, TestApp};
use fantoccini::Locator;
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;

async fn finance_adds_a_declining_contract(b: &Browser, base: &SocketAddr) {
    sign_in(b, base, "finance@demo.test", "demo-finance-2025").await;
    b.click_link("Contracts").await;
    assert!(b.text().await.contains("No contracts or grants yet."));
    b.accessible("the contracts list").await;
    b.click_link("Add a contract or grant").await;
    b.accessible("a new contract").await;
    // Saving with nothing filled in names what is missing.
    b.click_button("Save the contract").await;
    let page = b.text().await;
    assert!(page.contains("Enter the start date") && page.contains("Enter the first year"), "{page}");
    b.accessible("a new contract with errors").await;
    let council = b.client.find(fantoccini::Locator::Id("council")).await.expect("the council choice");
    council.select_by_label("Riverside Council").await.expect("choose Riverside");
    b.fill("title", "Central schools services").await;
    b.fill("reference", "RBC-CSSB-26").await;
    for (field, d, m, y) in [("start", "1", "11", "2026"), ("end", "31", "10", "2031")] {
        b.fill(&format!("{field}-day"), d).await;
        b.fill(&format!("{field}-month"), m).await;
        b.fill(&format!("{field}-year"), y).await;
    }
    b.choose("frequency", "annually").await;
    b.fill("first_value", "300000.00").await;
    b.fill("last_value", "0").await;
    b.click_button("Preview the schedule").await;
    let page = b.text().await;
    assert!(
        page.contains("Worth £750,000.00 in all; year 1: £300,000.00; year 2: £225,000.00; year 3: £150,000.00; year 4: £75,000.00"),
        "{page}"
    );
    assert!(page.contains("1 November 2026"), "{page}");
    b.accessible("a new contract's preview").await;
    b.click_button("Save the contract").await;
    let page = b.text().await;
    assert!(page.contains("Contract added") && page.contains("Central schools services"), "{page}");
    assert!(page.contains("Colin Reid <council@demo.test>"), "the commissioner sees its invoices: {page}");
    b.accessible("a contract").await;

    // The job raises the first instalment, due today.
    b.go(base, "/jobs").await;
    b.click_button("Run now: Invoice contract instalments due").await;
    b.wait_for_text("Raised 1 invoice for contract instalments due").await;
    b.go(base, "/contracts").await;
    b.click_link("Central schools services").await;
    let page = b.text().await;
    assert!(page.contains("Invoiced") && page.contains("RH-"), "{page}");
    b.accessible("a contract with an invoice").await;
    // A variation previewed, then left.
    b.fill("year2", "200000.00").await;
    b.fill("from-day", "1").await;
    b.fill("from-month", "11").await;
    b.fill("from-year", "2027").await;
    b.fill("reason", "Budget cut").await;
    b.click_button("Preview the variation").await;
    assert!(b.text().await.contains("After the variation"));
    b.accessible("a variation's preview").await;
    // The year's funding report with a budget.
    b.click_link("Reports").await;
    b.accessible("the funding report").await;
    b.click_partial_link("budgets").await;
    b.fill("budget-la_commission", "400000.00").await;
    b.fill("budget-grant", "lots").await;
    b.click_button("Save the budgets").await;
    assert!(b.text().await.contains("There is a problem"));
    b.accessible("budgets with an error").await;
    b.fill("budget-grant", "").await;
    b.click_button("Save the budgets").await;
    let page = b.text().await;
    assert!(
        page.contains("Budgets saved") && page.contains("£400,000.00") && page.contains("-£100,000.00"),
        "{page}"
    );
    b.accessible("the funding report with budgets").await;
    let charts = b.client.find_all(Locator::Css("figure.pb-chart svg[role=img]")).await.expect("charts");
    assert_eq!(charts.len(), 3, "the budget, recognised income and members charts");
    let fetched = b.download("Download the board report (PDF)").await;
    assert_eq!(fetched, json!([200, "application/pdf", "%PDF-"]));
    let fetched = b.download("Download membership take-up as CSV").await;
    assert_eq!(fetched, json!([200, "text/csv; charset=utf-8", "Group"]));
    // The quarter's VAT and an export for Xero, made and downloaded.
    b.go(base, "/payments").await;
    b.click_link("Exports and VAT").await;
    assert!(b.text().await.contains("Box 1: VAT due on sales"));
    b.accessible("exports and VAT").await;
    b.fill("from-day", "1").await;
    b.fill("from-month", "11").await;
    b.fill("from-year", "2026").await;
    b.fill("to-day", "1").await;
    b.fill("to-month", "11").await;
    b.fill("to-year", "2026").await;
    b.click_button("Make the export").await;
    let page = b.text().await;
    assert!(page.contains("Export made") && page.contains("1 invoice, 0 credit notes"), "{page}");
    let fetched = b.download("Download file 1").await;
    assert_eq!(fetched, json!([200, "text/csv; charset=utf-8", "*Cont"]));
    b.accessible("exports and VAT with an export").await;
    b.go(base, "/").await;
    b.click_button("Sign out").await;
}

async fn commissioner_downloads_the_invoice(b: &Browser, base: &SocketAddr) {
    sign_in(b, base, "council@demo.test", "demo-council-2025").await;
    assert!(b.text().await.contains("Your council's contracts"));
    b.click_link("Contracts").await;
    assert!(b.text().await.contains("1 contract or grant."));
    b.accessible("a commissioner's contracts").await;
    b.click_link("Central schools services").await;
    let page = b.text().await;
    assert!(!page.contains("Vary the contract") && !page.contains("Invoice now"), "{page}");
    b.accessible("a commissioner's contract").await;
    b.click_partial_link("RH-").await;
    let fetched = b.download("Download the invoice").await;
    assert_eq!(fetched, json!([200, "application/pdf", "%PDF-"]));
    let mut too_wide = Vec::new();
    b.client.set_window_size(390, 844).await.expect("a phone-sized window");
    for path in ["/contracts", "/contracts/1"] {
        b.go(base, path).await;
        too_wide.extend(b.fits_the_width(&format!("{path} for a commissioner")).await);
        b.accessible(&format!("{path} for a commissioner at 390 px")).await;
    }
    b.go(base, "/").await;
    b.click_button("Sign out").await;
    sign_in(b, base, "finance@demo.test", "demo-finance-2025").await;
    for path in [
        "/contracts",
        "/contracts/new",
        "/contracts/1",
        "/exports",
        "/reports",
        "/reports/budgets",
        "/reports/income",
    ] {
        b.go(base, path).await;
        too_wide.extend(b.fits_the_width(path).await);
        b.accessible(&format!("{path} at 390 px")).await;
    }
    b.client.set_window_size(1280, 1000).await.expect("back to a desktop window");
    assert!(too_wide.is_empty(), "pages wider than a phone:\n{}", too_wide.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finance_adds_a_contract_and_the_commissioner_downloads_its_invoice_in_a_real_browser() {
    let app = TestApp::with_demo(Backend::Sqlite)
        .await
        .on_day(chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("a day"));
    let base = serve(&app).await;
    let browser = start_browser().await;
    let outcome = tokio::time::timeout(Duration::from_secs(240), async {
        finance_adds_a_declining_contract(&browser, &base).await;
        commissioner_downloads_the_invoice(&browser, &base).await;
    })
    .await;
    let _ = browser.client.clone().close().await;
    outcome.expect("the journeys finish in time");
    app.finish().await;
}
