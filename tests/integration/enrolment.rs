//! Enrolment at scale on the pages: a school found by name, many schools from the register by
//! phase (previewed, then enrolled, then left alone when run again), a CSV of URNs checked whole
//! before anything is written; and the memberships list with its fees, filters and pages.

use crate::helpers::{Answer, Backend, Client, TestApp};
use crate::on_both_databases;
use axum::http::StatusCode;
use partnership_billing::services::{offers, partnerships};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

async fn post(client: &mut Client, path: &str, csrf: &str, fields: &[(&str, &str)]) -> Answer {
    let mut all = vec![("csrf_token", csrf)];
    all.extend_from_slice(fields);
    client.post_form(path, &all).await
}

async fn enrol(client: &mut Client, csrf: &str, fields: &[(&str, &str)], file: Option<&[u8]>) -> Answer {
    let mut all = vec![("csrf_token", csrf)];
    all.extend_from_slice(fields);
    client.post_multipart("/billing/memberships/enrol", &all, file.map(|f| ("urns.csv", f))).await
}

async fn members(app: &TestApp, offer_id: i64) -> Vec<entity::membership::Model> {
    entity::membership::Entity::find()
        .filter(entity::membership::Column::OfferId.eq(offer_id))
        .all(&app.db)
        .await
        .expect("memberships")
}

