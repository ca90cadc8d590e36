//! The renewal round through the API and the pages: opening it invites every open school (and
//! emails each school's business managers through the outbox), business managers answer for
//! their own schools only, finance chases the rest once a day and turns accepted answers into
//! memberships in one all-or-nothing step (recording a differing pupil number and the PO), and
//! nothing is invoiced.

use crate::helpers::TestApp;
use crate::ledger::Books;
use crate::on_both_databases;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use entity::{
    audit_entry, invoice, membership, offer, outbox_message, payer, pupil_count, purchase_order, school,
};
use partnership_billing::services::{auth, users};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Next year's offer: two levels, an annual bill.
fn offer_2027() -> Value {
    json!({ "year": "2027-28", "billing_plan": "annual", "trust_discount_percent": "5", "first_year_discount_percent": "25",
        "levels": [
            { "name": "Basic", "description": "Networks, conference and updates.", "vat_rate": "standard",
              "fee_rule": { "per_pupil": "7.50", "lump_sum": "350.00", "min": "600.00" } },
            { "name": "Standard", "description": "Basic plus adviser days.", "vat_rate": "standard",
              "fee_rule": { "per_pupil": "12.50", "lump_sum": "500.00" } } ] })
}

async fn token(app: &TestApp, email: &str) -> String {
    let user = users::find_by_email(&app.db, email).await.unwrap().unwrap();
    let token = auth::create_api_token(&app.db, user.id, "renewals").await.unwrap();
    format!("Bearer {}", token.expose_secret())
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    bearer: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", bearer)
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let answer = app.client().send(request).await;
    let value = if answer.body.is_empty() { Value::Null } else { answer.json() };
    (answer.status, value)
}

async fn school_id(app: &TestApp, urn: i32) -> i64 {
    school::Entity::find().filter(school::Column::Urn.eq(urn)).one(&app.db).await.unwrap().unwrap().id
}

