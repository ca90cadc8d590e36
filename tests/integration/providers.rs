//! Paying provider schools through the API, on both databases: a rate agreed with a school;
//! an order delivered in parts, one by a person from the provider school (owed at the rate)
//! and the rest by the partnership's adviser; the month's self-billing statement made once,
//! marked paid once; the timesheet; and the margin by service and by provider.

use crate::ledger::Books;
use crate::on_both_databases;
use axum::http::StatusCode;
use serde_json::json;

async fn providers(backend: crate::helpers::Backend) {
    let mut books = Books::new(backend).await;
    books.app = books.app.on_day(chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
    let adviser = crate::events::service(&books, "Adviser day").await;
    let (status, bad) = books
        .post("/api/v1/provider-rates", json!({ "urn": "990007", "service_id": adviser, "rate": "0" }))
        .await;
    assert_eq!(
        (status, bad["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("rate")),
        "{bad}"
    );
    let (status, rate) = books
        .post("/api/v1/provider-rates", json!({ "urn": "990007", "service_id": adviser, "rate": "500.00" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{rate}");
    let (_, rate) = books
        .post("/api/v1/provider-rates", json!({ "urn": "990007", "service_id": adviser, "rate": "550.00" }))
        .await;
    assert_eq!(rate["rate_in_words"], "£550.00 a day", "replaced: {rate}");
    assert_eq!(books.get("/api/v1/provider-rates").await["rates"].as_array().unwrap().len(), 1);

    // Three days for a school: one by the provider's SLE, two by the partnership's adviser.
    let (_, order) = books
        .post(
            "/api/v1/orders",
            json!({ "service_id": adviser, "urn": "990010", "quantity": 3, "service_date": "2026-10-05" }),
        )
        .await;
    let id = order["id"].as_i64().unwrap();
    let free = order["free_units"].as_str().unwrap().to_string();
    books.post(&format!("/api/v1/orders/{id}/confirm"), json!({})).await;
    let (status, no_rate) = books
        .post(&format!("/api/v1/orders/{id}/deliver"), json!({ "delivered_on": "2026-10-05", "delivered_by": "Sam SLE", "units": 1, "provider_urn": "990001" }))
        .await;
    assert_eq!(
        (status, no_rate["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("provider_urn")),
        "{no_rate}"
    );
    let (status, part) = books
        .post(&format!("/api/v1/orders/{id}/deliver"), json!({ "delivered_on": "2026-10-05", "delivered_by": "Priya Shah (SLE)", "units": 1, "provider_urn": "990007" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{part}");
    assert_eq!(
        (part["state"].as_str(), part["invoice_id"].as_i64()),
        (Some("confirmed"), None),
        "part delivered: {part}"
    );
    let (status, too_many) = books
        .post(
            &format!("/api/v1/orders/{id}/deliver"),
            json!({ "delivered_on": "2026-10-12", "delivered_by": "Helen Marsh", "units": 3 }),
        )
        .await;
    assert_eq!(
        (status, too_many["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("units"))
    );
    let (status, rest) = books
        .post(
            &format!("/api/v1/orders/{id}/deliver"),
            json!({ "delivered_on": "2026-10-12", "delivered_by": "Helen Marsh" }),
        )
        .await;
    assert_eq!((status, rest["state"].as_str()), (StatusCode::OK, Some("delivered")), "{rest}");
    assert!(rest["invoice_id"].is_i64() || free == "3", "invoiced on delivery: {rest}");

    // The timesheet and the statement for October.
    let sheet = books.get("/api/v1/deliveries?month=2026-10&person=Priya%20Shah%20(SLE)").await;
    assert_eq!(sheet["deliveries"].as_array().unwrap().len(), 1, "{sheet}");
    assert_eq!(sheet["deliveries"][0]["payable"], "550.00");
    let (status, early) = books.post("/api/v1/provider-statements", json!({ "month": "2026-11" })).await;
    assert_eq!(
        (status, early["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("month")),
        "{early}"
    );
    let (status, made) = books.post("/api/v1/provider-statements", json!({ "month": "2026-10" })).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let statements = made["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "only the provider school is owed: {made}");
    assert_eq!(
        (statements[0]["total"].as_str(), statements[0]["lines"].as_array().unwrap().len()),
        (Some("550.00"), 1)
    );
    assert!(statements[0]["number"].as_str().unwrap().starts_with("SB-990007-2026-10"));
    let (_, again) = books.post("/api/v1/provider-statements", json!({ "month": "2026-10" })).await;
    assert_eq!(again["statements"].as_array().unwrap().len(), 0, "nothing twice: {again}");
    let sid = statements[0]["id"].as_i64().unwrap();
    let (status, paid) = books
        .post(
            &format!("/api/v1/provider-statements/{sid}/paid"),
            json!({ "paid_on": "2026-11-28", "reference": "BACS 4471" }),
        )
        .await;
    assert_eq!((status, paid["paid_on"].as_str()), (StatusCode::OK, Some("2026-11-28")), "{paid}");
    let (status, _) = books
        .post(
            &format!("/api/v1/provider-statements/{sid}/paid"),
            json!({ "paid_on": "2026-11-28", "reference": "BACS 4471" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The margin: what the three days earned against the £550 owed.
    let margin = books.get("/api/v1/traded-margin?year=2026-27").await;
    let service =
        margin["by_service"].as_array().unwrap().iter().find(|m| m["name"] == "Adviser day").unwrap().clone();
    assert_eq!(
        (service["units"].as_str(), service["cost"].as_str()),
        (Some("3"), Some("550.00")),
        "{margin}"
    );
    let provider =
        margin["by_provider"].as_array().unwrap().iter().find(|m| m["cost"] == "550.00").unwrap().clone();
    assert_eq!(provider["units"], "1", "{margin}");
    let own = margin["by_provider"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Partnership advisers")
        .unwrap()
        .clone();
    assert_eq!((own["units"].as_str(), own["cost"].as_str()), (Some("2"), Some("0.00")));
    let (status, _) = books
        .post("/api/v1/provider-rates", json!({ "urn": "990007", "service_id": 999_999, "rate": "5.00" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
on_both_databases!(provider_schools_are_paid_by_self_billing_statement, providers);

async fn pages(backend: crate::helpers::Backend) {
    let mut books = Books::new(backend).await;
    books.app = books.app.on_day(chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
    let adviser = crate::events::service(&books, "Adviser day").await;
    let mut finance = crate::cards::sign_in(&books.app, "finance@demo.test").await;
    let page = finance.get("/providers").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf_token();
    let service = adviser.to_string();
    let wrong = finance
        .post_form(
            "/providers/rates",
            &[("csrf_token", &csrf), ("urn", "123"), ("service_id", &service), ("rate", "550")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().contains("No school in the register has the URN 123"), "{}", wrong.text());
    let saved = finance
        .post_form(
            "/providers/rates",
            &[("csrf_token", &csrf), ("urn", "990007"), ("service_id", &service), ("rate", "£550")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    assert!(finance.get("/providers").await.text().contains("£550.00 a day"));

    // Delivered by the provider's SLE from the order page.
    let (_, order) = books
        .post(
            "/api/v1/orders",
            json!({ "service_id": adviser, "urn": "990010", "quantity": 2, "service_date": "2026-10-05" }),
        )
        .await;
    let id = order["id"].as_i64().unwrap();
    books.post(&format!("/api/v1/orders/{id}/confirm"), json!({})).await;
    let page = finance.get(&format!("/orders/{id}")).await;
    assert!(
        page.text().contains("Provider school&#39;s URN") || page.text().contains("Provider school's URN")
    );
    let part = finance
        .post_form(
            &format!("/orders/{id}/deliver"),
            &[
                ("csrf_token", &csrf),
                ("delivered_on-day", "5"),
                ("delivered_on-month", "10"),
                ("delivered_on-year", "2026"),
                ("delivered_by", "Priya Shah"),
                ("units", "1"),
                ("provider_urn", "990007"),
            ],
        )
        .await;
    assert_eq!(part.status, StatusCode::SEE_OTHER, "{}", part.text());
    let page = finance.get(&format!("/orders/{id}")).await.text();
    assert!(
        page.contains("1 day of 2 days delivered so far") && page.contains("Record the delivery"),
        "{page}"
    );
    let sheet = finance.get("/deliveries?month=2026-10&person=Priya%20Shah").await.text();
    assert!(
        sheet.contains("Priya Shah")
            && sheet.contains("£550.00")
            && sheet.contains("1 units delivered in October 2026"),
        "{sheet}"
    );
    assert_eq!(finance.get("/deliveries?month=October").await.status, StatusCode::BAD_REQUEST);

    // The month's statement, its PDF, and paying it.
    let made =
        finance.post_form("/providers/statements", &[("csrf_token", &csrf), ("month", "2026-10")]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text());
    let list = finance.get("/providers").await.text();
    let href = list
        .split("href=\"/providers/statements/")
        .nth(1)
        .expect("a statement link")
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let statement = finance.get(&format!("/providers/statements/{href}")).await.text();
    assert!(
        statement.contains("SB-990007-2026-10")
            && statement.contains("Priya Shah")
            && statement.contains("£550.00"),
        "{statement}"
    );
    let pdf = finance.get(&format!("/providers/statements/{href}/pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.body.starts_with(b"%PDF"), "a PDF");
    let unpaid = finance
        .post_form(
            &format!("/providers/statements/{href}/paid"),
            &[
                ("csrf_token", &csrf),
                ("paid_on-day", "1"),
                ("paid_on-month", "12"),
                ("paid_on-year", "2026"),
                ("reference", "BACS 1"),
            ],
        )
        .await;
    assert_eq!(unpaid.status, StatusCode::UNPROCESSABLE_ENTITY, "tomorrow is not a payment date");
    let paid = finance
        .post_form(
            &format!("/providers/statements/{href}/paid"),
            &[
                ("csrf_token", &csrf),
                ("paid_on-day", "28"),
                ("paid_on-month", "11"),
                ("paid_on-year", "2026"),
                ("reference", "BACS 1"),
            ],
        )
        .await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.text());
    assert!(
        finance
            .get(&format!("/providers/statements/{href}"))
            .await
            .text()
            .contains("Paid on 28 November 2026 (reference BACS 1)")
    );
    let margin = finance.get("/services/margin?year=2026-27").await.text();
    assert!(
        margin.contains("Adviser day") && margin.contains("£550.00") && margin.contains("By who delivered"),
        "{margin}"
    );
    assert_eq!(finance.get("/services/margin?year=2026").await.status, StatusCode::BAD_REQUEST);

    // The board sees the take-up of each service.
    let take_up = books.get("/api/v1/traded-take-up?year=2026-27").await;
    let row = take_up["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["service"] == "Adviser day")
        .unwrap()
        .clone();
    assert_eq!(
        (row["schools"].as_u64(), row["orders"].as_u64(), row["units"].as_str()),
        (Some(1), Some(1), Some("2")),
        "{take_up}"
    );
    let mut board = crate::cards::sign_in(&books.app, "board@demo.test").await;
    let page = board.get("/services/take-up").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("Take-up of traded services, 2026-27") && page.text().contains("Adviser day"),
        "{}",
        page.text()
    );
    assert!(page.text().contains("href=\"/services/take-up\""), "the board's menu has it");
}
on_both_databases!(provider_pages_agree_rates_and_pay_statements, pages);
