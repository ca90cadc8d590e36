//! Accounts and their security: redirects after sign-in stay on this site, one email in several
//! partnerships, disabling, one-time passwords, changing one's own password, sessions and their
//! idle timeout, API tokens, private headers and sign-in rate limits.

use crate::helpers::{Backend, TestApp};
use crate::import::new_partnership;
use crate::on_both_databases;
use axum::http::StatusCode;
use partnership_billing::domain::role::Role;
use partnership_billing::services::users::{self, NewUser};
use partnership_billing::services::{auth, partnerships};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use secrecy::{ExposeSecret, SecretString};

/// Signs in with a chosen `next`, answering the redirect's target.
async fn sign_in_to(app: &TestApp, next: &str) -> (StatusCode, Option<String>) {
    let mut client = app.client();
    let token = client.get("/sign-in").await.csrf_token();
    let answer = client
        .post_form(
            "/sign-in",
            &[
                ("csrf_token", &token),
                ("next", next),
                ("email", "finance@demo.test"),
                ("password", "demo-finance-2025"),
            ],
        )
        .await;
    (answer.status, answer.location())
}

async fn redirects(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    for (next, expected) in [
        ("/invoices?year=2025-26", "/invoices?year=2025-26"),
        ("/\t/evil.example", "/"),
        ("/%09/evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/a\nSet-Cookie: x=y", "/"),
        ("/%0d%0aSet-Cookie:%20x", "/"),
    ] {
        assert_eq!(
            sign_in_to(&app, next).await,
            (StatusCode::SEE_OTHER, Some(expected.to_string())),
            "{next:?}"
        );
    }
    let page = app.client().get("/sign-in?next=/%09/evil.example").await.text();
    assert!(page.contains("name=\"next\" value=\"/\""), "the form carries only a safe path");
    app.finish().await;
}
on_both_databases!(sign_in_only_returns_to_this_site, redirects);

