//! Contracts and grants through the API: every schedule kind adding up exactly, a preview that
//! saves nothing, matched funding worked out from the ledger net of credit notes, a variation
//! mid-contract, milestones invoiced when signed off, the job raising each instalment once
//! across repeated and concurrent runs, and a commissioner who sees only their council's.

use crate::billing::{issued_sequences, unbroken};
use crate::ledger::Books;
use crate::on_both_databases;
use axum::http::StatusCode;
use entity::{invoice, invoice_line, local_authority, school};
use partnership_billing::jobs::{self, Job, JobContext, Trigger};
use partnership_billing::services::{contracts, partnerships};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

async fn council(books: &Books, code: &str) -> i64 {
    local_authority::Entity::find()
        .filter(local_authority::Column::Code.eq(code))
        .one(&books.app.db)
        .await
        .unwrap()
        .expect("a demo council")
        .id
}

fn pence(v: &Value) -> i64 {
    let text = v.as_str().unwrap_or_else(|| panic!("an amount, not {v}"));
    let (pounds, p) = text.split_once('.').unwrap();
    pounds.parse::<i64>().unwrap() * 100 + p.parse::<i64>().unwrap()
}

/// Each contract year's instalments summed, in pence, leaving out those replaced.
fn by_year(c: &Value) -> Vec<(i64, i64)> {
    let mut out: std::collections::BTreeMap<i64, i64> = Default::default();
    for i in c["instalments"].as_array().unwrap() {
        if i["state"] != "cancelled" {
            *out.entry(i["contract_year"].as_i64().unwrap()).or_default() += pence(&i["amount"]);
        }
    }
    out.into_iter().collect()
}

fn commission(la: i64, title: &str) -> Value {
    json!({ "local_authority_id": la, "stream": "la_commission", "title": title, "reference": "CON-2026-014",
        "start_date": "2026-04-01", "end_date": "2029-03-31", "schedule": "fixed", "frequency": "quarterly",
        "timing": "in_advance", "yearly_values": ["600000.00", "600000.00", "600000.00"] })
}

