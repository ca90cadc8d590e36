//! The JSON API: tokens, errors with stable codes, the OpenAPI document, health.

use crate::helpers::{Backend, TestApp};
use crate::on_both_databases;
use axum::http::StatusCode;
use partnership_billing::services::{auth, users};
use secrecy::ExposeSecret;

async fn tokens_and_errors(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut client = app.client();
    assert_eq!(client.get("/health").await.status, StatusCode::OK);
    let unauthorised = client.get("/api/v1/schools").await;
    assert_eq!(unauthorised.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unauthorised.json()["error"]["code"], "unauthorized");
    let bad_token = client.get_with("/api/v1/me", &[("authorization", "Bearer pb_nope")]).await;
    assert_eq!(bad_token.status, StatusCode::UNAUTHORIZED);

    let finance = users::find_by_email(&app.db, "finance@demo.test").await.unwrap().unwrap();
    let token = auth::create_api_token(&app.db, finance.id, "spreadsheet").await.unwrap();
    let bearer = format!("Bearer {}", token.expose_secret());
    let auth_header = [("authorization", bearer.as_str())];
    let me = client.get_with("/api/v1/me", &auth_header).await.json();
    assert_eq!(me["role"], "finance");
    assert_eq!(me["partnership"]["slug"], "demo");
    let page = client.get_with("/api/v1/schools?phase=Secondary&per_page=5", &auth_header).await.json();
    assert_eq!(page["total"], 24);
    assert_eq!(page["schools"].as_array().map(Vec::len), Some(5));
    assert_eq!(page["schools"][0]["billing_phase"], "Secondary");
    let invalid = client.get_with("/api/v1/schools?status=shut", &auth_header).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.json()["error"]["code"], "invalid");
    assert_eq!(invalid.json()["error"]["fields"][0]["field"], "status");
    let missing = client.get_with("/api/v1/schools/999999", &auth_header).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error"]["code"], "not_found");
    let detail = client.get_with("/api/v1/schools/990149", &auth_header).await.json();
    assert_eq!(detail["links"][0]["kind"], "Predecessor");
    assert_eq!(detail["history"].as_array().map(Vec::len), Some(2));

    // Writes with a token need no CSRF header; with a cookie they do.
    let body = br#"{"census_date": "02-10-2025", "pupils": 95, "reason": "autumn census"}"#.to_vec();
    let written = client
        .post_body("/api/v1/schools/990021/pupil-numbers", "application/json", body.clone(), &auth_header)
        .await;
    assert_eq!(written.status, StatusCode::CREATED, "{}", written.text());
    assert_eq!(written.json()["pupils"], 95);
    let not_json = client
        .post_body("/api/v1/schools/990021/pupil-numbers", "application/json", b"[1,2".to_vec(), &auth_header)
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_json.json()["error"]["code"], "bad_request");
    let mut browser = app.client();
    browser.sign_in("finance@demo.test", "demo-finance-2025").await;
    let no_header = browser
        .post_body("/api/v1/schools/990021/pupil-numbers", "application/json", body.clone(), &[])
        .await;
    assert_eq!(no_header.status, StatusCode::BAD_REQUEST);
    let csrf = browser.session_csrf().await;
    let with_header = browser
        .post_body(
            "/api/v1/schools/990021/pupil-numbers",
            "application/json",
            body,
            &[("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(with_header.status, StatusCode::CREATED);

    // A rejected import through the API says which rows and writes nothing.
    let admin = users::find_by_email(&app.db, "admin@demo.test").await.unwrap().unwrap();
    let admin_token = auth::create_api_token(&app.db, admin.id, "import job").await.unwrap();
    let admin_bearer = format!("Bearer {}", admin_token.expose_secret());
    let csv = "URN,LA (code),LA (name),EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),EstablishmentStatus (name)\n990700,990,Riverside,API School,Community school,Primary,Open\n990701,990,Riverside,,Community school,Primary,Open\n";
    let rejected = client
        .post_body(
            "/api/v1/imports/gias",
            "text/csv",
            csv.as_bytes().to_vec(),
            &[("authorization", &admin_bearer)],
        )
        .await;
    assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = rejected.json();
    assert_eq!(body["error"]["code"], "rows_rejected");
    assert_eq!(body["error"]["rows"][0]["line"], 3);
    assert_eq!(body["error"]["rows"][0]["column"], "EstablishmentName");
    let skipped = client
        .post_body(
            "/api/v1/imports/gias?skip_bad_rows=true",
            "text/csv",
            csv.as_bytes().to_vec(),
            &[("authorization", &admin_bearer)],
        )
        .await;
    assert_eq!(skipped.status, StatusCode::OK);
    assert_eq!(skipped.json()["created"], 1);
    app.finish().await;
}
on_both_databases!(the_api_answers_with_tokens_and_stable_errors, tokens_and_errors);

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = TestApp::empty(Backend::Sqlite).await;
    let doc = app.client().get("/api/v1/openapi.json").await.json();
    assert_eq!(doc["openapi"], "3.0.3");
    for path in [
        "/me",
        "/schools",
        "/schools/{urn}",
        "/schools/{urn}/pupil-numbers",
        "/local-authorities",
        "/trusts",
        "/imports/gias",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not described");
    }
    // Every $ref points at a schema that exists.
    let text = doc.to_string();
    for piece in text.split("#/components/schemas/").skip(1) {
        let name = piece.split('"').next().unwrap_or_default();
        assert!(doc["components"]["schemas"][name].is_object(), "missing schema {name}");
    }
    app.finish().await;
}

async fn billing_through_the_api(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let finance = users::find_by_email(&app.db, "finance@demo.test").await.unwrap().unwrap();
    let token = auth::create_api_token(&app.db, finance.id, "finance system").await.unwrap();
    let bearer = format!("Bearer {}", token.expose_secret());
    let h = [("authorization", bearer.as_str())];
    let mut c = app.client();
    let json = |v: serde_json::Value| v.to_string().into_bytes();
    let send = |method: &str, path: &str, body: Vec<u8>| {
        axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", bearer.as_str())
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    // A bad rule says where; a good one is saved.
    let bad = c
        .send(send(
            "PUT",
            "/api/v1/offers/2025-26/levels/Core",
            json(serde_json::json!({"fee_rule": {"per_pupil": 19}, "vat_rate": "standard"})),
        ))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.json()["error"]["message"].as_str().unwrap().contains("per_pupil: write amounts in quotes"),
        "{}",
        bad.text()
    );
    let good = c.send(send("PUT", "/api/v1/offers/2025-26/levels/Core", json(serde_json::json!({"fee_rule": {"per_pupil": "7.00"}, "vat_rate": "standard", "description": "Core offer"})))).await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text());
    // Memberships: leave before joining is refused; a change of level makes a new membership.
    let list = c.get_with("/api/v1/memberships?year=2025-26", &h).await.json();
    assert!(
        list["total"].as_u64().unwrap() > 50 && list["memberships"].as_array().unwrap().len() == 50,
        "{list}"
    );
    assert!(list["memberships"][0]["fee"].is_string(), "each has its fee for the year: {list}");
    // A whole year of Core (now £7.00 a pupil), paid by the school, no first-year discount: the
    // fee is the pupils at £7.00, to the penny.
    let pence = |text: &str| {
        let (pounds, pennies) = text.split_once('.').expect("pounds and pence");
        pounds.parse::<i64>().expect("pounds") * 100 + pennies.parse::<i64>().expect("pence")
    };
    let mut checked = 0;
    for page in 1..=list["pages"].as_u64().unwrap() {
        let rows = c.get_with(&format!("/api/v1/memberships?year=2025-26&page={page}"), &h).await.json();
        for m in rows["memberships"].as_array().unwrap() {
            let whole_year =
                m["starts_on"].as_str().is_some_and(|d| d <= "2025-09-01") && m["ends_on"].is_null();
            if m["level"] == "Core" && m["paid_by"] == "school" && m["first_year"] == false && whole_year {
                let Some(pupils) = m["pupils"].as_i64() else { continue };
                assert_eq!(pence(m["fee"].as_str().expect("a fee")), pupils * 700, "{m}");
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "a whole-year Core member paid by its school is in the list");
    let filtered = c.get_with("/api/v1/memberships?year=2025-26&paid_by=trust&page=1", &h).await.json();
    assert!(
        filtered["memberships"].as_array().unwrap().iter().all(|m| m["paid_by"] == "trust"),
        "{filtered}"
    );
    // A page beyond any list (its offset would overflow the database's integers) is named, not a 500.
    let far = c.get_with("/api/v1/schools?page=36028797018963969&per_page=487", &h).await;
    assert_eq!(far.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", far.text());
    let bad = c.get_with("/api/v1/memberships?year=2025-26&page=0", &h).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text());
    let id = list["memberships"][0]["id"].as_i64().unwrap();
    let refused = c
        .post_body(
            &format!("/api/v1/memberships/{id}/leave"),
            "application/json",
            json(serde_json::json!({"ends_on": "2020-01-01"})),
            &h,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let changed = c
        .post_body(
            &format!("/api/v1/memberships/{id}/change-level"),
            "application/json",
            json(serde_json::json!({"level": "Enhanced", "from": "2026-01-01"})),
            &h,
        )
        .await;
    assert_eq!(changed.status, StatusCode::CREATED, "{}", changed.text());
    // Bill, hold for a PO, release with one.
    let run = c
        .post_body(
            "/api/v1/billing-runs",
            "application/json",
            json(serde_json::json!({"year": "2025-26", "period": "autumn"})),
            &h,
        )
        .await;
    assert_eq!(run.status, StatusCode::CREATED);
    assert_eq!(run.json()["waiting_for_po"], 1);
    let payers = c.get_with("/api/v1/payers?held=true", &h).await.json();
    assert_eq!(payers["total"], 1, "{payers}");
    let held = payers["payers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["held_invoices"] == 1)
        .expect("a payer with a held invoice");
    let released = c
        .post_body(
            &format!("/api/v1/payers/{}/po", held["id"]),
            "application/json",
            json(serde_json::json!({"year": "2025-26", "po_number": "PO-77"})),
            &h,
        )
        .await;
    assert_eq!(released.json()["issued"].as_array().map(Vec::len), Some(1));
    let audit = c.get_with("/api/v1/audit", &h).await.json();
    let actions: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(audit["entries"][0]["sentence"].is_string(), "{audit}");
    for action in
        ["offer_level.changed", "membership.left", "membership.joined", "invoices.issued", "invoice.issued"]
    {
        assert!(actions.contains(&action), "{action} missing from {actions:?}");
    }
    app.finish().await;
}
on_both_databases!(billing_works_through_the_api, billing_through_the_api);

async fn funding_model_on_the_register(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut board = app.client();
    board.sign_in("board@demo.test", "demo-board-2025").await;
    let csrf = board.session_csrf().await;
    let scenario = serde_json::json!({
        "year": "2026-27",
        "schools": { "phases": ["Primary"] },
        "costs": [{ "name": "Core", "kind": "core", "amount": "200000.00" }],
        "options": [{ "name": "Per pupil", "membership_fee": { "per_pupil": "10.00" }, "covers": ["core"] }]
    });
    let answer = board
        .post_body(
            "/api/v1/funding-models/run",
            "application/json",
            scenario.to_string().into_bytes(),
            &[("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let r = answer.json();
    let option = &r["options"][0];
    assert!(option["schools"].as_array().unwrap().iter().all(|s| s["billing_phase"] == "Primary"));
    // Every primary school's charge is £10 a pupil, and the total is their sum.
    let sum: f64 = option["schools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["charge"].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    let pupils: u64 =
        option["schools"].as_array().unwrap().iter().map(|s| s["pupils"].as_u64().unwrap()).sum();
    assert_eq!(option["income"]["memberships"].as_str().unwrap(), format!("{}.00", pupils * 10));
    assert!((sum - (pupils * 10) as f64).abs() < 0.001);
    // Finance saves it by name; the board reads it back and runs it; the board cannot save.
    let mut finance = app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    let f_csrf = finance.session_csrf().await;
    let put = |client: &mut crate::helpers::Client, csrf: String, body: serde_json::Value| {
        let request = axum::http::Request::builder()
            .method("PUT")
            .uri("/api/v1/scenarios/Primary%20per%20pupil")
            .header("content-type", "application/json")
            .header("x-csrf-token", csrf)
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        let mut c = client.clone();
        async move { c.send(request).await }
    };
    assert_eq!(put(&mut finance, f_csrf.clone(), scenario.clone()).await.status, StatusCode::OK);
    let mut bad = scenario.clone();
    bad["options"][0]["membership_fee"] = serde_json::json!({"flat": "5.00", "min": "9.00", "max": "1.00"});
    let refused_rule = put(&mut finance, f_csrf, bad).await;
    assert_eq!(refused_rule.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused_rule.json()["error"]["fields"][0]["field"], "options[0].membership_fee");
    assert_eq!(put(&mut board, csrf.clone(), scenario.clone()).await.status, StatusCode::FORBIDDEN);
    let listed = board.get("/api/v1/scenarios").await.json();
    let names: Vec<&str> = listed.as_array().unwrap().iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(
        names,
        vec!["2026-27 funding options", "Primary per pupil"],
        "the demo's scenario and the new one"
    );
    let results = board.get("/api/v1/scenarios/Primary%20per%20pupil/results").await.json();
    assert_eq!(results["options"][0]["income"], option["income"]);
    assert_eq!(board.get("/api/v1/scenarios/Nope").await.status, StatusCode::NOT_FOUND);
    let with_csv = serde_json::json!({ "year": "2026-27", "schools": { "gias_csv": "x.csv" }, "costs": [], "options": [] });
    let refused = board
        .post_body(
            "/api/v1/funding-models/run",
            "application/json",
            with_csv.to_string().into_bytes(),
            &[("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["error"]["fields"][0]["field"], "schools.gias_csv");
    app.finish().await;
}
on_both_databases!(boards_model_funding_on_their_register, funding_model_on_the_register);
