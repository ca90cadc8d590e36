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

async fn post(
    client: &mut Client,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> crate::helpers::Answer {
    let mut all = vec![("csrf_token", csrf)];
    all.extend_from_slice(fields);
    client.post_form(path, &all).await
}

async fn building_a_scenario_with_forms(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let (mut client, csrf) = finance(&app).await;
    let partnership = app.state.db.clone();
    let pid =
        partnership_billing::services::partnerships::resolve(&partnership, Some("demo")).await.unwrap().id;

    // A new scenario: the name is required, the year must be a year, names are unique.
    assert_eq!(client.get("/funding/new").await.status, StatusCode::OK);
    let blank =
        post(&mut client, "/funding/new", &csrf, &[("name", ""), ("year", "2027"), ("start", "empty")]).await;
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
    assert!(taken.text().contains("There is already a scenario called \"2026-27 funding options\""));
    let made =
        post(&mut client, "/funding/new", &csrf, &[("name", NAME), ("year", "2027-28"), ("start", "empty")])
            .await;
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
        &[
            ("line-name", "Chair"),
            ("kind", "core"),
            ("pricing", "days"),
            ("days", "20"),
            ("day-rate", "six hundred"),
        ],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = wrong.text();
    assert!(text.contains("<a href=\"#day-rate\">The day rate must be an amount, like 1500.00 (you wrote \"six hundred\")</a>"), "{text}");
    assert!(text.contains("value=\"six hundred\""), "what was typed is kept");
    for fields in [
        vec![
            ("line-name", "Chair"),
            ("kind", "core"),
            ("pricing", "days"),
            ("days", "20"),
            ("day-rate", "600"),
        ],
        vec![("line-name", "Coordinator"), ("kind", "core"), ("pricing", "amount"), ("amount", "£30,000.00")],
        vec![
            ("line-name", "SLE days"),
            ("kind", "additional"),
            ("pricing", "units"),
            ("units", "4"),
            ("unit-cost", "5000"),
        ],
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
    let confirm = client.get(&format!("/funding/{SLUG}/costs/2/remove")).await.text();
    assert!(
        confirm.contains("Remove the cost line") && confirm.contains("This cannot be undone"),
        "{confirm}"
    );
    assert_eq!(
        post(&mut client, &format!("/funding/{SLUG}/costs/2/remove"), &csrf, &[]).await.status,
        StatusCode::SEE_OTHER
    );
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
        &[
            ("option-name", "Per pupil"),
            ("covers", "core"),
            ("fee-shape", "per_pupil"),
            ("fee-per-pupil", "six"),
            ("signup-all", "150"),
        ],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = wrong.text();
    assert!(
        text.contains("The amount per pupil must be an amount, like 1500.00 (you wrote \"six\")"),
        "{text}"
    );
    assert!(
        text.contains("The share signing up must be a percentage from 0 to 100 (you wrote \"150\")"),
        "{text}"
    );
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
    let wrong = post(
        &mut client,
        &settings,
        &csrf,
        &[("year", "2027-28"), ("council", "match"), ("council-ratio", "half")],
    )
    .await;
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
    assert_eq!(
        scenario.council.as_ref().map(|c| c.council.clone()),
        Some(Council::Match { ratio: dec!(0.5), cap: Some(dec!(20000)) })
    );
    assert_eq!(scenario.baseline.as_ref().map(|b| b.describe()).as_deref(), Some("£1,000.00 a school"));

    // A schedule is one amount a line; a comma is a thousands separator.
    let schedule = post(
        &mut client,
        &settings,
        &csrf,
        &[
            ("year", "2027-28"),
            ("council", "schedule"),
            ("council-schedule", "300,000.00\n225000"),
            ("baseline-shape", "none"),
        ],
    )
    .await;
    assert_eq!(schedule.status, StatusCode::SEE_OTHER, "{}", schedule.text());
    let scenario = funding::get_scenario(&app.state.db, pid, NAME).await.unwrap().scenario;
    assert_eq!(
        scenario.council.map(|c| c.council),
        Some(Council::Schedule { schedule: vec![dec!(300000.00), dec!(225000)] })
    );

    // Up to four options: the fifth is refused.
    for name in ["Flat", "Core only", "Banded"] {
        let saved = post(
            &mut client,
            &options,
            &csrf,
            &[
                ("option-name", name),
                ("covers", "core"),
                ("fee-shape", "flat"),
                ("fee-flat", "1500"),
                ("signup-all", "100"),
            ],
        )
        .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{name}: {}", saved.text());
    }
    let fifth = post(
        &mut client,
        &options,
        &csrf,
        &[
            ("option-name", "Fifth"),
            ("covers", "core"),
            ("fee-shape", "flat"),
            ("fee-flat", "1"),
            ("signup-all", "100"),
        ],
    )
    .await;
    assert_eq!(fifth.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(fifth.text().contains("A scenario compares up to 4 options: remove one first"));
    assert!(
        client
            .get(&format!("/funding/{SLUG}/edit"))
            .await
            .text()
            .contains("the most a comparison shows side by side")
    );
    let same_name = post(
        &mut client,
        &format!("/funding/{SLUG}/options/1"),
        &csrf,
        &[
            ("option-name", "Per pupil"),
            ("covers", "core"),
            ("fee-shape", "flat"),
            ("fee-flat", "1"),
            ("signup-all", "100"),
        ],
    )
    .await;
    assert!(same_name.text().contains("There is already an option called \"Per pupil\""));
    assert_eq!(
        post(&mut client, &format!("/funding/{SLUG}/options/3/remove"), &csrf, &[]).await.status,
        StatusCode::SEE_OTHER
    );

    // The comparison shows what was built.
    let compared = client.get(&format!("/funding/{SLUG}")).await;
    assert_eq!(compared.status, StatusCode::OK);
    let text = compared.text();
    assert!(text.contains("Funding model, 2027-28"), "{text}");
    assert!(text.contains("Per pupil") && text.contains("Core only") && !text.contains("Banded"));

    // Duplicate (not over an existing name), then delete.
    let copy = post(
        &mut client,
        &format!("/funding/{SLUG}/duplicate"),
        &csrf,
        &[("new-name", "2026-27 funding options")],
    )
    .await;
    assert_eq!(copy.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(copy.text().contains("There is already a scenario called"));
    let copy = post(
        &mut client,
        &format!("/funding/{SLUG}/duplicate"),
        &csrf,
        &[("new-name", "March board, lower fee")],
    )
    .await;
    assert_eq!(copy.status, StatusCode::SEE_OTHER);
    let copied = funding::get_scenario(&app.state.db, pid, "March board, lower fee").await.unwrap().scenario;
    assert_eq!(copied, funding::get_scenario(&app.state.db, pid, NAME).await.unwrap().scenario);
    assert_eq!(
        post(&mut client, &format!("/funding/{SLUG}/delete"), &csrf, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(funding::get_scenario(&app.state.db, pid, NAME).await.is_err());
    assert!(funding::get_scenario(&app.state.db, pid, "March board, lower fee").await.is_ok());

    // Without the CSRF token nothing changes.
    let forged =
        client.post_form("/funding/March%20board%2C%20lower%20fee/delete", &[("csrf_token", "forged")]).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(funding::get_scenario(&app.state.db, pid, "March board, lower fee").await.is_ok());
    app.finish().await;
}
on_both_databases!(finance_builds_a_scenario_with_forms, building_a_scenario_with_forms);

const DEMO: &str = "/funding/2026-27%20funding%20options";

/// What the model gives for the demo scenario, worked out directly (not through the pages).
async fn demo_result(app: &TestApp) -> partnership_billing::domain::funding::ModelResult {
    let pid =
        partnership_billing::services::partnerships::resolve(&app.state.db, Some("demo")).await.unwrap().id;
    let saved = funding::get_scenario(&app.state.db, pid, "2026-27 funding options").await.unwrap();
    let schools = funding::schools_from_register(&app.state.db, &saved.scenario).await.unwrap();
    partnership_billing::domain::funding::model(&saved.scenario, &schools)
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::Reader::from_reader(bytes).records().map(|r| r.unwrap().iter().map(String::from).collect()).collect()
}

async fn comparing_and_exporting(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let result = demo_result(&app).await;
    let mut board = app.client();
    board.sign_in("board@demo.test", "demo-board-2025").await;

    // The comparison: three charts, winners and losers, sortable headers.
    let page = board.get(DEMO).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert_eq!(text.matches("<svg role=\"img\"").count(), 3, "three charts");
    assert!(
        text.contains("aria-label=\"Chart: each option's income by stream against the costs it must cover\"")
    );
    let option = &result.options[0];
    let more = option
        .schools
        .iter()
        .filter(|s| s.change.is_some_and(|c| c.amount() > rust_decimal::Decimal::ZERO))
        .count();
    assert!(
        text.contains(&format!("Under {}, {more} schools would pay more than today", option.name)),
        "{text}"
    );
    assert!(text.contains("aria-sort=\"descending\"><a class=\"govuk-link pb-sort\" href=\"/funding/2026-27%20funding%20options?sort=change&dir=asc\">Change"), "{text}");
    assert!(!text.contains("Edit this scenario"), "the board reads; finance edits");
    assert_eq!(board.get(&format!("{DEMO}/edit")).await.status, StatusCode::FORBIDDEN);

    // The table as CSV, sorted by charge, lowest first: every school, the same charges as the model.
    let csv = board.get(&format!("{DEMO}/schools.csv?option=1&sort=charge&dir=asc")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("2026-27-funding-options-Basic-plus-Advanced-tier.csv")
    );
    let rows = csv_rows(&csv.body);
    let option = &result.options[1];
    assert_eq!(rows.len(), option.schools.len() + option.needs_pupil_number.len());
    let charges: Vec<rust_decimal::Decimal> =
        rows.iter().filter(|r| !r[4].is_empty()).map(|r| r[4].parse().unwrap()).collect();
    assert!(charges.windows(2).all(|w| w[0] <= w[1]), "sorted by charge, lowest first");
    let total: rust_decimal::Decimal = charges.iter().sum();
    let expected: rust_decimal::Decimal = option.by_phase.iter().map(|p| p.total.amount()).sum();
    assert_eq!(total, expected);
    for s in &option.schools {
        let row = rows.iter().find(|r| r[0] == s.urn.to_string()).unwrap();
        assert_eq!(row[4], s.charge.unwrap().amount().to_string(), "{}", s.name);
    }

    // Only the schools paying more; only one phase.
    let rises = csv_rows(&board.get(&format!("{DEMO}/schools.csv?option=0&change=rises")).await.body);
    assert_eq!(rises.len(), more);
    assert!(
        rises.iter().all(|r| r[7].parse::<rust_decimal::Decimal>().unwrap() > rust_decimal::Decimal::ZERO)
    );
    let primary = csv_rows(&board.get(&format!("{DEMO}/schools.csv?option=0&phase=Primary")).await.body);
    let in_model = result.options[0].schools.iter().chain(&result.options[0].needs_pupil_number);
    assert_eq!(primary.len(), in_model.filter(|s| s.billing_phase.label() == "Primary").count());
    assert!(primary.iter().all(|r| r[2] == "Primary"));

    // An option that is not there is not found, never quietly the first one.
    for wrong in ["7", "two", "-1"] {
        for path in [format!("{DEMO}?option={wrong}"), format!("{DEMO}/schools.csv?option={wrong}")] {
            assert_eq!(board.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
        }
    }

    // The same table as XLSX: a real workbook with the schools in it.
    let xlsx = board.get(&format!("{DEMO}/schools.xlsx?option=0")).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(
        xlsx.headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx.body.clone())).unwrap();
    let mut shared = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("xl/sharedStrings.xml").unwrap(), &mut shared)
        .unwrap();
    let first = &result.options[0].schools[0];
    assert!(
        shared.contains("Charge per pupil")
            && shared.contains(&first.name.replace('&', "&amp;").replace('\'', "&apos;")),
        "{shared}"
    );
    let mut sheet = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("xl/worksheets/sheet1.xml").unwrap(), &mut sheet)
        .unwrap();
    assert!(sheet.contains(&format!("<v>{}</v>", first.urn)));

    // The board paper: the options table, the charts' headings and the assumptions in words.
    let pdf = board.get(&format!("{DEMO}/board-paper.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    let text = crate::pdf::pdf_text(&pdf.body);
    for expected in [
        "Funding options for 2026-27".to_string(),
        "The options side by side".into(),
        "Income against the costs each option must cover".into(),
        "Surplus or deficit if fewer schools join".into(),
        "What Single partnership fee charges schools, by phase".into(),
        "Assumptions".into(),
        "Council contribution: matches school income at 0.5 to 1, up to £60,000.00.".into(),
        result.options[0].income.total.to_string(),
        result.options[2].surplus.to_string(),
        format!("The offer costs {} in all.", result.costs_total),
        "DRAFT: not yet marked final by finance".into(),
        "Decision sought".into(),
        "Who pays more or less than today".into(),
        "The figures behind the chart".into(),
        result.options[0].break_even_words.split(' ').next().unwrap_or_default().to_string(),
    ] {
        assert!(text.contains(&expected), "the board paper lacks {expected:?}:\n{text}");
    }
    assert!(!text.contains("Every amount x"), "{text}");

    // Finance writes the paper's purpose, decision and recommendation, then marks it final.
    let mut finance = app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = finance.session_csrf().await;
    let paper = format!("{DEMO}/paper");
    let early = finance
        .post_form(&paper, &[("csrf_token", &csrf), ("purpose", "To set 2026-27 fees"), ("final", "yes")])
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        early.text().contains("Write finance&#39;s recommendation")
            || early.text().contains("Write finance's recommendation")
    );
    let written = finance
        .post_form(
            &paper,
            &[
                ("csrf_token", &csrf),
                ("purpose", "To set 2026-27 fees"),
                ("decision", "Agree one membership model for 2026-27"),
                ("recommendation", "Adopt the single partnership fee"),
                ("final", "yes"),
            ],
        )
        .await;
    assert_eq!(written.status, StatusCode::SEE_OTHER, "{}", written.text());
    let final_text = crate::pdf::pdf_text(&board.get(&format!("{DEMO}/board-paper.pdf")).await.body);
    let flat = final_text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Adopt the single partnership fee") && flat.contains("Marked final on"), "{flat}");
    assert!(!flat.contains("DRAFT"), "{flat}");

    // Other roles: a school business manager sees none of it.
    let mut sbm = app.client();
    sbm.sign_in("sbm@demo.test", "demo-school-2025").await;
    for path in [DEMO.to_string(), format!("{DEMO}/board-paper.pdf"), format!("{DEMO}/schools.csv")] {
        assert_eq!(sbm.get(&path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    app.finish().await;
}
on_both_databases!(boards_compare_and_export_a_scenario, comparing_and_exporting);

/// A scenario name may hold a `/`: every link to it reaches its pages; a name longer than the
/// most allowed is refused on the form, naming the field.
async fn names_with_slashes(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let (mut client, csrf) = finance(&app).await;
    let long = "x".repeat(81);
    let refused =
        post(&mut client, "/funding/new", &csrf, &[("name", &long), ("year", "2027-28"), ("start", "empty")])
            .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("81 characters long; the most is 80"), "{}", refused.text());

    let made = post(
        &mut client,
        "/funding/new",
        &csrf,
        &[("name", "Plan A/B"), ("year", "2027-28"), ("start", "empty")],
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text());
    let edit = made.location().unwrap();
    assert_eq!(edit, "/funding/Plan%20A%2FB/edit");
    let overview = client.get(&edit).await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.text().contains("Plan A/B"));
    let list = client.get("/funding").await.text();
    assert!(list.contains("href=\"/funding/Plan%20A%2FB\""), "{list}");
    assert_eq!(client.get("/funding/Plan%20A%2FB").await.status, StatusCode::OK);
    assert!(overview.text().contains("href=\"/funding/Plan%20A%2FB/costs/new\""), "{}", overview.text());
    app.finish().await;
}
on_both_databases!(a_scenario_name_with_a_slash_keeps_working_links, names_with_slashes);
