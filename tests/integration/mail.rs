//! Mail and jobs against a real SMTP server (aiosmtpd, started by tests/run): new invoices and
//! receipts queued and sent with their PDFs to each payer's billing addresses, failures retried
//! with backoff then shown, reminders queued once per step and never for paid or paused
//! invoices, and two instances on one database never running a job or sending a message twice.

use crate::helpers::Backend;
use crate::ledger::Books;
use crate::on_both_databases;
use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
use entity::{invoice, job_run, outbox_message, payer};
use mail_parser::MimeHeaders;
use partnership_billing::jobs::{self, Job, JobContext, Trigger, outcome};
use partnership_billing::services::mail::transport::Mailer;
use partnership_billing::services::partnerships::{self, Partnership};
use partnership_billing::services::{mail, payers, reminders};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

/// The SMTP server tests/run started, and the folder it writes what it receives to.
fn smtp() -> (String, std::path::PathBuf) {
    let server = std::env::var("PB_TEST_SMTP").expect("PB_TEST_SMTP: run the suite with tests/run");
    let dir = std::env::var("PB_TEST_SMTP_DIR").expect("PB_TEST_SMTP_DIR: run the suite with tests/run");
    (server, dir.into())
}

fn smtp_mailer() -> Mailer {
    let (server, _) = smtp();
    Mailer::from_settings(&partnership_billing::settings::EmailSettings {
        smtp_url: Some(format!("smtp://{server}").into()),
        from: Some("billing@partnership.example".into()),
        outbox_dir: "unused".into(),
    })
    .unwrap()
}

fn context(db: &DatabaseConnection, instance: &str) -> JobContext {
    JobContext {
        db: db.clone(),
        mailer: smtp_mailer(),
        payments: partnership_billing::settings::PaymentSettings::default(),
        public_url: "https://billing.example".into(),
        instance: instance.into(),
    }
}

/// A word no other test (or earlier run) uses, for this test's addresses.
fn unique() -> String {
    format!("{}{}", std::process::id(), rand_suffix())
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    h.finish() % 1_000_000_000
}

/// Every message the SMTP server received for `address` (raw).
pub fn received_by(address: &str) -> Vec<Vec<u8>> {
    let (_, dir) = smtp();
    let mut found = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    names.sort();
    for path in names {
        if path.extension().is_some_and(|e| e == "eml") {
            let bytes = std::fs::read(&path).unwrap();
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2000)]).to_string();
            let to = head.lines().next().unwrap_or_default().to_lowercase();
            if to.starts_with("x-envelope-to:") && to.split([' ', ',']).any(|a| a == address) {
                found.push(bytes);
            }
        }
    }
    found
}

async fn demo(backend: Backend) -> (Books, Partnership) {
    let books = Books::unbilled(backend).await;
    let p = partnerships::list(&books.app.db).await.unwrap().remove(0);
    (books, p)
}

async fn turn_on(db: &DatabaseConnection, p: &Partnership, reminders_on: bool, now: DateTime<Utc>) {
    let mut schedule = reminders::schedule(db, p.id).await.unwrap();
    schedule.documents_mailed = true;
    schedule.on = reminders_on;
    reminders::save_schedule(db, p.id, &schedule, None, now).await.unwrap();
}

async fn set_email(db: &DatabaseConnection, p: &Partnership, payer_id: i64, email: &str) {
    let found = payer::Entity::find_by_id(payer_id).one(db).await.unwrap().unwrap();
    let contact = payers::Contact {
        contact_name: "Pat Jones".into(),
        email: email.into(),
        address: payers::address_lines(&found),
    };
    payers::update_contact(db, p.id, payer_id, &contact, None).await.unwrap();
}

async fn issued(db: &DatabaseConnection, p: &Partnership) -> Vec<invoice::Model> {
    invoice::Entity::find()
        .filter(invoice::Column::PartnershipId.eq(p.id))
        .filter(invoice::Column::Status.eq("issued"))
        .order_by_asc(invoice::Column::Id)
        .all(db)
        .await
        .unwrap()
}

async fn run(ctx: &JobContext, job: Job, p: &Partnership, now: DateTime<Utc>) -> job_run::Model {
    let run = jobs::run(ctx, job, p, now.date_naive(), now, Trigger::CommandLine, None).await.unwrap();
    assert_ne!(run.outcome, outcome::FAILED, "{}", run.summary);
    run
}