/// One email address, accounts in two partnerships: creating the second reveals nothing about
/// the first, and signing in reaches the account the password belongs to (or asks which).
async fn several_partnerships(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let other = new_partnership(&app, "other").await;
    let person = |partnership_id, password: &str| NewUser {
        partnership_id,
        one_time_password: false,
        email: "shared@demo.test".into(),
        name: "Sam Shared".into(),
        role: Role::Finance,
        password: SecretString::from(password.to_string()),
        school_urn: None,
        trust_name: None,
        local_authority_code: None,
    };
    users::create(&app.db, person(other, "the other partnership's password")).await.unwrap();
    // The demo admin adds the same address: it works, as for any new address.
    let mut admin = app.client();
    admin.sign_in("admin@demo.test", "demo-admin-2025").await;
    let csrf = admin.session_csrf().await;
    let added = admin
        .post_form(
            "/users",
            &[
                ("csrf_token", &csrf),
                ("name", "Sam Shared"),
                ("email", "shared@demo.test"),
                ("password", "the demo partnership's password"),
                ("role", "finance"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
    let again = admin
        .post_form(
            "/users",
            &[
                ("csrf_token", &csrf),
                ("name", "Sam Again"),
                ("email", "Shared@Demo.test"),
                ("password", "another long password"),
                ("role", "finance"),
            ],
        )
        .await;
    assert!(again.text().contains("already has an account in this partnership"));
    // Each password reaches its own partnership.
    let mut sam = app.client();
    sam.sign_in("shared@demo.test", "the other partnership's password").await;
    assert_eq!(sam.get("/api/v1/me").await.json()["partnership"]["slug"], "other");
    // The same password in both: the person chooses.
    let demo = partnerships::find_by_slug(&app.db, "demo").await.unwrap().unwrap();
    let shared = users::find_in_partnership(&app.db, demo.id, "shared@demo.test").await.unwrap().unwrap();
    users::reset_password(
        &app.db,
        demo.id,
        shared.id,
        &SecretString::from("the other partnership's password"),
        shared.id,
    )
    .await
    .unwrap();
    let mut both = app.client();
    let choose = both.try_sign_in("shared@demo.test", "the other partnership's password").await;
    assert_eq!(choose.status, StatusCode::UNAUTHORIZED);
    assert!(
        choose.text().contains("choose which") && choose.text().contains("Riverside and Hillbrook"),
        "{}",
        choose.text()
    );
    let token = both.get("/sign-in").await.csrf_token();
    let chosen = both
        .post_form(
            "/sign-in",
            &[
                ("csrf_token", &token),
                ("next", "/"),
                ("email", "shared@demo.test"),
                ("password", "the other partnership's password"),
                ("partnership", &demo.id.to_string()),
            ],
        )
        .await;
    assert_eq!(chosen.location().as_deref(), Some("/account/password"), "a one-time password was set");
    app.finish().await;
}
on_both_databases!(one_email_in_several_partnerships, several_partnerships);

/// Disabling ends sessions and stops tokens; a one-time password ends sessions and must be
/// replaced; changing one's own password ends the other sessions; tokens can be revoked.
async fn managing_accounts(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let finance = users::find_by_email(&app.db, "finance@demo.test").await.unwrap().unwrap();
    let token = auth::create_api_token(&app.db, finance.id, "spreadsheet").await.unwrap();
    let bearer = format!("Bearer {}", token.expose_secret());
    let mut laptop = app.client();
    laptop.sign_in("finance@demo.test", "demo-finance-2025").await;
    let mut phone = app.client();
    phone.sign_in("finance@demo.test", "demo-finance-2025").await;
    // Two sessions show on the account page; one can end the other.
    let sessions = laptop.get("/account/sessions").await;
    assert!(sessions.text().contains("This browser") && sessions.text().contains("Sign out everywhere else"));
    let csrf = laptop.session_csrf().await;
    assert_eq!(
        laptop.post_form("/account/sessions/end-others", &[("csrf_token", &csrf)]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(
        phone.get("/").await.location().is_some_and(|l| l.starts_with("/sign-in")),
        "the phone was signed out"
    );
    phone.sign_in("finance@demo.test", "demo-finance-2025").await;
    // Changing the password signs out everywhere else.
    let form = laptop.get("/account/password").await;
    let csrf = form.csrf_token();
    let changed = laptop
        .post_form(
            "/account/password",
            &[
                ("csrf_token", &csrf),
                ("current", "demo-finance-2025"),
                ("new", "a brand new passphrase"),
                ("confirm", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.text());
    assert_eq!(laptop.get("/").await.status, StatusCode::OK, "the laptop stays signed in");
    assert!(phone.get("/").await.location().is_some_and(|l| l.starts_with("/sign-in")));
    // The admin disables the account: its sessions end and its token stops.
    let mut admin = app.client();
    admin.sign_in("admin@demo.test", "demo-admin-2025").await;
    let page = admin.get(&format!("/users/{}", finance.id)).await;
    assert!(page.text().contains("spreadsheet") && page.text().contains("Disable the account"));
    let csrf = page.csrf_token();
    let disabled = admin
        .post_form(&format!("/users/{}/disabled", finance.id), &[("csrf_token", &csrf), ("disabled", "yes")])
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER);
    assert!(laptop.get("/").await.location().is_some_and(|l| l.starts_with("/sign-in")));
    assert_eq!(
        app.client().get_with("/api/v1/me", &[("authorization", &bearer)]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.client().try_sign_in("finance@demo.test", "a brand new passphrase").await.status,
        StatusCode::UNAUTHORIZED
    );
    let own = admin
        .post_form(
            &format!(
                "/users/{}/disabled",
                users::find_by_email(&app.db, "admin@demo.test").await.unwrap().unwrap().id
            ),
            &[("csrf_token", &csrf), ("disabled", "yes")],
        )
        .await;
    assert!(own.text().contains("You cannot disable your own account"));
    admin
        .post_form(&format!("/users/{}/disabled", finance.id), &[("csrf_token", &csrf), ("disabled", "no")])
        .await;
    assert_eq!(
        app.client().get_with("/api/v1/me", &[("authorization", &bearer)]).await.status,
        StatusCode::OK,
        "enabled again"
    );
    // A one-time password: the person must choose their own at once.
    let reset = admin
        .post_form(
            &format!("/users/{}/password", finance.id),
            &[("csrf_token", &csrf), ("password", "one-time-2025-xyz")],
        )
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER);
    let mut fresh = app.client();
    assert_eq!(
        fresh.try_sign_in("finance@demo.test", "one-time-2025-xyz").await.location().as_deref(),
        Some("/account/password")
    );
    // Tokens: created on the page (shown once), revoked there too.
    let created = admin
        .post_form(
            &format!("/users/{}/tokens", finance.id),
            &[("csrf_token", &csrf), ("name", "reporting tool")],
        )
        .await;
    let text = created.text();
    let start = text.find("pb_").expect("the new token is shown");
    let new_token = &text[start..start + 67];
    let new_bearer = format!("Bearer {new_token}");
    assert_eq!(
        app.client().get_with("/api/v1/me", &[("authorization", &new_bearer)]).await.status,
        StatusCode::OK
    );
    let row = entity::api_token::Entity::find()
        .filter(entity::api_token::Column::Name.eq("reporting tool"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let revoked = admin
        .post_form(&format!("/users/{}/tokens/{}/revoke", finance.id, row.id), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.client().get_with("/api/v1/me", &[("authorization", &new_bearer)]).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.finish().await;
}
on_both_databases!(admins_manage_accounts_and_people_their_sessions, managing_accounts);

/// A session unused for half an hour ends; a token's use is written at most once a minute.
async fn idle_and_use(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let mut board = app.client();
    board.sign_in("board@demo.test", "demo-board-2025").await;
    assert_eq!(board.get("/").await.status, StatusCode::OK);
    let long_ago = (chrono::Utc::now() - chrono::Duration::minutes(31)).to_rfc3339();
    app.db.execute_unprepared(&format!("UPDATE sessions SET last_seen_at = '{long_ago}'")).await.unwrap();
    // Half an hour has passed: far longer than the service trusts a session it checked.
    app.state.auth_cache.clear();
    assert!(
        board.get("/").await.location().is_some_and(|l| l.starts_with("/sign-in")),
        "idle for 31 minutes"
    );
    let finance = users::find_by_email(&app.db, "finance@demo.test").await.unwrap().unwrap();
    let token = auth::create_api_token(&app.db, finance.id, "t").await.unwrap();
    let bearer = format!("Bearer {}", token.expose_secret());
    let used = || async {
        entity::api_token::Entity::find()
            .filter(entity::api_token::Column::Name.eq("t"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .last_used_at
    };
    app.client().get_with("/api/v1/me", &[("authorization", &bearer)]).await;
    let first = used().await.expect("recorded");
    app.client().get_with("/api/v1/me", &[("authorization", &bearer)]).await;
    assert_eq!(used().await, Some(first), "not written again within the minute");
    app.finish().await;
}
on_both_databases!(idle_sessions_end_and_token_use_is_written_sparingly, idle_and_use);

/// Pages, API answers and PDFs are never cached; over HTTPS, HSTS; sign-in attempts are limited
/// per address and per email.
#[tokio::test]
async fn private_headers_and_rate_limits() {
    let app = TestApp::with_demo(Backend::Sqlite).await;
    let mut finance = app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    for path in ["/", "/invoices", "/api/v1/me"] {
        let answer = finance.get(path).await;
        assert_eq!(
            answer.headers.get("cache-control").and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{path}"
        );
        assert!(answer.headers.get("strict-transport-security").is_none());
    }
    assert!(
        finance.get("/static/service.css").await.headers.get("cache-control").is_none_or(|v| v != "no-store")
    );
    let secure = partnership_billing::web::AppState::new(
        app.db.clone(),
        partnership_billing::web::WebSettings {
            secure_cookies: true,
            ..partnership_billing::web::WebSettings::local()
        },
    );
    let router = partnership_billing::web::router(secure);
    let answer = tower::ServiceExt::oneshot(
        router,
        axum::http::Request::get("/sign-in").body(axum::body::Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    assert!(
        answer
            .headers()
            .get("strict-transport-security")
            .is_some_and(|v| v.to_str().unwrap_or("").contains("max-age"))
    );
    // Ten attempts at one email a window, then 429 whatever the password.
    let mut guesser = app.client();
    for _ in 0..10 {
        assert_eq!(guesser.try_sign_in("council@demo.test", "guess").await.status, StatusCode::UNAUTHORIZED);
    }
    let limited = guesser.try_sign_in("council@demo.test", "demo-council-2025").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.text().contains("too many sign-in attempts"));
    app.finish().await;
}

/// A business manager sees the councils and trusts of their own schools only.
#[tokio::test]
async fn business_managers_list_only_their_own_trusts_and_councils() {
    let app = TestApp::with_demo(Backend::Sqlite).await;
    let mut trust = app.client();
    trust.sign_in("trust@demo.test", "demo-trust-2025").await;
    let trusts = trust.get("/api/v1/trusts").await.json();
    let names: Vec<&str> = trusts.as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["Northgate Learning Trust"]);
    let mut finance = app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    assert!(finance.get("/api/v1/trusts").await.json().as_array().unwrap().len() > 1);
    let mut sbm = app.client();
    sbm.sign_in("sbm@demo.test", "demo-school-2025").await;
    assert_eq!(sbm.get("/api/v1/local-authorities").await.json().as_array().map(Vec::len), Some(1));
    app.finish().await;
}

/// Emails become unique within a partnership on an existing database without losing anyone's
/// sessions or tokens: SQLite rebuilds the users table, and every foreign key still holds.
async fn users_survive_the_migration(backend: Backend) {
    let app = TestApp::migrated_to(backend, Some(3)).await;
    let statements = [
        "INSERT INTO partnerships (id, slug, name, address, year_kind, created_at, invoice_prefix, credit_note_prefix, payment_terms_days) VALUES (1, 'before', 'Before', '', 'academic', '2026-01-01T00:00:00+00:00', 'INV-', 'CN-', 30)",
        "INSERT INTO users (id, partnership_id, email, name, role, password_hash, failed_sign_ins, created_at) VALUES (7, 1, 'kept@before.test', 'Kept', 'finance', 'x', 0, '2026-01-01T00:00:00+00:00')",
        "INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at) VALUES ('s', 7, 'c', '2026-01-01T00:00:00+00:00', '2099-01-01T00:00:00+00:00')",
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (7, 'kept', 'h', '2026-01-01T00:00:00+00:00')",
    ];
    for statement in statements {
        app.db.execute_unprepared(statement).await.unwrap();
    }
    partnership_billing::services::migrate(&app.url).await.expect("migrate");
    assert_eq!(entity::session::Entity::find().all(&app.db).await.unwrap().len(), 1, "sessions kept");
    assert_eq!(entity::api_token::Entity::find().all(&app.db).await.unwrap().len(), 1, "tokens kept");
    let kept = entity::user::Entity::find_by_id(7).one(&app.db).await.unwrap().expect("the user is kept");
    assert!(!kept.must_change_password && kept.disabled_at.is_none());
    // The foreign keys still point at users: deleting the user takes their session and token.
    app.db.execute_unprepared("DELETE FROM users WHERE id = 7").await.unwrap();
    assert!(entity::session::Entity::find().all(&app.db).await.unwrap().is_empty());
    assert!(entity::api_token::Entity::find().all(&app.db).await.unwrap().is_empty());
    app.finish().await;
}
on_both_databases!(users_and_their_sessions_survive_the_migration, users_survive_the_migration);
