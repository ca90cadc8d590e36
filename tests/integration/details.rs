//! The partnership's details on a page: checked as typed, kept in HMRC's and Companies House's
//! forms, printed on invoices raised afterwards, and the bank account's name checked against them.

use crate::helpers::{Answer, Backend, Client, TestApp};
use crate::on_both_databases;
use axum::http::StatusCode;
use partnership_billing::services::partnerships;

async fn post(client: &mut Client, csrf: &str, fields: &[(&str, &str)]) -> Answer {
    let mut all = vec![("csrf_token", csrf)];
    all.extend_from_slice(fields);
    client.post_form("/settings/partnership", &all).await
}

async fn details_on_a_page(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut client = app.client();
    client.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = client.session_csrf().await;
    let page = client.get("/settings/partnership").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("value=\"09876543\""), "{}", page.text());
    let matching = client.get("/billing/settings").await.text();
    assert!(!matching.contains("account-name-warning"), "the demo's account is in its own name");

    // Each mistake is named; nothing is saved.
    let wrong = post(
        &mut client,
        &csrf,
        &[("name", ""), ("vat_number", "GB12"), ("company_number", "12345"), ("year_kind", "financial")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = wrong.text();
    for message in [
        "Enter the partnership",
        "\"GB12\" is not a UK VAT registration number",
        "\"12345\" is not a company number",
        "The membership year cannot change now that there is an offer (for 2025-26)",
    ] {
        assert!(text.contains(message), "{message}: {text}");
    }
    let demo = partnerships::find_by_slug(&app.db, "demo").await.expect("query").expect("demo");
    assert_eq!(demo.company_number.as_deref(), Some("09876543"));

    // Saved in the forms HMRC and Companies House print.
    let saved = post(
        &mut client,
        &csrf,
        &[
            ("name", "Riverside Schools Company"),
            ("address", "1 High Street\nRiverside\nRV1 1AA"),
            ("vat_number", "gb987654321"),
            ("company_number", "sc 123456"),
            ("registered_office", "2 Low Road\nRiverside"),
            ("year_kind", "academic"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let demo = partnerships::find_by_slug(&app.db, "demo").await.expect("query").expect("demo");
    assert_eq!(demo.name, "Riverside Schools Company");
    assert_eq!(demo.vat_number.as_deref(), Some("GB 987 6543 21"));
    assert_eq!(demo.company_number.as_deref(), Some("SC123456"));
    assert_eq!(demo.registered_office.as_deref(), Some("2 Low Road\nRiverside"));

    // The bank account is still in the old name: the invoice settings say so.
    let settings = client.get("/billing/settings").await.text();
    assert!(settings.contains("id=\"account-name-warning\""), "{settings}");
    assert!(
        settings.contains("Riverside and Hillbrook Schools Partnership Ltd, is not the partnership"),
        "{settings}"
    );
    assert!(settings.contains("Confirmation of Payee"), "{settings}");
    let page = client.get("/settings/partnership").await.text();
    assert!(page.contains("Riverside Schools Company") && page.contains("SC123456"), "{page}");
    app.finish().await;
}

on_both_databases!(the_partnership_details_are_edited_on_a_page, details_on_a_page);
