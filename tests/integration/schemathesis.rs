//! Schemathesis (from PyPI, installed by tests/run) generates requests from the OpenAPI document
//! and checks every answer: no 5xx, every status documented, the documented content type, and
//! every body valid against its schema.

use crate::helpers::{Backend, TestApp};
use partnership_billing::services::billing::{self, RunBy};
use partnership_billing::services::{auth, partnerships, users};
use secrecy::ExposeSecret;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_keeps_its_openapi_contract() {
    let schemathesis = std::env::var("PB_SCHEMATHESIS").unwrap_or_else(|_| {
        panic!("PB_SCHEMATHESIS is not set: run the suite with tests/run, which installs Schemathesis")
    });
    let app = TestApp::with_demo(Backend::Sqlite).await;
    let p = partnerships::find_by_slug(&app.db, "demo").await.unwrap().unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
    billing::commit(&app.db, &p, "2025-26", "autumn", RunBy::on(today), &mut |_, _| {}).await.unwrap();
    let admin = users::find_by_email(&app.db, "admin@demo.test").await.unwrap().unwrap();
    let token = auth::create_api_token(&app.db, admin.id, "schemathesis").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let router = app.router.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let reports = tempfile::tempdir().expect("dir");
    let header = format!("Authorization: Bearer {}", token.expose_secret());
    let url = format!("http://{address}/api/v1/openapi.json");
    let report_dir = reports.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(schemathesis)
            .args([
                "run",
                &url,
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                "-H",
                &header,
                "--max-examples",
                "30",
                // One worker: Hypothesis's source inspection is not thread-safe on Python 3.11
                // ("AST constructor recursion depth mismatch").
                "--workers",
                "1",
                "--report",
                "junit",
                "--report-dir",
            ])
            .arg(&report_dir)
            // Its example cache (.schemathesis/) goes with the reports, not into the clone.
            .current_dir(&report_dir)
            .env("NO_COLOR", "1")
            .output()
            .expect("run schemathesis")
    })
    .await
    .expect("schemathesis finished");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "Schemathesis found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // At least 1,000 generated cases across all operations.
    let generated = stdout.lines().find(|l| l.contains(" generated, ")).unwrap_or_default();
    let count: u64 = generated
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no count of test cases in:\n{stdout}"));
    assert!(count >= 1000, "only {count} cases were generated:\n{stdout}");
    // Every operation of the document (44 with the ledger's) is tested.
    let operations = crate::helpers::count_operations(&partnership_billing::web::openapi::openapi());
    assert!(operations >= 44, "the document lists {operations} operations");
    assert!(stdout.contains(&format!("Tested: {operations}")), "every operation is tested:\n{stdout}");
    app.finish().await;
}
