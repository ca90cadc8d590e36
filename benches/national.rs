//! The national register as users meet it, timed end to end through the release binary:
//!
//! 1. a partnership, its users and an API token made with the CLI;
//! 2. 24,000 schools imported from a GIAS-format file (`import-schools`);
//! 3. the service started (`serve`), an offer created and every school enrolled through the API;
//! 4. `billing-run` previewed, committed, and previewed again when nothing is left to raise;
//! 5. load from `wrk` (64 connections, 2 threads) on `/health`, a page with a session, an API
//!    read with a token, the schools search and the invoice lists: throughput and p99, after one
//!    second of the same load whose p99 (the list asked for the first time) is shown apart;
//! 6. the service's peak memory (VmHWM) while it takes two uploads at the 200 MB limit: a file of
//!    bad rows (the error report is bounded) and a valid national-format file.
//!
//! Run with `cargo bench --bench national` (needs `wrk`: `apt-get install wrk`). Options after
//! `--`: `--schools N` (default 24000), `--seconds N` per load run (default 10),
//! `--skip-uploads`, `--dir PATH` (build the database there and keep it; it must be empty). It prints a Markdown table for BENCHMARKS.md. Nothing is asserted.

mod common;

use axum::body::Bytes;
use axum::http::{Method, Request, StatusCode, header};
use common::gias::GiasFile;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_partnership-billing");
const YEAR: &str = "2026-27";
const PASSWORD: &str = "national-bench-2026";
const UPLOAD_LIMIT: usize = 200 * 1024 * 1024;

struct Options {
    schools: usize,
    seconds: u32,
    uploads: bool,
    /// Where to build the database (kept afterwards); a temporary directory when not given.
    dir: Option<PathBuf>,
}

fn options() -> Options {
    let mut o = Options { schools: 24_000, seconds: 10, uploads: true, dir: None };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = || args.get(i + 1).and_then(|v| v.parse().ok());
        match args[i].as_str() {
            "--schools" => o.schools = value().expect("--schools takes a number"),
            "--seconds" => o.seconds = value().expect("--seconds takes a number") as u32,
            "--skip-uploads" => o.uploads = false,
            "--dir" => o.dir = args.get(i + 1).map(PathBuf::from),
            _ => {} // `cargo bench` passes --bench
        }
        i += if matches!(args[i].as_str(), "--schools" | "--seconds" | "--dir") { 2 } else { 1 };
    }
    o
}

/// Runs the CLI on the bench's database; returns standard output and the wall time.
fn cli(database: &str, args: &[&str]) -> (String, Duration) {
    let started = Instant::now();
    let out = Command::new(BINARY)
        .args(args)
        .env("DATABASE_URL", database)
        .env("PB_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "partnership-billing {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    (String::from_utf8_lossy(&out.stdout).into_owned(), took)
}

/// The running service; stopped when dropped.
struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Service {
    fn start(database: &str, port: u16) -> Service {
        let child = Command::new(BINARY)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", database)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("the service starts");
        Service(child)
    }

    /// CPU time the service has used, in clock ticks (utime + stime from /proc).
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.0.id())).unwrap_or_default();
        // Fields after the command name (which is in parentheses): utime and stime are 14 and 15.
        let rest = stat.rsplit(')').next().unwrap_or_default();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        fields.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
            + fields.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
    }

    /// Waits until the service has finished what an earlier load left queued, so one run's
    /// backlog is not counted against the next.
    fn settle(&self) {
        let mut before = self.cpu_ticks();
        for _ in 0..240 {
            std::thread::sleep(Duration::from_millis(250));
            let now = self.cpu_ticks();
            if now - before <= 1 {
                return;
            }
            before = now;
        }
    }

    /// Peak resident memory so far, in MiB (VmHWM from /proc).
    fn peak_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).expect("/proc status");
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM");
        kib / 1024.0
    }
}

