//! CPD courses and conferences through the API, on both databases: an event's bad input named
//! field by field; fifty schools booking at once for ten places (ten booked, forty waiting,
//! every invoice numbered without a gap); the cancellation policy at its boundary (fourteen
//! days' notice is free, thirteen is charged in full); the waiting list offered a freed place
//! in order; a substitute delegate; and the attendance register with a no-show charge.

use crate::ledger::Books;
use crate::on_both_databases;
use axum::http::StatusCode;
use serde_json::{Value, json};

fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A demo service's id, by its name.
pub async fn service(books: &Books, name: &str) -> i64 {
    books.get("/api/v1/services").await["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("the demo has {name}"))["id"]
        .as_i64()
        .unwrap()
}

fn event(service: i64, title: &str, capacity: i64, on: &str, deadline: &str, no_show: Option<&str>) -> Value {
    json!({ "service_id": service, "title": title, "venue": "The Learning Centre", "capacity": capacity,
            "booking_deadline": deadline,
            "sessions": [{ "date": on, "starts_at": "09:30", "ends_at": "15:30" }],
            "cancellation_policy": { "rules": [{ "within_days": 14, "percent": "100" }], "no_show_charge": no_show } })
}

/// The URNs of `n` demo schools that are open members (they can book at the member price).
async fn schools(books: &Books, n: usize) -> Vec<String> {
    let db = &books.app.db;
    use sea_orm::{EntityTrait, QueryOrder};
    entity::school::Entity::find()
        .order_by_asc(entity::school::Column::Urn)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.status != "closed")
        .take(n)
        .map(|s| s.urn.to_string())
        .collect()
}

