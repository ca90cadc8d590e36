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
        "name": "Consultant day", "description": "A day of a school improvement adviser's time.",
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
            json!({ "name": "Peer review (secondary pilot)", "category": "peer_review", "unit": "review", "vat_rate": "standard",
                    "invoicing": "on_confirmation", "active_from": "2026-09-01",
                    "prices": [{ "year": "2026-27",
                                 "member": { "by_phase": { "Primary": { "flat": "1000.00" }, "Secondary": { "flat": "1600.00" }, "default": { "flat": "1200.00" } } } }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{review}");
    let listed = books.get("/api/v1/services").await;
    // The demo's catalogue has five services; these two join it, listed by name.
    assert_eq!(listed["total"], 7);
    let names: Vec<&str> =
        listed["services"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(
        names.is_sorted()
            && names.contains(&"Consultant day")
            && names.contains(&"Peer review (secondary pilot)"),
        "{names:?}"
    );

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
    assert_eq!(books.get("/api/v1/services").await["total"], 7, "nothing was added");
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
        .post("/api/v1/services", json!({ "name": "Consultant day", "category": "adviser_support", "unit": "day", "vat_rate": "standard",
            "invoicing": "on_delivery", "active_from": "2026-09-01",
            "prices": [{ "year": "2026-27", "member": { "flat": "650.00" }, "non_member": { "flat": "800.00" } }],
            "entitlements": [{ "year": "2026-27", "level": "Platinum", "units": 2 }] }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["fields"][0]["field"], "entitlements[0].level", "{refused}");
    let (status, adviser) = books
        .post("/api/v1/services", json!({ "name": "Consultant day", "category": "adviser_support", "unit": "day", "vat_rate": "standard",
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
            .contains(&format!("2 days included in your {level} membership, 2 of 2 days used")),
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

/// The value of a form field's `value` attribute on a page, found by its id.
fn field_value(page: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let at = page.find(&marker).unwrap_or_else(|| panic!("no field {id}"));
    let rest = &page[at..];
    let start = rest.find("value=\"").unwrap() + "value=\"".len();
    rest[start..].split('"').next().unwrap_or_default().to_string()
}

async fn pages(backend: crate::helpers::Backend) {
    let mut books = Books::new(backend).await;
    books.app = books.app.on_day(chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
    let app = &books.app;
    let mut finance = sign_in(app, "finance@demo.test").await;

    // The catalogue in words, with this year's prices.
    let listed = finance.get("/services").await;
    assert_eq!(listed.status, StatusCode::OK);
    let text = listed.text();
    assert!(text.contains("Members £650.00 a day; non-members £800.00 a day"), "{text}");
    assert!(text.contains("Members £180.00 a half day; members only; own prices for Advanced"), "{text}");

    // A new service through the form: mistakes are named, then it is added with its prices.
    let csrf = finance.get("/services/new").await.csrf_token();
    let wrong = finance
        .post_form(
            "/services/new",
            &[
                ("csrf_token", &csrf),
                ("name", "Data workshop"),
                ("unit", "hour"),
                ("vat_rate", "standard"),
                ("active_from-day", "1"),
                ("active_from-month", "13"),
                ("active_from-year", "2026"),
                ("member-shape", "flat"),
                ("member-flat", "lots"),
                ("nonmember-shape", "none"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = wrong.text();
    for message in [
        "Choose the kind of service",
        "Choose when the service is invoiced",
        "must be a real date",
        "\"lots\"",
    ] {
        assert!(text.contains(message), "{message} not said: {text}");
    }
    assert_eq!(field_value(&text, "name"), "Data workshop", "what was typed is kept");
    let added = finance
        .post_form(
            "/services/new",
            &[
                ("csrf_token", &csrf),
                ("name", "Data workshop"),
                ("category", "specialist_support"),
                ("unit", "hour"),
                ("vat_rate", "standard"),
                ("invoicing", "on_confirmation"),
                ("income_stream", "other_commission"),
                ("active_from-day", "1"),
                ("active_from-month", "9"),
                ("active_from-year", "2026"),
                ("member-shape", "flat"),
                ("member-flat", "95"),
                ("nonmember-shape", "flat"),
                ("nonmember-flat", "£120.00"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
    let at = added.location().unwrap();
    assert!(at.ends_with("?done=added"), "{at}");
    let shown = finance.get(&at).await.text();
    assert!(shown.contains("£95.00 an hour") && shown.contains("£120.00 an hour"), "{shown}");
    assert!(shown.contains("What each kind of school pays for one hour"), "{shown}");
    assert!(shown.contains("Other commission"), "its income stream: {shown}");

    // The demo's adviser day: the price editor previews a level's own price, then saves it with
    // what two levels include.
    let adviser = crate::events::service(&books, "Adviser day").await;
    let editor = finance.get(&format!("/services/{adviser}/prices/2026-27")).await.text();
    assert!(editor.contains("Advanced member price") && editor.contains("level1-included"), "{editor}");
    assert_eq!(field_value(&editor, "level1-included"), "2", "Standard includes 2 days in the demo");
    let form = |action: &'static str, standard: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("action", action.to_string()),
            ("member-shape", "keep".to_string()),
            ("nonmember-shape", "keep".to_string()),
            ("level0-shape", "none".to_string()),
            ("level0-included", "1".to_string()),
            ("level1-shape", "none".to_string()),
            ("level1-included", standard.to_string()),
            ("level2-shape", "flat".to_string()),
            ("level2-flat", "575".to_string()),
            ("level2-included", "5".to_string()),
        ]
    };
    let post = |client: &mut crate::helpers::Client, fields: Vec<(&'static str, String)>| {
        let mut client = client.clone();
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            client.post_form(&format!("/services/{adviser}/prices/2026-27"), &pairs).await
        }
    };
    let preview = post(&mut finance, form("preview", "3")).await;
    assert_eq!(preview.status, StatusCode::OK);
    let text = preview.text();
    assert!(text.contains("Nothing is saved yet") && text.contains("£575.00"), "{text}");
    assert!(
        !finance.get(&format!("/services/{adviser}")).await.text().contains("£575.00"),
        "a preview saves nothing"
    );
    let bad = post(&mut finance, form("save", "two")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text().contains("What the Standard level includes must be a number of days"),
        "{}",
        bad.text()
    );
    let saved = post(&mut finance, form("save", "3")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let shown = finance.get(&format!("/services/{adviser}")).await.text();
    assert!(shown.contains("Advanced members") && shown.contains("£575.00 a day"), "{shown}");
    assert!(shown.contains("Included in Standard") && shown.contains("3 days a year"), "{shown}");
    let price = books.get(&format!("/api/v1/services/{adviser}/price?urn=990003&date=2026-12-01")).await;
    assert_eq!(price["unit_price"], "650.00", "the Basic level keeps the member price: {price}");

    // The business manager sees their own price and what their membership includes, and
    // orders through the form.
    let mut sbm = sign_in(app, "sbm@demo.test").await;
    let theirs = sbm.get("/services").await;
    assert_eq!(theirs.status, StatusCode::OK);
    let text = theirs.text();
    assert!(text.contains("Riverside Park Primary School (URN 990003)"), "{text}");
    assert!(text.contains("£650.00 a day") && text.contains("Member price, Basic level"), "{text}");
    assert!(text.contains("1 day included, none used yet"), "{text}");
    let form_page = sbm.get(&format!("/services/{adviser}/order")).await.text();
    assert!(form_page.contains("1 day still to use"), "{form_page}");
    let csrf = sbm.session_csrf().await;
    let wrong = sbm
        .post_form(
            &format!("/services/{adviser}/order"),
            &[
                ("csrf_token", &csrf),
                ("urn", "990003"),
                ("quantity", "two"),
                ("service_date-day", "31"),
                ("service_date-month", "2"),
                ("service_date-year", "2027"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().contains("Enter how many days") && wrong.text().contains("must be a real date"));
    let placed = sbm
        .post_form(
            &format!("/services/{adviser}/order"),
            &[
                ("csrf_token", &csrf),
                ("urn", "990003"),
                ("quantity", "2"),
                ("po_number", "PO-2231"),
                ("service_date-day", "18"),
                ("service_date-month", "11"),
                ("service_date-year", "2026"),
            ],
        )
        .await;
    assert_eq!(placed.status, StatusCode::SEE_OTHER, "{}", placed.text());
    let order_url = placed.location().unwrap().split('?').next().unwrap().to_string();
    let page = sbm.get(&order_url).await.text();
    assert!(
        page.contains("Requested") && page.contains("1 day, at no charge") && page.contains("£650.00"),
        "{page}"
    );
    assert!(!page.contains("Confirm the order"), "only finance confirms");
    let refused = sbm.post_form(&format!("{order_url}/confirm"), &[("csrf_token", &csrf)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let (_, other) = books
        .post(
            "/api/v1/orders",
            json!({ "service_id": adviser, "urn": "990001", "quantity": 1, "service_date": "2026-12-09" }),
        )
        .await;
    assert_eq!(sbm.get(&format!("/orders/{}", other["id"])).await.status, StatusCode::NOT_FOUND);
    assert!(sbm.get("/orders").await.text().contains("1 order."));

    // Finance confirms, records the delivery (who delivered it is needed), and the invoice is
    // on the school's statement.
    let csrf = finance.session_csrf().await;
    let queue = finance.get("/orders?state=requested").await.text();
    assert!(queue.contains("Riverside Park Primary School") && queue.contains("2 orders"), "{queue}");
    assert_eq!(finance.get("/orders?state=lost").await.status, StatusCode::BAD_REQUEST);
    let confirmed = finance.post_form(&format!("{order_url}/confirm"), &[("csrf_token", &csrf)]).await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER, "{}", confirmed.text());
    let again = finance.post_form(&format!("{order_url}/confirm"), &[("csrf_token", &csrf)]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "a confirmed order is not confirmed twice");
    let nobody = finance
        .post_form(
            &format!("{order_url}/deliver"),
            &[
                ("csrf_token", &csrf),
                ("delivered_on-day", "18"),
                ("delivered_on-month", "11"),
                ("delivered_on-year", "2026"),
            ],
        )
        .await;
    assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nobody.text().contains("Say who delivered it"), "{}", nobody.text());
    let delivered = finance
        .post_form(
            &format!("{order_url}/deliver"),
            &[
                ("csrf_token", &csrf),
                ("delivered_on-day", "18"),
                ("delivered_on-month", "11"),
                ("delivered_on-year", "2026"),
                ("delivered_by", "Helen Marsh"),
            ],
        )
        .await;
    assert_eq!(delivered.status, StatusCode::SEE_OTHER, "{}", delivered.text());
    let page = sbm.get(&order_url).await.text();
    assert!(
        page.contains("Delivered 18 November 2026 by Helen Marsh")
            || page.contains("18 November 2026 by Helen Marsh"),
        "{page}"
    );
    let invoice_href =
        page.split("href=\"/invoices/").nth(1).expect("a link to the invoice").split('"').next().unwrap();
    let invoice = books.get(&format!("/api/v1/invoices/{invoice_href}")).await;
    assert_eq!(invoice["po_number"], "PO-2231");
    assert_eq!(invoice["totals"]["net"], "650.00", "{invoice}");
    let statement = sbm.get(&format!("/payers/{}/account", invoice["payer_id"])).await;
    assert!(statement.text().contains(invoice["number"].as_str().unwrap()), "on the statement");

    // An order the entitlement wholly covers raises no invoice.
    let (_, free) = books
        .post(
            "/api/v1/orders",
            json!({ "service_id": adviser, "urn": "990001", "quantity": 1, "service_date": "2026-11-25" }),
        )
        .await;
    let free_id = free["id"].as_i64().unwrap();
    let level = books.get(&format!("/api/v1/services/{adviser}/price?urn=990001&date=2026-11-25")).await;
    if free["free_units"] == "1" {
        books.post(&format!("/api/v1/orders/{free_id}/confirm"), json!({})).await;
        let (_, done) = books
            .post(
                &format!("/api/v1/orders/{free_id}/deliver"),
                json!({ "delivered_on": "2026-11-25", "delivered_by": "Helen Marsh" }),
            )
            .await;
        assert_eq!(done["invoice_id"], serde_json::Value::Null, "{done} {level}");
    } else {
        panic!("990001 should have an included day left: {free} {level}");
    }
}
on_both_databases!(finance_prices_services_and_schools_order_them_on_the_pages, pages);

async fn monthly(backend: crate::helpers::Backend) {
    use partnership_billing::jobs::{self, Job, JobContext, Trigger};
    let books = Books::new(backend).await;
    let (status, sla) = books
        .post("/api/v1/services", json!({ "name": "Speech and language therapy", "category": "specialist_support", "unit": "hour",
            "vat_rate": "exempt", "invoicing": "monthly_in_arrears", "active_from": "2026-09-01",
            "prices": [{ "year": "2026-27", "member": { "flat": "75.00" }, "non_member": { "flat": "95.00" } }] }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sla}");
    let service = sla["id"].as_i64().unwrap();
    let mut ids = Vec::new();
    for (urn, date, hours, po) in [
        ("990003", "2026-10-06", "3", "PO-1"),
        ("990003", "2026-10-20", "2.5", "PO-1"),
        ("990003", "2026-11-03", "4", "PO-1"),
        ("990001", "2026-10-13", "1", "PO-7"),
    ] {
        let (status, o) = books
            .post("/api/v1/orders", json!({ "service_id": service, "urn": urn, "quantity": hours, "service_date": date, "po_number": po }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{o}");
        let id = o["id"].as_i64().unwrap();
        books.post(&format!("/api/v1/orders/{id}/confirm"), json!({})).await;
        let (_, d) = books
            .post(
                &format!("/api/v1/orders/{id}/deliver"),
                json!({ "delivered_on": date, "delivered_by": "Rae Therapist" }),
            )
            .await;
        assert_eq!(d["invoice_id"], serde_json::Value::Null, "monthly: not invoiced on delivery: {d}");
        ids.push(id);
    }
    let p = partnership_billing::services::partnerships::list(&books.app.db).await.unwrap().remove(0);
    let ctx = JobContext {
        db: books.app.db.clone(),
        mailer: books.app.state.settings.mailer.clone(),
        payments: books.app.state.settings.payments.clone(),
        public_url: "https://billing.example".into(),
        instance: "test".into(),
    };
    let at =
        |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(5, 0, 0).unwrap().and_utc();
    let run = |now: chrono::DateTime<chrono::Utc>| {
        let (ctx, p) = (ctx.clone(), p.clone());
        async move {
            jobs::run(&ctx, Job::TradedInvoicing, &p, now.date_naive(), now, Trigger::CommandLine, None)
                .await
                .unwrap()
        }
    };
    // On 1 November: October's deliveries, one invoice per payer; November's wait.
    let first = run(at(2026, 11, 1)).await;
    assert!(first.summary.contains("Raised 2 invoices for 3 orders delivered"), "{}", first.summary);
    let listed = books.get("/api/v1/orders").await["orders"].as_array().unwrap().clone();
    let invoice_of = |id: i64| listed.iter().find(|o| o["id"] == id).unwrap()["invoice_id"].clone();
    assert_eq!(invoice_of(ids[0]), invoice_of(ids[1]), "one invoice for the school's October");
    assert_ne!(invoice_of(ids[0]), invoice_of(ids[3]), "another payer, another invoice");
    assert_eq!(invoice_of(ids[2]), serde_json::Value::Null, "November is not over");
    let october = books.invoice(invoice_of(ids[0]).as_i64().unwrap()).await;
    assert_eq!(october["lines"].as_array().unwrap().len(), 2, "{october}");
    assert_eq!(october["totals"]["net"], "412.50", "5.5 hours at £75.00: {october}");
    assert_eq!(october["po_number"], "PO-1");
    assert_eq!(october["period_start"], "2026-10-01");
    assert_eq!(october["period_end"], "2026-10-31");
    // Run again: nothing twice.
    let again = run(at(2026, 11, 1)).await;
    assert!(again.summary.contains("Raised 0 invoices for 0 orders delivered"), "{}", again.summary);
    let december = run(at(2026, 12, 1)).await;
    assert!(december.summary.contains("Raised 1 invoice for 1 order delivered"), "{}", december.summary);
    books.check().await;
}
on_both_databases!(services_invoiced_monthly_in_arrears_are_invoiced_once_per_payer_and_month, monthly);

async fn scheduling(backend: crate::helpers::Backend) {
    let mut books = Books::new(backend).await;
    books.app = books.app.on_day(chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
    let review = crate::events::service(&books, "Peer review").await;
    let (_, order) = books
        .post(
            "/api/v1/orders",
            json!({ "service_id": review, "urn": "990003", "quantity": 2, "service_date": "2027-03-01" }),
        )
        .await;
    let id = order["id"].as_i64().unwrap();
    let (status, early) =
        books.post(&format!("/api/v1/orders/{id}/schedule"), json!({ "date": "2027-03-10" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "a requested order is confirmed first: {early}");
    books.post(&format!("/api/v1/orders/{id}/confirm"), json!({})).await;
    let (status, other_year) =
        books.post(&format!("/api/v1/orders/{id}/schedule"), json!({ "date": "2027-09-10" })).await;
    assert_eq!(
        (status, other_year["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("date")),
        "{other_year}"
    );
    let (status, scheduled) =
        books.post(&format!("/api/v1/orders/{id}/schedule"), json!({ "date": "2026-11-16" })).await;
    assert_eq!(
        (status, scheduled["state"].as_str(), scheduled["service_date"].as_str()),
        (StatusCode::OK, Some("scheduled"), Some("2026-11-16")),
        "{scheduled}"
    );
    let (_, again) =
        books.post(&format!("/api/v1/orders/{id}/schedule"), json!({ "date": "2026-11-17" })).await;
    assert_eq!(again["service_date"], "2026-11-17", "rescheduled");
    let (_, part) = books
        .post(
            &format!("/api/v1/orders/{id}/deliver"),
            json!({ "delivered_on": "2026-11-17", "delivered_by": "Review team", "units": 1 }),
        )
        .await;
    assert_eq!(part["state"], "scheduled", "part delivered stays scheduled: {part}");
    let mut finance = crate::cards::sign_in(&books.app, "finance@demo.test").await;
    let page = finance.get(&format!("/orders/{id}")).await.text();
    assert!(
        page.contains("Date agreed")
            && page.contains("Scheduled")
            && page.contains("1 review of 2 reviews delivered so far"),
        "{page}"
    );
    let (_, rest) = books
        .post(
            &format!("/api/v1/orders/{id}/deliver"),
            json!({ "delivered_on": "2026-11-18", "delivered_by": "Review team" }),
        )
        .await;
    assert_eq!(rest["state"], "delivered");
    assert!(rest["invoice_id"].is_i64(), "invoiced on delivery: {rest}");
}
on_both_databases!(a_confirmed_order_is_scheduled_and_delivered_in_parts, scheduling);

async fn customers(backend: crate::helpers::Backend) {
    let mut books = Books::new(backend).await;
    books.app = books.app.on_day(chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
    let p = partnership_billing::services::partnerships::list(&books.app.db).await.unwrap().remove(0);
    let area = |db: sea_orm::DatabaseConnection| async move {
        partnership_billing::services::register::count_by_phase(
            &db,
            p.id,
            partnership_billing::domain::role::SchoolScope::All,
        )
        .await
        .unwrap()
        .iter()
        .map(|(_, n)| *n)
        .sum::<u64>()
    };
    let before = area(books.app.db.clone()).await;
    let (status, bad) = books
        .post("/api/v1/customers", json!({ "urn": "12x", "name": "", "postcode": "??", "phase": "Middle" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        bad["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["urn", "name", "postcode", "phase"], "{bad}");
    let (status, taken) = books
        .post(
            "/api/v1/customers",
            json!({ "urn": "990003", "name": "X", "postcode": "AB1 2CD", "phase": "Primary" }),
        )
        .await;
    assert_eq!(
        (status, taken["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("urn")),
        "{taken}"
    );
    let mut finance = crate::cards::sign_in(&books.app, "finance@demo.test").await;
    let csrf = finance.get("/services/customers/new").await.csrf_token();
    let added = finance
        .post_form(
            "/services/customers/new",
            &[
                ("csrf_token", &csrf),
                ("urn", "145678"),
                ("name", "Oakfield Primary School"),
                ("address", "2 Oak Road\nElmsworth\nWestshire"),
                ("postcode", "el4 9zz"),
                ("phase", "Primary"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
    assert!(
        finance.get(&added.location().unwrap()).await.text().contains("Order for it with its URN, 145678")
    );
    assert_eq!(area(books.app.db.clone()).await, before, "not one of the area's schools");

    // It buys at the non-member price, and its invoice carries its own address.
    let adviser = crate::events::service(&books, "Adviser day").await;
    let (status, order) = books
        .post(
            "/api/v1/orders",
            json!({ "service_id": adviser, "urn": "145678", "quantity": 1, "service_date": "2026-11-20" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(
        (order["unit_price"].as_str(), order["why"].as_str()),
        (Some("800.00"), Some("non-member price"))
    );
    let id = order["id"].as_i64().unwrap();
    books.post(&format!("/api/v1/orders/{id}/confirm"), json!({})).await;
    let (_, done) = books
        .post(
            &format!("/api/v1/orders/{id}/deliver"),
            json!({ "delivered_on": "2026-11-20", "delivered_by": "Helen Marsh" }),
        )
        .await;
    let invoice = books.invoice(done["invoice_id"].as_i64().unwrap()).await;
    let address = invoice["payer_address"].as_str().unwrap();
    assert!(
        address.contains("Oakfield Primary School")
            && address.contains("2 Oak Road")
            && address.contains("EL4 9ZZ"),
        "{invoice}"
    );
}
on_both_databases!(schools_outside_the_area_buy_as_customers_at_non_member_prices, customers);

/// Every way a price is chosen, on the demo's catalogue: a level's own price, a price per pupil,
/// and the membership on the very day, as a school converts to an academy.
async fn price_paths(backend: crate::helpers::Backend) {
    use sea_orm::{ActiveModelTrait, Set};
    let books = Books::new(backend).await;
    let db = &books.app.db;
    let services = books.get("/api/v1/services").await["services"].as_array().unwrap().clone();
    let id = |name: &str| services.iter().find(|s| s["name"] == name).unwrap()["id"].as_i64().unwrap();
    let price = |service: i64, urn: i32, date: &str| {
        let path = format!("/api/v1/services/{service}/price?urn={urn}&date={date}");
        let books = &books;
        async move { books.get(&path).await }
    };
    // A level with its own price: Advanced members pay £150 for governor clerking.
    let advanced = entity::offer_level::Entity::find()
        .filter(entity::offer_level::Column::Name.eq("Advanced"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let member = membership::Entity::find()
        .filter(membership::Column::LevelId.eq(advanced.id))
        .one(db)
        .await
        .unwrap()
        .expect("an Advanced member");
    let s = school::Entity::find_by_id(member.school_id).one(db).await.unwrap().unwrap();
    let clerking = price(id("Governor clerking"), s.urn, "2026-10-05").await;
    assert_eq!(
        (clerking["unit_price"].as_str(), clerking["why"].as_str()),
        (Some("150.00"), Some("member price, Advanced level"))
    );
    // Per pupil with a floor: the safeguarding SLA.
    let sla = price(id("Safeguarding service-level agreement"), 990_003, "2026-10-05").await;
    assert!(sla["why"].as_str().unwrap().contains("x £2.50"), "{sla}");
    // The converting school is a member until its academy takes over; the academy is a member
    // from the day it joins, and not before.
    let adviser = id("Adviser day");
    assert_eq!(price(adviser, 990_011, "2025-10-01").await["member"], true);
    let before = price(adviser, 990_149, "2025-12-31").await;
    assert_eq!(
        (before["member"].as_bool(), before["unit_price"].as_str()),
        (Some(false), Some("800.00")),
        "{before}"
    );
    let after = price(adviser, 990_149, "2026-01-01").await;
    assert_eq!(
        (after["member"].as_bool(), after["unit_price"].as_str()),
        (Some(true), Some("650.00")),
        "{after}"
    );
    // A membership that ends: the last day is a member's, the next is not.
    let old = school::Entity::find().filter(school::Column::Urn.eq(990_011)).one(db).await.unwrap().unwrap();
    let m = membership::Entity::find()
        .filter(membership::Column::SchoolId.eq(old.id))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let mut ending: membership::ActiveModel = m.into();
    ending.ends_on = Set(Some(chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()));
    ending.update(db).await.unwrap();
    assert_eq!(price(adviser, 990_011, "2025-12-31").await["member"], true);
    assert_eq!(price(adviser, 990_011, "2026-01-01").await["unit_price"], "800.00");
}
on_both_databases!(every_price_path_follows_the_membership_on_the_day, price_paths);