/// A small HTTP client that keeps cookies.
#[derive(Clone)]
struct Http {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
    cookies: HashMap<String, String>,
}

impl Http {
    fn new(port: u16) -> Http {
        let client = Client::builder(TokioExecutor::new()).build_http();
        Http { base: format!("http://127.0.0.1:{port}"), client, cookies: HashMap::new() }
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (StatusCode, String) {
        let mut request = Request::builder().method(method).uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request = request.header(header::COOKIE, jar.join("; "));
        }
        let answer = self.client.request(request.body(Full::new(Bytes::from(body))).expect("request")).await;
        let answer = answer.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = answer.status();
        for cookie in answer.headers().get_all(header::SET_COOKIE) {
            let pair = cookie.to_str().unwrap_or_default().split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        let bytes = answer.into_body().collect().await.expect("body").to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn wait_until_up(&mut self) {
        for _ in 0..200 {
            let request =
                Request::get(format!("{}/health", self.base)).body(Full::default()).expect("request");
            if self.client.request(request).await.is_ok_and(|a| a.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the service did not answer /health");
    }

    /// Signs in through the form, as a browser does; the session cookie stays in the jar.
    async fn sign_in(&mut self, email: &str) {
        let (_, page) = self.send(Method::GET, "/sign-in", &[], Vec::new()).await;
        let marker = "name=\"csrf_token\" value=\"";
        let start = page.find(marker).expect("a CSRF token on the sign-in page") + marker.len();
        let csrf = page[start..].split('"').next().unwrap_or_default().to_string();
        let form =
            format!("csrf_token={csrf}&next=%2F&email={}&password={PASSWORD}", email.replace('@', "%40"));
        let form_type = [("content-type", "application/x-www-form-urlencoded")];
        let (status, body) = self.send(Method::POST, "/sign-in", &form_type, form.into_bytes()).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "sign-in failed: {body}");
    }
}

/// One `wrk` run: requests a second and the 99th percentile latency in milliseconds.
fn wrk(url: &str, headers: &[String], seconds: u32) -> (f64, f64) {
    let mut command = Command::new("wrk");
    command.args(["-t2", "-c64", &format!("-d{seconds}s"), "--latency"]);
    for h in headers {
        command.args(["-H", h]);
    }
    let out = command.arg(url).output().expect("wrk runs (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Non-2xx"), "{url} answered errors under load:\n{text}");
    let rate = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec from wrk:\n{text}"));
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(|v| milliseconds(v.trim()))
        .unwrap_or_else(|| panic!("no 99% line from wrk:\n{text}"));
    (rate, p99)
}

/// wrk's latency ("850.00us", "12.34ms", "1.20s") in milliseconds.
fn milliseconds(text: &str) -> f64 {
    let split = text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => f64::NAN,
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("address").port()
}

fn write_file(path: &Path, file: &GiasFile) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    file.write(&mut out).expect("write the register");
}

/// A file of bad rows just under the upload limit: every row's URN is not a number.
fn bad_rows_file(path: &Path) -> usize {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    writeln!(out, "{}", common::gias::HEADER).expect("write");
    let mut written = common::gias::HEADER.len() + 1;
    let mut rows = 0;
    while written + 64 < UPLOAD_LIMIT {
        let line = format!("x{rows},\"801\",\"Authority\",\"2001\",\"Bad row {rows}\"\n");
        written += line.len();
        out.write_all(line.as_bytes()).expect("write");
        rows += 1;
    }
    rows
}

fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn main() {
    let o = options();
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("The national benchmark drives load with wrk: install it (apt-get install wrk).");
        std::process::exit(2);
    }
    let temporary = tempfile::tempdir().expect("a directory");
    let dir = o.dir.clone().unwrap_or_else(|| temporary.path().to_path_buf());
    std::fs::create_dir_all(&dir).expect("the bench's directory");
    let database = format!("sqlite://{}", dir.join("national.db").display());
    let mut rows: Vec<(String, String)> = Vec::new();