async fn emails_invoices_and_receipts(backend: Backend) {
    let (books, p) = demo(backend).await;
    let db = &books.app.db;
    let started = Utc::now() - Duration::minutes(1);
    turn_on(db, &p, false, started).await;
    books.bill().await;
    let invoices = issued(db, &p).await;
    assert!(invoices.len() >= 3);
    let word = unique();
    let (first, second, third) = (&invoices[0], &invoices[1], &invoices[2]);
    let office = format!("office-{word}@school.example");
    let head = format!("head-{word}@school.example");
    set_email(db, &p, first.payer_id, &format!("{office}; {head}")).await;
    set_email(db, &p, second.payer_id, "").await;
    let ctx = context(db, "test-instance");
    let now = Utc::now();
    let summary = run(&ctx, Job::SendMail, &p, now).await.summary;
    assert!(summary.contains("sent"), "{summary}");

    // the first payer's invoice went to both its addresses, with the PDF
    let got = received_by(&office);
    let for_first: Vec<_> = got
        .iter()
        .filter_map(|raw| mail_parser::MessageParser::default().parse(raw))
        .filter(|m| m.subject().unwrap_or_default().contains(first.number.as_deref().unwrap()))
        .collect();
    assert_eq!(for_first.len(), 1, "one message for invoice {:?}", first.number);
    let message = &for_first[0];
    assert_eq!(received_by(&head).len(), got.len(), "both billing addresses receive it");
    let subject = message.subject().unwrap();
    let gross = partnership_billing::domain::money::Money::from_pence(first.gross_pence).to_string();
    assert!(subject.contains(&gross) && subject.contains(&p.name), "{subject}");
    let from = message.from().unwrap().first().unwrap();
    assert_eq!(from.address().unwrap(), "billing@partnership.example");
    assert_eq!(from.name().unwrap(), p.name);
    let reply_to = message.reply_to().unwrap().first().unwrap().address().unwrap().to_string();
    assert_eq!(Some(reply_to), p.remittance_email.clone());
    let text = message.body_text(0).unwrap();
    assert!(text.contains("Dear Pat Jones") && text.contains(&gross), "{text}");
    assert!(text.contains(&format!("https://billing.example/invoices/{}", first.id)), "{text}");
    let html = message.body_html(0).unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("<th scope=\"row\""), "{html}");
    let attachment = message.attachments().next().expect("the invoice PDF is attached");
    assert_eq!(
        attachment.attachment_name(),
        Some(format!("{}.pdf", first.number.as_deref().unwrap()).as_str())
    );
    assert!(attachment.contents().starts_with(b"%PDF-"));

    // the payer without an address is shown, not silently skipped
    let second_row = outbox_message::Entity::find()
        .filter(outbox_message::Column::DedupeKey.eq(format!("invoice:{}", second.id)))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second_row.state, "no_address");

    // a second run sends nothing again
    run(&ctx, Job::SendMail, &p, now + Duration::minutes(5)).await;
    assert_eq!(received_by(&office).len(), got.len());

    // a payment received: a receipt naming the invoice it paid
    let (status, body) = books
        .post(
            "/api/v1/payments",
            serde_json::json!({ "payer_id": first.payer_id, "received_on": now.date_naive(), "amount": "10.00", "method": "bank_transfer", "reference": "PART" }),
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::CREATED, "{body}");
    run(&ctx, Job::SendMail, &p, now + Duration::minutes(10)).await;
    let receipts: Vec<_> = received_by(&office)
        .iter()
        .filter_map(|raw| {
            mail_parser::MessageParser::default().parse(raw).map(|m| {
                (m.subject().unwrap_or_default().to_string(), m.body_text(0).unwrap_or_default().to_string())
            })
        })
        .filter(|(s, _)| s.starts_with("Payment received"))
        .collect();
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    assert!(
        receipts[0].1.contains("£10.00") && receipts[0].1.contains(first.number.as_deref().unwrap()),
        "{}",
        receipts[0].1
    );
    let _ = third;
}
on_both_databases!(invoices_and_receipts_are_emailed_once_each, emails_invoices_and_receipts);

