//! Offers through the pages, as a finance officer makes them: create a year's offer (a copy or
//! one level), change its plan and discounts, add, rename, reorder and remove levels, and
//! preview a fee rule against today's fees. No JSON anywhere.

use crate::helpers::{Answer, Backend, Client, TestApp};
use crate::on_both_databases;
use axum::http::StatusCode;
use chrono::NaiveDate;
use partnership_billing::domain::fees::FeeRule;
use partnership_billing::domain::instalments::BillingPlan;
use partnership_billing::domain::pro_rata::ProRataUnit;
use partnership_billing::services::{billing, offers, partnerships};
use rust_decimal_macros::dec;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

async fn post(client: &mut Client, path: &str, csrf: &str, fields: &[(&str, &str)]) -> Answer {
    let mut all = vec![("csrf_token", csrf)];
    all.extend_from_slice(fields);
    client.post_form(path, &all).await
}

fn rule(json: &str) -> FeeRule {
    FeeRule::from_json(json).expect("a rule")
}

async fn offers_made_and_changed_on_the_pages(backend: Backend) {
    let app = TestApp::with_demo(backend).await.on_day(NaiveDate::from_ymd_opt(2026, 11, 29).expect("day"));
    let demo = partnerships::find_by_slug(&app.db, "demo").await.expect("query").expect("demo");
    let mut client = app.client();
    client.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = client.session_csrf().await;

    // The new-offer page offers only years without an offer, and copies the latest by default.
    let form = client.get("/billing/offers/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let text = form.text();
    assert!(text.contains("<option value=\"2027-28\" selected>"), "{text}");
    assert!(!text.contains("<option value=\"2025-26\""), "{text}");
    assert!(text.contains("A copy of the 2026-27 offer"), "{text}");

    // Mistakes are named, and nothing is made.
    let wrong = post(
        &mut client,
        "/billing/offers/new",
        &csrf,
        &[
            ("year", ""),
            ("start", "empty"),
            ("billing_plan", "weekly"),
            ("level-name", ""),
            ("fee-shape", "flat"),
        ],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = wrong.text();
    for message in
        ["Choose the membership year", "Enter a name for the level, like Core", "Enter the flat amount"]
    {
        assert!(text.contains(message), "{message}: {text}");
    }
    let bad_plan = post(
        &mut client,
        "/billing/offers/new",
        &csrf,
        &[("year", "2027-28"), ("start", "copy:2025-26"), ("billing_plan", "weekly")],
    )
    .await;
    assert_eq!(bad_plan.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_plan.text().contains("\"weekly\" is not annual, termly or monthly"), "{}", bad_plan.text());
    assert!(offers::find(&app.db, demo.id, "2027-28").await.expect("query").is_none());

    // A copy of 2025-26, billed monthly by days with a trust discount.
    let copied = post(
        &mut client,
        "/billing/offers/new",
        &csrf,
        &[
            ("year", "2027-28"),
            ("start", "copy:2025-26"),
            ("billing_plan", "monthly"),
            ("pro_rata_unit", "days"),
            ("trust_discount_percent", "7.5"),
            ("first_year_discount_percent", ""),
        ],
    )
    .await;
    assert_eq!(copied.status, StatusCode::SEE_OTHER, "{}", copied.text());
    assert_eq!(copied.location().as_deref(), Some("/billing/offers/2027-28?created=1"));
    let original = offers::find(&app.db, demo.id, "2025-26").await.expect("query").expect("2025-26");
    let copy = offers::find(&app.db, demo.id, "2027-28").await.expect("query").expect("2027-28");
    assert_eq!((copy.billing_plan, copy.pro_rata_unit), (BillingPlan::Monthly, ProRataUnit::Days));
    assert_eq!((copy.discounts.trust_percent, copy.discounts.first_year_percent), (dec!(7.5), dec!(0)));
    let names = |o: &offers::Offer| o.levels.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&copy), names(&original));
    for (a, b) in copy.levels.iter().zip(&original.levels) {
        assert_eq!((&a.rule, a.vat_rate, &a.description), (&b.rule, b.vat_rate, &b.description));
    }
    let page = client.get("/billing/offers/2027-28?created=1").await.text();
    assert!(page.contains("The 2027-28 offer was created") && page.contains("Monthly"), "{page}");
    assert!(!page.contains("per_pupil") && !page.contains('{'), "no JSON on the page: {page}");

    // One level to start: graduated bands with a floor and a cap.
    let made = post(
        &mut client,
        "/billing/offers/new",
        &csrf,
        &[
            ("year", "2028-29"),
            ("start", "empty"),
            ("billing_plan", "annual"),
            ("pro_rata_unit", "months"),
            ("level-name", "Membership"),
            ("fee-shape", "bands"),
            ("fee-band0-up-to", "100"),
            ("fee-band0-flat", "800"),
            ("fee-band1-per-pupil", "3.50"),
            ("fee-graduated", "yes"),
            ("fee-min", "900"),
            ("fee-max", "£12,000"),
            ("description", "Termly network meetings"),
            ("vat_rate", "zero"),
        ],
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text());
    let one = offers::find(&app.db, demo.id, "2028-29").await.expect("query").expect("2028-29");
    assert_eq!(one.levels.len(), 1);
    assert_eq!(
        one.levels[0].rule,
        rule(
            r#"{"bands": [{"up_to": 100, "flat": "800"}, {"per_pupil": "3.50"}], "mode": "graduated", "min": "900", "max": "12000"}"#
        )
    );
    assert_eq!(one.levels[0].vat_rate.as_str(), "zero");

    // Add a level; it goes last. Its name must be new.
    let fields = [
        ("level-name", "Premium"),
        ("fee-shape", "per_pupil"),
        ("fee-per-pupil", "30"),
        ("fee-lump-sum", "500"),
        ("vat_rate", "standard"),
        ("action", "save"),
    ];
    let added = post(&mut client, "/billing/offers/2027-28/add-level", &csrf, &fields).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
    let copy = offers::find(&app.db, demo.id, "2027-28").await.expect("query").expect("2027-28");
    let premium = copy.levels.last().expect("a level");
    assert_eq!(
        (premium.name.as_str(), &premium.rule),
        ("Premium", &rule(r#"{"per_pupil": "30", "lump_sum": "500"}"#))
    );
    // The by-phase shapes post and read back too, and show again as fields.
    let by_phase = post(
        &mut client,
        "/billing/offers/2028-29/add-level",
        &csrf,
        &[
            ("level-name", "By phase"),
            ("fee-shape", "phase_per_pupil"),
            ("fee-phase-primary", "12.50"),
            ("fee-phase-default", "9"),
            ("vat_rate", "standard"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(by_phase.status, StatusCode::SEE_OTHER, "{}", by_phase.text());
    let one = offers::find(&app.db, demo.id, "2028-29").await.expect("query").expect("2028-29");
    assert_eq!(
        one.levels[1].rule,
        rule(r#"{"by_phase": {"Primary": {"per_pupil": "12.50"}, "default": {"per_pupil": "9"}}}"#)
    );
    let shown = client.get("/billing/offers/2028-29/levels/By%20phase").await.text();
    assert!(
        shown.contains("value=\"phase_per_pupil\" checked") && shown.contains("value=\"12.50\""),
        "{shown}"
    );
    let again = post(&mut client, "/billing/offers/2027-28/add-level", &csrf, &fields).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().contains("There is already a level called Premium"), "{}", again.text());

    // Rename, keeping the rule as it is.
    let renamed = post(
        &mut client,
        "/billing/offers/2027-28/levels/Premium",
        &csrf,
        &[
            ("level-name", "Premium Plus"),
            ("fee-shape", "keep"),
            ("vat_rate", "standard"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.text());
    let copy = offers::find(&app.db, demo.id, "2027-28").await.expect("query").expect("2027-28");
    let last = copy.levels.last().expect("a level");
    assert_eq!(last.name, "Premium Plus");
    let first_name = copy.levels[0].name.clone();
    let clash = post(
        &mut client,
        "/billing/offers/2027-28/levels/Premium%20Plus",
        &csrf,
        &[("level-name", &first_name), ("fee-shape", "keep"), ("vat_rate", "standard"), ("action", "save")],
    )
    .await;
    assert_eq!(clash.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(clash.text().contains(&format!("There is already a level called {first_name}")));

    // Move it up one place, then remove it (nobody holds it) after a confirmation page.
    let before = names(&copy);
    let moved = post(
        &mut client,
        "/billing/offers/2027-28/levels/Premium%20Plus/move",
        &csrf,
        &[("direction", "up")],
    )
    .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    let after = names(&offers::find(&app.db, demo.id, "2027-28").await.expect("query").expect("2027-28"));
    let n = before.len();
    assert_eq!(after[n - 2], "Premium Plus");
    assert_eq!(after[n - 1], before[n - 2]);
    let confirm = client.get("/billing/offers/2027-28/levels/Premium%20Plus/remove").await;
    assert!(confirm.text().contains("Remove Premium Plus?"), "{}", confirm.text());
    let removed = post(&mut client, "/billing/offers/2027-28/levels/Premium%20Plus/remove", &csrf, &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let left = names(&offers::find(&app.db, demo.id, "2027-28").await.expect("query").expect("2027-28"));
    assert_eq!(left, names(&original));

    // A level schools hold cannot be removed; the only level cannot either.
    let held = post(&mut client, "/billing/offers/2025-26/levels/Core/remove", &csrf, &[]).await;
    assert_eq!(held.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(held.text().contains("Core cannot be removed"), "{}", held.text());
    let other = post(&mut client, "/billing/offers/2028-29/levels/By%20phase/remove", &csrf, &[]).await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
    let only = post(&mut client, "/billing/offers/2028-29/levels/Membership/remove", &csrf, &[]).await;
    assert_eq!(only.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        only.text().contains("the offer&#x27;s only level") || only.text().contains("the offer's only level")
    );

    // Once a year has invoices its plan stays; discounts can still change.
    billing::commit(
        &app.db,
        &demo,
        "2025-26",
        "autumn",
        billing::RunBy::on(NaiveDate::from_ymd_opt(2025, 9, 1).expect("day")),
        &mut |_, _| {},
    )
    .await
    .expect("the autumn run");
    let plan = post(
        &mut client,
        "/billing/offers/2025-26/terms",
        &csrf,
        &[("billing_plan", "monthly"), ("pro_rata_unit", "months"), ("trust_discount_percent", "5")],
    )
    .await;
    assert_eq!(plan.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(plan.text().contains("so its billing plan cannot change"), "{}", plan.text());
    let discount = post(
        &mut client,
        "/billing/offers/2025-26/terms",
        &csrf,
        &[
            ("billing_plan", "termly"),
            ("pro_rata_unit", "months"),
            ("trust_discount_percent", "10"),
            ("first_year_discount_percent", "101"),
        ],
    )
    .await;
    assert_eq!(discount.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(discount.text().contains("\"101\" is not a percentage between 0 and 100"));
    let discount = post(
        &mut client,
        "/billing/offers/2025-26/terms",
        &csrf,
        &[
            ("billing_plan", "termly"),
            ("pro_rata_unit", "months"),
            ("trust_discount_percent", "10"),
            ("first_year_discount_percent", "25"),
        ],
    )
    .await;
    assert_eq!(discount.status, StatusCode::SEE_OTHER, "{}", discount.text());
    let changed = offers::find(&app.db, demo.id, "2025-26").await.expect("query").expect("2025-26");
    assert_eq!(changed.discounts.trust_percent, dec!(10));

    // The level page says what is billed; a preview compares with today's rule, saving nothing.
    let core_page = client.get("/billing/offers/2025-26/levels/Core").await.text();
    assert!(core_page.contains("Core is already billed for the autumn term"), "{core_page}");
    assert!(core_page.contains("A change prices the spring term, the summer term"), "{core_page}");
    let core = changed.levels.iter().find(|l| l.name == "Core").expect("Core").clone();
    let preview = post(
        &mut client,
        "/billing/offers/2025-26/levels/Core",
        &csrf,
        &[
            ("level-name", "Core"),
            ("fee-shape", "flat"),
            ("fee-flat", "100000"),
            ("vat_rate", "standard"),
            ("action", "preview"),
        ],
    )
    .await;
    assert_eq!(preview.status, StatusCode::OK);
    let text = preview.text();
    assert!(text.contains("Compared with the current Core rule"), "{text}");
    let schools: std::collections::BTreeSet<i64> = entity::membership::Entity::find()
        .filter(entity::membership::Column::LevelId.eq(core.id))
        .all(&app.db)
        .await
        .expect("memberships")
        .into_iter()
        .map(|m| m.school_id)
        .collect();
    let count = |key: &str| -> usize {
        let start = text.find(&format!("{key}</dt>")).unwrap_or_else(|| panic!("no {key}: {text}"));
        let value = &text[start..];
        let value = &value[value.find("__value\">").expect("a value") + 9..];
        value[..value.find('<').expect("end")].parse().expect("a count")
    };
    assert_eq!(count("Schools priced"), schools.len());
    assert!(count("Would pay more") > 0);
    assert_eq!(count("Would pay more") + count("Not priced by one of the rules"), schools.len());
    assert!(text.contains("£100,000.00"), "{text}");
    let unchanged = offers::find(&app.db, demo.id, "2025-26").await.expect("query").expect("2025-26");
    assert_eq!(unchanged.levels.iter().find(|l| l.name == "Core").expect("Core").rule, core.rule);

    // Another partnership's users see none of it.
    let other = client.get("/billing/offers/2099-00").await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    app.finish().await;
}

on_both_databases!(offers_are_made_and_changed_on_the_pages, offers_made_and_changed_on_the_pages);