    cli(
        &database,
        &[
            "create-partnership",
            "--slug",
            "national",
            "--name",
            "National Schools Partnership",
            "--address",
            "1 Mill Lane\\nRiverside",
            "--vat-number",
            "GB 123 4567 89",
        ],
    );
    for (email, role) in [("admin@national.test", "admin"), ("finance@national.test", "finance")] {
        cli(&database, &["create-user", "--email", email, "--name", role, "--role", role]);
    }
    let token_of = |email: &str| {
        let (printed, _) = cli(&database, &["create-token", "--email", email, "--name", "bench"]);
        printed.lines().last().expect("the token").trim().to_string()
    };
    let token = token_of("finance@national.test");
    // Importing the register is an admin's job.
    let admin_bearer = format!("Bearer {}", token_of("admin@national.test"));

    let register = dir.join("national.csv");
    let file = GiasFile { rows: o.schools, first_urn: 100_000, closed_every: None, blank_pupils_every: None };
    write_file(&register, &file);
    let size = std::fs::metadata(&register).map(|m| m.len()).unwrap_or(0);
    let (_, took) = cli(&database, &["import-schools", register.to_str().expect("path")]);
    rows.push((
        format!("`import-schools` ({} schools, {:.1} MB GIAS file)", o.schools, size as f64 / 1e6),
        seconds(took),
    ));