async fn failures_back_off_then_show(backend: Backend) {
    let (books, p) = demo(backend).await;
    let db = &books.app.db;
    turn_on(db, &p, false, Utc::now() - Duration::minutes(1)).await;
    books.bill().await;
    let first = issued(db, &p).await.remove(0);
    let word = unique();
    set_email(db, &p, first.payer_id, &format!("reject-{word}@school.example")).await;
    let ctx = context(db, "test-instance");
    let key = format!("invoice:{}", first.id);
    let row = || async {
        outbox_message::Entity::find()
            .filter(outbox_message::Column::DedupeKey.eq(key.clone()))
            .one(db)
            .await
            .unwrap()
            .unwrap()
    };
    let mut now = Utc::now().trunc_subsecs(6);
    run(&ctx, Job::SendMail, &p, now).await;
    let after_one = row().await;
    assert_eq!((after_one.state.as_str(), after_one.attempts), ("queued", 1));
    assert!(
        after_one.last_error.as_deref().unwrap_or_default().contains("550"),
        "{:?}",
        after_one.last_error
    );
    assert_eq!(after_one.next_attempt_at, now + Duration::minutes(1));
    // not tried again before its time
    run(&ctx, Job::SendMail, &p, now + Duration::seconds(30)).await;
    assert_eq!(row().await.attempts, 1);
    for _ in 0..4 {
        now += Duration::hours(3);
        run(&ctx, Job::SendMail, &p, now).await;
    }
    let failed = row().await;
    assert_eq!((failed.state.as_str(), failed.attempts), ("failed", 5));
    // finance corrects the address and sends it again
    let good = format!("fixed-{word}@school.example");
    set_email(db, &p, first.payer_id, &good).await;
    mail::send_again(db, p.id, failed.id, None, now).await.unwrap();
    run(&ctx, Job::SendMail, &p, now + Duration::minutes(1)).await;
    assert_eq!(row().await.state, "sent");
    assert_eq!(received_by(&good).len(), 1);
    assert!(
        mail::send_again(db, p.id, failed.id, None, now).await.is_err(),
        "a sent message is not sent again"
    );
}
on_both_databases!(failed_sends_back_off_then_show_and_can_be_sent_again, failures_back_off_then_show);

async fn reminders_once_per_step(backend: Backend) {
    let (books, p) = demo(backend).await;
    let db = &books.app.db;
    turn_on(db, &p, true, Utc::now() - Duration::minutes(1)).await;
    books.bill().await;
    let invoices = issued(db, &p).await;
    let word = unique();
    let (paid, paused, chased) = (&invoices[0], &invoices[1], &invoices[2]);
    let chased_to = format!("chase-{word}@school.example");
    set_email(db, &p, chased.payer_id, &chased_to).await;
    // one invoice paid in full, one paused as disputed
    let amount = partnership_billing::domain::money::Money::from_pence(paid.outstanding_pence)
        .to_string()
        .replace(['£', ','], "");
    let (status, body) = books
        .post("/api/v1/payments", serde_json::json!({ "payer_id": paid.payer_id, "received_on": Utc::now().date_naive(), "amount": amount, "method": "bank_transfer" }))
        .await;
    assert_eq!(status, axum::http::StatusCode::CREATED, "{body}");
    reminders::set_pause(db, p.id, reminders::PauseOf::Invoice(paused.id), Some("disputed"), None)
        .await
        .unwrap();
    let due: NaiveDate = chased.due_date.unwrap();
    let ctx = context(db, "test-instance");
    let at = |day: NaiveDate| day.and_hms_opt(7, 0, 0).unwrap().and_utc();
    let reminded = |id: i64| async move {
        outbox_message::Entity::find()
            .filter(outbox_message::Column::Kind.eq("reminder"))
            .filter(outbox_message::Column::DocumentId.eq(id))
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.dedupe_key)
            .collect::<Vec<_>>()
    };
    // nothing before the first step (7 days before the due date)
    run(&ctx, Job::Reminders, &p, at(due - Duration::days(8))).await;
    assert!(reminded(chased.id).await.is_empty());
    run(&ctx, Job::Reminders, &p, at(due - Duration::days(7))).await;
    run(&ctx, Job::Reminders, &p, at(due - Duration::days(6))).await;
    assert_eq!(reminded(chased.id).await, vec![format!("reminder:{}:-7", chased.id)]);
    // weeks pass without a run: only the latest step goes
    let (due_list, held) = reminders::due(db, p.id, due + Duration::days(31)).await.unwrap();
    assert!(due_list.iter().any(|d| d.invoice.id == chased.id && d.step.days_from_due == 30));
    assert!(held.iter().any(|h| h.invoice.id == paused.id && h.reason.contains("disputed")));
    assert!(!due_list.iter().chain([]).any(|d| d.invoice.id == paid.id || d.invoice.id == paused.id));
    run(&ctx, Job::Reminders, &p, at(due + Duration::days(31))).await;
    run(&ctx, Job::Reminders, &p, at(due + Duration::days(32))).await;
    assert_eq!(
        reminded(chased.id).await,
        vec![format!("reminder:{}:-7", chased.id), format!("reminder:{}:30", chased.id)]
    );
    assert!(reminded(paid.id).await.is_empty() && reminded(paused.id).await.is_empty());
    // the mail job sends them; the final one says so
    run(&ctx, Job::SendMail, &p, at(due + Duration::days(32))).await;
    let subjects: Vec<String> = received_by(&chased_to)
        .iter()
        .filter_map(|raw| {
            mail_parser::MessageParser::default()
                .parse(raw)
                .map(|m| m.subject().unwrap_or_default().to_string())
        })
        .filter(|s| s.contains("Reminder") || s.contains("Overdue"))
        .collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(subjects.iter().any(|s| s.starts_with("Overdue: invoice")), "{subjects:?}");
}
on_both_databases!(reminders_go_once_per_step_and_never_for_paid_or_paused_invoices, reminders_once_per_step);