async fn enrolment_at_scale(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let demo = partnerships::find_by_slug(&app.db, "demo").await.expect("query").expect("demo");
    let base = offers::find(&app.db, demo.id, "2025-26").await.expect("query").expect("2025-26");
    offers::create(&app.db, demo.id, demo.year_kind, &offers::copy_for(&base, "2027-28"), None)
        .await
        .expect("an empty 2027-28 offer");
    let offer = offers::find(&app.db, demo.id, "2027-28").await.expect("query").expect("2027-28");
    let mut client = app.client();
    client.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = client.session_csrf().await;
    let common = [
        ("year", "2027-28"),
        ("level", "Core"),
        ("starts_on-day", "1"),
        ("starts_on-month", "9"),
        ("starts_on-year", "2027"),
    ];

    // One school, found by part of its name; several matches are offered to choose from.
    let schools = entity::school::Entity::find()
        .filter(entity::school::Column::PartnershipId.eq(demo.id))
        .all(&app.db)
        .await
        .expect("schools");
    let one = schools.iter().find(|s| s.name.contains("Nursery") && s.status != "closed").expect("a nursery");
    let many = post(
        &mut client,
        "/billing/memberships",
        &csrf,
        &[
            common[0],
            common[1],
            common[2],
            common[3],
            common[4],
            ("school", "Primary"),
            ("paid_by", "school"),
        ],
    )
    .await;
    assert_eq!(many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(many.text().contains("schools match \"Primary\": choose one"), "{}", many.text());
    assert!(many.text().contains("name=\"urn\" type=\"radio\""), "{}", many.text());
    let joined = post(
        &mut client,
        "/billing/memberships",
        &csrf,
        &[
            common[0],
            common[1],
            common[2],
            common[3],
            common[4],
            ("school", &one.name),
            ("paid_by", "school"),
        ],
    )
    .await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.text());
    assert_eq!(members(&app, offer.id).await.len(), 1);
    let nobody = post(
        &mut client,
        "/billing/memberships",
        &csrf,
        &[common[0], common[1], common[2], common[3], common[4], ("school", "Zzyzx"), ("paid_by", "school")],
    )
    .await;
    assert!(nobody.text().contains("No school in the register has the URN or a name containing"));
    // Dates are typed as day, month and year, and read with the Design System's messages.
    for ((day, month, year), message) in [
        (("31", "2", "2027"), "Date membership starts must be a real date"),
        (("1", "", "2027"), "Date membership starts must include a month"),
        (("", "", ""), "Enter the date membership starts"),
    ] {
        let wrong = post(
            &mut client,
            "/billing/memberships",
            &csrf,
            &[
                common[0],
                common[1],
                ("starts_on-day", day),
                ("starts_on-month", month),
                ("starts_on-year", year),
                ("school", &one.name),
                ("paid_by", "school"),
            ],
        )
        .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.text().contains(message), "{message}: {}", wrong.text());
    }

    // Every open primary school, their trusts paying where they have one: previewed first.
    let open_primary = entity::school::Entity::find()
        .filter(entity::school::Column::PartnershipId.eq(demo.id))
        .filter(entity::school::Column::BillingPhase.eq("Primary"))
        .filter(entity::school::Column::Status.ne("closed"))
        .count(&app.db)
        .await
        .expect("count") as usize;
    let choice = [
        common[0],
        common[1],
        common[2],
        common[3],
        common[4],
        ("paid_by", "trust"),
        ("source", "register"),
        ("phase", "Primary"),
    ];
    let preview = enrol(&mut client, &csrf, &[&choice[..], &[("action", "preview")]].concat(), None).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(
        preview.text().contains(&format!("{open_primary} schools would be enrolled")),
        "{}",
        preview.text()
    );
    assert_eq!(members(&app, offer.id).await.len(), 1, "a preview writes nothing");
    let done = enrol(&mut client, &csrf, &[&choice[..], &[("action", "enrol")]].concat(), None).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let now = members(&app, offer.id).await;
    assert_eq!(now.len(), 1 + open_primary);
    for m in &now[1..] {
        let s = schools.iter().find(|s| s.id == m.school_id).expect("its school");
        let expected = if s.trust_id.is_some() { "trust" } else { "school" };
        assert_eq!(m.paid_by, expected, "{}", s.name);
    }
    let again = enrol(&mut client, &csrf, &[&choice[..], &[("action", "enrol")]].concat(), None).await;
    let notice = client.get(&again.location().expect("back to the list")).await.text();
    assert!(notice.contains(&format!("0 schools were enrolled; {open_primary} already members")), "{notice}");

    // A CSV is checked whole: one bad row and nothing is written.
    let secondary: Vec<&entity::school::Model> =
        schools.iter().filter(|s| s.billing_phase == "Secondary" && s.status != "closed").take(2).collect();
    let bad = format!(
        "URN,Level,Paid by\n{},Standard,school\n999999,Core,\n{},Gold,\n",
        secondary[0].urn, secondary[1].urn
    );
    let csv_choice = [
        common[0],
        common[1],
        common[2],
        common[3],
        common[4],
        ("paid_by", "school"),
        ("source", "csv"),
        ("action", "enrol"),
    ];
    let refused = enrol(&mut client, &csrf, &csv_choice, Some(bad.as_bytes())).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text();
    assert!(
        text.contains("Line 3: no school with URN &quot;999999&quot;")
            || text.contains("Line 3: no school with URN \"999999\""),
        "{text}"
    );
    assert!(text.contains("Line 4: \"Gold\" is not a level of 2027-28"), "{text}");
    assert_eq!(members(&app, offer.id).await.len(), 1 + open_primary);
    let good = format!("URN,Level,Paid by\n{},Standard,school\n{},,\n", secondary[0].urn, secondary[1].urn);
    let enrolled = enrol(&mut client, &csrf, &csv_choice, Some(good.as_bytes())).await;
    assert_eq!(enrolled.status, StatusCode::SEE_OTHER, "{}", enrolled.text());
    let now = members(&app, offer.id).await;
    let standard = offer.levels.iter().find(|l| l.name == "Standard").expect("Standard").id;
    assert!(now.iter().any(|m| m.school_id == secondary[0].id && m.level_id == standard));
    assert_eq!(now.len(), 3 + open_primary);

    // The list: a fee for each, filters, pages of 50.
    let list = client.get("/billing/memberships?year=2027-28").await.text();
    assert!(list.contains(&format!("{} member schools", 3 + open_primary)), "{list}");
    assert!(list.contains("Fee for the year") && list.contains("£"), "{list}");
    let standard_only = client.get("/billing/memberships?year=2027-28&level=Standard").await.text();
    assert!(standard_only.contains(">1 member school<"), "{standard_only}");
    let by_urn =
        client.get(&format!("/billing/memberships?year=2027-28&q={}", secondary[1].urn)).await.text();
    assert!(by_urn.contains(&secondary[1].name) && by_urn.contains(">1 member school<"), "{by_urn}");
    if 3 + open_primary > 50 {
        let second = client.get("/billing/memberships?year=2027-28&page=2").await;
        assert_eq!(second.status, StatusCode::OK);
    }
    assert_eq!(client.get("/billing/memberships?page=x").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(client.get("/billing/memberships?paid_by=nobody").await.status, StatusCode::BAD_REQUEST);
    app.finish().await;
}

on_both_databases!(many_schools_are_enrolled_on_the_pages, enrolment_at_scale);
