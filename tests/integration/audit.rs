//! The audit log in words: sentences naming who did what to which invoice or school, links to
//! it, before-and-after lists without JSON or internal names, filters and pages.

use crate::helpers::{Backend, TestApp};
use crate::on_both_databases;
use axum::http::StatusCode;
use chrono::NaiveDate;
use partnership_billing::services::invoices::{self, CreditAmounts, CreditRequest};
use partnership_billing::services::{billing, partnerships, users};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

async fn audit_in_words(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let demo = partnerships::find_by_slug(&app.db, "demo").await.expect("query").expect("demo");
    let day = NaiveDate::from_ymd_opt(2025, 9, 1).expect("day");
    billing::commit(&app.db, &demo, "2025-26", "autumn", billing::RunBy::on(day), &mut |_, _| {})
        .await
        .expect("the autumn run");
    let finance = users::find_by_email(&app.db, "finance@demo.test").await.expect("query").expect("finance");
    let first = entity::invoice::Entity::find()
        .filter(entity::invoice::Column::Number.is_not_null())
        .order_by_asc(entity::invoice::Column::Id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("an invoice");
    let number = first.number.clone().expect("a number");
    invoices::credit(
        &app.db,
        &demo,
        first.id,
        &CreditAmounts::Everything,
        CreditRequest {
            reason: "Joined by mistake",
            user_id: Some(finance.id),
            today: day,
            now: chrono::Utc::now(),
        },
    )
    .await
    .expect("a credit note");
    let mut client = app.client();
    client.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = client.session_csrf().await;
    let changed = client
        .post_form(
            "/billing/offers/2025-26/levels/Core",
            &[
                ("csrf_token", &csrf),
                ("level-name", "Core"),
                ("fee-shape", "flat"),
                ("fee-flat", "999"),
                ("vat_rate", "standard"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.text());

    let log = client.get("/billing/audit").await.text();
    let credit = format!("{} credited {number} ({}) in full", finance.name, first.payer_name);
    assert!(log.contains(&credit), "{credit}\n{log}");
    assert!(log.contains("Joined by mistake"), "{log}");
    assert!(log.contains(&format!("href=\"/invoices/{}\"", first.id)), "{log}");
    assert!(log.contains(&format!("{} changed the level Core of the 2025-26 offer", finance.name)), "{log}");
    assert!(log.contains("Now: £999.00 a school"), "{log}");
    let body = &log[log.find("<main").expect("main")..];
    for leak in ["{\"", "offer_level", "invoice.", "_json", "fee_rule"] {
        assert!(!body.contains(leak), "{leak} on the page:\n{body}");
    }

    // Filters: kind, invoice, school; bad values named.
    let invoices_only = client.get("/billing/audit?kind=invoices").await.text();
    assert!(
        invoices_only.contains(&credit) && !invoices_only.contains("changed the level"),
        "{invoices_only}"
    );
    let one = client.get(&format!("/billing/audit?invoice={}", number.to_lowercase())).await.text();
    assert!(one.contains(&credit) && one.contains(">1 change<"), "{one}");
    let school = entity::school::Entity::find_by_id(
        entity::invoice_line::Entity::find()
            .filter(entity::invoice_line::Column::InvoiceId.eq(first.id))
            .one(&app.db)
            .await
            .expect("query")
            .expect("a line")
            .school_id
            .expect("a school"),
    )
    .one(&app.db)
    .await
    .expect("query")
    .expect("the school");
    let by_school = client.get(&format!("/billing/audit?school={}", school.urn)).await.text();
    assert!(by_school.contains(&credit), "{by_school}");
    let wrong = client.get("/billing/audit?from-day=31&from-month=2&from-year=2025").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().contains("From date must be a real date"), "{}", wrong.text());
    let dated = client
        .get("/billing/audit?from-day=1&from-month=1&from-year=2000&to-day=1&to-month=1&to-year=2001")
        .await;
    assert!(dated.text().contains(">0 changes<"), "nothing then: {}", dated.text());
    assert_eq!(client.get("/billing/audit?who=999999").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(client.get("/billing/audit?kind=secret").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(client.get("/billing/audit?page=0").await.status, StatusCode::BAD_REQUEST);
    app.finish().await;
}

on_both_databases!(the_audit_log_reads_in_words, audit_in_words);