async fn two_instances(backend: Backend) {
    let (books, p) = demo(backend).await;
    let db = &books.app.db;
    turn_on(db, &p, false, Utc::now() - Duration::minutes(1)).await;
    books.bill().await;
    let word = unique();
    let invoices = issued(db, &p).await;
    let payer_ids: std::collections::BTreeSet<i64> = invoices.iter().map(|i| i.payer_id).collect();
    for (n, id) in payer_ids.iter().enumerate() {
        set_email(db, &p, *id, &format!("many{n}-{word}@school.example")).await;
    }
    // another instance holds the job: this one records a skipped run and sends nothing
    let now = Utc::now();
    let lease = format!("send-mail:{}", p.id);
    let token = jobs::lease::take(db, &lease, "other-host:1", now, now + Duration::minutes(10))
        .await
        .unwrap()
        .unwrap();
    let skipped = jobs::run(
        &context(db, "this-host:2"),
        Job::SendMail,
        &p,
        now.date_naive(),
        now,
        Trigger::Schedule,
        None,
    )
    .await
    .unwrap();
    assert_eq!(skipped.outcome, outcome::SKIPPED);
    assert!(skipped.summary.contains("other-host:1"), "{}", skipped.summary);
    jobs::lease::release(db, &lease, &token, now).await.unwrap();

    // two schedulers on one database, each running the job several times at once
    let mut tasks = Vec::new();
    for instance in ["one:1", "two:2"] {
        let ctx = context(db, instance);
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            let mut runs = Vec::new();
            for _ in 0..4 {
                let now = Utc::now();
                runs.push(
                    jobs::run(&ctx, Job::SendMail, &p, now.date_naive(), now, Trigger::Schedule, None)
                        .await
                        .unwrap(),
                );
            }
            runs
        }));
    }
    let mut runs = Vec::new();
    for t in tasks {
        runs.extend(t.await.unwrap());
    }
    assert!(runs.iter().all(|r| r.outcome != outcome::FAILED), "{runs:?}");
    // runs that did work never overlapped
    let mut worked: Vec<_> = runs
        .iter()
        .filter(|r| r.outcome == outcome::SUCCEEDED)
        .map(|r| (r.started_at, r.finished_at.unwrap()))
        .collect();
    worked.sort();
    assert!(worked.windows(2).all(|w| w[0].1 <= w[1].0 + Duration::milliseconds(1)), "{worked:?}");
    // and every payer got each of its invoices exactly once
    for (n, id) in payer_ids.iter().enumerate() {
        let expected = invoices.iter().filter(|i| i.payer_id == *id).count();
        assert_eq!(received_by(&format!("many{n}-{word}@school.example")).len(), expected, "payer {id}");
    }
}
on_both_databases!(two_instances_never_run_a_job_or_send_a_message_twice, two_instances);

