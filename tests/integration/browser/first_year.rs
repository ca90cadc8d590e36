//! A brand-new partnership's first year, on the pages alone: from the admin's first sign-in
//! (the only thing made beforehand, as `create-partnership` and `create-user` make it) to its
//! first committed billing run and the invoice PDF.

use super::{Browser, serve, sign_in};
use crate::helpers::{Backend, TestApp, test_data};
use fantoccini::Locator;
use partnership_billing::domain::partnership::YearKind;
use partnership_billing::domain::role::Role;
use partnership_billing::services::{partnerships, users};
use secrecy::SecretString;
use serde_json::json;

const ADMIN: &str = "admin@newtown.test";
const PASSWORD: &str = "a long enough password 1";

/// A partnership and its admin, as the two CLI commands leave them.
pub(super) async fn new_partnership() -> TestApp {
    let app = TestApp::empty(Backend::Sqlite).await;
    let p = partnerships::create(
        &app.db,
        partnerships::NewPartnership {
            slug: "newtown".into(),
            name: "Newtown Schools Partnership".into(),
            address: String::new(),
            vat_number: None,
            year_kind: YearKind::Academic,
        },
    )
    .await
    .expect("the partnership");
    users::create(
        &app.db,
        users::NewUser {
            partnership_id: p.id,
            one_time_password: false,
            email: ADMIN.into(),
            name: "Ada Admin".into(),
            role: Role::Admin,
            password: SecretString::from(PASSWORD),
            school_urn: None,
            trust_name: None,
            local_authority_code: None,
        },
    )
    .await
    .expect("the admin");
    app
}

async fn steps_done(b: &Browser, base: &std::net::SocketAddr) -> String {
    b.go(base, "/").await;
    b.text().await
}

pub(super) async fn a_new_partnership_bills_its_first_year(b: &Browser) {
    let app = new_partnership().await;
    let base = &serve(&app).await;
    sign_in(b, base, ADMIN, PASSWORD).await;
    let home = b.text().await;
    assert!(
        home.contains("Setting up the partnership") && home.contains("You have done 0 of 7 steps"),
        "{home}"
    );
    b.accessible("a new partnership's home with its checklist").await;

    b.click_link("Enter the partnership's details").await;
    b.fill("address", "1 Civic Way\nNewtown\nNT1 1AA").await;
    b.fill("company_number", "12345678").await;
    b.fill("registered_office", "1 Civic Way\nNewtown\nNT1 1AA").await;
    b.click_button("Save details").await;
    assert!(b.text().await.contains("The partnership's details were saved"));
    b.accessible("the partnership details").await;
    assert!(steps_done(b, base).await.contains("You have done 1 of 7 steps"));

    b.click_link("Set up invoices").await;
    b.fill("invoice_prefix", "NT-").await;
    b.fill("bank_account_name", "Newtown Schools Partnership").await;
    b.fill("bank_sort_code", "11-22-33").await;
    b.fill("bank_account_number", "12345678").await;
    b.click_button("Save settings").await;
    assert!(b.text().await.contains("The invoice settings were saved"));
    assert!(steps_done(b, base).await.contains("You have done 2 of 7 steps"));

    b.click_link("Import the register of schools").await;
    let path = test_data("schools-gias-subset.csv");
    let file = b.client.find(Locator::Id("file")).await.expect("the file input");
    file.send_keys(path.to_str().expect("a path")).await.expect("choose the file");
    b.fill("la_codes", "309").await;
    b.fill("census_date-day", "16").await;
    b.fill("census_date-month", "1").await;
    b.fill("census_date-year", "2025").await;
    b.click_button("Import").await;
    assert!(b.text().await.contains("The register was imported"));
    let home = steps_done(b, base).await;
    // The extract carries pupil numbers, so recording them is done too.
    assert!(home.contains("You have done 4 of 7 steps"), "{home}");

    b.click_link("Create this year's membership offer").await;
    b.accessible("a new offer").await;
    b.choose("billing_plan", "annual").await;
    b.fill("level-name", "Core").await;
    b.choose("fee-shape", "per_pupil").await;
    b.fill("fee-per-pupil", "10.00").await;
    b.fill("fee-lump-sum", "250").await;
    b.fill("description", "Termly network meetings and an annual visit").await;
    b.click_button("Create offer").await;
    let offer = b.text().await;
    assert!(offer.contains("offer was created") && offer.contains("£10.00 per pupil"), "{offer}");
    b.accessible("the new offer").await;
    let home = steps_done(b, base).await;
    assert!(home.contains("You have done 5 of 7 steps"), "{home}");

    // Enrol Pembury House Nursery School (136 pupils) from the first day of the year.
    b.click_link("Enrol schools").await;
    let year = YearKind::Academic.year_containing(chrono::Utc::now().date_naive()).expect("this year");
    b.fill("school", "Pembury House").await;
    let first = year.first_day();
    b.fill("starts_on-day", &first.format("%-d").to_string()).await;
    b.fill("starts_on-month", &first.format("%-m").to_string()).await;
    b.fill("starts_on-year", &first.format("%Y").to_string()).await;
    b.click_button("Enrol").await;
    assert!(b.text().await.contains("was enrolled"), "{}", b.text().await);

    b.click_link("Billing").await;
    let billing = b.text().await;
    assert!(billing.contains(&format!("Due next: {} full year", year.label())), "{billing}");
    b.click_button("Preview invoices").await;
    let preview = b.text().await;
    assert!(preview.contains("£1,610.00"), "136 pupils at £10.00 plus £250.00: {preview}");
    b.click_button("Commit and issue 1 invoice").await;
    b.wait_for_text("1 invoices raised").await;
    b.click_link("See the invoices").await;
    b.click_partial_link("NT-").await;
    let invoice = b.text().await;
    assert!(invoice.contains("Pembury House Nursery School"), "{invoice}");
    let fetched = b.download("Download the invoice").await;
    assert_eq!(fetched, json!([200, "application/pdf", "%PDF-"]));
    b.go(base, "/").await;
    b.click_button("Sign out").await;
    app.finish().await;
}
