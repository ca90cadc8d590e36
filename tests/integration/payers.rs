//! Payers on the pages: found by name a page at a time, a held invoice released by recording the
//! PO number from the invoice itself or the payer's page (for the invoice's own year), and the
//! billing contact and full postal address edited.

use crate::helpers::{Answer, Backend, Client, TestApp};
use crate::on_both_databases;
use axum::http::StatusCode;
use chrono::NaiveDate;
use partnership_billing::domain::invoice::InvoiceStatus;
use partnership_billing::services::{billing, partnerships, payers};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

async fn post(client: &mut Client, path: &str, csrf: &str, fields: &[(&str, &str)]) -> Answer {
    let mut all = vec![("csrf_token", csrf)];
    all.extend_from_slice(fields);
    client.post_form(path, &all).await
}

async fn payers_on_the_pages(backend: Backend) {
    // A day in the next year: the payer page must still offer the held invoice's own year.
    let app = TestApp::with_demo(backend).await.on_day(NaiveDate::from_ymd_opt(2026, 11, 29).expect("day"));
    let demo = partnerships::find_by_slug(&app.db, "demo").await.expect("query").expect("demo");
    billing::commit(
        &app.db,
        &demo,
        "2025-26",
        "autumn",
        billing::RunBy::on(NaiveDate::from_ymd_opt(2025, 9, 1).expect("day")),
        &mut |_, _| {},
    )
    .await
    .expect("the autumn run");
    let mut client = app.client();
    client.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = client.session_csrf().await;

    // The list pages and searches; held invoices are counted.
    let list = client.get("/billing/payers?held=yes").await.text();
    assert!(list.contains("1 payer") && list.contains("River Valley Academies"), "{list}");
    let found = client.get("/billing/payers?q=river").await.text();
    assert!(found.contains("River Valley Academies") && !found.contains("Northgate"), "{found}");
    assert_eq!(client.get("/billing/payers?page=0").await.status, StatusCode::BAD_REQUEST);

    let river = entity::payer::Entity::find()
        .filter(entity::payer::Column::Name.eq("River Valley Academies"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("River Valley");
    let page = client.get(&format!("/billing/payers/{}", river.id)).await.text();
    assert!(page.contains("<option value=\"2025-26\" selected>"), "the held invoice's year: {page}");
    assert!(page.contains("2025-26, autumn term"), "{page}");

    // From the held invoice itself: recording the PO issues it and comes back to it.
    let held = entity::invoice::Entity::find()
        .filter(entity::invoice::Column::PayerId.eq(river.id))
        .one(&app.db)
        .await
        .expect("query")
        .expect("a held invoice");
    assert_eq!(held.status, InvoiceStatus::WaitingForPo.as_str());
    let invoice = client.get(&format!("/invoices/{}", held.id)).await.text();
    assert!(invoice.contains("Record PO number and issue"), "{invoice}");
    let empty = post(
        &mut client,
        &format!("/billing/payers/{}/po", river.id),
        &csrf,
        &[("year", "2025-26"), ("po_number", ""), ("invoice", &held.id.to_string())],
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text().contains("Enter the purchase-order number"), "{}", empty.text());
    let recorded = post(
        &mut client,
        &format!("/billing/payers/{}/po", river.id),
        &csrf,
        &[("year", "2025-26"), ("po_number", "PO-4471"), ("invoice", &held.id.to_string())],
    )
    .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.text());
    let back = recorded.location().expect("back to the invoice");
    assert!(back.starts_with(&format!("/invoices/{}?done=", held.id)), "{back}");
    let issued = entity::invoice::Entity::find_by_id(held.id).one(&app.db).await.expect("query").expect("it");
    assert_eq!((issued.status.as_str(), issued.po_number.as_deref()), ("issued", Some("PO-4471")));
    assert!(client.get(&back).await.text().contains("PO number PO-4471 recorded; issued RH-"));

    // The billing contact and the address invoices go to.
    let bad = post(
        &mut client,
        &format!("/billing/payers/{}/contact", river.id),
        &csrf,
        &[("contact_name", "Sam Finance"), ("email", "not an email"), ("address", "")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = bad.text();
    assert!(
        text.contains("Enter email addresses like finance@school.example, separated by commas (\"not\", \"an\", \"email\" are not email addresses)")
            && text.contains("Enter the postal address"),
        "{text}"
    );
    let saved = post(
        &mut client,
        &format!("/billing/payers/{}/contact", river.id),
        &csrf,
        &[
            ("contact_name", "Sam Finance"),
            ("email", "Sam@RiverValley.example"),
            ("address", "River House\nRiverside\nRV9 9ZZ"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let river = payers::get(&app.db, demo.id, river.id).await.expect("the payer");
    assert_eq!(river.address, "River Valley Academies\nRiver House\nRiverside\nRV9 9ZZ");
    assert_eq!(
        (river.contact_name.as_deref(), river.email.as_deref()),
        (Some("Sam Finance"), Some("sam@rivervalley.example"))
    );
    let trust = entity::trust::Entity::find()
        .filter(entity::trust::Column::Name.eq("River Valley Academies"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the trust");
    assert_eq!(trust.address.as_deref(), Some("River House\nRiverside\nRV9 9ZZ"));
    let form = client.get(&format!("/billing/payers/{}/contact", river.id)).await.text();
    assert!(form.contains(">River House\nRiverside\nRV9 9ZZ</textarea>"), "{form}");
    app.finish().await;
}

on_both_databases!(payers_and_po_numbers_on_the_pages, payers_on_the_pages);

/// Paging through many payers (the list keeps their order between requests) shows each once, by
/// name, and a new payer or a PO that releases a held invoice shows on the next request.
async fn payers_page_in_name_order(backend: Backend) {
    use sea_orm::{ActiveModelTrait, Set};
    let app = TestApp::with_demo(backend).await;
    let demo = partnerships::find_by_slug(&app.db, "demo").await.expect("query").expect("demo");
    let add = |name: String| entity::payer::ActiveModel {
        partnership_id: Set(demo.id),
        kind: Set("council".into()),
        reference: Set(format!("council:test {name}")),
        name: Set(name),
        address: Set("1 High Street".into()),
        requires_po: Set(false),
        ledger_version: Set(0),
        ..Default::default()
    };
    // Inserted out of name order: the list's order is the names', not the ids'.
    for i in (0..120).rev() {
        add(format!("Zz paging payer {i:03}")).insert(&app.db).await.expect("a payer");
    }
    let first = payers::list(&app.db, demo.id, "", false, 1).await.expect("page 1");
    let total = first.total;
    assert!(total >= 120 && first.pages == total.div_ceil(payers::PER_PAGE), "{total} in {}", first.pages);
    let mut names = Vec::new();
    for page in 1..=first.pages {
        let found = payers::list(&app.db, demo.id, "", false, page).await.expect("a page");
        assert_eq!((found.page, found.total), (page, total));
        names.extend(found.payers.into_iter().map(|(p, _)| p.name));
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names.len() as u64, total, "every payer once");
    assert_eq!(names, sorted, "in name order across pages");
    // A later page past the end gives the last page.
    let past = payers::list(&app.db, demo.id, "", false, 99).await.expect("past the end");
    assert_eq!(past.page, first.pages);

    // Added through the service's write path, a payer shows at once.
    let mut client = app.client();
    client.sign_in("finance@demo.test", "demo-finance-2025").await;
    let before = client.get("/billing/payers").await.text();
    assert!(before.contains(&format!("{total} payers")), "{before}");
    let txn = partnership_billing::services::begin_write(&app.db).await.expect("a write");
    add("Aa new payer".into()).insert(&txn).await.expect("a payer");
    txn.commit().await.expect("commit");
    let after = client.get("/billing/payers").await.text();
    assert!(after.contains(&format!("{} payers", total + 1)) && after.contains("Aa new payer"), "{after}");
}

on_both_databases!(payers_page_in_name_order_across_pages, payers_page_in_name_order);
