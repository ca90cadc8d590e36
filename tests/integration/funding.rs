//! Funding models through the pages: finance builds a scenario with forms (no JSON), the board
//! compares it, and the exports carry the same figures.

use crate::helpers::{Backend, Client, TestApp};
use crate::on_both_databases;
use axum::http::StatusCode;
use partnership_billing::domain::funding::{CostKind, Council, Pricing, SignUp};
use partnership_billing::services::funding;
use rust_decimal_macros::dec;

const NAME: &str = "March board";
const SLUG: &str = "March%20board";

async fn finance(app: &TestApp) -> (Client, String) {
    let mut client = app.client();
    client.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = client.session_csrf().await;
    (client, csrf)
}

async fn post(client: &mut Client, path: &str, csrf: &str, fields: &[(&str, &str)]) -> crate::helpers::Answer {
    let mut all = vec![("csrf_token", csrf)];
    all.extend_from_slice(fields);
    client.post_form(path, &all).await
}

async fn building_a_scenario_with_forms(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let (mut client, csrf) = finance(&app).await;
    let partnership = app.state.db.clone();
    let pid = partnership_billing::services::partnerships::resolve(&partnership, Some("demo")).await.unwrap().id;

    // A new scenario: the name is required, the year must be a year, names are unique.
    assert_eq!(client.get("/funding/new").await.status, StatusCode::OK);
    let blank = post(&mut client, "/funding/new", &csrf, &[("name", ""), ("year", "2027"), ("start", "empty")]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = blank.text();
    assert!(text.contains("Enter a name for the scenario"), "{text}");
    assert!(text.contains("\"2027\" is not a membership year like 2026-27"), "{text}");
    let taken = post(
        &mut client,
        "/funding/new",
        &csrf,
        &[("name", "2026-27 funding options"), ("year", "2027-28"), ("start", "empty")],
    )
    .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.text().contains("there is already a scenario called \"2026-27 funding options\""));
    let made = post(&mut client, "/funding/new", &csrf, &[("name", NAME), ("year", "2027-28"), ("start", "empty")]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text());
    assert_eq!(made.location().as_deref(), Some(format!("/funding/{SLUG}/edit").as_str()));
    let overview = client.get(&format!("/funding/{SLUG}/edit")).await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.text().contains("No costs yet"));

    // Cost lines in each form; a wrong amount names its field and keeps what was typed.
    let costs = format!("/funding/{SLUG}/costs/new");
    let wrong = post(
        &mut client,
        &costs,
        &csrf,
        &[("line-name", "Chair"), ("kind", "core"), ("pricing", "days"), ("days", "20"), ("day-rate", "six hundred")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = wrong.text();
    assert!(text.contains("<a href=\"#day-rate\">The day rate must be an amount, like 1500.00 (you wrote \"six hundred\")</a>"), "{text}");
    assert!(text.contains("value=\"six hundred\""), "what was typed is kept");
    for fields in [
        vec![("line-name", "Chair"), ("kind", "core"), ("pricing", "days"), ("days", "20"), ("day-rate", "600")],
        vec![("line-name", "Coordinator"), ("kind", "core"), ("pricing", "amount"), ("amount", "£30,000.00")],
        vec![("line-name", "SLE days"), ("kind", "additional"), ("pricing", "units"), ("units", "4"), ("unit-cost", "5000")],
        vec![
            ("line-name", "Peer reviews"),
            ("kind", "additional"),
            ("pricing", "per_phase"),
            ("units-primary", "20"),
            ("unit-cost-primary", "900"),
            ("units-secondary", "12"),
            ("unit-cost-secondary", "1600.00"),
        ],
    ] {
        let saved = post(&mut client, &costs, &csrf, &fields).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    }
    let scenario = funding::get_scenario(&app.state.db, pid, NAME).await.unwrap().scenario;
    let amounts: Vec<_> = scenario.costs.iter().map(|c| c.amount()).collect();
    assert_eq!(amounts, [dec!(12000), dec!(30000.00), dec!(20000), dec!(37200)]);
    assert!(matches!(scenario.costs[3].pricing, Pricing::PerPhase { .. }));
    assert_eq!(scenario.costs[2].kind, CostKind::Additional);

    // Change a line, then remove one.
    let changed = post(
        &mut client,
        &format!("/funding/{SLUG}/costs/1"),
        &csrf,
        &[("line-name", "Coordinator"), ("kind", "core"), ("pricing", "amount"), ("amount", "32000")],
    )
    .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(post(&mut client, &format!("/funding/{SLUG}/costs/2/remove"), &csrf, &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(client.get(&format!("/funding/{SLUG}/costs/9")).await.status, StatusCode::NOT_FOUND);
    let scenario = funding::get_scenario(&app.state.db, pid, NAME).await.unwrap().scenario;
    let names: Vec<_> = scenario.costs.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Chair", "Coordinator", "Peer reviews"]);
    assert_eq!(scenario.costs[1].amount(), dec!(32000));

    // An option with a tier, sign-up by phase and a traded service.
    let options = format!("/funding/{SLUG}/options/new");
    let wrong = post(
        &mut client,
        &options,
        &csrf,
        &[("option-name", "Per pupil"), ("covers", "core"), ("fee-shape", "per_pupil"), ("fee-per-pupil", "six"), ("signup-all", "150")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = wrong.text();
    assert!(text.contains("The amount per pupil must be an amount, like 1500.00 (you wrote \"six\")"), "{text}");
    assert!(text.contains("The share signing up must be a percentage from 0 to 100 (you wrote \"150\")"), "{text}");
    let saved = post(
        &mut client,
        &options,
        &csrf,
        &[
            ("option-name", "Per pupil"),
            ("covers", "core"),
            ("covers", "additional"),
            ("fee-shape", "per_pupil"),
            ("fee-per-pupil", "10.00"),
            ("fee-lump-sum", "200"),
            ("fee-min", "500"),
            ("signup-all", "90"),
            ("signup-secondary", "75"),
            ("tier0-name", "Advanced"),
            ("tier0-shape", "phase_flat"),
            ("tier0-phase-secondary", "3000"),
            ("tier0-phase-default", "1200"),
            ("tier0-signup-all", "25"),
            ("service0-name", "Peer review"),
            ("service0-price-primary", "950"),
            ("service0-units-primary", "10"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let scenario = funding::get_scenario(&app.state.db, pid, NAME).await.unwrap().scenario;
    let option = &scenario.options[0];
    assert_eq!(
        serde_json::to_value(&option.membership_fee).unwrap(),
        serde_json::json!({ "per_pupil": "10.00", "lump_sum": "200", "min": "500" })
    );
    assert_eq!(option.covers, [CostKind::Core, CostKind::Additional]);
    assert_eq!(
        option.sign_up,
        SignUp::ByPhase([("Secondary".to_string(), dec!(0.75)), ("default".to_string(), dec!(0.9))].into())
    );
    assert_eq!(option.levels.len(), 1);
    assert_eq!(option.levels[0].sign_up, SignUp::All(dec!(0.25)));
    assert_eq!(option.services[0].income(), dec!(9500));

    // The option form shows the saved option again, field by field.
    let form = client.get(&format!("/funding/{SLUG}/options/0")).await.text();
    assert!(form.contains("id=\"fee-per-pupil\" name=\"fee-per-pupil\" type=\"text\" inputmode=\"decimal\" spellcheck=\"false\" value=\"10.00\""), "{form}");
    assert!(form.contains("value=\"Advanced\""));

    // Year, council and today's fees.
    let settings = format!("/funding/{SLUG}/settings");
    let wrong = post(&mut client, &settings, &csrf, &[("year", "2027-28"), ("council", "match"), ("council-ratio", "half")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().contains("How much the council puts in for each £1 must be a number"));
    let saved = post(
        &mut client,
        &settings,
        &csrf,
        &[
            ("year", "2027-28"),
            ("phases", "primary"),
            ("phases", "secondary"),
            ("council", "match"),
            ("council-ratio", "0.5"),
            ("council-cap", "20000"),
            ("baseline-shape", "flat"),
            ("baseline-flat", "1000"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let scenario = funding::get_scenario(&app.state.db, pid, NAME).await.unwrap().scenario;
    assert_eq!(scenario.schools.phases, ["Primary", "Secondary"]);
    assert_eq!(scenario.council.as_ref().map(|c| c.council.clone()), Some(Council::Match { ratio: dec!(0.5), cap: Some(dec!(20000)) }));
    assert_eq!(scenario.baseline.as_ref().map(|b| b.describe()).as_deref(), Some("£1,000.00 a school"));

    // Up to four options: the fifth is refused.
    for name in ["Flat", "Core only", "Banded"] {
        let saved = post(
            &mut client,
            &options,
            &csrf,
            &[("option-name", name), ("covers", "core"), ("fee-shape", "flat"), ("fee-flat", "1500"), ("signup-all", "100")],
        )
        .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{name}: {}", saved.text());
    }
    let fifth = post(
        &mut client,
        &options,
        &csrf,
        &[("option-name", "Fifth"), ("covers", "core"), ("fee-shape", "flat"), ("fee-flat", "1"), ("signup-all", "100")],
    )
    .await;
    assert_eq!(fifth.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(fifth.text().contains("A scenario compares up to 4 options: remove one first"));
    assert!(client.get(&format!("/funding/{SLUG}/edit")).await.text().contains("the most a comparison shows side by side"));
    let same_name = post(
        &mut client,
        &format!("/funding/{SLUG}/options/1"),
        &csrf,
        &[("option-name", "Per pupil"), ("covers", "core"), ("fee-shape", "flat"), ("fee-flat", "1"), ("signup-all", "100")],
    )
    .await;
    assert!(same_name.text().contains("There is already an option called \"Per pupil\""));
    assert_eq!(post(&mut client, &format!("/funding/{SLUG}/options/3/remove"), &csrf, &[]).await.status, StatusCode::SEE_OTHER);

    // The comparison shows what was built.
    let compared = client.get(&format!("/funding/{SLUG}")).await;
    assert_eq!(compared.status, StatusCode::OK);
    let text = compared.text();
    assert!(text.contains("Funding model, 2027-28"), "{text}");
    assert!(text.contains("Per pupil") && text.contains("Core only") && !text.contains("Banded"));

    // Duplicate (not over an existing name), then delete.
    let copy = post(&mut client, &format!("/funding/{SLUG}/duplicate"), &csrf, &[("new-name", "2026-27 funding options")]).await;
    assert_eq!(copy.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(copy.text().contains("there is already a scenario called"));
    let copy = post(&mut client, &format!("/funding/{SLUG}/duplicate"), &csrf, &[("new-name", "March board, lower fee")]).await;
    assert_eq!(copy.status, StatusCode::SEE_OTHER);
    let copied = funding::get_scenario(&app.state.db, pid, "March board, lower fee").await.unwrap().scenario;
    assert_eq!(copied, funding::get_scenario(&app.state.db, pid, NAME).await.unwrap().scenario);
    assert_eq!(post(&mut client, &format!("/funding/{SLUG}/delete"), &csrf, &[]).await.status, StatusCode::SEE_OTHER);
    assert!(funding::get_scenario(&app.state.db, pid, NAME).await.is_err());
    assert!(funding::get_scenario(&app.state.db, pid, "March board, lower fee").await.is_ok());

    // Without the CSRF token nothing changes.
    let forged = client
        .post_form("/funding/March%20board%2C%20lower%20fee/delete", &[("csrf_token", "forged")])
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(funding::get_scenario(&app.state.db, pid, "March board, lower fee").await.is_ok());
    app.finish().await;
}
on_both_databases!(finance_builds_a_scenario_with_forms, building_a_scenario_with_forms);
