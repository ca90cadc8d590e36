//! Bad input never kills a request or the service: out-of-range years and amounts, control
//! characters, malformed queries and bodies, a million bad CSV lines, a closed pipe.

use crate::helpers::{Backend, TestApp};
use crate::on_both_databases;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use partnership_billing::services::{auth, users};
use sea_orm::EntityTrait;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

async fn bearer(app: &TestApp, email: &str) -> String {
    let user = users::find_by_email(&app.db, email).await.unwrap().unwrap();
    let token = auth::create_api_token(&app.db, user.id, "bad input").await.unwrap();
    format!("Bearer {}", token.expose_secret())
}

/// Years and amounts out of range are 422s naming the field, never a panic or a dropped
/// connection.
async fn out_of_range(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let auth = bearer(&app, "finance@demo.test").await;
    let client = app.client();
    let post = |path: &'static str, body: Value| {
        let mut c = client.clone();
        let auth = auth.clone();
        async move {
            c.post_body(path, "application/json", body.to_string().into_bytes(), &[("authorization", &auth)])
                .await
        }
    };
    for year in ["999999-00", "262143-44", "1999-00"] {
        let answer = post("/api/v1/fee-rules/preview", json!({"year": year, "rule": {"flat": "1.00"}})).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{year}: {}", answer.text());
        assert_eq!(answer.json()["error"]["fields"][0]["field"], "year");
    }
    let offer = json!({"year": "262143-44", "billing_plan": "annual", "levels": [{"name": "Core", "fee_rule": {"flat": "1.00"}, "vat_rate": "standard"}]});
    let refused = post("/api/v1/offers", offer).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text());
    let huge = json!({"year": "2027-28", "billing_plan": "annual", "levels": [{"name": "Core", "fee_rule": {"flat": "100000000000000000"}, "vat_rate": "standard"}]});
    let refused = post("/api/v1/offers", huge).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("largest amount a fee rule may hold"), "{}", refused.text());
    let overflow = json!({"year": "2025-26", "rule": {"per_pupil": "79228162514264337593543950335"}});
    assert_eq!(post("/api/v1/fee-rules/preview", overflow).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let model = json!({
        "year": "2026-27", "schools": {},
        "costs": [{"name": "Days", "kind": "core", "days": "79228162514264337593543950335", "day_rate": "600.00"}],
        "options": [{"name": "A", "membership_fee": {"flat": "1.00"}, "covers": ["core"]}]
    });
    let refused = post("/api/v1/funding-models/run", model).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text());
    assert_eq!(refused.json()["error"]["fields"][0]["field"], "costs[0].days");
    // The OpenAPI document's own example for the model runs.
    let document = app.client().get("/api/v1/openapi.json").await.json();
    let example = &document["paths"]["/funding-models/run"]["post"]["requestBody"]["content"]["application/json"]
        ["example"];
    assert!(example.is_object(), "the document gives an example");
    let ran = post("/api/v1/funding-models/run", example.clone()).await;
    assert_eq!(ran.status, StatusCode::OK, "{}", ran.text());
    // A credit amount beyond the largest is refused with the field named.
    let credit = post_credit(&app, &auth, json!({"reason": "x", "amount": "1000000000000"})).await;
    assert_eq!(credit.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", credit.1);
    app.finish().await;
}
on_both_databases!(out_of_range_years_and_amounts_are_refused, out_of_range);

async fn post_credit(app: &TestApp, auth: &str, body: Value) -> (StatusCode, Value) {
    let mut client = app.client();
    let run = json!({"year": "2025-26", "period": "autumn"});
    client
        .post_body(
            "/api/v1/billing-runs",
            "application/json",
            run.to_string().into_bytes(),
            &[("authorization", auth)],
        )
        .await;
    let list = client.get_with("/api/v1/invoices?status=issued", &[("authorization", auth)]).await.json();
    let id = list["invoices"][0]["id"].as_i64().expect("an issued invoice");
    let answer = client
        .post_body(
            &format!("/api/v1/invoices/{id}/credit-notes"),
            "application/json",
            body.to_string().into_bytes(),
            &[("authorization", auth)],
        )
        .await;
    (answer.status, answer.json())
}

