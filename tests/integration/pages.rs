//! The pages as people use them: signing in and out, lock-out, CSRF, the register, forms.

use crate::helpers::{Backend, TestApp};
use crate::on_both_databases;
use axum::http::{StatusCode, header};
use chrono::{Duration, Utc};
use partnership_billing::services::auth::{self, SignInAttempt, SignInRefused};
use secrecy::SecretString;

async fn signing_in_and_out(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut client = app.client();
    let home = client.get("/schools?phase=Primary").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location().as_deref(), Some("/sign-in?next=/schools%3Fphase%3DPrimary"));

    let page = client.get("/sign-in").await;
    let csrf_cookie =
        page.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Lax"), "{csrf_cookie}");
    let token = page.csrf_token();
    let wrong = client
        .post_form(
            "/sign-in",
            &[("csrf_token", &token), ("next", "/"), ("email", "finance@demo.test"), ("password", "nope")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text().contains("Enter a correct email address and password"));
    let unknown = client
        .post_form(
            "/sign-in",
            &[("csrf_token", &token), ("next", "/"), ("email", "nobody@demo.test"), ("password", "nope")],
        )
        .await;
    assert!(
        unknown.text().contains("Enter a correct email address and password"),
        "same message: no account enumeration"
    );

    let ok = client
        .post_form(
            "/sign-in",
            &[
                ("csrf_token", &token),
                ("next", "/schools?phase=Primary"),
                ("email", "finance@demo.test"),
                ("password", "demo-finance-2025"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location().as_deref(), Some("/schools?phase=Primary"));
    let session_cookie =
        ok.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(
        session_cookie.starts_with("pb_session=") && session_cookie.contains("HttpOnly"),
        "{session_cookie}"
    );
    let home = client.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.text().contains("Welcome, Femi Adeyemi"));
    assert!(home.headers.get(header::CONTENT_SECURITY_POLICY).is_some());
    assert_eq!(home.headers.get(header::X_FRAME_OPTIONS).and_then(|v| v.to_str().ok()), Some("DENY"));

    // Signing out needs the session's CSRF token, then ends the session on the server.
    let forged = client.post_form("/sign-out", &[("csrf_token", "forged")]).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    let stolen_cookie = client.cookies.get("pb_session").cloned().expect("session cookie");
    let csrf = client.session_csrf().await;
    let out = client.post_form("/sign-out", &[("csrf_token", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(client.get("/").await.status, StatusCode::SEE_OTHER);
    let mut replay = app.client();
    replay.cookies.insert("pb_session".into(), stolen_cookie);
    assert_eq!(replay.get("/").await.status, StatusCode::SEE_OTHER, "a signed-out session cannot be reused");

    // The sign-in form itself is CSRF-protected.
    let mut fresh = app.client();
    let no_token = fresh
        .post_form(
            "/sign-in",
            &[("csrf_token", ""), ("email", "finance@demo.test"), ("password", "demo-finance-2025")],
        )
        .await;
    assert_eq!(no_token.status, StatusCode::BAD_REQUEST);
    app.finish().await;
}
on_both_databases!(signing_in_and_out_works, signing_in_and_out);

async fn lock_out(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut client = app.client();
    let wrong = client.try_sign_in("board@demo.test", "wrong-password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text().contains("After 5 wrong passwords in a row an account is locked for 15 minutes"));
    for _ in 0..4 {
        assert_eq!(
            client.try_sign_in("board@demo.test", "wrong-password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked: the right password is refused with exactly the words of a wrong one, and an
    // unknown email the same, so nothing tells an account exists or is locked.
    let right = client.try_sign_in("board@demo.test", "demo-board-2025").await;
    let unknown = client.try_sign_in("nobody@demo.test", "demo-board-2025").await;
    assert_eq!(right.status, StatusCode::UNAUTHORIZED);
    let error_of = |a: &crate::helpers::Answer| {
        let text = a.text();
        let start = text.find("govuk-error-summary__list").expect("an error summary");
        text[start..start + 200].to_string()
    };
    assert_eq!(error_of(&right), error_of(&wrong));
    assert_eq!(error_of(&unknown), error_of(&wrong));
    assert!(!right.text().contains("locked until") && !right.text().contains("Try again after"));
    // After the lock-out period the right password works again, and a success resets the count.
    let later = Utc::now() + auth::LOCK_OUT + Duration::minutes(1);
    let attempt = |password: &'static str| SignInAttempt {
        email: "board@demo.test",
        password: Box::leak(Box::new(SecretString::from(password))),
        partnership_id: None,
        now: later,
        user_agent: None,
        ip_address: None,
    };
    assert!(auth::sign_in(&app.db, attempt("demo-board-2025")).await.expect("db").result.is_ok());
    let once = auth::sign_in(&app.db, attempt("wrong")).await.expect("db");
    assert_eq!(once.result.err(), Some(SignInRefused::WrongDetails));
    app.finish().await;
}
on_both_databases!(repeated_failures_lock_the_account, lock_out);

/// Fifty guesses at once check at most five passwords: each attempt is reserved atomically
/// before its check, so parallel guesses cannot get round the lock-out.
async fn parallel_guesses(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let now = Utc::now();
    let wrong = SecretString::from("not the password");
    let guesses = (0..50).map(|_| {
        auth::sign_in(
            &app.db,
            SignInAttempt {
                email: "board@demo.test",
                password: &wrong,
                partnership_id: None,
                now,
                user_agent: None,
                ip_address: None,
            },
        )
    });
    let outcomes = futures_util::future::join_all(guesses).await;
    let checked: usize = outcomes.iter().map(|o| o.as_ref().expect("db").passwords_checked).sum();
    assert!(checked <= auth::MAX_FAILED_SIGN_INS as usize, "{checked} passwords were checked");
    let right = SecretString::from("demo-board-2025");
    let after = auth::sign_in(
        &app.db,
        SignInAttempt {
            email: "board@demo.test",
            password: &right,
            partnership_id: None,
            now,
            user_agent: None,
            ip_address: None,
        },
    )
    .await
    .expect("db");
    assert_eq!(after.result.err(), Some(SignInRefused::WrongDetails), "the account is locked");
    app.finish().await;
}
on_both_databases!(parallel_guesses_cannot_bypass_the_lock_out, parallel_guesses);

async fn the_register_pages(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut client = app.client();
    client.sign_in("board@demo.test", "demo-board-2025").await;
    let all = client.get("/schools").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.text().contains("149 schools, page 1 of 3"), "{}", all.text());
    let page3 = client.get("/schools?page=3").await.text();
    assert!(
        page3.contains("page 3 of 3") && page3.contains("rel=\"prev\"") && !page3.contains("rel=\"next\"")
    );
    let special = client.get("/schools?phase=Special&la=990").await.text();
    assert!(special.contains("4 schools") || special.contains("4 schools,"), "{special}");
    let by_urn = client.get("/schools?q=990003").await.text();
    assert!(by_urn.contains("1 school") && by_urn.contains("Riverside Park Primary School"));
    let by_name = client.get("/schools?q=riverside+park").await.text();
    assert!(by_name.contains("Riverside Park Primary School"));
    let shouted = client.get("/schools?q=RIVERSIDE+PaRk").await.text();
    assert!(shouted.contains("Riverside Park Primary School"), "case is ignored on both databases");
    for wildcard in ["%25", "_", "Riverside%25Primary"] {
        let text = client.get(&format!("/schools?q={wildcard}")).await.text();
        assert!(
            text.contains("No schools match"),
            "{wildcard} is matched literally, not as a wildcard: {text}"
        );
    }
    let closed = client.get("/schools?status=closed").await.text();
    assert!(closed.contains("1 school") && closed.contains("Millbrook Primary School"));
    let needing = client.get("/schools?needs_pupils=true").await.text();
    assert!(needing.contains("3 schools") && needing.contains("Needs pupil number"), "{needing}");
    let bad = client.get("/schools?phase=Middle&trust=abc").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("\"abc\" is not a trust"));
    // The school page shows the conversion both ways and the pupil history.
    let old = client.get("/schools/990011").await.text();
    assert!(
        old.contains("Successor")
            && old.contains("Millbrook Primary Academy")
            && old.contains("href=\"/schools/990149\"")
    );
    let new = client.get("/schools/990149").await.text();
    assert!(
        new.contains("Predecessor")
            && new.contains("Millbrook Primary School")
            && new.contains("Northgate Learning Trust")
    );
    assert!(new.contains("16 January 2025") && new.contains("18 January 2024") && new.contains("In force"));
    assert!(!new.contains("Record a pupil number"), "the board only reads");
    assert_eq!(client.get("/schools/123").await.status, StatusCode::NOT_FOUND);
    assert_eq!(client.get("/schools/not-a-urn").await.status, StatusCode::NOT_FOUND);
    app.finish().await;
}
on_both_databases!(the_register_pages_list_filter_and_show, the_register_pages);

/// Pages count their rows only when the page does not show the end itself; the figures are the
/// same either way, and asking past the end gives the last page.
async fn pages_and_totals(backend: Backend) {
    use partnership_billing::domain::role::SchoolScope;
    use partnership_billing::services::register::{self, SchoolFilter};
    let app = TestApp::with_demo(backend).await;
    let p =
        partnership_billing::services::partnerships::find_by_slug(&app.db, "demo").await.unwrap().unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
    let all = SchoolFilter::default();
    let list = |page: u64, per_page: u64| {
        let (db, filter) = (&app.db, &all);
        async move {
            let found =
                register::list_schools(db, p.id, SchoolScope::All, filter, today, page, per_page).await;
            let found = found.unwrap();
            (found.schools.len(), found.total, found.page, found.pages)
        }
    };
    assert_eq!(list(1, 150).await, (149, 149, 1, 1), "the page shows the end: no count needed");
    assert_eq!(list(1, 149).await, (149, 149, 1, 1), "a full page: counted");
    assert_eq!(list(2, 50).await, (50, 149, 2, 3));
    assert_eq!(list(3, 50).await, (49, 149, 3, 3));
    assert_eq!(list(4, 50).await, (49, 149, 3, 3), "past the end: the last page");
    assert_eq!(list(99, 149).await, (149, 149, 1, 1));
    let none = SchoolFilter { q: Some("no school is called this".into()), ..Default::default() };
    let empty = register::list_schools(&app.db, p.id, SchoolScope::All, &none, today, 3, 50).await.unwrap();
    assert_eq!((empty.schools.len(), empty.total, empty.page, empty.pages), (0, 0, 1, 1));
    let counted = register::count_schools(&app.db, p.id, SchoolScope::All, &all, today).await.unwrap();
    assert_eq!(counted, 149);
    app.finish().await;
}
on_both_databases!(pages_count_only_when_they_must, pages_and_totals);

async fn recording_pupil_numbers(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut client = app.client();
    client.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = client.session_csrf().await;
    // The Kestrel free school has no pupil number.
    let before = client.get("/schools/990021").await.text();
    assert!(before.contains("This school needs a pupil number"), "{before}");
    let invalid = client
        .post_form(
            "/schools/990021/pupil-numbers",
            &[
                ("csrf_token", &csrf),
                ("census_date-day", "32"),
                ("census_date-month", "1"),
                ("census_date-year", "2025"),
                ("pupils", "-4"),
                ("reason", " "),
            ],
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = invalid.text();
    assert!(text.contains("There is a problem"));
    assert!(text.contains("Census date must be a real date"), "{text}");
    assert!(text.contains("-4 pupils is negative"));
    assert!(text.contains("Say why this figure is entered by hand"));
    assert!(
        text.contains("name=\"census_date-day\" type=\"text\" inputmode=\"numeric\" value=\"32\""),
        "what was typed is kept"
    );
    let forged = client
        .post_form(
            "/schools/990021/pupil-numbers",
            &[("csrf_token", "forged"), ("census_date-day", "16"), ("pupils", "90"), ("reason", "x")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    let still = client.get("/schools/990021").await.text();
    assert!(still.contains("No pupil number has been recorded"), "nothing half-written");
    let ok = client
        .post_form(
            "/schools/990021/pupil-numbers",
            &[
                ("csrf_token", &csrf),
                ("census_date-day", "2"),
                ("census_date-month", "10"),
                ("census_date-year", "2025"),
                ("pupils", "90"),
                ("reason", "October census return from the school"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let after = client.get(&ok.location().expect("redirect")).await.text();
    assert!(after.contains("The pupil number was recorded"));
    assert!(after.contains("Manual entry by Femi Adeyemi: October census return from the school"), "{after}");
    assert!(!after.contains("This school needs a pupil number"));
    app.finish().await;
}
on_both_databases!(recording_pupil_numbers_by_hand, recording_pupil_numbers);

async fn uploading_and_adding_users(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut admin = app.client();
    admin.sign_in("admin@demo.test", "demo-admin-2025").await;
    let csrf = admin.session_csrf().await;
    let header = "URN,LA (code),LA (name),EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),EstablishmentStatus (name),NumberOfPupils,CensusDate";
    let file = format!(
        "{header}\n990600,990,Riverside,Upload Primary,Community school,Primary,Open,210,16-01-2025\n990601,990,Riverside,Broken,Community school,Primary,Shut,1,16-01-2025\n"
    );
    let refused =
        admin.post_multipart("/import", &[("csrf_token", &csrf)], Some(("f.csv", file.as_bytes()))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text();
    assert!(
        text.contains("Nothing was imported")
            && text.contains("EstablishmentStatus (name)")
            && text.contains("\"Shut\" is not a GIAS establishment status"),
        "{text}"
    );
    let skipped = admin
        .post_multipart(
            "/import",
            &[("csrf_token", &csrf), ("skip_bad_rows", "true")],
            Some(("f.csv", file.as_bytes())),
        )
        .await;
    assert_eq!(skipped.status, StatusCode::OK);
    assert!(skipped.text().contains("The register was imported"));
    assert!(admin.get("/schools/990600").await.text().contains("Upload Primary"));
    let no_file = admin.post_multipart("/import", &[("csrf_token", &csrf), ("la_codes", "99x")], None).await;
    assert_eq!(no_file.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_file.text().contains("Select a GIAS CSV file")
            && no_file.text().contains("is not a local authority code")
    );
    let forged =
        admin.post_multipart("/import", &[("csrf_token", "nope")], Some(("f.csv", file.as_bytes()))).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);

    // Adding a business manager for the new school; they see only it.
    let bad = admin
        .post_form(
            "/users",
            &[
                ("csrf_token", &csrf),
                ("name", "Pat"),
                ("email", "not-an-email"),
                ("password", "short"),
                ("role", "school_business_manager"),
                ("school", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = bad.text();
    assert!(text.contains("is not an email address") && text.contains("at least 12 characters"), "{text}");
    let ok = admin
        .post_form(
            "/users",
            &[
                ("csrf_token", &csrf),
                ("name", "Pat Jones"),
                ("email", "pat@upload.test"),
                ("password", "a long enough password"),
                ("role", "school_business_manager"),
                ("school", "990600"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let listing = admin.get(&ok.location().expect("redirect")).await.text();
    assert!(
        listing.contains("pat@upload.test can now sign in")
            && listing.contains("Upload Primary (URN 990600)")
    );
    // The password was a one-time one: Pat must choose their own before anything else.
    let mut pat = app.client();
    let signed_in = pat.try_sign_in("pat@upload.test", "a long enough password").await;
    assert_eq!(signed_in.location().as_deref(), Some("/account/password"));
    assert_eq!(pat.get("/schools").await.location().as_deref(), Some("/account/password"));
    assert_eq!(pat.get("/api/v1/schools").await.status, StatusCode::FORBIDDEN);
    let form = pat.get("/account/password").await;
    assert!(form.text().contains("Choose your own password"));
    let csrf = form.csrf_token();
    let mismatch = pat
        .post_form(
            "/account/password",
            &[
                ("csrf_token", &csrf),
                ("current", "a long enough password"),
                ("new", "pat's own passphrase"),
                ("confirm", "different"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    let chosen = pat
        .post_form(
            "/account/password",
            &[
                ("csrf_token", &csrf),
                ("current", "a long enough password"),
                ("new", "pat's own passphrase"),
                ("confirm", "pat's own passphrase"),
            ],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.text());
    let mine = pat.get("/api/v1/schools").await.json();
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["schools"][0]["name"], "Upload Primary");
    app.finish().await;
}
on_both_databases!(admins_upload_files_and_add_users, uploading_and_adding_users);

async fn invoice_settings(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut finance = app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    let page = finance.get("/billing/settings").await;
    assert!(page.text().contains("value=\"RH-\"") && page.text().contains("GB 123 4567 89"));
    let csrf = finance.session_csrf().await;
    let form = |prefix: &'static str, days: &'static str| {
        vec![
            ("invoice_prefix", prefix),
            ("credit_note_prefix", "RHC-"),
            ("payment_terms_days", days),
            ("bank_account_name", "Partnership Ltd"),
            ("bank_sort_code", "20-45-77"),
            ("bank_account_number", "43218765"),
            ("remittance_email", ""),
        ]
    };
    let mut bad = vec![("csrf_token", csrf.as_str())];
    bad.extend(form("no spaces", "200"));
    let refused = finance.post_form("/billing/settings", &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text();
    assert!(
        text.contains("must be up to 12 letters") && text.contains("200 days is not between 0 and 120"),
        "{text}"
    );
    let mut good = vec![("csrf_token", csrf.as_str())];
    good.extend(form("INV-", "14"));
    let saved = finance.post_form("/billing/settings", &good).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let after = finance.get("/billing/settings?saved=1").await.text();
    assert!(
        after.contains("The invoice settings were saved")
            && after.contains("value=\"INV-\"")
            && after.contains("value=\"14\"")
    );
    let p =
        partnership_billing::services::partnerships::find_by_slug(&app.db, "demo").await.unwrap().unwrap();
    assert_eq!((p.invoice_prefix.as_str(), p.payment_terms_days, p.remittance_email), ("INV-", 14, None));
    let audit = finance.get("/billing/audit").await.text();
    assert!(audit.contains("Femi Adeyemi changed the invoice settings"), "{audit}");
    assert!(audit.contains("Payment terms days") && audit.contains("Now: 14"), "{audit}");
    app.finish().await;
}
on_both_databases!(finance_changes_invoice_settings, invoice_settings);

/// A run's progress lives in the database: its page shows it to any process (after a restart,
/// or for a run started from the command line), and a run that stopped writing says so.
async fn run_progress(backend: Backend) {
    use partnership_billing::domain::money::Money;
    use partnership_billing::services::billing::{finish_run, record_batch, start_run};
    let app = TestApp::with_demo(backend).await;
    let p =
        partnership_billing::services::partnerships::find_by_slug(&app.db, "demo").await.unwrap().unwrap();
    let now = chrono::Utc::now();
    let running = start_run(&app.db, p.id, "2025-26", "autumn", 63, None, now).await.unwrap();
    record_batch(&app.db, running, 20, Money::from_pence(123_456), now).await.unwrap();
    let failed = start_run(&app.db, p.id, "2025-26", "autumn", 63, None, now).await.unwrap();
    record_batch(&app.db, failed, 40, Money::from_pence(1), now).await.unwrap();
    finish_run(&app.db, failed, Some("The database refused a write."), now).await.unwrap();
    let long_ago = now - chrono::Duration::minutes(10);
    let stale = start_run(&app.db, p.id, "2025-26", "spring", 63, None, long_ago).await.unwrap();
    let mut finance = app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    let page = finance.get(&format!("/billing/runs/{running}")).await.text();
    assert!(page.contains("Raised 20 of 63 invoices") && page.contains("http-equiv=\"refresh\""), "{page}");
    let stopped = finance.get(&format!("/billing/runs/{failed}")).await.text();
    assert!(
        stopped.contains("The run stopped")
            && stopped.contains("The database refused a write.")
            && stopped.contains("running the period again raises the rest"),
        "{stopped}"
    );
    assert!(!stopped.contains("http-equiv=\"refresh\""));
    let quiet = finance.get(&format!("/billing/runs/{stale}")).await.text();
    assert!(
        quiet.contains("stopped before it finished") && !quiet.contains("http-equiv=\"refresh\""),
        "{quiet}"
    );
    let overview = finance.get("/billing").await.text();
    assert!(
        overview.contains("20 of 63") && overview.contains("Raising invoices") && overview.contains("Failed")
    );
    assert_eq!(finance.get("/billing/runs/999999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(finance.get("/billing/runs/unknown").await.status, StatusCode::NOT_FOUND);
    let mut board = app.client();
    board.sign_in("board@demo.test", "demo-board-2025").await;
    assert_eq!(board.get(&format!("/billing/runs/{running}")).await.status, StatusCode::FORBIDDEN);
    app.finish().await;
}
on_both_databases!(a_billing_run_shows_its_progress_from_the_database, run_progress);

/// Error and "not found" pages keep the signed-in header and navigation; signed out, they show
/// neither.
async fn error_pages_keep_the_header(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut anonymous = app.client();
    let missing = anonymous.get("/no-such-page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text().contains("Page not found") && !missing.text().contains("Sign out"));
    let mut finance = app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    for (path, status, heading) in [
        ("/no-such-page", StatusCode::NOT_FOUND, "Page not found"),
        ("/billing/offers/1999-00", StatusCode::NOT_FOUND, "Page not found"),
        ("/users", StatusCode::FORBIDDEN, "You cannot see this page"),
        ("/billing/payers?page=zero", StatusCode::BAD_REQUEST, "There is a problem"),
    ] {
        let answer = finance.get(path).await;
        assert_eq!(answer.status, status, "{path}");
        let text = answer.text();
        assert!(text.contains(heading) && text.contains("Sign out"), "{path}: {text}");
        assert!(text.contains("href=\"/billing\""), "the navigation on {path}");
    }
    app.finish().await;
}
on_both_databases!(error_pages_keep_the_signed_in_header, error_pages_keep_the_header);

/// Voiding an invoice on its page asks first; only the confirmed request raises the credit note.
async fn void_asks_first(backend: Backend) {
    use partnership_billing::services::{billing, partnerships};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let app = TestApp::with_demo(backend).await;
    let demo = partnerships::find_by_slug(&app.db, "demo").await.expect("query").expect("demo");
    let day = chrono::NaiveDate::from_ymd_opt(2025, 9, 1).expect("day");
    billing::commit(&app.db, &demo, "2025-26", "autumn", billing::RunBy::on(day), &mut |_, _| {})
        .await
        .expect("the autumn run");
    let invoice = entity::invoice::Entity::find()
        .filter(entity::invoice::Column::Number.is_not_null())
        .one(&app.db)
        .await
        .expect("query")
        .expect("an invoice");
    let mut client = app.client();
    client.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = client.session_csrf().await;
    let path = format!("/invoices/{}/credit-notes", invoice.id);
    let ask = client
        .post_form(&path, &[("csrf_token", &csrf), ("what", "everything"), ("reason", "Left in July")])
        .await;
    assert_eq!(ask.status, StatusCode::OK);
    let number = invoice.number.clone().expect("a number");
    assert!(
        ask.text().contains(&format!("Void {number}?")) && ask.text().contains("cannot be withdrawn"),
        "{}",
        ask.text()
    );
    assert_eq!(entity::credit_note::Entity::find().count(&app.db).await.expect("count"), 0, "nothing yet");
    let done = client
        .post_form(
            &path,
            &[
                ("csrf_token", &csrf),
                ("what", "everything"),
                ("reason", "Left in July"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    assert_eq!(entity::credit_note::Entity::find().count(&app.db).await.expect("count"), 1);
    app.finish().await;
}
on_both_databases!(voiding_an_invoice_asks_first, void_asks_first);

/// Each role's home answers its first question: finance sees what is waiting, a school business
/// manager their latest invoice and how to pay it, the board its funding models.
async fn homes_answer_first_questions(backend: Backend) {
    let day = chrono::NaiveDate::from_ymd_opt(2025, 9, 1).expect("day");
    let app = TestApp::with_demo(backend).await.on_day(day);
    let mut finance = app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    // Many visits at once after a change add the figures up once; the others wait for them.
    app.state.home_cache.wrote();
    let before = app.state.home_cache.times_added_up();
    let mut visits = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let mut visitor = finance.clone();
        visits.spawn(async move { visitor.get("/").await.status });
    }
    while let Some(status) = visits.join_next().await {
        assert_eq!(status.expect("a visit"), StatusCode::OK);
    }
    assert_eq!(app.state.home_cache.times_added_up() - before, 1, "added up once for twelve visits");
    let home = finance.get("/").await.text();
    assert!(
        home.contains("Waiting for you")
            && home.contains("Billing due next: 2025-26 autumn term, from 1 September 2025"),
        "{home}"
    );
    // Finance runs the autumn bill: the home page's figures are added up again at once.
    let csrf = finance.session_csrf().await;
    let run = finance
        .post_body(
            "/api/v1/billing-runs",
            "application/json",
            br#"{"year": "2025-26", "period": "autumn"}"#.to_vec(),
            &[("x-csrf-token", csrf.as_str())],
        )
        .await;
    assert_eq!(run.status, StatusCode::CREATED, "{}", run.text());
    let home = finance.get("/").await.text();
    assert!(home.contains("1 invoice is held until a PO number is given"), "{home}");
    assert!(home.contains("Billing due next: 2025-26 spring term"), "{home}");
    let mut sbm = app.client();
    sbm.sign_in("sbm@demo.test", "demo-school-2025").await;
    let home = sbm.get("/").await.text();
    assert!(home.contains("Your latest invoice") && home.contains("Download the invoice (PDF)"), "{home}");
    assert!(home.contains("sort code 20-45-77, account number 43218765, quoting RH-"), "{home}");
    let mut board = app.client();
    board.sign_in("board@demo.test", "demo-board-2025").await;
    assert!(board.get("/").await.text().contains("href=\"/funding\""));
    app.finish().await;
}
on_both_databases!(homes_answer_each_roles_first_question, homes_answer_first_questions);

/// Every page template's title is text: a title block holding markup (an edit that put a
/// section in the wrong block) shows tags in the browser's tab and duplicates ids on the page.
#[test]
fn every_title_block_is_plain_text() {
    fn templates(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("the templates folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                templates(&path, out);
            } else if path.extension().is_some_and(|e| e == "html") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    templates(&crate::helpers::repo_path("templates"), &mut files);
    assert!(files.len() > 50, "found {} templates", files.len());
    let mut wrong = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a template");
        if let Some((_, after)) = text.split_once("{% block title %}") {
            let title = after.split("{% endblock %}").next().unwrap_or_default();
            if title.contains('<') || title.contains('\n') {
                wrong.push(file.display().to_string());
            }
        }
    }
    assert!(wrong.is_empty(), "titles with markup in:\n{}", wrong.join("\n"));
}