async fn create(books: &Books, body: Value) -> Value {
    let (status, made) = books.post("/api/v1/contracts", body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    made
}

async fn schedules(backend: crate::helpers::Backend) {
    let books = Books::unbilled(backend).await;
    let riverside = council(&books, "990").await;

    // A preview shows the schedule and saves nothing.
    let (status, preview) = books.post("/api/v1/contracts/preview", commission(riverside, "Preview")).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(
        (preview["value"].as_str(), preview["instalments"].as_array().map(Vec::len)),
        (Some("1800000.00"), Some(12))
    );
    assert_eq!(books.get("/api/v1/contracts").await["total"], 0, "a preview saves nothing");

    // Three years quarterly in advance.
    let c = create(&books, commission(riverside, "School improvement service")).await;
    assert_eq!(c["instalments"].as_array().unwrap().len(), 12);
    assert_eq!(by_year(&c), vec![(1, 60_000_000), (2, 60_000_000), (3, 60_000_000)]);
    assert_eq!(c["instalments"][0]["due_on"], "2026-04-01");
    assert_eq!(c["instalments"][11]["due_on"], "2029-01-01");
    assert_eq!(c["counterparty"], "Riverside Council");
    assert_eq!(c["vat_rate"], "standard", "a commission is standard-rated unless said otherwise");
    assert_eq!(c["totals"]["to_invoice"], "1800000.00");

    // Central schools money falling to nothing, in arrears, in a year that does not divide.
    let declining = create(
        &books,
        json!({ "local_authority_id": council(&books, "991").await, "stream": "la_commission", "title": "Central schools money",
            "start_date": "2026-09-01", "end_date": "2031-08-31", "schedule": "fixed", "frequency": "monthly", "timing": "in_arrears",
            "yearly_values": ["300000.00", "225000.00", "150000.00", "75000.01", "0.00"] }),
    )
    .await;
    assert_eq!(
        by_year(&declining),
        vec![(1, 30_000_000), (2, 22_500_000), (3, 15_000_000), (4, 7_500_001)],
        "each year adds up exactly; the year worth nothing has no instalments"
    );
    assert_eq!(declining["instalments"].as_array().unwrap().len(), 48);
    assert_eq!(declining["instalments"][0]["due_on"], "2026-09-30", "in arrears: at the end of the month");

    // A grant on named dates: outside the scope of VAT by default, and only that.
    let grant = json!({ "counterparty_name": "Department for Education", "counterparty_address": "Sanctuary Buildings\nLondon\nSW1P 3BT",
        "stream": "grant", "title": "SSIF maths", "start_date": "2026-09-01", "end_date": "2028-08-31", "schedule": "named_dates",
        "dates": [{ "due_on": "2026-10-15", "amount": "250000.00" }, { "due_on": "2027-10-15", "amount": "249999.99" }] });
    let g = create(&books, grant.clone()).await;
    assert_eq!(
        (g["vat_rate"].as_str(), g["totals"]["value"].as_str()),
        (Some("outside_scope"), Some("499999.99"))
    );
    assert_eq!(by_year(&g), vec![(1, 25_000_000), (2, 24_999_999)]);
    let mut standard = grant.clone();
    standard["vat_rate"] = json!("standard");
    let (status, refused) = books.post("/api/v1/contracts", standard).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["fields"][0]["field"], "vat_rate", "{refused}");

    // Milestones: amounts released when deliverables are signed off; nothing due before.
    let m = create(
        &books,
        json!({ "counterparty_name": "North Riverside ICB", "counterparty_address": "1 Health Way\nRiverside", "stream": "other_commission",
            "title": "Mental health pilot", "start_date": "2026-11-01", "end_date": "2027-10-31", "schedule": "milestones",
            "deliverables": [{ "title": "Baseline survey", "due_on": "2027-01-31", "amount": "15000.00" },
                             { "title": "Evaluation", "due_on": "2027-10-31", "amount": "10000.00" },
                             { "title": "Termly progress note", "due_on": "2027-04-30" }] }),
    )
    .await;
    assert_eq!(m["instalments"].as_array().unwrap().len(), 2);
    assert!(m["instalments"].as_array().unwrap().iter().all(|i| i["due_on"].is_null()));
    assert_eq!(m["totals"]["value"], "25000.00");

    // Bad input names the field, and nothing is saved.
    let before = books.get("/api/v1/contracts").await["total"].clone();
    let mut bad = commission(riverside, "Bad");
    bad["end_date"] = json!("2029-03-30");
    let (status, e) = books.post("/api/v1/contracts", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["fields"][0]["field"], "end_date", "{e}");
    assert!(e["error"]["fields"][0]["message"].as_str().unwrap().contains("runs whole years"), "{e}");
    let mut two_years = commission(riverside, "Bad");
    two_years["yearly_values"] = json!(["1.00", "2.00"]);
    let (status, e) = books.post("/api/v1/contracts", two_years).await;
    assert_eq!(
        (status, e["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("yearly_values"))
    );
    let mut both = commission(riverside, "Bad");
    both["counterparty_name"] = json!("Someone");
    assert_eq!(books.post("/api/v1/contracts", both).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let mut huge = commission(riverside, "Bad");
    huge["yearly_values"] = json!(["1000000000000.00", "1.00", "1.00"]);
    assert_eq!(books.post("/api/v1/contracts", huge).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let mut nowhere = commission(9_999_999, "Bad");
    nowhere["title"] = json!("No such council");
    assert_eq!(books.post("/api/v1/contracts", nowhere).await.0, StatusCode::NOT_FOUND);
    assert_eq!(books.get("/api/v1/contracts").await["total"], before, "nothing saved");
    books.app.finish().await;
}
on_both_databases!(every_schedule_adds_up_exactly_and_bad_contracts_are_refused, schedules);

fn context(books: &Books) -> JobContext {
    JobContext {
        db: books.app.db.clone(),
        mailer: books.app.state.settings.mailer.clone(),
        payments: books.app.state.settings.payments.clone(),
        public_url: "https://billing.example".into(),
        instance: "test".into(),
    }
}

fn at(y: i32, m: u32, d: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(5, 30, 0).unwrap().and_utc()
}

async fn job(backend: crate::helpers::Backend) {
    let books = Books::unbilled(backend).await;
    let c = create(&books, commission(council(&books, "990").await, "School improvement service")).await;
    let id = c["id"].as_i64().unwrap();
    let p = partnerships::list(&books.app.db).await.unwrap().remove(0);
    let ctx = context(&books);
    let run = |now: chrono::DateTime<chrono::Utc>| {
        let (ctx, p) = (ctx.clone(), p.clone());
        async move {
            jobs::run(&ctx, Job::ContractInvoicing, &p, now.date_naive(), now, Trigger::CommandLine, None)
                .await
                .unwrap()
        }
    };
    // On 1 July 2026: April's and July's quarters.
    let first = run(at(2026, 7, 1)).await;
    assert!(first.summary.starts_with("Raised 2 invoices"), "{}", first.summary);
    let again = run(at(2026, 7, 1)).await;
    assert!(again.summary.starts_with("Raised 0 invoices"), "run again, nothing twice: {}", again.summary);

    // Four runs at once on 1 October: the quarter is invoiced once.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (db, p) = (books.app.db.clone(), p.clone());
        tasks.push(tokio::spawn(async move {
            contracts::raise_due(&db, &p, at(2026, 10, 1).date_naive(), at(2026, 10, 1))
                .await
                .unwrap()
                .invoices
        }));
    }
    let mut raised = 0;
    for t in tasks {
        raised += t.await.unwrap();
    }
    assert_eq!(raised, 1, "concurrent runs raise the October quarter once");

    let c = books.get(&format!("/api/v1/contracts/{id}")).await;
    let invoiced: Vec<&Value> =
        c["instalments"].as_array().unwrap().iter().filter(|i| i["state"] == "invoiced").collect();
    assert_eq!(invoiced.len(), 3);
    assert_eq!(c["totals"]["invoiced"], "450000.00");
    assert_eq!(c["totals"]["outstanding"], "540000.00", "with VAT at 20%");
    let inv = books.invoice(invoiced[0]["invoice_id"].as_i64().unwrap()).await;
    assert_eq!(inv["po_number"], "CON-2026-014", "the contract's reference is printed on its invoices");
    assert_eq!(inv["payer_name"], "Riverside Council");
    assert_eq!(
        (inv["period_start"].as_str(), inv["period_end"].as_str()),
        (Some("2026-04-01"), Some("2026-06-30"))
    );
    assert_eq!(inv["totals"]["gross"], "180000.00");
    assert!(
        inv["lines"][0]["description"]
            .as_str()
            .unwrap()
            .contains("1 April 2026 to 30 June 2026 (year 1 of 3)"),
        "{inv}"
    );
    let numbers: Vec<i64> = issued_sequences(&books.app.db).await;
    assert!(unbroken(&numbers), "{numbers:?}");

    // By hand: January's quarter now, before its date; then again is a conflict.
    let january = c["instalments"][3]["id"].as_i64().unwrap();
    let path = format!("/api/v1/contracts/{id}/instalments/{january}/invoice");
    let (status, now) = books.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{now}");
    assert_eq!(now["instalments"][3]["state"], "invoiced");
    assert_eq!(books.post(&path, json!({})).await.0, StatusCode::CONFLICT);
    books.check().await;
    books.app.finish().await;
}
on_both_databases!(the_job_raises_each_instalment_once_across_repeated_and_concurrent_runs, job);

async fn matched(backend: crate::helpers::Backend) {
    let books = Books::new(backend).await;
    let db = &books.app.db;
    let riverside = council(&books, "990").await;
    // What Riverside's schools were invoiced for 2026-27 membership, worked out here from the
    // lines themselves, less a credit note on one of them.
    let schools: Vec<i64> = school::Entity::find()
        .filter(school::Column::LocalAuthorityId.eq(riverside))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    let issued: Vec<i64> = invoice::Entity::find()
        .filter(invoice::Column::Year.eq("2026-27"))
        .filter(invoice::Column::Status.eq("issued"))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    let lines: Vec<invoice_line::Model> = invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.is_in(issued))
        .filter(invoice_line::Column::SourceKind.eq("membership"))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.school_id.is_some_and(|s| schools.contains(&s)))
        .collect();
    let invoiced: i64 = lines.iter().map(|l| l.net_pence).sum();
    assert!(invoiced > 0);
    let credited = &lines[0];
    let (status, note) = books
        .post(
            &format!("/api/v1/invoices/{}/credit-notes", credited.invoice_id),
            json!({ "reason": "pupil number corrected", "lines": [{ "line_id": credited.id, "amount": "100.00" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    let paid = invoiced - 10_000;
    let half = |p: i64| (p + 1) / 2;

    let c = create(
        &books,
        json!({ "local_authority_id": riverside, "stream": "la_commission", "title": "Matched funding",
            "start_date": "2026-09-01", "end_date": "2027-08-31", "schedule": "matched", "matched_year": "2026-27",
            "matched_ratio": "0.5", "invoice_on": "2027-08-31" }),
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    assert!(c["instalments"][0]["amount"].is_null(), "worked out when due");
    let p = partnerships::list(db).await.unwrap().remove(0);
    let done = contracts::raise_due(db, &p, at(2027, 8, 31).date_naive(), at(2027, 8, 31)).await.unwrap();
    assert_eq!(done.invoices, 1);
    let c = books.get(&format!("/api/v1/contracts/{id}")).await;
    let i = &c["instalments"][0];
    assert_eq!(pence(&i["amount"]), half(paid), "half of what was invoiced, net of the credit note: {i}");
    let inv = books.invoice(i["invoice_id"].as_i64().unwrap()).await;
    let description = inv["lines"][0]["description"].as_str().unwrap();
    assert!(
        description.contains("50% of £") && description.contains("net of credit notes"),
        "the working: {description}"
    );

    // With a cap below half, the cap.
    let capped = create(
        &books,
        json!({ "local_authority_id": riverside, "stream": "la_commission", "title": "Matched funding, capped",
            "start_date": "2026-09-01", "end_date": "2027-08-31", "schedule": "matched", "matched_year": "2026-27",
            "matched_ratio": "0.5", "matched_cap": "10.00", "invoice_on": "2027-08-31" }),
    )
    .await;
    let cid = capped["id"].as_i64().unwrap();
    contracts::raise_due(db, &p, at(2027, 8, 31).date_naive(), at(2027, 8, 31)).await.unwrap();
    let capped = books.get(&format!("/api/v1/contracts/{cid}")).await;
    assert_eq!(capped["instalments"][0]["amount"], "10.00");
    assert!(capped["instalments"][0]["working"].as_str().unwrap().contains("capped at £10.00"), "{capped}");
    // The board's summary: membership, council commissions and council money for the year.
    let all: Vec<invoice::Model> = invoice::Entity::find()
        .filter(invoice::Column::Year.eq("2026-27"))
        .filter(invoice::Column::Status.eq("issued"))
        .all(db)
        .await
        .unwrap();
    let council_payers: Vec<i64> = entity::payer::Entity::find()
        .filter(entity::payer::Column::Kind.eq("council"))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    let membership: i64 =
        all.iter().filter(|i| i.billing_run_id.is_some()).map(|i| i.net_pence).sum::<i64>() - 10_000;
    let commissions = half(paid) + 1_000;
    let council_money: i64 =
        all.iter().filter(|i| council_payers.contains(&i.payer_id)).map(|i| i.net_pence).sum::<i64>()
            - if council_payers.contains(
                &invoice::Entity::find_by_id(credited.invoice_id).one(db).await.unwrap().unwrap().payer_id,
            ) {
                10_000
            } else {
                0
            };
    let summary = books.get("/api/v1/contracts/summary").await;
    let year = summary["years"]
        .as_array()
        .unwrap()
        .iter()
        .find(|y| y["year"] == "2026-27")
        .expect("2026-27")
        .clone();
    assert_eq!(pence(&year["memberships"]), membership, "{year}");
    assert_eq!(pence(&year["la_commissions"]), commissions, "{year}");
    assert_eq!(pence(&year["council_money"]), council_money, "{year}");
    assert_eq!(pence(&year["total"]), membership + commissions, "{year}");
    assert!(year["council_share"].as_str().is_some(), "{year}");
    books.check().await;
    books.app.finish().await;
}
on_both_databases!(matched_funding_is_worked_out_from_the_ledger_net_of_credit_notes, matched);

async fn variation(backend: crate::helpers::Backend) {
    let books = Books::unbilled(backend).await;
    let mut body = commission(council(&books, "990").await, "Two years");
    body["end_date"] = json!("2028-03-31");
    body["yearly_values"] = json!(["600000.00", "600000.00"]);
    let c = create(&books, body).await;
    let id = c["id"].as_i64().unwrap();
    let p = partnerships::list(&books.app.db).await.unwrap().remove(0);
    contracts::raise_due(&books.app.db, &p, at(2026, 7, 1).date_naive(), at(2026, 7, 1)).await.unwrap();
    let before = books.get(&format!("/api/v1/contracts/{id}")).await;
    let invoice_id = before["instalments"][0]["invoice_id"].as_i64().unwrap();
    let issued = books.invoice(invoice_id).await;

    // A preview shows what the cut would do and changes nothing.
    let preview = books
        .get(&format!("/api/v1/contracts/{id}/schedule/preview?yearly_values=500000.00,400000.00&effective_from=2026-10-01"))
        .await;
    assert_eq!(by_year(&preview), vec![(1, 50_000_000), (2, 40_000_000)], "{preview}");
    assert_eq!(
        by_year(&books.get(&format!("/api/v1/contracts/{id}")).await),
        vec![(1, 60_000_000), (2, 60_000_000)]
    );

    // From 1 October the council cuts year 1 to £500,000 and year 2 to £400,000.
    let (status, varied) = books
        .post(
            &format!("/api/v1/contracts/{id}/variations"),
            json!({ "yearly_values": ["500000.00", "400000.00"], "effective_from": "2026-10-01", "reason": "The council's budget was cut" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{varied}");
    assert_eq!(by_year(&varied), vec![(1, 50_000_000), (2, 40_000_000)]);
    let live: Vec<&Value> =
        varied["instalments"].as_array().unwrap().iter().filter(|i| i["state"] != "cancelled").collect();
    assert_eq!(live.iter().filter(|i| i["state"] == "invoiced").count(), 2, "April and July stay invoiced");
    let october = live.iter().find(|i| i["due_on"] == "2026-10-01").unwrap();
    assert_eq!(october["amount"], "100000.00", "year 1's £200,000 left over two quarters");
    assert_eq!(varied["variations"][0]["reason"], "The council's budget was cut");
    assert_eq!(
        (varied["variations"][0]["old_value"].as_str(), varied["variations"][0]["new_value"].as_str()),
        (Some("1200000.00"), Some("900000.00"))
    );
    assert_eq!(
        books.invoice(invoice_id).await["totals"],
        issued["totals"],
        "issued invoices stay as they are"
    );
    let log = books.get("/api/v1/audit?kind=contracts").await;
    let said: Vec<&str> =
        log["entries"].as_array().unwrap().iter().map(|e| e["sentence"].as_str().unwrap()).collect();
    let varied = "varied the contract Two years from 1 October 2026: £1,200,000.00 to £900,000.00 (The council's budget was cut)";
    assert!(said.iter().any(|s| s.contains(varied)), "who, when and why: {said:?}");

    // Cutting below what is already invoiced is refused, naming why.
    let (status, e) = books
        .post(
            &format!("/api/v1/contracts/{id}/variations"),
            json!({ "yearly_values": ["100000.00", "400000.00"], "effective_from": "2026-10-01", "reason": "Too far" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("already invoiced or due before 1 October 2026"),
        "{e}"
    );
    // The job then raises the new amount, once.
    contracts::raise_due(&books.app.db, &p, at(2026, 10, 1).date_naive(), at(2026, 10, 1)).await.unwrap();
    let after = books.get(&format!("/api/v1/contracts/{id}")).await;
    assert_eq!(after["totals"]["invoiced"], "400000.00", "150,000 + 150,000 + 100,000");
    books.check().await;
    books.app.finish().await;
}
on_both_databases!(a_variation_changes_only_later_instalments, variation);

async fn milestones(backend: crate::helpers::Backend) {
    let mut books = Books::unbilled(backend).await;
    books.app = books.app.on_day(chrono::NaiveDate::from_ymd_opt(2027, 1, 10).unwrap());
    let c = create(
        &books,
        json!({ "counterparty_name": "North Riverside ICB", "counterparty_address": "1 Health Way\nRiverside", "stream": "other_commission",
            "title": "Mental health pilot", "start_date": "2026-11-01", "end_date": "2027-10-31", "schedule": "milestones",
            "deliverables": [{ "title": "Baseline survey", "due_on": "2027-01-31", "amount": "15000.00" }] }),
    )
    .await;
    let (id, d) = (c["id"].as_i64().unwrap(), c["deliverables"][0]["id"].as_i64().unwrap());
    let mut finance = crate::cards::sign_in(&books.app, "finance@demo.test").await;
    let home = finance.get("/").await.text();
    assert!(home.contains("1 contract deliverable or report due within a month or overdue"), "{home}");
    let path = format!("/api/v1/contracts/{id}/milestones/{d}/complete");
    let (status, e) = books.post(&path, json!({ "note": "  " })).await;
    assert_eq!(
        (status, e["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("note"))
    );
    let (status, done) = books.post(&path, json!({ "note": "Survey of 42 schools reported" })).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["deliverables"][0]["note"], "Survey of 42 schools reported");
    let i = &done["instalments"][0];
    assert_eq!(i["state"], "invoiced", "signing off invoices the milestone at once");
    let inv = books.invoice(i["invoice_id"].as_i64().unwrap()).await;
    assert_eq!(
        (inv["payer_name"].as_str(), inv["totals"]["gross"].as_str()),
        (Some("North Riverside ICB"), Some("18000.00"))
    );
    assert_eq!(books.post(&path, json!({ "note": "again" })).await.0, StatusCode::CONFLICT);
    let home = finance.get("/").await.text();
    assert!(!home.contains("contract deliverable"), "signed off, no longer waiting: {home}");
    books.app.finish().await;
}
on_both_databases!(a_milestone_is_invoiced_when_signed_off, milestones);

async fn commissioner(backend: crate::helpers::Backend) {
    let books = Books::unbilled(backend).await;
    let (riverside, hillbrook) = (council(&books, "990").await, council(&books, "991").await);
    let own = create(&books, commission(riverside, "Riverside's")).await;
    let other = create(&books, commission(hillbrook, "Hillbrook's")).await;
    let p = partnerships::list(&books.app.db).await.unwrap().remove(0);
    contracts::raise_due(&books.app.db, &p, at(2026, 4, 1).date_naive(), at(2026, 4, 1)).await.unwrap();
    let own = books.get(&format!("/api/v1/contracts/{}", own["id"])).await;
    let other = books.get(&format!("/api/v1/contracts/{}", other["id"])).await;
    assert_eq!(own["receives_invoices"][0], "Colin Reid <council@demo.test>");
    assert_eq!(own["billing_emails"], "council@demo.test", "the commissioner receives its invoices by email");

    // The demo's commissioner is Riverside's.
    let mut client = crate::cards::sign_in(&books.app, "council@demo.test").await;
    let list = client.get("/api/v1/contracts").await.json();
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["contracts"][0]["title"], "Riverside's");
    assert_eq!(client.get(&format!("/api/v1/contracts/{}", own["id"])).await.status, StatusCode::OK);
    assert_eq!(client.get(&format!("/api/v1/contracts/{}", other["id"])).await.status, StatusCode::NOT_FOUND);
    let own_invoice = own["instalments"][0]["invoice_id"].as_i64().unwrap();
    let other_invoice = other["instalments"][0]["invoice_id"].as_i64().unwrap();
    assert_eq!(client.get(&format!("/api/v1/invoices/{own_invoice}/pdf")).await.status, StatusCode::OK);
    assert_eq!(client.get(&format!("/api/v1/invoices/{other_invoice}")).await.status, StatusCode::NOT_FOUND);
    let page = client.get(&format!("/contracts/{}", own["id"])).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Statement of account for Riverside Council"));
    assert!(!page.text().contains("Vary the contract"), "a commissioner reads; finance varies");
    assert_eq!(client.get(&format!("/contracts/{}", other["id"])).await.status, StatusCode::NOT_FOUND);
    assert_eq!(client.get("/api/v1/contracts/summary").await.status, StatusCode::FORBIDDEN);
    books.app.finish().await;
}
on_both_databases!(a_commissioner_sees_only_their_councils_contracts, commissioner);

async fn grant_document(backend: crate::helpers::Backend) {
    let books = Books::unbilled(backend).await;
    let g = create(
        &books,
        json!({ "counterparty_name": "Department for Education", "counterparty_address": "Sanctuary Buildings\nLondon\nSW1P 3BT",
            "stream": "grant", "title": "SSIF maths", "start_date": "2026-09-01", "end_date": "2028-08-31", "schedule": "named_dates",
            "dates": [{ "due_on": "2026-10-15", "amount": "250000.00" }, { "due_on": "2027-10-15", "amount": "250000.00" }] }),
    )
    .await;
    let p = partnerships::list(&books.app.db).await.unwrap().remove(0);
    contracts::raise_due(&books.app.db, &p, at(2026, 10, 15).date_naive(), at(2026, 10, 15)).await.unwrap();
    let g = books.get(&format!("/api/v1/contracts/{}", g["id"])).await;
    let inv = books.invoice(g["instalments"][0]["invoice_id"].as_i64().unwrap()).await;
    assert_eq!(
        (inv["totals"]["vat"].as_str(), inv["totals"]["gross"].as_str()),
        (Some("0.00"), Some("250000.00"))
    );
    // Not a supply: the document asks for payment and is no VAT invoice.
    let pdf = books
        .app
        .client()
        .get_with(&format!("/api/v1/invoices/{}/pdf", inv["id"]), &[("authorization", &books.bearer)])
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    let text = crate::pdf::pdf_text(&pdf.body);
    assert!(text.contains("Request for payment") && !text.contains("VAT invoice"), "{text}");
    // The receipt is recorded and allocated like any payment.
    let (status, paid) = books
        .post(
            "/api/v1/payments",
            json!({ "payer_id": g["payer_id"], "received_on": "2026-11-03", "amount": "250000.00", "method": "bacs_credit",
                "reference": "DFE SSIF TRANCHE 1", "allocations": [{ "invoice_id": inv["id"], "amount": "250000.00" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    let g = books.get(&format!("/api/v1/contracts/{}", g["id"])).await;
    assert_eq!(
        (g["totals"]["received"].as_str(), g["totals"]["to_invoice"].as_str()),
        (Some("250000.00"), Some("250000.00"))
    );
    // The funder cuts the second year's tranche: only the later receipt changes.
    let (status, varied) = books
        .post(
            &format!("/api/v1/contracts/{}/variations", g["id"]),
            json!({ "yearly_values": ["250000.00", "200000.00"], "effective_from": "2027-01-01", "reason": "The fund was reduced" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{varied}");
    assert_eq!(by_year(&varied), vec![(1, 25_000_000), (2, 20_000_000)]);
    let later = varied["instalments"].as_array().unwrap().iter().find(|i| i["state"] == "scheduled").unwrap();
    assert_eq!((later["due_on"].as_str(), later["amount"].as_str()), (Some("2027-10-15"), Some("200000.00")));
    books.check().await;
    books.app.finish().await;
}
on_both_databases!(a_grant_is_requested_outside_the_scope_of_vat_and_received_like_a_payment, grant_document);