    let port = free_port();
    let service = Service::start(&database, port);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let bearer = format!("Bearer {token}");
    let enrol = runtime.block_on(async {
        let mut http = Http::new(port);
        http.wait_until_up().await;
        let offer = serde_json::json!({
            "year": YEAR, "billing_plan": "annual",
            "levels": [{ "name": "Core", "vat_rate": "standard", "fee_rule": {
                "by_phase": {
                    "Primary": { "per_pupil": "6.50", "lump_sum": "400.00" },
                    "Secondary": { "bands": [{ "up_to": 600, "flat": "5000.00" }, { "up_to": 1200, "per_pupil": "4.00" }, { "per_pupil": "3.00" }], "mode": "graduated" },
                    "default": { "flat": "900.00" } },
                "min": "550.00", "max": "15000.00" } }]
        });
        let json = [("authorization", bearer.as_str()), ("content-type", "application/json")];
        let (status, body) = http.send(Method::POST, "/api/v1/offers", &json, offer.to_string().into_bytes()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        let lanes = 8;
        for lane in 0..lanes {
            let mut http = http.clone();
            let bearer = bearer.clone();
            let schools = o.schools;
            tasks.spawn(async move {
                let json = [("authorization", bearer.as_str()), ("content-type", "application/json")];
                for i in (lane..schools).step_by(lanes) {
                    let join = serde_json::json!({ "urn": 100_000 + i, "year": YEAR, "level": "Core", "starts_on": "2026-09-01", "paid_by": "school" });
                    let (status, body) =
                        http.send(Method::POST, "/api/v1/memberships", &json, join.to_string().into_bytes()).await;
                    assert_eq!(status, StatusCode::CREATED, "{body}");
                }
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("an enrolment lane");
        }
        started.elapsed()
    });
    rows.push((
        format!("enrol {} schools through `POST /api/v1/memberships` (8 at a time)", o.schools),
        seconds(enrol),
    ));

    let run = ["billing-run", "--year", YEAR, "--period", "annual", "--date", "2026-09-01"];
    let (_, preview) = cli(&database, &run);
    rows.push(("`billing-run` preview, every invoice still to raise".into(), seconds(preview)));
    let (out, commit) = cli(&database, &[&run[..], &["--commit"]].concat());
    assert!(out.contains(&format!("Raised {} invoices", o.schools)), "{out}");
    rows.push((format!("`billing-run --commit` ({} invoices)", o.schools), seconds(commit)));
    let (_, again) = cli(&database, &run);
    rows.push(("`billing-run` preview, nothing left to raise".into(), seconds(again)));

    // A month's bank statement: 10,000 credit lines, nine in ten paying an invoice (its number
    // written three ways, some after the payer's name), the rest income that is no invoice's.
    let statement = dir.join("statement.csv");
    let invoices: Vec<(String, i64, String)> = runtime.block_on(async {
        use sea_orm::{EntityTrait, QueryOrder};
        let db = partnership_billing::services::connect(&database).await.expect("the database");
        entity::invoice::Entity::find()
            .order_by_asc(entity::invoice::Column::Id)
            .all(&db)
            .await
            .expect("invoices")
            .into_iter()
            .filter_map(|i| Some((i.number?, i.gross_pence, i.payer_name)))
            .collect()
    });
    let today = chrono::Utc::now().date_naive().format("%d/%m/%Y");
    let mut csv = String::from(
        "Transaction Date,Transaction Type,Sort Code,Account Number,Transaction Description,Debit Amount,Credit Amount,Balance\n",
    );
    for i in 0..10_000usize {
        let (text, pence) = if i % 10 == 9 {
            (format!("INTEREST {i}"), 100 + i as i64)
        } else {
            let (number, gross, payer) = &invoices[(i * 2) % invoices.len()];
            let text = match i % 3 {
                0 => number.replace('-', ""),
                1 => format!(
                    "INV {}",
                    number.trim_start_matches(|c: char| !c.is_ascii_digit()).trim_start_matches('0')
                ),
                _ => format!(
                    "{} {number}",
                    payer.to_uppercase().chars().take(18).collect::<String>().replace(',', " ")
                ),
            };
            (text, *gross)
        };
        csv.push_str(&format!(
            "{today},BGC,'20-45-77,43218765,{text},,{}.{:02},\n",
            pence / 100,
            pence % 100
        ));
    }
    std::fs::write(&statement, csv).expect("the statement");
    let statement_arg = statement.to_str().expect("a path").to_string();
    let (out, imported) =
        cli(&database, &["import-statement", &statement_arg, "--format", "lloyds", "--json"]);
    let summary: serde_json::Value = serde_json::from_str(&out).expect("the import's summary");
    rows.push((
        format!(
            "`import-statement` (10,000 lines against {} invoices: {} matched and recorded, {} suggested, {} unmatched)",
            invoices.len(),
            summary["auto_matched"],
            summary["suggested"],
            summary["unmatched"]
        ),
        seconds(imported),
    ));
    let (_, checked) = cli(&database, &["check-ledger"]);
    rows.push(("`check-ledger` afterwards".into(), seconds(checked)));

    println!("\n| step (release binary, SQLite) | time |\n|---|---|");
    for (step, time) in &rows {
        println!("| {step} | {time} |");
    }

    let session = runtime.block_on(async {
        let mut http = Http::new(port);
        http.sign_in("finance@national.test").await;
        let jar: Vec<String> = http.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("Cookie: {}", jar.join("; "))
    });
    let token_header = format!("Authorization: {bearer}");
    let base = format!("http://127.0.0.1:{port}");
    let targets: Vec<(&str, String, Vec<String>)> = vec![
        ("`/health`", "/health".into(), vec![]),
        ("home page with a session", "/".into(), vec![session.clone()]),
        ("`/api/v1/me` with a session", "/api/v1/me".into(), vec![session.clone()]),
        ("`/api/v1/me` with a token", "/api/v1/me".into(), vec![token_header.clone()]),
        (
            "schools search page (`/schools?q=School 1234`)",
            "/schools?q=School%201234".into(),
            vec![session.clone()],
        ),
        (
            "schools search API (`/api/v1/schools?q=School 1234`)",
            "/api/v1/schools?q=School%201234".into(),
            vec![token_header.clone()],
        ),
        ("invoice list page (`/invoices`, 50 a page)", "/invoices".into(), vec![session.clone()]),
        (
            "invoice list API (`/api/v1/invoices`)",
            format!("/api/v1/invoices?year={YEAR}"),
            vec![token_header.clone()],
        ),
        ("schools list page (`/schools`, page 200)", "/schools?page=200".into(), vec![session.clone()]),
        (
            "memberships page (`/billing/memberships`, page 100, with fees)",
            format!("/billing/memberships?year={YEAR}&page=100"),
            vec![session.clone()],
        ),
        (
            "memberships API (`/api/v1/memberships`, page 100)",
            format!("/api/v1/memberships?year={YEAR}&page=100"),
            vec![token_header.clone()],
        ),
        (
            "payers page (`/billing/payers`, page 100)",
            "/billing/payers?page=100".into(),
            vec![session.clone()],
        ),
        (
            "payers API (`/api/v1/payers`, page 100)",
            "/api/v1/payers?page=100".into(),
            vec![token_header.clone()],
        ),
        ("audit log page (`/billing/audit`)", "/billing/audit".into(), vec![session.clone()]),
        ("audit log API (`/api/v1/audit`)", "/api/v1/audit".into(), vec![token_header.clone()]),
        ("billing page (`/billing`)", "/billing".into(), vec![session.clone()]),
    ];
    // Each list first takes one second of the same load (its kept counts and orders read for
    // the first time, its statistics checked): that second's p99 is shown on its own, and the
    // measured run is what the list costs once it has been asked for.
    println!(
        "\n| request (64 connections, wrk -t2, {} s) | requests/s | p99 | p99 of a first second, cold |\n|---|---|---|---|",
        o.seconds
    );
    for (name, path, headers) in &targets {
        service.settle();
        let (_, cold) = wrk(&format!("{base}{path}"), headers, 1);
        service.settle();
        let (rate, p99) = wrk(&format!("{base}{path}"), headers, o.seconds);
        println!("| {name} | {rate:.0} | {p99:.1} ms | {cold:.1} ms |");
    }

    if o.uploads {
        println!(
            "\n| upload through `POST /api/v1/imports/gias` | service peak memory (VmHWM) | time |\n|---|---|---|"
        );
        println!("| (before any upload) | {:.0} MiB | |", service.peak_mib());
        let bad = dir.join("bad.csv");
        let bad_rows = bad_rows_file(&bad);
        let valid = dir.join("valid.csv");
        let per_row = size as f64 / o.schools as f64;
        // Rows of this file vary in length a little from the national one's: keep under the limit.
        let big_rows = (UPLOAD_LIMIT as f64 * 0.97 / per_row) as usize;
        write_file(
            &valid,
            &GiasFile {
                rows: big_rows,
                first_urn: 300_000,
                closed_every: Some(10),
                blank_pupils_every: Some(17),
            },
        );
        for (label, path, query) in [
            (
                format!(
                    "{bad_rows} bad rows, {:.0} MB",
                    std::fs::metadata(&bad).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
                ),
                &bad,
                "?skip_bad_rows=true",
            ),
            (
                format!(
                    "{big_rows} valid schools, {:.0} MB",
                    std::fs::metadata(&valid).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
                ),
                &valid,
                "",
            ),
        ] {
            let bytes = std::fs::read(path as &PathBuf).expect("read the upload");
            let took = runtime.block_on(async {
                let mut http = Http::new(port);
                let headers = [("authorization", admin_bearer.as_str()), ("content-type", "text/csv")];
                let started = Instant::now();
                let (status, body) =
                    http.send(Method::POST, &format!("/api/v1/imports/gias{query}"), &headers, bytes).await;
                assert!(
                    status.is_success() || status == StatusCode::UNPROCESSABLE_ENTITY,
                    "{status}: {}",
                    &body[..body.len().min(500)]
                );
                assert!(body.len() < 1_000_000, "the answer is bounded: {} bytes", body.len());
                started.elapsed()
            });
            println!("| {label} | {:.0} MiB | {} |", service.peak_mib(), seconds(took));
        }
    }
    drop(service);
}
