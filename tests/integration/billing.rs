//! Billing runs and invoices on both databases: a whole termly year of the demo, trusts and
//! councils paying, a mid-year conversion, PO hold and release, re-runs, two runs at once, a
//! killed run resuming, and credit notes.

use crate::helpers::{Backend, TestApp};
use crate::on_both_databases;
use chrono::NaiveDate;
use entity::{audit_entry, invoice, invoice_line, membership, school};
use partnership_billing::domain::billing_phase::BillingPhase;
use partnership_billing::domain::fees::{Discounts, price_school};
use partnership_billing::domain::invoice::InvoiceStatus as Status;
use partnership_billing::domain::money::Money;
use partnership_billing::domain::pro_rata::Coverage;
use partnership_billing::services::billing::{self, RunSummary};
use partnership_billing::services::invoices::{self, CreditAmounts, CreditRequest, InvoiceScope};
use partnership_billing::services::partnerships::{self, Partnership};
use partnership_billing::services::{ServiceError, offers};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

async fn demo(app: &TestApp) -> Partnership {
    partnerships::find_by_slug(&app.db, "demo").await.expect("query").expect("demo")
}

async fn run(app: &TestApp, p: &Partnership, year: &str, period: &str) -> RunSummary {
    billing::commit(
        &app.db,
        p,
        year,
        period,
        partnership_billing::services::billing::RunBy::on(day(2025, 9, 1)),
        &mut |_, _| {},
    )
    .await
    .expect("the run commits")
}

/// Every issued invoice number, in sequence order, and whether they run 1, 2, 3... unbroken.
pub async fn issued_sequences(db: &DatabaseConnection) -> Vec<i64> {
    invoice::Entity::find()
        .filter(invoice::Column::Status.eq("issued"))
        .order_by_asc(invoice::Column::Sequence)
        .all(db)
        .await
        .expect("invoices")
        .into_iter()
        .filter_map(|i| i.sequence)
        .collect()
}

pub fn unbroken(sequences: &[i64]) -> bool {
    sequences.iter().enumerate().all(|(i, s)| *s == i as i64 + 1)
}

async fn school_by_urn(db: &DatabaseConnection, urn: i32) -> school::Model {
    school::Entity::find().filter(school::Column::Urn.eq(urn)).one(db).await.expect("query").expect("school")
}

async fn lines_of_school(db: &DatabaseConnection, school_id: i64) -> Vec<invoice_line::Model> {
    invoice_line::Entity::find()
        .filter(invoice_line::Column::SchoolId.eq(school_id))
        .all(db)
        .await
        .expect("lines")
}