/// NUL and other control characters are refused with a message, the same on both databases:
/// in a search, a path segment, a form field, a JSON string and a GIAS name.
async fn control_characters(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let auth = bearer(&app, "finance@demo.test").await;
    let mut finance = app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    let search = finance.get("/schools?q=a%00b").await;
    assert_eq!(search.status, StatusCode::BAD_REQUEST);
    assert!(search.text().contains("control character (U+0000)"), "{}", search.text());
    let api = finance.get_with("/api/v1/schools?q=a%00b", &[("authorization", &auth)]).await;
    assert_eq!(
        (api.status, api.json()["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    let segment = finance.get_with("/api/v1/schools/99%0001", &[("authorization", &auth)]).await;
    assert_eq!(segment.status, StatusCode::BAD_REQUEST);
    let (status, body) =
        post_credit(&app, &auth, json!({"reason": "nul \u{0} here", "everything": true})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("control character"));
    let csrf = finance.session_csrf().await;
    let form = finance
        .post_form(
            "/schools/990021/pupil-numbers",
            &[
                ("csrf_token", &csrf),
                ("census_date-day", "2"),
                ("census_date-month", "10"),
                ("census_date-year", "2025"),
                ("pupils", "95"),
                ("reason", "a\u{1}b"),
            ],
        )
        .await;
    assert_eq!(form.status, StatusCode::BAD_REQUEST, "{}", form.text());
    let admin = bearer(&app, "admin@demo.test").await;
    let csv = "URN,LA (code),LA (name),EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),EstablishmentStatus (name)\n990700,990,Riverside,Nul\u{0}School,Community school,Primary,Open\n";
    let import = finance
        .post_body("/api/v1/imports/gias", "text/csv", csv.as_bytes().to_vec(), &[("authorization", &admin)])
        .await;
    assert_eq!(import.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        import.text().contains("EstablishmentName") && import.text().contains("control character"),
        "{}",
        import.text()
    );
    app.finish().await;
}
on_both_databases!(control_characters_are_refused_at_the_edge, control_characters);

/// Every API error is the envelope, with a JSON content type: rejections of queries and paths,
/// a method not allowed, a body too large, an unknown route.
#[tokio::test]
async fn every_api_error_is_the_envelope() {
    let app = TestApp::with_demo(Backend::Sqlite).await;
    let auth = bearer(&app, "admin@demo.test").await;
    let mut client = app.client();
    let check = |answer: &crate::helpers::Answer, status: StatusCode, code: &str| {
        assert_eq!(answer.status, status, "{}", answer.text());
        assert!(
            answer
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json")),
            "{:?}",
            answer.headers
        );
        assert_eq!(answer.json()["error"]["code"], code, "{}", answer.text());
    };
    check(
        &client.get_with("/api/v1/imports/gias", &[("authorization", &auth)]).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    let delete = Request::builder()
        .method(Method::DELETE)
        .uri("/api/v1/schools")
        .header("authorization", &auth)
        .body(Body::empty())
        .unwrap();
    let answer = client.send(delete).await;
    check(&answer, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert!(answer.headers.contains_key("allow"));
    check(
        &client.get_with("/api/v1/invoices?page=x", &[("authorization", &auth)]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    check(
        &client.get_with("/api/v1/imports/gias?skip_bad_rows=maybe", &[("authorization", &auth)]).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    let bad_query = client
        .post_body(
            "/api/v1/imports/gias?skip_bad_rows=maybe",
            "text/csv",
            b"x".to_vec(),
            &[("authorization", &auth)],
        )
        .await;
    check(&bad_query, StatusCode::BAD_REQUEST, "bad_request");
    let big = vec![b' '; 3 * 1024 * 1024];
    check(
        &client.post_body("/api/v1/offers", "application/json", big, &[("authorization", &auth)]).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    check(
        &client.get_with("/api/v1/nowhere", &[("authorization", &auth)]).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    check(
        &client.get_with("/api/v1/invoices/abc", &[("authorization", &auth)]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    );
    app.finish().await;
}

/// A file of a hundred thousand bad lines is refused with the first 1,000 problems listed and
/// the rest counted; nothing is written.
#[tokio::test]
async fn a_huge_error_report_is_bounded() {
    let app = TestApp::with_demo(Backend::Sqlite).await;
    let auth = bearer(&app, "admin@demo.test").await;
    let mut csv = String::from(
        "URN,LA (code),LA (name),EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),EstablishmentStatus (name)\n",
    );
    for i in 0..100_000 {
        csv.push_str(&format!("x{i},990,Riverside,School,Community school,Primary,Open\n"));
    }
    let answer = app
        .client()
        .post_body("/api/v1/imports/gias", "text/csv", csv.into_bytes(), &[("authorization", &auth)])
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = answer.json();
    assert_eq!(body["error"]["rows"].as_array().map(Vec::len), Some(1000));
    assert_eq!(body["error"]["more_rows"], 99_000);
    assert_eq!(body["summary"]["rejected"], 100_000);
    assert!(answer.body.len() < 200_000, "the answer is {} bytes", answer.body.len());
    app.finish().await;
}

/// `billing-run ... | head -1` ends quietly: no panic on the closed pipe.
#[test]
fn the_command_line_ends_quietly_on_a_closed_pipe() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("pipe.db").display());
    let exe = env!("CARGO_BIN_EXE_partnership-billing");
    let demo = std::process::Command::new(exe)
        .args(["demo", "--no-invoices"])
        .env("DATABASE_URL", &db)
        .output()
        .expect("demo");
    assert!(demo.status.success());
    let script = format!(
        "'{exe}' billing-run --year 2025-26 --period autumn | head -1; echo \"status ${{PIPESTATUS[0]}}\""
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(script)
        .env("DATABASE_URL", &db)
        .env("RUST_LOG", "warn")
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.starts_with("Preview of 2025-26 autumn"), "{stdout}");
    assert!(stdout.contains("status 0"), "{stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A stored value that does not read back is an error naming its table, column and value:
/// never a level that disappears, a VAT rate that becomes standard or a payer that becomes the
/// school.
async fn stored_values(backend: Backend) {
    use partnership_billing::services::{ServiceError, billing, invoices, offers, partnerships};
    use sea_orm::ConnectionTrait;
    let app = TestApp::with_demo(backend).await;
    let p = partnerships::find_by_slug(&app.db, "demo").await.unwrap().unwrap();
    let corrupt = |e: ServiceError| match e {
        ServiceError::Corrupt { table, column, value, .. } => format!("{table}.{column}={value}"),
        other => panic!("not reported as corrupt: {other:?}"),
    };
    app.db
        .execute_unprepared("UPDATE offer_levels SET fee_rule = '{\"flat\": 5}' WHERE name = 'Core'")
        .await
        .unwrap();
    let e = offers::find(&app.db, p.id, "2025-26").await.unwrap_err();
    assert_eq!(corrupt(e), "offer_levels.fee_rule={\"flat\": 5}");
    app.db
        .execute_unprepared("UPDATE offer_levels SET fee_rule = '{\"flat\": \"5.00\"}' WHERE name = 'Core'")
        .await
        .unwrap();
    app.db
        .execute_unprepared(
            "UPDATE memberships SET paid_by = 'parent' WHERE id = (SELECT MIN(id) FROM memberships)",
        )
        .await
        .unwrap();
    let e = billing::plan(&app.db, &p, "2025-26", "autumn").await.unwrap_err();
    assert_eq!(corrupt(e), "memberships.paid_by=parent");
    app.db
        .execute_unprepared("UPDATE memberships SET paid_by = 'school' WHERE paid_by = 'parent'")
        .await
        .unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
    billing::commit(&app.db, &p, "2025-26", "autumn", billing::RunBy::on(today), &mut |_, _| {})
        .await
        .unwrap();
    app.db.execute_unprepared("UPDATE invoice_lines SET vat_rate = 'standardish' WHERE id = (SELECT MIN(id) FROM invoice_lines)").await.unwrap();
    let first = entity::invoice_line::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.id, l.invoice_id))
        .min()
        .unwrap();
    let e = invoices::get(&app.db, p.id, first.1, &invoices::InvoiceScope::All, today).await.unwrap_err();
    assert_eq!(corrupt(e), "invoice_lines.vat_rate=standardish");
    // Through the API it is the usual 500, with nothing half-shown.
    let auth = bearer(&app, "finance@demo.test").await;
    let answer =
        app.client().get_with(&format!("/api/v1/invoices/{}", first.1), &[("authorization", &auth)]).await;
    assert_eq!(
        (answer.status, answer.json()["error"]["code"].as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some("internal"))
    );
    app.finish().await;
}
on_both_databases!(stored_values_are_read_strictly, stored_values);

/// Two people creating the same year's offer at once: one succeeds, the other is told the year
/// is taken (422 naming the field), never a database error.
async fn unique_clash(backend: Backend) {
    use partnership_billing::domain::partnership::YearKind;
    use partnership_billing::services::{ServiceError, offers, partnerships};
    let app = TestApp::with_demo(backend).await;
    let p = partnerships::find_by_slug(&app.db, "demo").await.unwrap().unwrap();
    let new: offers::NewOffer = serde_json::from_value(json!({
        "year": "2030-31", "billing_plan": "annual",
        "levels": [{"name": "Core", "fee_rule": {"flat": "1.00"}, "vat_rate": "standard"}]
    }))
    .unwrap();
    let attempts = (0..6).map(|_| offers::create(&app.db, p.id, YearKind::Academic, &new, None));
    let outcomes = futures_util::future::join_all(attempts).await;
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1);
    for refused in outcomes.into_iter().filter_map(Result::err) {
        match refused {
            ServiceError::Invalid(fields) => assert_eq!(fields[0].field, "year"),
            other => panic!("{other:?}"),
        }
    }
    app.finish().await;
}
on_both_databases!(a_unique_clash_names_the_field, unique_clash);