async fn post(
    client: &mut crate::helpers::Client,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> crate::helpers::Answer {
    let mut all = vec![("csrf_token", csrf)];
    all.extend_from_slice(fields);
    client.post_form(path, &all).await
}

/// The demo with mail going to the test SMTP server.
pub async fn mail_books(backend: Backend) -> Books {
    let mut books = Books::unbilled(backend).await;
    let settings = partnership_billing::web::WebSettings {
        mailer: smtp_mailer(),
        public_url: "https://billing.example".into(),
        ..partnership_billing::web::WebSettings::local()
    };
    books.app.state.settings = std::sync::Arc::new(settings);
    books.app.router = partnership_billing::web::router(books.app.state.clone());
    books
}

async fn mail_on_the_pages(backend: Backend) {
    let mut books = mail_books(backend).await;
    let p = partnerships::list(&books.app.db).await.unwrap().remove(0);
    let mut finance = books.app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = finance.session_csrf().await;

    // the settings page starts with the usual steps, everything off
    let page = finance.get("/reminders").await.text();
    assert!(page.contains("falls due in a week") && page.contains("Step 6"), "{page}");
    // bad input is named field by field, and nothing is saved
    let bad = post(
        &mut finance,
        "/reminders",
        &csrf,
        &[
            ("documents", "yes"),
            ("reminders", "on"),
            ("minimum", "lots"),
            ("days_1", "abc"),
            ("when_1", "after"),
            ("wording_1", "Pay"),
            ("days_2", "3"),
            ("when_2", "after"),
            ("wording_2", ""),
        ],
    )
    .await;
    assert_eq!(bad.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    let text = bad.text();
    assert!(
        text.contains("Step 1: enter the number of days as a whole number from 0 to 365 (you wrote \"abc\")"),
        "{text}"
    );
    assert!(
        text.contains(
            "The smallest amount to remind about must be an amount, like 1500.00 (you wrote \"lots\")"
        ),
        "{text}"
    );
    assert!(text.contains("Step 2: enter what the reminder says"), "{text}");
    assert!(!reminders::schedule(&books.app.db, p.id).await.unwrap().on, "nothing saved");
    let saved = post(
        &mut finance,
        "/reminders",
        &csrf,
        &[
            ("documents", "yes"),
            ("reminders", "on"),
            ("minimum", "10.00"),
            ("days_1", "7"),
            ("when_1", "before"),
            ("wording_1", "Due next week."),
            ("days_2", "14"),
            ("when_2", "after"),
            ("wording_2", "Two weeks late."),
        ],
    )
    .await;
    assert_eq!(saved.location().as_deref(), Some("/reminders?done=saved"), "{}", saved.text());
    let schedule = reminders::schedule(&books.app.db, p.id).await.unwrap();
    assert!(schedule.on && schedule.documents_mailed);
    assert_eq!(schedule.steps.iter().map(|s| s.days_from_due).collect::<Vec<_>>(), vec![-7, 14]);
    books.bill().await;

    // the business manager gives their school two billing addresses (a bad one is refused)
    let own = invoice::Entity::find()
        .filter(invoice::Column::PayerName.eq("Riverside Park Primary School"))
        .one(&books.app.db)
        .await
        .unwrap()
        .unwrap();
    let mut sbm = books.app.client();
    sbm.sign_in("sbm@demo.test", "demo-school-2025").await;
    let sbm_csrf = sbm.session_csrf().await;
    let account = sbm.get(&format!("/payers/{}/account", own.payer_id)).await.text();
    assert!(account.contains("None given: nothing is emailed"), "{account}");
    let refused = post(
        &mut sbm,
        &format!("/payers/{}/emails", own.payer_id),
        &sbm_csrf,
        &[("email", "office at school")],
    )
    .await;
    assert_eq!(refused.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("are not email addresses"), "{}", refused.text());
    let word = unique();
    let (office, bursar) = (format!("office-{word}@school.example"), format!("bursar-{word}@school.example"));
    let both = format!("{office}, {bursar}");
    let ok =
        post(&mut sbm, &format!("/payers/{}/emails", own.payer_id), &sbm_csrf, &[("email", &both)]).await;
    assert!(ok.location().is_some_and(|l| l.starts_with(&format!("/payers/{}/account?done=", own.payer_id))));
    assert!(sbm.get(&format!("/payers/{}/account", own.payer_id)).await.text().contains(&both));
    // another school's payer is not theirs
    let other = invoice::Entity::find()
        .filter(invoice::Column::PayerName.eq("Northgate Learning Trust"))
        .one(&books.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        sbm.get(&format!("/payers/{}/emails", other.payer_id)).await.status,
        axum::http::StatusCode::NOT_FOUND
    );

    // finance runs the mail job from the Jobs page and sees what went
    let ran = post(&mut finance, "/jobs/send-mail/run", &csrf, &[]).await;
    assert_eq!(ran.location().as_deref(), Some("/jobs?ran=send-mail"));
    let jobs_page = finance.get("/jobs?ran=send-mail").await.text();
    assert!(jobs_page.contains("Send mail: Queued") && jobs_page.contains("Run now (page)"), "{jobs_page}");
    assert_eq!(received_by(&office).len(), 1);
    assert_eq!(received_by(&bursar).len(), 1);
    let outbox = finance.get("/mail?state=sent").await.text();
    assert!(outbox.contains(own.number.as_deref().unwrap()) && outbox.contains(&both), "{outbox}");
    let unsent = finance.get("/mail?state=no_address").await.text();
    assert!(unsent.contains("Not sent: no billing email"), "{unsent}");
    assert_eq!(finance.get("/mail?state=lost").await.status, axum::http::StatusCode::BAD_REQUEST);
    // a message without an address cannot be sent again until the payer has one
    let no_address = outbox_message::Entity::find()
        .filter(outbox_message::Column::State.eq("no_address"))
        .one(&books.app.db)
        .await
        .unwrap()
        .unwrap();
    let message_page = finance.get(&format!("/mail/{}", no_address.id)).await.text();
    assert!(
        message_page.contains("Send it again") && message_page.contains("What it says"),
        "{message_page}"
    );
    let again = post(&mut finance, &format!("/mail/{}/send-again", no_address.id), &csrf, &[]).await;
    assert_eq!(again.status, axum::http::StatusCode::CONFLICT);
    assert!(again.text().contains("The payer has no billing email address"), "{}", again.text());

    // pausing an invoice's reminders holds it back, with the reason, on the reminders page
    let paused =
        post(&mut finance, &format!("/invoices/{}/reminders", own.id), &csrf, &[("reason", "disputed")])
            .await;
    assert!(paused.location().is_some_and(|l| l.starts_with(&format!("/invoices/{}?done=", own.id))));
    assert!(
        finance.get(&format!("/invoices/{}", own.id)).await.text().contains("Reminders are paused: disputed")
    );
    let empty =
        post(&mut finance, &format!("/invoices/{}/reminders", other.id), &csrf, &[("reason", " ")]).await;
    assert_eq!(empty.status, axum::http::StatusCode::BAD_REQUEST);
    let due = own.due_date.unwrap();
    books.app.state.clock = partnership_billing::clock::Clock::Fixed(
        (due + Duration::days(15)).and_hms_opt(9, 0, 0).unwrap().and_utc(),
    );
    books.app.router = partnership_billing::web::router(books.app.state.clone());
    let mut finance = books.app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = finance.session_csrf().await;
    let page = finance.get("/reminders").await.text();
    assert!(page.contains("Held back") && page.contains("Paused for this invoice: disputed"), "{page}");
    assert!(page.contains("14 days after the due date"), "{page}");

    // finance emails the statement; a second click the same day does not send it twice
    let first = post(&mut finance, &format!("/payers/{}/statement/email", own.payer_id), &csrf, &[]).await;
    assert!(first.location().is_some_and(|l| l.contains("queued")), "{:?}", first.location());
    let second = post(&mut finance, &format!("/payers/{}/statement/email", own.payer_id), &csrf, &[]).await;
    assert!(second.location().is_some_and(|l| l.contains("already")), "{:?}", second.location());
    post(&mut finance, "/jobs/send-mail/run", &csrf, &[]).await;
    let statements: Vec<_> = received_by(&office)
        .iter()
        .filter_map(|raw| {
            mail_parser::MessageParser::default()
                .parse(raw)
                .map(|m| (m.subject().unwrap_or_default().to_string(), m.attachments().count()))
        })
        .filter(|(s, _)| s.starts_with("Statement of account"))
        .collect();
    assert_eq!(statements.len(), 1, "{statements:?}");
    assert_eq!(statements[0].1, 1, "the statement PDF is attached");
    let _ = p;
}
on_both_databases!(finance_and_business_managers_run_mail_on_the_pages, mail_on_the_pages);

async fn late_payment_claims(backend: Backend) {
    let mut books = mail_books(backend).await;
    let db = books.app.db.clone();
    let p = partnerships::list(&db).await.unwrap().remove(0);
    let mut schedule = reminders::schedule(&db, p.id).await.unwrap();
    schedule.on = true;
    schedule.late_payment_claims = true;
    schedule.reference_rate = rust_decimal::Decimal::new(400, 2);
    reminders::save_schedule(&db, p.id, &schedule, None, Utc::now()).await.unwrap();
    books.bill().await;
    let late =
        issued(&db, &p).await.into_iter().find(|i| i.payer_name == "Riverside Park Primary School").unwrap();
    let word = unique();
    let to = format!("late-{word}@school.example");
    set_email(&db, &p, late.payer_id, &to).await;
    let due = late.due_date.unwrap();
    let ctx = context(&db, "test-instance");
    let at = |day: NaiveDate| day.and_hms_opt(7, 0, 0).unwrap().and_utc();
    // no claim before the final reminder has gone
    assert!(
        partnership_billing::services::invoices::claims::claimable(&db, p.id, due + Duration::days(40))
            .await
            .unwrap()
            .is_empty()
    );
    run(&ctx, Job::Reminders, &p, at(due + Duration::days(31))).await;
    let final_reminder = outbox_message::Entity::find()
        .filter(outbox_message::Column::DedupeKey.eq(format!("reminder:{}:30", late.id)))
        .one(&db)
        .await
        .unwrap()
        .expect("the final reminder");
    assert!(
        final_reminder.text_body.contains("statutory interest (12.00% a year")
            && final_reminder.text_body.contains("Late Payment of Commercial Debts (Interest) Act 1998"),
        "{}",
        final_reminder.text_body
    );
    let claims =
        partnership_billing::services::invoices::claims::claimable(&db, p.id, due + Duration::days(40))
            .await
            .unwrap();
    let row = claims.iter().find(|c| c.invoice.id == late.id).expect("a claim on the late invoice");
    assert_eq!(row.claim.days_late, 40);
    let owed = partnership_billing::domain::money::Money::from_pence(late.outstanding_pence);
    assert_eq!(row.claim.fixed_sum, partnership_billing::domain::late_payment::fixed_sum(owed));

    // finance sees it on the reminders page and raises it; a second time is refused
    books.app.state.clock = partnership_billing::clock::Clock::Fixed(at(due + Duration::days(40)));
    books.app.router = partnership_billing::web::router(books.app.state.clone());
    let mut finance = books.app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = finance.session_csrf().await;
    let page = finance.get("/reminders").await.text();
    assert!(
        page.contains("Late-payment claims you could make") && page.contains(&row.claim.total().to_string()),
        "{page}"
    );
    let raised = post(&mut finance, &format!("/invoices/{}/late-payment-claim", late.id), &csrf, &[]).await;
    let location = raised.location().expect("to the claim invoice");
    let claim_id: i64 = location.trim_start_matches("/invoices/").split('?').next().unwrap().parse().unwrap();
    let claim = invoice::Entity::find_by_id(claim_id).one(&db).await.unwrap().unwrap();
    assert_eq!((claim.payer_id, claim.vat_pence, claim.status.as_str()), (late.payer_id, 0, "issued"));
    assert_eq!(claim.gross_pence, row.claim.total().to_pence().unwrap());
    assert_eq!(claim.source_key, format!("late-payment:{}", late.id));
    let shown = finance.get(&location).await.text();
    assert!(
        shown.contains("Statutory interest on")
            && shown.contains("Fixed sum for the cost of recovering the debt"),
        "{shown}"
    );
    let again = post(&mut finance, &format!("/invoices/{}/late-payment-claim", late.id), &csrf, &[]).await;
    assert_eq!(again.status, axum::http::StatusCode::BAD_REQUEST);
    assert!(again.text().contains("it was claimed already"), "{}", again.text());
    let after = finance.get("/reminders").await.text();
    assert!(!after.contains(&format!("/invoices/{}/late-payment-claim", late.id)), "claimed once only");
}
on_both_databases!(
    late_payment_claims_are_offered_on_the_final_reminder_and_raised_when_finance_says,
    late_payment_claims
);
