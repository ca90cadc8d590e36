//! Spawning the app on a fresh database and talking to it like a browser would.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use partnership_billing::services;
use partnership_billing::services::demo::load_demo;
use partnership_billing::web::{AppState, WebSettings, router};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use std::collections::HashMap;
use tower::ServiceExt;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The app on its own fresh, migrated database.
pub struct TestApp {
    pub db: DatabaseConnection,
    /// Where the database is, to migrate it again (or open it from another process).
    pub url: String,
    pub router: Router,
    pub state: AppState,
    cleanup: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

/// The server every PostgreSQL test creates its database on.
pub fn postgres_admin_url() -> String {
    std::env::var("PB_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "PB_TEST_POSTGRES_URL is not set: run the suite with tests/run (it starts a throwaway \
             PostgreSQL), or point it at a server, e.g. postgres://postgres@127.0.0.1:5432/postgres"
        )
    })
}

fn random_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst), nanos)
}

impl TestApp {
    /// A fresh, migrated, empty database on `backend`.
    pub async fn empty(backend: Backend) -> TestApp {
        TestApp::migrated_to(backend, None).await
    }

    /// A fresh database with only the first `steps` migrations applied (all when `None`).
    pub async fn migrated_to(backend: Backend, steps: Option<u32>) -> TestApp {
        let (database_url, cleanup, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                (url, None, Some(dir))
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let name = format!("pb_test_{}", random_suffix());
                let admin =
                    Database::connect(&admin_url).await.expect("connect to the PostgreSQL test server");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create a test database");
                admin.close().await.ok();
                let base =
                    admin_url.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin_url.clone());
                (format!("{base}/{name}"), Some((admin_url, name)), None)
            }
        };
        services::migrate_to(&database_url, steps).await.expect("migrate the test database");
        let db = services::connect(&database_url).await.expect("open the test database");
        let state = AppState::new(db.clone(), WebSettings::local());
        TestApp { router: router(state.clone()), state, db, url: database_url, cleanup, _dir: dir }
    }

    /// A fresh database holding the demo partnership.
    pub async fn with_demo(backend: Backend) -> TestApp {
        let app = TestApp::empty(backend).await;
        load_demo(&app.db).await.expect("load the demo");
        app
    }

    /// The same app with its clock fixed at noon on `day` (pages that choose years by today).
    pub fn on_day(mut self, day: chrono::NaiveDate) -> TestApp {
        let noon = day.and_hms_opt(12, 0, 0).expect("noon").and_utc();
        self.state.clock = partnership_billing::clock::Clock::Fixed(noon);
        self.router = router(self.state.clone());
        self
    }

    /// A browser-like client with its own cookies.
    pub fn client(&self) -> Client {
        Client { router: self.router.clone(), cookies: HashMap::new() }
    }

    /// Drops a PostgreSQL test database (SQLite files go with their temporary directory).
    pub async fn finish(self) {
        self.db.close().await.ok();
        if let Some((admin_url, name)) = self.cleanup
            && let Ok(admin) = Database::connect(&admin_url).await
        {
            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok();
            admin.close().await.ok();
        }
    }
}

/// Runs one async test body on SQLite and on PostgreSQL, as `NAME_sqlite` and `NAME_postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body($crate::helpers::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$body($crate::helpers::Backend::Postgres).await;
            }
        }
    };
}

/// One answer from the app.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as text, with the HTML entities templates escape turned back into characters.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body)
            .replace("&#34;", "\"")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&#38;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn location(&self) -> Option<String> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).map(String::from)
    }

    /// The value of the first hidden `csrf_token` field on the page.
    pub fn csrf_token(&self) -> String {
        let text = self.text();
        let marker = "name=\"csrf_token\" value=\"";
        let start =
            text.find(marker).unwrap_or_else(|| panic!("no csrf_token on the page: {text}")) + marker.len();
        text[start..].split('"').next().unwrap_or_default().to_string()
    }
}

/// Talks to the router in-process, keeping cookies like a browser.
#[derive(Clone)]
pub struct Client {
    router: Router,
    pub cookies: HashMap<String, String>,
}

fn form_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", partnership_billing::web::error::urlencode(k), encode_value(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode_value(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl Client {
    pub async fn send(&mut self, request: Request<Body>) -> Answer {
        let mut request = request;
        if !self.cookies.is_empty() {
            let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            request.headers_mut().insert(header::COOKIE, cookie.parse().expect("cookie header"));
        }
        let response = self.router.clone().oneshot(request).await.expect("the router answers");
        for value in response.headers().get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap_or_default();
            if let Some((pair, _)) = text.split_once(';')
                && let Some((k, v)) = pair.split_once('=')
            {
                if v.is_empty() || text.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), v.to_string());
                }
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.expect("a body").to_bytes().to_vec();
        Answer { status, headers, body }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        self.send(Request::get(path).body(Body::empty()).expect("request")).await
    }

    pub async fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut builder = Request::get(path);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        self.send(builder.body(Body::empty()).expect("request")).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form_encode(fields)))
            .expect("request");
        self.send(request).await
    }

    pub async fn post_body(
        &mut self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut builder =
            Request::builder().method(Method::POST).uri(path).header(header::CONTENT_TYPE, content_type);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        self.send(builder.body(Body::from(body)).expect("request")).await
    }

    /// Posts a multipart form: text fields, then an optional file field named `file`.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &[u8])>,
    ) -> Answer {
        let boundary = "----pbtestboundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                    .as_bytes(),
            );
        }
        if let Some((filename, bytes)) = file {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.post_body(path, &format!("multipart/form-data; boundary={boundary}"), body, &[]).await
    }

    /// Signs in through the sign-in page; panics unless it works.
    pub async fn sign_in(&mut self, email: &str, password: &str) {
        let answer = self.try_sign_in(email, password).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "sign-in of {email} failed: {}", answer.text());
    }

    pub async fn try_sign_in(&mut self, email: &str, password: &str) -> Answer {
        let page = self.get("/sign-in").await;
        let token = page.csrf_token();
        self.post_form(
            "/sign-in",
            &[("csrf_token", &token), ("next", "/"), ("email", email), ("password", password)],
        )
        .await
    }

    /// The CSRF token of the signed-in session (read from the sign-out form).
    pub async fn session_csrf(&mut self) -> String {
        self.get("/").await.csrf_token()
    }
}

/// A path inside this clone. Read at run time (cargo sets `CARGO_MANIFEST_DIR` for tests), because
/// a target directory shared by several clones keeps test binaries compiled in another one.
pub fn repo_path(relative: &str) -> std::path::PathBuf {
    let root = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    root.join(relative)
}

/// A register extract kept with the tests (`tests/data/`, Open Government Licence).
pub fn test_data(file: &str) -> std::path::PathBuf {
    let path = repo_path("tests/data").join(file);
    assert!(path.exists(), "{} is missing from the repository", path.display());
    path
}

/// How many operations (path and method) an OpenAPI document describes.
pub fn count_operations(document: &serde_json::Value) -> usize {
    document["paths"]
        .as_object()
        .map_or(0, |paths| paths.values().filter_map(|p| p.as_object()).map(|m| m.len()).sum())
}
