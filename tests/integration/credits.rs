//! Credit notes through the API: each line at most once per request, never more than any line,
//! rate or invoice had, and voiding still works afterwards.

use crate::helpers::{Backend, TestApp};
use crate::on_both_databases;
use axum::http::StatusCode;
use entity::{school, trust};
use partnership_billing::services::{auth, users};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

/// A trust invoice with one line at 20% and one at 5%, raised through the API.
async fn mixed_rate_invoice(app: &TestApp, bearer: &str) -> Value {
    let mut client = app.client();
    let auth = [("authorization", bearer)];
    let offer = json!({
        "year": "2027-28", "billing_plan": "annual",
        "levels": [
            { "name": "Core", "fee_rule": { "flat": "1000.00" }, "vat_rate": "standard" },
            { "name": "Wellbeing", "fee_rule": { "flat": "333.33" }, "vat_rate": "reduced" }
        ]
    });
    let created =
        client.post_body("/api/v1/offers", "application/json", offer.to_string().into_bytes(), &auth).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let northgate = trust::Entity::find()
        .filter(trust::Column::Name.eq("Northgate Learning Trust"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let schools = school::Entity::find()
        .filter(school::Column::TrustId.eq(northgate.id))
        .filter(school::Column::Status.eq("open"))
        .order_by_asc(school::Column::Urn)
        .all(&app.db)
        .await
        .unwrap();
    for (school, level) in schools.iter().take(2).zip(["Core", "Wellbeing"]) {
        let join = json!({ "urn": school.urn, "year": "2027-28", "level": level, "starts_on": "2027-09-01", "paid_by": "trust" });
        let joined = client
            .post_body("/api/v1/memberships", "application/json", join.to_string().into_bytes(), &auth)
            .await;
        assert_eq!(joined.status, StatusCode::CREATED, "{}", joined.text());
    }
    let run = json!({ "year": "2027-28", "period": "annual" });
    let committed = client
        .post_body("/api/v1/billing-runs", "application/json", run.to_string().into_bytes(), &auth)
        .await;
    assert_eq!(committed.status, StatusCode::CREATED, "{}", committed.text());
    let list = client.get_with("/api/v1/invoices?year=2027-28", &auth).await.json();
    let id = list["invoices"][0]["id"].as_i64().expect("an invoice");
    client.get_with(&format!("/api/v1/invoices/{id}"), &auth).await.json()
}

async fn credit(app: &TestApp, bearer: &str, id: i64, body: Value) -> (StatusCode, Value) {
    let answer = app
        .client()
        .post_body(
            &format!("/api/v1/invoices/{id}/credit-notes"),
            "application/json",
            body.to_string().into_bytes(),
            &[("authorization", bearer)],
        )
        .await;
    (answer.status, answer.json())
}

async fn each_line_once(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let finance = users::find_by_email(&app.db, "finance@demo.test").await.unwrap().unwrap();
    let token = auth::create_api_token(&app.db, finance.id, "credits").await.unwrap();
    let bearer = format!("Bearer {}", token.expose_secret());
    let invoice = mixed_rate_invoice(&app, &bearer).await;
    let id = invoice["id"].as_i64().unwrap();
    assert_eq!(invoice["totals"]["by_rate"].as_array().map(Vec::len), Some(2), "{invoice}");
    assert_eq!(invoice["totals"]["vat"], "216.66", "200.00 at 20% and 16.66 (16.6665) at 5%");
    let reduced = invoice["lines"].as_array().unwrap().iter().find(|l| l["vat_rate"] == "reduced").unwrap();
    let line = reduced["id"].as_i64().unwrap();

    // The same line twice in one request is refused, and nothing is written.
    let twice = json!({ "reason": "twice", "lines": [{ "line_id": line, "amount": "333.33" }, { "line_id": line, "amount": "333.33" }] });
    let (status, body) = credit(&app, &bearer, id, twice).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("more than once"), "{body}");
    let small = json!({ "reason": "twice", "lines": [{ "line_id": line, "amount": "0.01" }, { "line_id": line, "amount": "0.01" }] });
    assert_eq!(credit(&app, &bearer, id, small).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let unchanged =
        app.client().get_with(&format!("/api/v1/invoices/{id}"), &[("authorization", &bearer)]).await.json();
    assert_eq!(unchanged["credited"], "0.00");

    // A part credit at 5%, then the rest of that rate: its VAT is exactly what is left at 5%.
    let part = json!({ "reason": "part", "lines": [{ "line_id": line, "amount": "100.00" }] });
    let (status, first) = credit(&app, &bearer, id, part).await;
    assert_eq!((status, first["gross"].as_str()), (StatusCode::CREATED, Some("105.00")));
    let rest = json!({ "reason": "rest", "lines": [{ "line_id": line, "amount": "233.33" }] });
    let (status, second) = credit(&app, &bearer, id, rest).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["gross"], "244.99", "233.33 + (16.66 - 5.00) VAT left at 5%");
    let over = json!({ "reason": "over", "lines": [{ "line_id": line, "amount": "0.01" }] });
    assert_eq!(credit(&app, &bearer, id, over).await.0, StatusCode::UNPROCESSABLE_ENTITY);

    // Voiding still works and leaves nothing owed.
    let (status, void) = credit(&app, &bearer, id, json!({ "reason": "void", "everything": true })).await;
    assert_eq!(status, StatusCode::CREATED, "{void}");
    assert_eq!(void["gross"], "1200.00");
    let after =
        app.client().get_with(&format!("/api/v1/invoices/{id}"), &[("authorization", &bearer)]).await.json();
    assert_eq!(after["outstanding"], "0.00");
    let note = void["id"].as_i64().unwrap();
    let pdf = app
        .client()
        .get_with(&format!("/api/v1/credit-notes/{note}/pdf"), &[("authorization", &bearer)])
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    app.finish().await;
}
on_both_databases!(a_credit_note_credits_each_line_once, each_line_once);

/// Credit notes issued before their rates were stored get them from the migration: VAT rounded
/// down per rate, and a void's exact remainder kept, so the rates add up to what was issued.
async fn rates_backfilled(backend: Backend) {
    use partnership_billing::domain::partnership::YearKind;
    use partnership_billing::services::invoices::{self, InvoiceScope};
    use sea_orm::Set;
    // Rows are written with plain INSERTs (no read-back), as the old schema lacks later columns.
    let app = TestApp::migrated_to(backend, Some(3)).await;
    let pid = entity::partnership::Entity::insert(entity::partnership::ActiveModel {
        slug: Set("before".into()),
        name: Set("Before Rates Partnership".into()),
        address: Set("1 Road".into()),
        vat_number: Set(Some("GB1".into())),
        year_kind: Set(YearKind::Academic.as_str().into()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .unwrap()
    .last_insert_id;
    let today = chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
    // An invoice as the schema before this change holds it: one line of 100.00 at 20%.
    let payer_id = entity::payer::Entity::insert(entity::payer::ActiveModel {
        partnership_id: Set(pid),
        kind: Set("school".into()),
        reference: Set("school:1".into()),
        name: Set("A School".into()),
        address: Set("A School".into()),
        email: Set(None),
        requires_po: Set(false),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .unwrap()
    .last_insert_id;
    let invoice_id = entity::invoice::Entity::insert(entity::invoice::ActiveModel {
        partnership_id: Set(pid),
        payer_id: Set(payer_id),
        billing_run_id: Set(None),
        source_key: Set("old".into()),
        year: Set("2025-26".into()),
        period: Set("autumn".into()),
        status: Set("issued".into()),
        number: Set(Some("RH-000001".into())),
        sequence: Set(Some(1)),
        issue_date: Set(Some(today)),
        supply_date: Set(Some(today)),
        due_date: Set(Some(today)),
        period_start: Set(today),
        period_end: Set(today),
        po_number: Set(None),
        payer_name: Set("A School".into()),
        payer_address: Set("A School".into()),
        supplier_name: Set("Before Rates Partnership".into()),
        supplier_address: Set("1 Road".into()),
        supplier_vat_number: Set(Some("GB1".into())),
        net_pence: Set(10_000),
        vat_pence: Set(2000),
        gross_pence: Set(12_000),
        created_at: Set(chrono::Utc::now()),
        issued_at: Set(Some(chrono::Utc::now())),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .unwrap()
    .last_insert_id;
    let line_id = entity::invoice_line::Entity::insert(entity::invoice_line::ActiveModel {
        invoice_id: Set(invoice_id),
        position: Set(1),
        description: Set("Membership".into()),
        quantity: Set("1".into()),
        unit_price_pence: Set(10_000),
        net_pence: Set(10_000),
        vat_rate: Set("standard".into()),
        school_id: Set(None),
        source_kind: Set("membership".into()),
        source_id: Set(1),
        charge_key: Set(Some("old:1".into())),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .unwrap()
    .last_insert_id;
    // An old-style note of 19.99 net (VAT 3.99), then a void of the rest with the VAT left.
    let rest = 10_000 - 1999;
    let vat_left = 2000 - 399;
    for (number, net, vat) in [("OLD-1", 1999, 399), ("OLD-2", rest, vat_left)] {
        let note_id = entity::credit_note::Entity::insert(entity::credit_note::ActiveModel {
            partnership_id: Set(pid),
            invoice_id: Set(invoice_id),
            number: Set(number.into()),
            sequence: Set(if number == "OLD-1" { 1 } else { 2 }),
            reason: Set("before rates".into()),
            issue_date: Set(today),
            net_pence: Set(net),
            vat_pence: Set(vat),
            gross_pence: Set(net + vat),
            created_by_user_id: Set(None),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        })
        .exec(&app.db)
        .await
        .unwrap()
        .last_insert_id;
        entity::credit_note_line::Entity::insert(entity::credit_note_line::ActiveModel {
            credit_note_id: Set(note_id),
            invoice_line_id: Set(line_id),
            description: Set("Credit".into()),
            net_pence: Set(net),
            vat_rate: Set("standard".into()),
            ..Default::default()
        })
        .exec(&app.db)
        .await
        .unwrap();
    }
    partnership_billing::services::migrate(&app.url).await.unwrap();
    let notes = entity::credit_note::Entity::find()
        .order_by_asc(entity::credit_note::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    for note in notes {
        let view = invoices::get_credit_note(&app.db, pid, note.id, &InvoiceScope::All).await.unwrap();
        let vat: i64 = view.totals.by_rate.iter().map(|r| r.vat.to_pence().unwrap()).sum();
        assert_eq!(vat, note.vat_pence, "{}", note.number);
        assert_eq!(view.totals.by_rate.len(), 1);
    }
    let after = invoices::get(&app.db, pid, invoice_id, &InvoiceScope::All, today).await.unwrap();
    assert_eq!(after.outstanding.to_pence().unwrap(), 0);
    app.finish().await;
}
on_both_databases!(credit_note_rates_are_backfilled, rates_backfilled);

/// A reason is bounded (501 characters are refused, naming the field); one of 500 characters,
/// with a character the PDF font cannot draw, is wrapped on the credit note in full and the
/// note says which character was printed as `?`.
async fn long_reasons(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let finance = users::find_by_email(&app.db, "finance@demo.test").await.unwrap().unwrap();
    let token = auth::create_api_token(&app.db, finance.id, "credits").await.unwrap();
    let bearer = format!("Bearer {}", token.expose_secret());
    let invoice = mixed_rate_invoice(&app, &bearer).await;
    let id = invoice["id"].as_i64().unwrap();

    let too_long = "x".repeat(501);
    let (status, body) = credit(&app, &bearer, id, json!({ "reason": too_long, "everything": true })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("501 characters") && message.contains("500"), "{message}");

    let words: Vec<String> = (1..=60).map(|i| format!("word{i:02}")).collect();
    let mut reason = format!("Cancelled 中 {}", words.join(" "));
    reason.truncate(500);
    let (status, note) = credit(&app, &bearer, id, json!({ "reason": reason, "everything": true })).await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    let pdf = app
        .client()
        .get_with(&format!("/api/v1/credit-notes/{}/pdf", note["id"]), &[("authorization", &bearer)])
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    let text = crate::pdf::pdf_text(&pdf.body);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Cancelled ? word01"), "{text}");
    for word in &words {
        assert!(flat.contains(word.as_str()), "{word} is missing: the reason ran off the page\n{text}");
    }
    assert!(flat.contains("printed as ?: U+4E2D"), "{text}");
    for line in text.lines() {
        assert!(line.chars().count() < 140, "a line runs off the page: {line}");
    }
    app.finish().await;
}
on_both_databases!(a_long_credit_reason_is_bounded_and_wrapped_on_the_pdf, long_reasons);

/// The home page's totals by year are added up by the database: issued invoices, what they
/// came to and what credit notes took back, to the penny, on both databases.
async fn home_totals(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let finance = users::find_by_email(&app.db, "finance@demo.test").await.unwrap().unwrap();
    let token = auth::create_api_token(&app.db, finance.id, "credits").await.unwrap();
    let bearer = format!("Bearer {}", token.expose_secret());
    let invoice = mixed_rate_invoice(&app, &bearer).await;
    assert_eq!(invoice["totals"]["gross"], "1549.99", "{invoice}");
    let line = invoice["lines"].as_array().unwrap().iter().find(|l| l["vat_rate"] == "reduced").unwrap();
    let part = json!({ "reason": "part", "lines": [{ "line_id": line["id"], "amount": "100.00" }] });
    assert_eq!(credit(&app, &bearer, invoice["id"].as_i64().unwrap(), part).await.0, StatusCode::CREATED);
    let mut client = app.client();
    client.sign_in("finance@demo.test", "demo-finance-2025").await;
    let home = client.get("/").await.text();
    let row = home.split("<tr").find(|r| r.contains(">2027-28<")).unwrap_or_else(|| panic!("{home}"));
    let cells: Vec<&str> = row
        .split("<td class=\"govuk-table__cell govuk-table__cell--numeric\">")
        .skip(1)
        .map(|c| c.split('<').next().unwrap_or_default())
        .collect();
    assert_eq!(cells, ["1", "£1,549.99", "£105.00", "0"], "{row}");
    app.finish().await;
}
on_both_databases!(the_home_page_totals_each_year_in_the_database, home_totals);