async fn events(backend: crate::helpers::Backend) {
    let mut books = Books::new(backend).await;
    books.app = books.app.on_day(day(2026, 11, 30));
    let course = service(&books, "CPD course place").await;
    let adviser = service(&books, "Adviser day").await;

    // Bad input, every problem named.
    let (status, bad) = books
        .post(
            "/api/v1/events",
            json!({ "service_id": adviser, "title": "", "capacity": 0, "booking_deadline": "2027-02-01",
                    "sessions": [{ "date": "2027-01-29", "starts_at": "9.30am", "ends_at": "09:00" }],
                    "cancellation_policy": { "rules": [{ "within_days": 0, "percent": "150" }] } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let fields: Vec<&str> =
        bad["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    for field in [
        "title",
        "venue",
        "capacity",
        "cancellation_policy",
        "sessions[0].starts_at",
        "booking_deadline",
        "service_id",
    ] {
        assert!(fields.contains(&field), "{field} not named: {bad}");
    }

    // Fifty schools book one place each at the same moment; there are ten places.
    let (status, made) = books
        .post(
            "/api/v1/events",
            event(course, "Phonics for new teachers", 10, "2027-01-29", "2027-01-15", None),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let full = made["id"].as_i64().unwrap();
    assert_eq!(
        made["cancellation_policy_in_words"],
        "Free to cancel until 14 days before the start; 100% of the price within 14 days"
    );
    let urns = schools(&books, 50).await;
    let mut tasks = Vec::new();
    for (i, urn) in urns.iter().enumerate() {
        let mut client = books.app.client();
        let bearer = books.bearer.clone();
        let body = json!({ "urn": urn, "delegates": [format!("Delegate {i}")] }).to_string();
        tasks.push(tokio::spawn(async move {
            let answer = client
                .post_body(
                    &format!("/api/v1/events/{full}/bookings"),
                    "application/json",
                    body.into_bytes(),
                    &[("authorization", &bearer)],
                )
                .await;
            (answer.status, answer.json())
        }));
    }
    let mut states = Vec::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        states.push(body["places"][0]["state"].as_str().unwrap().to_string());
    }
    assert_eq!(states.iter().filter(|s| *s == "booked").count(), 10, "{states:?}");
    assert_eq!(states.iter().filter(|s| *s == "waiting").count(), 40);
    let shown = books.get(&format!("/api/v1/events/{full}")).await;
    assert_eq!(
        (shown["event"]["places_taken"].as_i64(), shown["event"]["places_left"].as_i64()),
        (Some(10), Some(0))
    );
    assert_eq!(shown["event"]["waiting"], 40);
    let places = shown["places"].as_array().unwrap().clone();
    let invoiced: Vec<i64> = places.iter().filter_map(|p| p["invoice_id"].as_i64()).collect();
    assert_eq!(invoiced.len(), 10, "each booked place is invoiced");
    books.check().await;
    let numbers = crate::billing::issued_sequences(&books.app.db).await;
    assert!(crate::billing::unbroken(&numbers), "invoice numbers stay unbroken: {numbers:?}");

    // A booked place cancelled with 14 days' notice or more is free: its invoice is credited in
    // full and the first on the waiting list is offered the place.
    let first_booked = places.iter().find(|p| p["state"] == "booked").unwrap().clone();
    let first_waiting = places.iter().find(|p| p["state"] == "waiting").unwrap().clone();
    let (status, cancelled) =
        books.post(&format!("/api/v1/bookings/{}/cancel", first_booked["id"]), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(
        (cancelled["state"].as_str(), cancelled["fee"].as_str()),
        (Some("cancelled"), Some("0.00")),
        "{cancelled}"
    );
    assert!(cancelled["credit_note_id"].is_i64(), "credited: {cancelled}");
    let invoice = books.invoice(first_booked["invoice_id"].as_i64().unwrap()).await;
    assert_eq!(invoice["outstanding"], "0.00", "{invoice}");
    let (status, again) =
        books.post(&format!("/api/v1/bookings/{}/cancel", first_booked["id"]), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let shown = books.get(&format!("/api/v1/events/{full}")).await;
    let offered =
        shown["places"].as_array().unwrap().iter().find(|p| p["id"] == first_waiting["id"]).unwrap().clone();
    assert_eq!(offered["state"], "offered", "the first waiting is offered the place");
    assert_eq!(shown["event"]["places_taken"], 10, "the offered place is held");
    // Declined, it passes to the next in order; accepted, it is booked and invoiced.
    let (_, declined) = books.post(&format!("/api/v1/bookings/{}/decline", offered["id"]), json!({})).await;
    assert_eq!(declined["state"], "cancelled");
    let shown = books.get(&format!("/api/v1/events/{full}")).await;
    let next = shown["places"].as_array().unwrap().iter().find(|p| p["state"] == "offered").unwrap().clone();
    assert!(next["id"].as_i64() > offered["id"].as_i64(), "the next in line");
    let (status, accepted) = books.post(&format!("/api/v1/bookings/{}/accept", next["id"]), json!({})).await;
    assert_eq!((status, accepted["state"].as_str()), (StatusCode::OK, Some("booked")), "{accepted}");
    assert!(accepted["invoice_id"].is_i64(), "{accepted}");
    let (status, _) = books.post(&format!("/api/v1/bookings/{}/accept", next["id"]), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "an answered offer is not answered twice");
    // Another delegate goes instead.
    let (status, sub) = books
        .post(&format!("/api/v1/bookings/{}/delegate", next["id"]), json!({ "delegate": "Priya Shah" }))
        .await;
    assert_eq!((status, sub["delegate"].as_str()), (StatusCode::OK, Some("Priya Shah")));
    let (status, _) =
        books.post(&format!("/api/v1/bookings/{}/delegate", next["id"]), json!({ "delegate": " " })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Thirteen days' notice is charged in full: nothing is credited.
    let (_, soon) = books
        .post("/api/v1/events", event(course, "Safeguarding refresher", 5, "2026-12-13", "2026-12-10", None))
        .await;
    let soon_id = soon["id"].as_i64().unwrap();
    let (status, booked) = books
        .post(
            &format!("/api/v1/events/{soon_id}/bookings"),
            json!({ "urn": urns[0], "delegates": ["Ann Lee", "Bo Chan"], "po_number": "PO-9" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    let place = &booked["places"][0];
    let invoice = books.invoice(place["invoice_id"].as_i64().unwrap()).await;
    assert_eq!(invoice["lines"].as_array().unwrap().len(), 2, "a line a delegate: {invoice}");
    assert_eq!(invoice["po_number"], "PO-9");
    let (_, cancelled) = books.post(&format!("/api/v1/bookings/{}/cancel", place["id"]), json!({})).await;
    assert_eq!(cancelled["fee"], place["price"], "{cancelled}");
    assert_eq!(cancelled["credit_note_id"], Value::Null, "nothing to credit");
    let shown = books.get(&format!("/api/v1/events/{soon_id}")).await;
    assert_eq!(shown["event"]["places_taken"], 1, "nobody waited: the place is free again");
    let (status, twice) = books
        .post(
            &format!("/api/v1/events/{soon_id}/bookings"),
            json!({ "urn": urns[1], "delegates": ["Cy", "cy"] }),
        )
        .await;
    assert_eq!(
        (status, twice["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("delegates[1]"))
    );

    // After the deadline nobody books; attendance waits for the first session.
    let (_, closed) = books
        .post("/api/v1/events", event(course, "Closed course", 5, "2026-12-20", "2026-11-29", None))
        .await;
    let (status, late) = books
        .post(
            &format!("/api/v1/events/{}/bookings", closed["id"]),
            json!({ "urn": urns[0], "delegates": ["Ann Lee"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{late}");
    let (status, _) =
        books.post(&format!("/api/v1/events/{soon_id}/attendance"), json!({ "attended": [] })).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A free network meeting: a no-show is charged the policy's fixed sum.
    let (status, free_service) = books
        .post("/api/v1/services", json!({ "name": "Network meeting place", "category": "conference", "unit": "place", "vat_rate": "standard",
            "invoicing": "on_confirmation", "active_from": "2026-09-01",
            "prices": [{ "year": "2026-27", "member": { "flat": "0.00" }, "non_member": { "flat": "0.00" } }] }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{free_service}");
    let (_, meeting) = books
        .post(
            "/api/v1/events",
            event(
                free_service["id"].as_i64().unwrap(),
                "Heads' network",
                30,
                "2026-12-02",
                "2026-12-01",
                Some("25.00"),
            ),
        )
        .await;
    let meeting_id = meeting["id"].as_i64().unwrap();
    let (_, booked) = books
        .post(
            &format!("/api/v1/events/{meeting_id}/bookings"),
            json!({ "urn": urns[2], "delegates": ["Dee", "Eve"] }),
        )
        .await;
    assert_eq!(booked["places"][0]["invoice_id"], Value::Null, "a free place is not invoiced");
    let (came, missed) =
        (booked["places"][0]["id"].as_i64().unwrap(), booked["places"][1]["id"].as_i64().unwrap());
    books.app = books.app.on_day(day(2026, 12, 2));
    let (status, both) = books
        .post(
            &format!("/api/v1/events/{meeting_id}/attendance"),
            json!({ "attended": [came], "no_show": [came] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{both}");
    let (status, register) = books
        .post(
            &format!("/api/v1/events/{meeting_id}/attendance"),
            json!({ "attended": [came], "no_show": [missed] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{register}");
    let missed_place = register["places"].as_array().unwrap().iter().find(|p| p["id"] == missed).unwrap();
    assert_eq!(
        (missed_place["state"].as_str(), missed_place["fee"].as_str()),
        (Some("no_show"), Some("25.00"))
    );
    let charge = books.invoice(missed_place["charge_invoice_id"].as_i64().unwrap()).await;
    assert_eq!(charge["totals"]["net"], "25.00", "{charge}");
    assert!(
        charge["lines"][0]["description"].as_str().unwrap().contains("no-show charge for Eve"),
        "{charge}"
    );
    // Taking the register again charges nothing twice.
    books.post(&format!("/api/v1/events/{meeting_id}/attendance"), json!({ "no_show": [missed] })).await;
    let again = books.get(&format!("/api/v1/events/{meeting_id}")).await;
    let missed_again = again["places"].as_array().unwrap().iter().find(|p| p["id"] == missed).unwrap();
    assert_eq!(missed_again["charge_invoice_id"], missed_place["charge_invoice_id"]);
    books.check().await;
}
on_both_databases!(events_take_bookings_to_capacity_with_a_waiting_list_and_policy, events);

async fn school_bookings(backend: crate::helpers::Backend) {
    use partnership_billing::services::{auth, users};
    use secrecy::ExposeSecret;
    let mut books = Books::new(backend).await;
    books.app = books.app.on_day(day(2026, 11, 30));
    let course = service(&books, "CPD course place").await;
    let (_, made) = books
        .post("/api/v1/events", event(course, "Maths mastery", 20, "2027-02-05", "2027-01-20", None))
        .await;
    let id = made["id"].as_i64().unwrap();
    let sbm_user = users::find_by_email(&books.app.db, "sbm@demo.test").await.unwrap().unwrap();
    let token = auth::create_api_token(&books.app.db, sbm_user.id, "cpd").await.unwrap();
    let sbm = format!("Bearer {}", token.expose_secret());
    let client = books.app.client();
    let post = |path: String, body: Value| {
        let mut c = client.clone();
        let sbm = sbm.clone();
        async move {
            let a = c
                .post_body(
                    &path,
                    "application/json",
                    body.to_string().into_bytes(),
                    &[("authorization", &sbm)],
                )
                .await;
            (a.status, a.json())
        }
    };
    let (status, mine) = post(
        format!("/api/v1/events/{id}/bookings"),
        json!({ "urn": "990003", "delegates": ["Sam Ray", "Jo Fox"] }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    assert_eq!(mine["places"][0]["price"], "120.00", "the member price: {mine}");
    let (status, _) =
        post(format!("/api/v1/events/{id}/bookings"), json!({ "urn": "990011", "delegates": ["Al"] })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another school is not theirs");
    books
        .post(&format!("/api/v1/events/{id}/bookings"), json!({ "urn": "990011", "delegates": ["Other"] }))
        .await;
    let seen =
        client.clone().get_with(&format!("/api/v1/events/{id}"), &[("authorization", &sbm)]).await.json();
    assert_eq!(seen["places"].as_array().unwrap().len(), 2, "only their own places: {seen}");
    let other = books.get(&format!("/api/v1/events/{id}")).await["places"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["delegate"] == "Other")
        .unwrap()["id"]
        .clone();
    let (status, _) = post(format!("/api/v1/bookings/{other}/cancel"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(format!("/api/v1/events/{id}/attendance"), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "finance takes the register");
    let (status, _) = post("/api/v1/events".into(), made.clone()).await;
    assert!(matches!(status, StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST), "{status}");
}
on_both_databases!(a_business_manager_books_for_their_own_school_only, school_bookings);

async fn pages(backend: crate::helpers::Backend) {
    let mut books = Books::new(backend).await;
    books.app = books.app.on_day(day(2026, 11, 30));
    let course = service(&books, "CPD course place").await;
    let mut finance = crate::cards::sign_in(&books.app, "finance@demo.test").await;
    let csrf = finance.get("/events/new").await.csrf_token();
    let course_id = course.to_string();
    let base = |capacity: &'static str, starts: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("service_id", course_id.clone()),
            ("title", "Early reading network".to_string()),
            ("venue", "The Learning Centre".to_string()),
            ("capacity", capacity.to_string()),
            ("deadline-day", "10".into()),
            ("deadline-month", "1".into()),
            ("deadline-year", "2027".into()),
            ("session0-day", "20".into()),
            ("session0-month", "1".into()),
            ("session0-year", "2027".into()),
            ("session0-starts", starts.to_string()),
            ("session0-ends", "12:00".into()),
            ("notice_days", "14".into()),
            ("late_percent", "100".into()),
        ]
    };
    let post = |client: &crate::helpers::Client, path: String, fields: Vec<(&'static str, String)>| {
        let mut client = client.clone();
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            client.post_form(&path, &pairs).await
        }
    };
    let wrong = post(&finance, "/events/new".into(), base("lots", "9am")).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().contains("Enter how many places there are"), "{}", wrong.text());
    let wrong = post(&finance, "/events/new".into(), base("2", "9am")).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().contains("\"9am\" is not a time like 09:30"), "{}", wrong.text());
    let added = post(&finance, "/events/new".into(), base("2", "09:30")).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
    let url = added.location().unwrap().split('?').next().unwrap().to_string();
    let page = finance.get(&url).await.text();
    assert!(
        page.contains("Free to cancel until 14 days before the start") && page.contains("2 of 2 left"),
        "{page}"
    );

    // The business manager books two places through the form; they fill the course.
    let mut sbm = crate::cards::sign_in(&books.app, "sbm@demo.test").await;
    let page = sbm.get(&url).await;
    assert!(
        page.text().contains("A place costs £120.00 for Riverside Park Primary School"),
        "{}",
        page.text()
    );
    let csrf_s = page.csrf_token();
    let empty = sbm
        .post_form(
            &format!("{url}/book"),
            &[("csrf_token", &csrf_s), ("urn", "990003"), ("delegates", " \n ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty.text().contains("Enter each delegate&#39;s name")
            || empty.text().contains("Enter each delegate's name")
    );
    let booked = sbm
        .post_form(
            &format!("{url}/book"),
            &[("csrf_token", &csrf_s), ("urn", "990003"), ("delegates", "Sam Ray\r\nJo Fox")],
        )
        .await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.text());
    let page = sbm.get(&url).await.text();
    assert!(
        page.contains("Sam Ray") && page.contains("Jo Fox") && page.contains("Free to cancel today"),
        "{page}"
    );
    // Another school waits; when the business manager cancels a place it is offered, and
    // finance accepts it for them.
    let waiting = post(
        &finance,
        format!("{url}/book"),
        vec![("csrf_token", csrf.clone()), ("urn", "990001".into()), ("delegates", "Wyn Hale".into())],
    )
    .await;
    assert_eq!(waiting.status, StatusCode::SEE_OTHER);
    let id: i64 = url.trim_start_matches("/events/").parse().unwrap();
    let places = books.get(&format!("/api/v1/events/{id}")).await["places"].as_array().unwrap().clone();
    let sam = places.iter().find(|p| p["delegate"] == "Sam Ray").unwrap()["id"].as_i64().unwrap();
    let wyn = places.iter().find(|p| p["delegate"] == "Wyn Hale").unwrap()["id"].as_i64().unwrap();
    assert!(!sbm.get(&url).await.text().contains("Wyn Hale"), "another school's place is not shown");
    let refused = sbm.post_form(&format!("/bookings/{wyn}/cancel"), &[("csrf_token", &csrf_s)]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let cancelled = sbm.post_form(&format!("/bookings/{sam}/cancel"), &[("csrf_token", &csrf_s)]).await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER, "{}", cancelled.text());
    let page = finance.get(&url).await.text();
    assert!(page.contains("Offered a place"), "{page}");
    let accepted =
        post(&finance, format!("/bookings/{wyn}/accept"), vec![("csrf_token", csrf.clone())]).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    let again = post(&finance, format!("/bookings/{wyn}/accept"), vec![("csrf_token", csrf.clone())]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "answered already");
    assert!(again.text().contains("This place is not offered to you"));
    let changed = sbm
        .post_form(
            &format!(
                "/bookings/{}/delegate",
                places.iter().find(|p| p["delegate"] == "Jo Fox").unwrap()["id"]
            ),
            &[("csrf_token", &csrf_s), ("delegate", "Jo Fox-Bell")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert!(sbm.get(&url).await.text().contains("Jo Fox-Bell"));

    // On the day finance takes the register.
    books.app = books.app.on_day(day(2027, 1, 20));
    let mut finance = crate::cards::sign_in(&books.app, "finance@demo.test").await;
    let page = finance.get(&url).await;
    assert!(page.text().contains("Attendance register"));
    let csrf = page.csrf_token();
    let saved = finance
        .post_form(
            &format!("{url}/attendance"),
            &[("csrf_token", &csrf), (&format!("attendance-{wyn}"), "attended")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let after = books.get(&format!("/api/v1/events/{id}")).await;
    let wyn_now = after["places"].as_array().unwrap().iter().find(|p| p["id"] == wyn).unwrap();
    assert_eq!(wyn_now["state"], "attended");
}
on_both_databases!(courses_are_set_up_booked_and_registered_on_the_pages, pages);

async fn monthly(backend: crate::helpers::Backend) {
    use partnership_billing::jobs::{self, Job, JobContext, Trigger};
    let mut books = Books::new(backend).await;
    books.app = books.app.on_day(day(2026, 11, 30));
    let course = service(&books, "CPD course place").await;
    let mut new = event(course, "Writing moderation", 10, "2026-12-13", "2026-12-06", None);
    new["invoicing"] = json!("monthly");
    let (status, made) = books.post("/api/v1/events", new).await;
    assert_eq!((status, made["invoicing"].as_str()), (StatusCode::CREATED, Some("monthly")), "{made}");
    let id = made["id"].as_i64().unwrap();
    let (status, bad) = books
        .post("/api/v1/events", json!({ "service_id": course, "title": "X", "venue": "Hall", "capacity": 5, "booking_deadline": "2026-12-07",
            "sessions": [{ "date": "2026-12-14", "starts_at": "09:00", "ends_at": "10:00" }], "invoicing": "weekly" }))
        .await;
    assert_eq!(
        (status, bad["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invoicing"))
    );
    let (_, booked) = books
        .post(
            &format!("/api/v1/events/{id}/bookings"),
            json!({ "urn": "990003", "delegates": ["Ann Lee", "Bo Chan", "Cy Dean"], "po_number": "PO-M" }),
        )
        .await;
    let places = booked["places"].as_array().unwrap().clone();
    assert!(places.iter().all(|p| p["invoice_id"].is_null()), "invoiced after the month: {booked}");
    // Cancelled with 13 days' notice: the whole price is a fee, charged with the month.
    let (_, cancelled) = books.post(&format!("/api/v1/bookings/{}/cancel", places[0]["id"]), json!({})).await;
    assert_eq!(
        (cancelled["fee"].as_str(), cancelled["credit_note_id"].as_i64()),
        (Some("120.00"), None),
        "{cancelled}"
    );
    let p = partnership_billing::services::partnerships::list(&books.app.db).await.unwrap().remove(0);
    let ctx = JobContext {
        db: books.app.db.clone(),
        mailer: books.app.state.settings.mailer.clone(),
        payments: books.app.state.settings.payments.clone(),
        public_url: "https://billing.example".into(),
        instance: "test".into(),
    };
    let run = |y, m, d| {
        let (ctx, p) = (ctx.clone(), p.clone());
        let now = day(y, m, d).and_hms_opt(5, 0, 0).unwrap().and_utc();
        async move {
            jobs::run(&ctx, Job::TradedInvoicing, &p, now.date_naive(), now, Trigger::CommandLine, None)
                .await
                .unwrap()
        }
    };
    let early = run(2026, 12, 20).await;
    assert!(early.summary.contains("Raised 0 invoices"), "December is not over: {}", early.summary);
    let january = run(2027, 1, 1).await;
    assert!(january.summary.contains("Raised 1 invoice for 3 orders"), "{}", january.summary);
    let shown = books.get(&format!("/api/v1/events/{id}")).await;
    let invoice_id = shown["places"][1]["invoice_id"].as_i64().expect("invoiced");
    let fee =
        shown["places"].as_array().unwrap().iter().find(|p| p["id"] == places[0]["id"]).unwrap().clone();
    assert_eq!(
        fee["charge_invoice_id"].as_i64(),
        Some(invoice_id),
        "the fee is on the same invoice: {shown}"
    );
    let invoice = books.invoice(invoice_id).await;
    assert_eq!(invoice["totals"]["net"], "360.00", "two places and one fee: {invoice}");
    assert_eq!(invoice["po_number"], "PO-M");
    assert!(
        invoice["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["description"].as_str().unwrap().contains("cancellation fee for Ann Lee")),
        "{invoice}"
    );
    let again = run(2027, 1, 1).await;
    assert!(again.summary.contains("Raised 0 invoices"), "{}", again.summary);
    books.check().await;
}
on_both_databases!(courses_invoiced_monthly_charge_places_and_fees_once, monthly);
