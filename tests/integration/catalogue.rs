//! The traded-services catalogue through the API: a service with member, non-member, per-level
//! and per-phase prices; bad input named field by field; and the price a school pays on a date,
//! by its membership that day, with why. A business manager prices their own school only.

use crate::cards::sign_in;
use crate::ledger::Books;
use crate::on_both_databases;
use axum::http::StatusCode;
use entity::{membership, school};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

async fn catalogue(backend: crate::helpers::Backend) {
    let books = Books::new(backend).await;
    let db = &books.app.db;
    let adviser = json!({
        "name": "Adviser day", "description": "A day of a school improvement adviser's time.",
        "category": "adviser_support", "unit": "day", "vat_rate": "standard", "invoicing": "on_delivery",
        "active_from": "2026-09-01", "accounting_code": "4100",
        "prices": [{ "year": "2026-27", "member": { "flat": "650.00" }, "non_member": { "flat": "800.00" },
                     "by_level": { "Premium": { "flat": "600.00" } } }],
    });
    let (status, made) = books.post("/api/v1/services", adviser.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].as_i64().unwrap();
    assert_eq!(made["prices"][0]["member_in_words"], "£650.00 a day");
    assert_eq!(made["prices"][0]["non_member_in_words"], "£800.00 a day");
    let (status, again) = books.post("/api/v1/services", adviser).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{again}");
    assert_eq!(again["error"]["fields"][0]["field"], "name");
    let (status, bad) = books
        .post(
            "/api/v1/services",
            json!({ "name": "Lunch", "category": "lunch", "unit": "week", "vat_rate": "standard", "invoicing": "on_delivery",
                    "active_from": "2026-09-01", "active_to": "2026-01-01",
                    "prices": [{ "year": "2026", "member": { "flat": "lots" } }] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        bad["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    for field in ["category", "unit", "active_to", "prices[0].year", "prices[0].member"] {
        assert!(fields.contains(&field), "{field} not named: {bad}");
    }
    let (status, review) = books
        .post(
            "/api/v1/services",
            json!({ "name": "Peer review", "category": "peer_review", "unit": "review", "vat_rate": "standard",
                    "invoicing": "on_confirmation", "active_from": "2026-09-01",
                    "prices": [{ "year": "2026-27",
                                 "member": { "by_phase": { "Primary": { "flat": "1000.00" }, "Secondary": { "flat": "1600.00" }, "default": { "flat": "1200.00" } } } }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{review}");
    let listed = books.get("/api/v1/services").await;
    assert_eq!(listed["total"], 2);
    assert_eq!(listed["services"][0]["name"], "Adviser day");

    // A member school on a date in the year: the member price (its level has none of its own).
    let member = books.get(&format!("/api/v1/services/{id}/price?urn=990003&date=2026-10-05")).await;
    assert_eq!(
        (member["member"].as_bool(), member["unit_price"].as_str()),
        (Some(true), Some("650.00")),
        "{member}"
    );
    assert!(member["why"].as_str().unwrap().starts_with("member price, "), "{member}");
    // A school of the register with no membership: the non-member price.
    let members: Vec<i64> =
        membership::Entity::find().all(db).await.unwrap().iter().map(|m| m.school_id).collect();
    let outsider = school::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .find(|s| !members.contains(&s.id))
        .expect("a school that is not a member");
    let other = books.get(&format!("/api/v1/services/{id}/price?urn={}&date=2026-10-05", outsider.urn)).await;
    assert_eq!(
        (other["member"].as_bool(), other["unit_price"].as_str(), other["why"].as_str()),
        (Some(false), Some("800.00"), Some("non-member price")),
        "{other}"
    );
    // Priced by phase for the peer review.
    let secondary = school::Entity::find()
        .filter(school::Column::BillingPhase.eq("Secondary"))
        .filter(school::Column::Id.is_in(members.clone()))
        .one(db)
        .await
        .unwrap()
        .expect("a secondary member");
    let priced = books
        .get(&format!("/api/v1/services/{}/price?urn={}&date=2026-10-05", review["id"], secondary.urn))
        .await;
    assert_eq!(priced["unit_price"], "1600.00", "{priced}");
    // Bad questions are named.
    let client = books.app.client();
    let ask = |path: String| {
        let mut client = books.app.client();
        let bearer = books.bearer.clone();
        async move { client.get_with(&path, &[("authorization", &bearer)]).await }
    };
    drop(client);
    let before_start = ask(format!("/api/v1/services/{id}/price?urn=990003&date=2026-08-31")).await;
    assert_eq!(before_start.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", before_start.text());
    let no_prices = ask(format!("/api/v1/services/{id}/price?urn=990003&date=2027-10-05")).await;
    assert_eq!(no_prices.status, StatusCode::CONFLICT);
    assert!(no_prices.text().contains("has no prices for 2027-28"), "{}", no_prices.text());
    // Next year's prices are set; the member price then applies to a date in that year.
    let put = |year: &str, body: serde_json::Value| {
        let mut client = books.app.client();
        let request = axum::http::Request::put(format!("/api/v1/services/{id}/prices/{year}"))
            .header("content-type", "application/json")
            .header("authorization", books.bearer.clone())
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        async move { client.send(request).await }
    };
    let bad_year = put("2027", json!({ "member": { "flat": "700.00" } })).await;
    assert_eq!(bad_year.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad_year.text());
    let set =
        put("2027-28", json!({ "member": { "flat": "700.00" }, "non_member": { "flat": "850.00" } })).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text());
    assert_eq!(set.json()["prices"][1]["member_in_words"], "£700.00 a day");
    let next_year =
        books.get(&format!("/api/v1/services/{id}/price?urn={}&date=2027-10-05", outsider.urn)).await;
    assert_eq!(next_year["unit_price"], "850.00", "{next_year}");
    let not_a_date = ask(format!("/api/v1/services/{id}/price?urn=990003&date=5%2F10%2F2026")).await;
    assert_eq!(not_a_date.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        ask(format!("/api/v1/services/{id}/price?urn=1234567&date=2026-10-05")).await.status,
        StatusCode::NOT_FOUND
    );

    // A business manager prices their own school, and no other; they cannot add services.
    let mut sbm = sign_in(&books.app, "sbm@demo.test").await;
    let own = sbm.get(&format!("/api/v1/services/{id}/price?urn=990003&date=2026-10-05")).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text());
    let theirs = sbm.get(&format!("/api/v1/services/{id}/price?urn={}&date=2026-10-05", outsider.urn)).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let refused = sbm.post_body("/api/v1/services", "application/json", b"{}".to_vec(), &[]).await;
    assert!(matches!(refused.status, StatusCode::BAD_REQUEST | StatusCode::FORBIDDEN), "{}", refused.status);
    assert_eq!(books.get("/api/v1/services").await["total"], 2, "nothing was added");
}
on_both_databases!(the_catalogue_prices_each_school_by_its_membership_on_the_day, catalogue);

async fn ordering(backend: crate::helpers::Backend) {
    use partnership_billing::services::{auth, users};
    use secrecy::ExposeSecret;
    let books = Books::new(backend).await;
    let db = &books.app.db;
    // The business manager's school's level this year, from a price question.
    let (status, probe) = books
        .post("/api/v1/services", json!({ "name": "Probe", "category": "resource", "unit": "item", "vat_rate": "standard",
            "invoicing": "on_delivery", "active_from": "2026-09-01", "prices": [{ "year": "2026-27", "member": { "flat": "1.00" } }] }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{probe}");
    let level = books
        .get(&format!("/api/v1/services/{}/price?urn=990003&date=2026-10-05", probe["id"]))
        .await["level"]
        .as_str()
        .expect("the business manager's school is a member")
        .to_string();
    let (status, refused) = books
        .post("/api/v1/services", json!({ "name": "Adviser day", "category": "adviser_support", "unit": "day", "vat_rate": "standard",
            "invoicing": "on_delivery", "active_from": "2026-09-01",
            "prices": [{ "year": "2026-27", "member": { "flat": "650.00" }, "non_member": { "flat": "800.00" } }],
            "entitlements": [{ "year": "2026-27", "level": "Platinum", "units": 2 }] }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["fields"][0]["field"], "entitlements[0].level", "{refused}");
    let (status, adviser) = books
        .post("/api/v1/services", json!({ "name": "Adviser day", "category": "adviser_support", "unit": "day", "vat_rate": "standard",
            "invoicing": "on_delivery", "active_from": "2026-09-01",
            "prices": [{ "year": "2026-27", "member": { "flat": "650.00" }, "non_member": { "flat": "800.00" } }],
            "entitlements": [{ "year": "2026-27", "level": level, "units": 2 }] }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{adviser}");
    let service = adviser["id"].as_i64().unwrap();

    // The business manager orders three days: two are included in the membership.
    let sbm_user = users::find_by_email(db, "sbm@demo.test").await.unwrap().unwrap();
    let token = auth::create_api_token(db, sbm_user.id, "orders").await.unwrap();
    let sbm = format!("Bearer {}", token.expose_secret());
    let send = |path: String, bearer: String, body: serde_json::Value| {
        let mut client = books.app.client();
        async move {
            let answer = client
                .post_body(
                    &path,
                    "application/json",
                    body.to_string().into_bytes(),
                    &[("authorization", &bearer)],
                )
                .await;
            (answer.status, answer.json())
        }
    };
    let (status, order) = send("/api/v1/orders".into(), sbm.clone(),
        json!({ "service_id": service, "urn": "990003", "quantity": 3, "service_date": "2026-10-05", "po_number": "PO-77" })).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(
        (order["free_units"].as_str(), order["unit_price"].as_str(), order["state"].as_str()),
        (Some("2"), Some("650.00"), Some("requested")),
        "{order}"
    );
    let id = order["id"].as_i64().unwrap();
    let members: Vec<i64> =
        membership::Entity::find().all(db).await.unwrap().iter().map(|m| m.school_id).collect();
    let outsider =
        school::Entity::find().all(db).await.unwrap().into_iter().find(|s| !members.contains(&s.id)).unwrap();
    let (status, _) = send("/api/v1/orders".into(), sbm.clone(),
        json!({ "service_id": service, "urn": outsider.urn.to_string(), "quantity": 1, "service_date": "2026-10-05" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another school is not theirs to order for");
    let (status, _) = send(format!("/api/v1/orders/{id}/confirm"), sbm.clone(), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only finance confirms");
    let (status, bad) = send(
        "/api/v1/orders".into(),
        sbm.clone(),
        json!({ "service_id": service, "urn": "990003", "quantity": 0, "service_date": "2026-10-05" }),
    )
    .await;
    assert_eq!(
        (status, bad["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("quantity"))
    );

    // Finance confirms at another price (a reason is needed), then records the delivery: the
    // invoice is raised, each line saying why.
    let (status, no_reason) =
        books.post(&format!("/api/v1/orders/{id}/confirm"), json!({ "unit_price": "600.00" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{no_reason}");
    let (status, confirmed) = books
        .post(
            &format!("/api/v1/orders/{id}/confirm"),
            json!({ "unit_price": "600.00", "reason": "agreed rate for a long-standing member" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    assert_eq!(confirmed["invoice_id"], serde_json::Value::Null, "invoiced on delivery, not yet");
    let (status, delivered) = books
        .post(
            &format!("/api/v1/orders/{id}/deliver"),
            json!({ "delivered_on": "2026-10-05", "delivered_by": "Alex Adviser" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{delivered}");
    let invoice_id = delivered["invoice_id"].as_i64().expect("invoiced on delivery");
    let invoice = books.get(&format!("/api/v1/invoices/{invoice_id}")).await;
    let lines = invoice["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{invoice}");
    assert!(
        lines[0]["description"]
            .as_str()
            .unwrap()
            .contains(&format!("2 days included in your {level} membership")),
        "{invoice}"
    );
    assert_eq!(lines[0]["net"], "0.00");
    assert!(
        lines[1]["description"]
            .as_str()
            .unwrap()
            .contains("1 day at £600.00 (price set by finance: agreed rate for a long-standing member)"),
        "{invoice}"
    );
    assert_eq!(lines[1]["net"], "600.00");
    assert_eq!(invoice["po_number"], "PO-77");
    let (status, _) =
        books.post(&format!("/api/v1/orders/{id}/cancel"), json!({ "reason": "changed mind" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "a delivered order is not cancelled");
    // The entitlement is used up: the next day is charged.
    let (_, next) = send(
        "/api/v1/orders".into(),
        sbm.clone(),
        json!({ "service_id": service, "urn": "990003", "quantity": 1, "service_date": "2026-11-02" }),
    )
    .await;
    assert_eq!(next["free_units"], "0", "{next}");
    let (status, cancelled) = books
        .post(&format!("/api/v1/orders/{}/cancel", next["id"]), json!({ "reason": "date no longer suits" }))
        .await;
    assert_eq!((status, cancelled["state"].as_str()), (StatusCode::OK, Some("cancelled")));
    // The business manager sees their orders, and the invoice is on their school's statement.
    let mut client = books.app.client();
    let mine = client.get_with("/api/v1/orders", &[("authorization", &sbm)]).await.json();
    assert_eq!(mine["total"], 2, "{mine}");
    let payer = invoice["payer_id"].as_i64().unwrap();
    let statement = books.get(&format!("/api/v1/payers/{payer}/statement")).await;
    assert!(statement.to_string().contains(invoice["number"].as_str().unwrap()), "{statement}");
}
on_both_databases!(a_school_orders_and_finance_confirms_delivers_and_invoices, ordering);