/// A school of the trust whose business manager is trust@demo.test.
async fn trust_school(app: &TestApp) -> school::Model {
    let trust = users::find_by_email(&app.db, "trust@demo.test").await.unwrap().unwrap().trust_id;
    school::Entity::find()
        .filter(school::Column::TrustId.eq(trust.expect("the demo's trust business manager")))
        .filter(school::Column::Status.ne("closed"))
        .filter(school::Column::Urn.ne(990_003))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn opened(backend: crate::helpers::Backend) -> (Books, i64) {
    let mut books = Books::unbilled(backend).await;
    books.app = books.app.on_day(day(2027, 3, 1));
    let (status, body) = books.post("/api/v1/offers", offer_2027()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, round) = books
        .post(
            "/api/v1/renewals",
            json!({ "year": "2027-28", "answer_by": "2027-05-31", "note": "Prices rise by 50p a pupil." }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{round}");
    (books, round["id"].as_i64().unwrap())
}

async fn end_to_end(backend: crate::helpers::Backend) {
    let (books, id) = opened(backend).await;
    let db = &books.app.db;
    let invoices_before = invoice::Entity::find().count(db).await.unwrap();

    // Every school that is not closed is invited; this year's members are asked to renew.
    let open_schools =
        school::Entity::find().filter(school::Column::Status.ne("closed")).count(db).await.unwrap();
    let round = books.get(&format!("/api/v1/renewals/{id}")).await;
    assert_eq!(round["tally"]["invited"], open_schools, "{round}");
    assert_eq!(round["tally"]["waiting"], open_schools);
    assert_eq!(round["year"], "2027-28");
    let own = school_id(&books.app, 990_003).await;
    let own_answer = books.get(&format!("/api/v1/renewals/{id}/answers/990003")).await;
    assert!(own_answer["answer"]["current_level"].is_string(), "990003 is a 2026-27 member: {own_answer}");
    let register = own_answer["register_pupils"].as_i64().expect("a register figure");

    // Each school's invitation is in the outbox, to its business managers.
    let invitations = outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq("renewal"))
        .all(db)
        .await
        .unwrap();
    assert_eq!(invitations.len() as u64, open_schools);
    let mine = invitations.iter().find(|m| m.dedupe_key == format!("renewal:{id}:{own}")).unwrap();
    assert!(mine.recipients.contains("sbm@demo.test"), "{}", mine.recipients);
    assert_eq!(mine.state, "queued");
    assert!(
        mine.text_body.contains("/renewal") && mine.text_body.contains("31 May 2027"),
        "{}",
        mine.text_body
    );
    let in_trust = trust_school(&books.app).await;
    let theirs =
        invitations.iter().find(|m| m.dedupe_key == format!("renewal:{id}:{}", in_trust.id)).unwrap();
    assert!(
        theirs.recipients.contains("trust@demo.test"),
        "a trust's business manager hears about its schools"
    );

    // A second round for the year, a date already gone and a year with no offer are refused.
    let (status, _) =
        books.post("/api/v1/renewals", json!({ "year": "2027-28", "answer_by": "2027-05-31" })).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, refused) =
        books.post("/api/v1/renewals", json!({ "year": "2028-29", "answer_by": "2027-02-01" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["fields"][0]["field"], "year", "{refused}");

    // The business manager sees and answers for their own school only.
    let sbm = token(&books.app, "sbm@demo.test").await;
    let (status, mine) = call(&books.app, "GET", "/api/v1/renewals", &sbm, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine["rounds"][0]["answers"].as_array().unwrap().len(), 1, "{mine}");
    let path = |urn: i32| format!("/api/v1/renewals/{id}/answers/{urn}");
    let (status, _) =
        call(&books.app, "PUT", &path(in_trust.urn), &sbm, Some(json!({ "answer": "decline" }))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another school's answer is not theirs to give");
    let (status, refused) = call(
        &books.app,
        "PUT",
        &path(990_003),
        &sbm,
        Some(json!({ "answer": "renew", "level": "Gold", "pupils": 30000 })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        refused["error"]["fields"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["level", "pupils"], "{refused}");
    let (status, answered) = call(
        &books.app,
        "PUT",
        &path(990_003),
        &sbm,
        Some(json!({ "answer": "renew", "level": "standard", "pupils": register + 7, "po_number": "PO-2027-114" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(
        (answered["state"].as_str(), answered["level"].as_str()),
        (Some("accepted"), Some("Standard"))
    );

    // Finance records another school's answer (a phone call).
    let (status, _) = call(
        &books.app,
        "PUT",
        &path(in_trust.urn),
        &books.bearer,
        Some(json!({ "answer": "decline", "comment": "Joining the trust's own programme" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let accepted = books.get(&format!("/api/v1/renewals/{id}/answers?state=accepted")).await;
    assert_eq!(accepted["total"], 1);
    assert_eq!(accepted["answers"][0]["urn"], 990_003);
    let (status, _) =
        call(&books.app, "GET", &format!("/api/v1/renewals/{id}/answers?state=maybe"), &books.bearer, None)
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The rest are reminded, once a day at most.
    let (_, chased) = books.post(&format!("/api/v1/renewals/{id}/chase"), json!({})).await;
    assert_eq!(chased["reminded"], open_schools - 2, "{chased}");
    let (_, again) = books.post(&format!("/api/v1/renewals/{id}/chase"), json!({})).await;
    assert_eq!(again["reminded"], 0, "a second reminder the same day is not sent");
    let reminders = outbox_message::Entity::find()
        .filter(outbox_message::Column::Kind.eq("renewal_reminder"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(reminders, open_schools - 2);

    // Converting makes the membership, records the differing pupil number and the PO.
    let (status, done) = books.post(&format!("/api/v1/renewals/{id}/convert"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done, json!({ "memberships": 1, "pupil_numbers": 1, "po_numbers": 1 }));
    let next =
        offer::Entity::find().filter(offer::Column::Year.eq("2027-28")).one(db).await.unwrap().unwrap();
    let made =
        membership::Entity::find().filter(membership::Column::OfferId.eq(next.id)).all(db).await.unwrap();
    assert_eq!(made.len(), 1);
    assert_eq!((made[0].school_id, made[0].starts_on, made[0].ends_on), (own, day(2027, 9, 1), None));
    assert!(!made[0].first_year, "a member renewing is not in its first year");
    let figure = pupil_count::Entity::find()
        .filter(pupil_count::Column::SchoolId.eq(own))
        .filter(pupil_count::Column::CensusDate.eq(day(2027, 9, 1)))
        .one(db)
        .await
        .unwrap()
        .expect("the school's own figure");
    assert_eq!((i64::from(figure.pupils), figure.source.as_str()), (register + 7, "manual"));
    assert!(figure.reason.unwrap().contains("renewal round"));
    let payer_id = payer::Entity::find()
        .filter(payer::Column::Reference.eq(match made[0].paid_by.as_str() {
            "school" => format!("school:{own}"),
            other => panic!("990003 pays for itself in the demo, not {other}"),
        }))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let po = purchase_order::Entity::find()
        .filter(purchase_order::Column::PayerId.eq(payer_id))
        .filter(purchase_order::Column::Year.eq("2027-28"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(po.po_number, "PO-2027-114");

    // Done once: nothing left to convert, and the school's answer is now fixed.
    let (status, _) = books.post(&format!("/api/v1/renewals/{id}/convert"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) =
        call(&books.app, "PUT", &path(990_003), &sbm, Some(json!({ "answer": "decline" }))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(invoice::Entity::find().count(db).await.unwrap(), invoices_before, "nothing is billed");

    // Closing stops answers and reminders.
    let (status, closed) = books.post(&format!("/api/v1/renewals/{id}/close"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    let other = school::Entity::find()
        .filter(school::Column::Status.ne("closed"))
        .filter(school::Column::Urn.ne(990_003))
        .filter(school::Column::Urn.ne(in_trust.urn))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let (status, _) =
        call(&books.app, "PUT", &path(other.urn), &books.bearer, Some(json!({ "answer": "decline" }))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = books.post(&format!("/api/v1/renewals/{id}/chase"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Every step is in the audit log.
    let logged: Vec<String> = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.starts_with("renewal."))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in
        ["renewal.opened", "renewal.answered", "renewal.chased", "renewal.converted", "renewal.closed"]
    {
        assert!(logged.iter().any(|a| a == action), "{action} in {logged:?}");
    }
    books.app.finish().await;
}

on_both_databases!(a_round_from_invitation_to_membership, end_to_end);

async fn all_or_nothing(backend: crate::helpers::Backend) {
    let (books, id) = opened(backend).await;
    let db = &books.app.db;
    // Two schools say yes; one of them is then enrolled by hand for the same year.
    let in_trust = trust_school(&books.app).await;
    for urn in [990_003, in_trust.urn] {
        let (status, body) = call(
            &books.app,
            "PUT",
            &format!("/api/v1/renewals/{id}/answers/{urn}"),
            &books.bearer,
            Some(json!({ "answer": "renew", "level": "Basic", "pupils": 100 })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = books
        .post(
            "/api/v1/memberships",
            json!({ "urn": in_trust.urn, "year": "2027-28", "level": "Standard", "starts_on": "2027-09-01", "paid_by": "school" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, refused) = books.post(&format!("/api/v1/renewals/{id}/convert"), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let message = refused["error"]["fields"][0]["message"].as_str().unwrap_or_else(|| panic!("{refused}"));
    assert!(message.starts_with(&format!("{} (URN {})", in_trust.name, in_trust.urn)), "{message}");
    assert!(message.contains("already a member"), "{message}");
    let next =
        offer::Entity::find().filter(offer::Column::Year.eq("2027-28")).one(db).await.unwrap().unwrap();
    let members =
        membership::Entity::find().filter(membership::Column::OfferId.eq(next.id)).count(db).await.unwrap();
    assert_eq!(members, 1, "only the membership made by hand: the other school's was rolled back");
    let round = books.get(&format!("/api/v1/renewals/{id}")).await;
    assert_eq!(round["tally"]["converted"], 0);
    books.app.finish().await;
}

on_both_databases!(converting_is_all_or_nothing, all_or_nothing);

/// The pages: finance opens a round without JavaScript; the business manager answers on the
/// portal; a wrong answer is shown beside its field; the round's page lists the answer.
async fn on_the_pages(backend: crate::helpers::Backend) {
    let mut books = Books::unbilled(backend).await;
    books.app = books.app.on_day(day(2027, 3, 1));
    let (status, _) = books.post("/api/v1/offers", offer_2027()).await;
    assert_eq!(status, StatusCode::CREATED);
    let mut finance = crate::cards::sign_in(&books.app, "finance@demo.test").await;
    let page = finance.get("/renewals").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("No renewal rounds yet"));
    let csrf = page.csrf_token();
    let refused = finance
        .post_form(
            "/renewals",
            &[
                ("csrf_token", &csrf),
                ("year", "2027-28"),
                ("answer_by-day", "31"),
                ("answer_by-month", "2"),
                ("answer_by-year", "2027"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("Date to answer by must be a real date"), "{}", refused.text());
    let made = finance
        .post_form(
            "/renewals",
            &[
                ("csrf_token", &csrf),
                ("year", "2027-28"),
                ("answer_by-day", "31"),
                ("answer_by-month", "5"),
                ("answer_by-year", "2027"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text());
    let round = made.location().unwrap();
    let page = finance.get(&round).await;
    assert!(page.text().contains("Renewal round opened"), "{}", page.text());

    let mut sbm = crate::cards::sign_in(&books.app, "sbm@demo.test").await;
    let portal = sbm.get("/renewal").await;
    assert_eq!(portal.status, StatusCode::OK);
    assert!(portal.text().contains("answer by 31 May 2027"), "{}", portal.text());
    let id = round.trim_start_matches("/renewals/").split('?').next().unwrap().to_string();
    let form_path = format!("/renewals/{id}/schools/990003");
    let form = sbm.get(&form_path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("a year for"), "each level shows its price: {}", form.text());
    let csrf = form.csrf_token();
    let wrong =
        sbm.post_form(&form_path, &[("csrf_token", &csrf), ("choice", "renew"), ("pupils", "many")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.text().contains("Choose a level") && wrong.text().contains("\"many\" is not a whole number"),
        "{}",
        wrong.text()
    );
    let sent = sbm
        .post_form(
            &form_path,
            &[
                ("csrf_token", &csrf),
                ("choice", "renew"),
                ("level", "Basic"),
                ("pupils", "215"),
                ("po_number", "PO-1"),
                ("comment", ""),
            ],
        )
        .await;
    assert_eq!(sent.location().as_deref(), Some("/renewal?done=answered"));
    assert!(sbm.get("/renewal?done=answered").await.text().contains("Renewing"));
    // Another school's form and finance's pages are not theirs.
    let other = trust_school(&books.app).await;
    assert_eq!(sbm.get(&format!("/renewals/{id}/schools/{}", other.urn)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(sbm.get(&format!("/renewals/{id}")).await.status, StatusCode::FORBIDDEN);
    let listed = finance.get(&format!("/renewals/{id}?state=accepted")).await;
    assert!(
        listed.text().contains("Basic, 215 pupils") && listed.text().contains("PO-1"),
        "{}",
        listed.text()
    );
    books.app.finish().await;
}

on_both_databases!(a_round_on_the_pages, on_the_pages);