async fn a_whole_termly_year(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let p = demo(&app).await;
    let preview = billing::plan(&app.db, &p, "2025-26", "autumn").await.expect("plan");
    assert_eq!(preview.invoices.len(), 63);
    assert!(preview.skipped.iter().any(|s| s.urn == 990_021 && s.reason == "needs pupil number"));
    assert_eq!(preview.by_phase.iter().map(|(_, m)| *m).sum::<Money>(), preview.net);
    assert_eq!(issued_sequences(&app.db).await.len(), 0, "a preview writes nothing");

    let autumn = run(&app, &p, "2025-26", "autumn").await;
    assert_eq!((autumn.invoices, autumn.issued, autumn.waiting_for_po), (63, 62, 1));
    assert_eq!(autumn.total, preview.total);
    let again = run(&app, &p, "2025-26", "autumn").await;
    assert_eq!(again.invoices, 0, "re-running a committed run raises nothing");
    assert_eq!(again.already_raised, preview.invoices.iter().map(|i| i.lines.len()).sum::<usize>());
    run(&app, &p, "2025-26", "spring").await;
    run(&app, &p, "2025-26", "summer").await;
    let sequences = issued_sequences(&app.db).await;
    assert!(unbroken(&sequences), "{sequences:?}");
    let first =
        invoice::Entity::find().filter(invoice::Column::Sequence.eq(1)).one(&app.db).await.unwrap().unwrap();
    assert_eq!(first.number.as_deref(), Some("RH-000001"));
    assert_eq!(first.due_date, Some(day(2025, 10, 1)), "30 days' terms");
    assert_eq!(first.supplier_vat_number.as_deref(), Some("GB 123 4567 89"));

    // A trust gets one invoice per period with a line per school, less the trust discount.
    let northgate = invoice::Entity::find()
        .filter(invoice::Column::PayerName.eq("Northgate Learning Trust"))
        .filter(invoice::Column::Period.eq("spring"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a Northgate spring invoice");
    let lines = invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.eq(northgate.id))
        .all(&app.db)
        .await
        .unwrap();
    assert!(lines.len() > 3);
    let schools: std::collections::HashSet<Option<i64>> = lines.iter().map(|l| l.school_id).collect();
    assert_eq!(schools.len(), lines.len(), "a line per school");
    assert!(
        lines.iter().all(|l| l.description.contains("less trust discount 5%")),
        "{:?}",
        lines[0].description
    );

    // The council pays for the maintained schools it was asked to.
    let council = invoice::Entity::find()
        .filter(invoice::Column::PayerName.eq("Riverside Council"))
        .filter(invoice::Column::Period.eq("autumn"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a council invoice");
    let council_lines = invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.eq(council.id))
        .all(&app.db)
        .await
        .unwrap();
    for line in &council_lines {
        let s = school::Entity::find_by_id(line.school_id.unwrap()).one(&app.db).await.unwrap().unwrap();
        assert!(partnership_billing::domain::school::is_maintained(&s.type_name), "{}", s.name);
    }

    // The mid-year conversion: the council pays September to December for the old school,
    // the trust pays January to August for the academy, each pro rata.
    let old = school_by_urn(&app.db, 990_011).await;
    let new = school_by_urn(&app.db, 990_149).await;
    let old_lines = lines_of_school(&app.db, old.id).await;
    let new_lines = lines_of_school(&app.db, new.id).await;
    assert_eq!(old_lines.len(), 1, "only autumn: the old school closed on 31 December");
    assert_eq!(new_lines.len(), 2, "spring and summer: the academy opened on 1 January");
    let membership = membership::Entity::find()
        .filter(membership::Column::SchoolId.eq(old.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let offer = offers::find(&app.db, p.id, "2025-26").await.unwrap().unwrap();
    let level = offer.levels.iter().find(|l| l.id == membership.level_id).unwrap();
    let pupils = Some(412);
    let council_part = price_school(
        &level.rule,
        BillingPhase::Primary,
        pupils,
        Discounts::default(),
        Coverage { covered: 4, of: 12 },
    )
    .unwrap()
    .fee;
    let trust_discount = Discounts { trust_percent: 5.into(), first_year_percent: 0.into() };
    let trust_part = price_school(
        &level.rule,
        BillingPhase::Primary,
        pupils,
        trust_discount,
        Coverage { covered: 8, of: 12 },
    )
    .unwrap()
    .fee;
    assert_eq!(Money::from_pence(old_lines[0].net_pence), council_part);
    assert_eq!(new_lines.iter().map(|l| Money::from_pence(l.net_pence)).sum::<Money>(), trust_part);

    // River Valley needs a PO: its invoices wait, numberless, until one is given.
    let held = invoice::Entity::find()
        .filter(invoice::Column::Status.eq("waiting_for_po"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(held.len(), 3);
    assert!(held.iter().all(|i| i.number.is_none() && i.payer_name == "River Valley Academies"));
    let issued_before = sequences.len() as i64;
    let numbers = billing::release_with_po(
        &app.db,
        &p,
        held[0].payer_id,
        "2025-26",
        "PO-RV-2025-118",
        None,
        day(2025, 9, 20).and_hms_opt(9, 0, 0).unwrap().and_utc(),
    )
    .await
    .unwrap();
    assert_eq!(numbers.len(), 3);
    let sequences = issued_sequences(&app.db).await;
    assert!(unbroken(&sequences));
    assert_eq!(sequences.len() as i64, issued_before + 3);
    let released = invoice::Entity::find_by_id(held[0].id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(released.po_number.as_deref(), Some("PO-RV-2025-118"));
    assert_eq!(released.issue_date, Some(day(2025, 9, 20)));
    app.finish().await;
}
on_both_databases!(a_whole_termly_year_of_the_demo, a_whole_termly_year);

async fn two_runs_at_once(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let p = demo(&app).await;
    let start = |db: DatabaseConnection, p: Partnership| {
        tokio::spawn(async move {
            billing::commit(
                &db,
                &p,
                "2025-26",
                "autumn",
                partnership_billing::services::billing::RunBy::on(day(2025, 9, 1)),
                &mut |_, _| {},
            )
            .await
        })
    };
    let first = start(app.db.clone(), p.clone());
    let second = start(app.db.clone(), p.clone());
    let a = first.await.expect("first task").expect("first run");
    let b = second.await.expect("second task").expect("second run");
    assert_eq!(
        a.invoices + b.invoices,
        63,
        "together they raise each invoice once: {} + {}",
        a.invoices,
        b.invoices
    );
    let sequences = issued_sequences(&app.db).await;
    assert_eq!(sequences.len(), 62);
    assert!(unbroken(&sequences), "{sequences:?}");
    let all = invoice::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(all.len(), 63);
    app.finish().await;
}
on_both_databases!(two_runs_at_once_raise_nothing_twice, two_runs_at_once);

async fn annual_billing(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let p = demo(&app).await;
    let wrong = billing::plan(&app.db, &p, "2026-27", "autumn").await.unwrap_err();
    assert!(
        wrong.to_string().contains("\"autumn\" is not a billing period of 2026-27's annual plan (annual)"),
        "{wrong}"
    );
    let missing = billing::plan(&app.db, &p, "2030-31", "annual").await.unwrap_err();
    assert!(missing.to_string().contains("there is no membership offer for 2030-31"));
    let summary = billing::commit(
        &app.db,
        &p,
        "2026-27",
        "annual",
        partnership_billing::services::billing::RunBy::on(day(2026, 8, 15)),
        &mut |_, _| {},
    )
    .await
    .unwrap();
    assert!(summary.invoices > 50);
    let one = invoice::Entity::find()
        .filter(invoice::Column::Status.eq("issued"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((one.period_start, one.period_end), (day(2026, 9, 1), day(2027, 8, 31)));
    assert_eq!(
        Money::from_pence(one.gross_pence),
        Money::from_pence(one.net_pence) + Money::from_pence(one.vat_pence)
    );
    // The invoice list offers every payer to choose from while there are few; beyond the limit
    // only the payer already chosen (the search box finds the rest).
    use partnership_billing::services::payers::payers_to_choose;
    let all = payers_to_choose(&app.db, p.id, 1000, None).await.unwrap();
    assert!(all.len() > 50 && all.windows(2).all(|w| w[0].name <= w[1].name));
    let limit = all.len() as u64;
    assert_eq!(payers_to_choose(&app.db, p.id, limit, None).await.unwrap().len(), all.len());
    assert!(payers_to_choose(&app.db, p.id, limit - 1, None).await.unwrap().is_empty());
    let chosen = payers_to_choose(&app.db, p.id, 2, Some(one.payer_id)).await.unwrap();
    assert_eq!(chosen.iter().map(|c| c.id).collect::<Vec<_>>(), [one.payer_id]);
    app.finish().await;
}
on_both_databases!(annual_billing_for_the_next_year, annual_billing);

async fn credit_notes(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let p = demo(&app).await;
    run(&app, &p, "2025-26", "autumn").await;
    let today = day(2025, 10, 1);
    let first =
        invoice::Entity::find().filter(invoice::Column::Sequence.eq(1)).one(&app.db).await.unwrap().unwrap();
    let view = invoices::get(&app.db, p.id, first.id, &InvoiceScope::All, today).await.unwrap();
    let line = &view.lines[0];
    let partial = CreditAmounts::Lines(vec![(line.id, Money::parse("100.00").unwrap())]);
    let note =
        invoices::credit(&app.db, &p, first.id, &partial, req("Two adviser days not delivered", today))
            .await
            .unwrap();
    assert_eq!(note.number, "RHC-000001");
    assert_eq!((note.net_pence, note.vat_pence, note.gross_pence), (10_000, 2000, 12_000));
    let after = invoices::get(&app.db, p.id, first.id, &InvoiceScope::All, today).await.unwrap();
    assert_eq!(after.outstanding, view.outstanding - Money::parse("120.00").unwrap());
    assert_eq!(after.lines[0].credited, Money::parse("100.00").unwrap());

    let too_much = CreditAmounts::Lines(vec![(line.id, line.net)]);
    let refused =
        invoices::credit(&app.db, &p, first.id, &too_much, req("too much", today)).await.unwrap_err();
    assert!(matches!(refused, ServiceError::Invalid(_)), "{refused}");
    assert!(refused.to_string().contains("left to credit"), "{refused}");
    let no_reason = invoices::credit(&app.db, &p, first.id, &CreditAmounts::Everything, req(" ", today))
        .await
        .unwrap_err();
    assert!(no_reason.to_string().contains("Say why"));

    // An amount spreads over the lines in order.
    let by_amount = invoices::credit(
        &app.db,
        &p,
        first.id,
        &CreditAmounts::Amount(Money::parse("50.00").unwrap()),
        partnership_billing::services::invoices::CreditRequest {
            reason: "Goodwill",
            user_id: None,
            today,
            now: chrono::Utc::now(),
        },
    )
    .await
    .unwrap();
    assert_eq!((by_amount.net_pence, by_amount.vat_pence), (5000, 1000));
    let over = invoices::credit(
        &app.db,
        &p,
        first.id,
        &CreditAmounts::Amount(Money::parse("99999999.00").unwrap()),
        partnership_billing::services::invoices::CreditRequest {
            reason: "too much",
            user_id: None,
            today,
            now: chrono::Utc::now(),
        },
    )
    .await
    .unwrap_err();
    assert!(over.to_string().contains("left to credit"), "{over}");

    // Voiding credits everything left, VAT included, to the penny.
    let void =
        invoices::credit(&app.db, &p, first.id, &CreditAmounts::Everything, req("Raised in error", today))
            .await
            .unwrap();
    assert_eq!(void.number, "RHC-000003");
    let voided = invoices::get(&app.db, p.id, first.id, &InvoiceScope::All, today).await.unwrap();
    assert_eq!(voided.outstanding, Money::ZERO);
    assert_eq!(voided.credited, voided.totals.gross);
    assert_eq!(voided.credit_notes.len(), 3);
    let nothing = invoices::credit(&app.db, &p, first.id, &CreditAmounts::Everything, req("again", today))
        .await
        .unwrap_err();
    assert!(nothing.to_string().contains("more than £0.00"), "{nothing}");

    // A held invoice has no number yet, so it cannot be credited.
    let held = invoice::Entity::find()
        .filter(invoice::Column::Status.eq("waiting_for_po"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let conflict = invoices::credit(&app.db, &p, held.id, &CreditAmounts::Everything, req("x", today))
        .await
        .unwrap_err();
    assert!(matches!(conflict, ServiceError::Conflict(_)));

    // Every money-changing action is in the audit log, with before and after.
    let log = audit_entry::Entity::find()
        .filter(audit_entry::Column::PartnershipId.eq(p.id))
        .all(&app.db)
        .await
        .unwrap();
    for action in [
        "offer.created",
        "membership.joined",
        "invoices.issued",
        "invoice.credited",
        "invoice.credited_in_full",
    ] {
        assert!(log.iter().any(|e| e.action == action), "no {action} in the audit log");
    }
    let batch = log.iter().find(|e| e.action == "invoices.issued").unwrap();
    assert!(
        batch.after_json.as_deref().unwrap_or_default().contains("RH-000001 to RH-000062"),
        "{:?}",
        batch.after_json
    );
    let first_credit = log
        .iter()
        .filter(|e| e.action == "invoice.credited")
        .find(|e| e.after_json.as_deref().unwrap_or_default().contains("RHC-000001"))
        .expect("the first credit note is in the audit log");
    assert!(first_credit.before_json.as_deref().unwrap_or_default().contains("outstanding"));
    assert!(
        first_credit.after_json.as_deref().unwrap_or_default().contains("Two adviser days not delivered")
    );

    // Lists filter by status and search by number or school.
    let issued = invoices::list(
        &app.db,
        p.id,
        &InvoiceScope::All,
        &invoices::InvoiceFilter { status: Some(Status::Issued), ..Default::default() },
        today,
        1,
        500,
    )
    .await
    .unwrap();
    assert_eq!(issued.total, 62);
    let by_number = invoices::list(
        &app.db,
        p.id,
        &InvoiceScope::All,
        &invoices::InvoiceFilter { q: Some("rh-000002".into()), ..Default::default() },
        today,
        1,
        50,
    )
    .await
    .unwrap();
    assert_eq!(by_number.total, 1);
    let overdue = invoices::list(
        &app.db,
        p.id,
        &InvoiceScope::All,
        &invoices::InvoiceFilter { overdue: true, ..Default::default() },
        day(2025, 11, 1),
        1,
        50,
    )
    .await
    .unwrap();
    assert_eq!(overdue.invoices.len(), 50, "a page holds 50");
    assert_eq!(
        overdue.total, 61,
        "everything issued on 1 September is overdue on 1 November, except the voided one"
    );
    app.finish().await;
}
on_both_databases!(credit_notes_never_exceed_the_invoice, credit_notes);

fn req(reason: &str, today: NaiveDate) -> CreditRequest<'_> {
    CreditRequest { reason, user_id: None, today, now: chrono::Utc::now() }
}

/// A change of level on 15 January: January is charged once, at the level held on 1 January,
/// and the rest of the year at the new level; across the three terms every month is charged once.
async fn mid_month_change(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let p = demo(&app).await;
    run(&app, &p, "2025-26", "autumn").await;
    let school = school_by_urn(&app.db, 990_003).await;
    let current = membership::Entity::find()
        .filter(membership::Column::SchoolId.eq(school.id))
        .order_by_asc(membership::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("the demo school is a member");
    let level =
        entity::offer_level::Entity::find_by_id(current.level_id).one(&app.db).await.unwrap().unwrap();
    let other = if level.name == "Standard" { "Core" } else { "Standard" };
    partnership_billing::services::memberships::change_level(
        &app.db,
        p.id,
        current.id,
        other,
        day(2026, 1, 15),
        None,
    )
    .await
    .unwrap();
    run(&app, &p, "2025-26", "spring").await;
    run(&app, &p, "2025-26", "summer").await;
    let lines = lines_of_school(&app.db, school.id).await;
    let months = |text: &str| -> u32 {
        let at = text.rfind('(').expect("a share in brackets");
        text[at + 1..].split(' ').next().unwrap().parse().unwrap()
    };
    let total: u32 = lines.iter().map(|l| months(&l.description)).sum();
    assert_eq!(total, 12, "{:#?}", lines.iter().map(|l| &l.description).collect::<Vec<_>>());
    let spring: Vec<&invoice_line::Model> =
        lines.iter().filter(|l| l.description.contains("spring term")).collect();
    assert_eq!(spring.len(), 2, "the old level's January and the new level's February to April");
    let old = spring.iter().find(|l| l.description.contains(&format!(", {}: ", level.name))).unwrap();
    assert!(old.description.ends_with("(1 of 12 months)"), "{}", old.description);
    let new = spring.iter().find(|l| l.description.contains(&format!(", {other}: "))).unwrap();
    assert!(new.description.ends_with("(3 of 12 months)"), "{}", new.description);
    app.finish().await;
}
on_both_databases!(a_change_of_level_mid_month_loses_no_month, mid_month_change);

/// The billing page offers the period due next, and the chosen year's periods as radios with
/// what each has billed; no period chosen is a clear error.
async fn billing_page_periods(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let p = demo(&app).await;
    let mut client = app.client();
    client.sign_in("finance@demo.test", "demo-finance-2025").await;
    let page = client.get("/billing").await.text();
    assert!(page.contains("Due next: 2025-26 autumn term, from 1 September 2025."), "{page}");
    assert!(page.contains("<option value=\"2025-26\" selected>"), "{page}");
    assert!(page.contains("type=\"radio\" value=\"autumn\" checked"), "{page}");
    assert!(page.contains("Spring term (1 January 2026 to 30 April 2026)"), "{page}");
    run(&app, &p, "2025-26", "autumn").await;
    let page = client.get("/billing").await.text();
    assert!(page.contains("type=\"radio\" value=\"spring\" checked"), "{page}");
    assert!(page.contains("Billed: 63 invoices so far."), "{page}");
    let next = client.get("/billing?year=2026-27").await.text();
    assert!(next.contains("Full year (1 September 2026 to 31 August 2027)"), "{next}");
    assert!(!next.contains("value=\"spring\""), "2026-27 is billed annually: {next}");
    let every = client.get("/billing/runs").await.text();
    assert!(every.contains("1 run, newest first") && every.contains("href=\"/billing/runs/"), "{every}");
    assert_eq!(client.get("/billing/runs?page=x").await.status, axum::http::StatusCode::BAD_REQUEST);
    let none = client.get("/billing/preview?year=2025-26&period=").await;
    assert_eq!(none.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none.text().contains("Choose the billing period to run"), "{}", none.text());
    app.finish().await;
}

on_both_databases!(the_billing_page_offers_the_period_due_next, billing_page_periods);
