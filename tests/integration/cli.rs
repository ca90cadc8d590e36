//! The binary as a person runs it: demo, import-schools, create-user, create-token.

use crate::helpers::test_data;
use std::process::Command;

fn run(db_url: &str, args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_partnership-billing"));
    command.args(args).env("DATABASE_URL", db_url).env("RUST_LOG", "warn");
    for (k, v) in envs {
        command.env(k, v);
    }
    command.output().expect("run partnership-billing")
}

#[test]
fn the_command_line_loads_imports_and_creates_users() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let demo = run(&db, &["demo", "--no-invoices"], &[]);
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let out = String::from_utf8_lossy(&demo.stdout);
    assert!(
        out.contains("admin@demo.test") && out.contains("demo-admin-2025"),
        "sign-ins are printed: {out}"
    );
    let again = run(&db, &["demo", "--no-invoices"], &[]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("already loaded"));

    let extract = test_data("gias-extract-hampshire-surrey-primary-2022-04-20.csv");
    let imported = run(
        &db,
        &[
            "import-schools",
            extract.to_str().expect("path"),
            "--partnership",
            "demo",
            "--la",
            "936",
            "--json",
        ],
        &[],
    );
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&imported.stdout).expect("JSON summary");
    assert_eq!(summary["created"], 576);
    assert_eq!(summary["outside_area"], 520);
    assert_eq!(summary["committed"], true);

    let dir_bad = dir.path().join("bad.csv");
    std::fs::write(&dir_bad, "URN,LA (code),LA (name),EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),EstablishmentStatus (name)\n1,936,Surrey,,Community school,Primary,Open\n").expect("write");
    let refused = run(&db, &["import-schools", dir_bad.to_str().expect("path")], &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("line 2, column \"EstablishmentName\""));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("Nothing was imported"));

    let created = run(
        &db,
        &["create-user", "--email", "new.finance@demo.test", "--name", "New Finance", "--role", "finance"],
        &[("PB_PASSWORD", "a good long password")],
    );
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let duplicate = run(
        &db,
        &["create-user", "--email", "new.finance@demo.test", "--name", "Again", "--role", "finance"],
        &[("PB_PASSWORD", "a good long password")],
    );
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already has an account"));
    let bad_role = run(
        &db,
        &["create-user", "--email", "x@demo.test", "--name", "X", "--role", "root"],
        &[("PB_PASSWORD", "a good long password")],
    );
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("--role \"root\""));
    let token = run(&db, &["create-token", "--email", "new.finance@demo.test", "--name", "spreadsheet"], &[]);
    assert!(token.status.success());
    assert!(String::from_utf8_lossy(&token.stdout).contains("pb_"));
}

#[test]
fn secrets_in_the_database_url_never_reach_the_output() {
    let output = run("postgres://pb:hunter2-secret@127.0.0.1:1/none", &["migrate"], &[]);
    assert!(!output.status.success());
    let all =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(all.contains("postgres://pb:***@127.0.0.1:1/none"), "{all}");
    assert!(!all.contains("hunter2"), "{all}");
}

#[test]
fn a_killed_billing_run_resumes_without_gaps_or_duplicates() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("kill.db").display());
    assert!(run(&db, &["demo", "--no-invoices"], &[]).status.success());
    let preview = run(
        &db,
        &["billing-run", "--partnership", "demo", "--year", "2025-26", "--period", "autumn", "--json"],
        &[],
    );
    let planned: serde_json::Value = serde_json::from_slice(&preview.stdout).expect("JSON preview");
    assert_eq!(planned["committed"], false);
    assert_eq!(planned["invoices"], 63);

    // Start a slowed-down run and kill it (SIGKILL) part-way through.
    let mut child = Command::new(env!("CARGO_BIN_EXE_partnership-billing"))
        .args([
            "billing-run",
            "--partnership",
            "demo",
            "--year",
            "2025-26",
            "--period",
            "autumn",
            "--commit",
            "--date",
            "2025-09-01",
            "--batch-size",
            "3",
        ])
        .env("DATABASE_URL", &db)
        .env("PB_BILLING_PAUSE_MS", "150")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the run");
    let raised = || -> i64 {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            use sea_orm::{ConnectionTrait, Statement};
            // A plain reader: no PRAGMAs, so it never waits for the writer's lock.
            let conn = sea_orm::Database::connect(&db).await.expect("db");
            let row = conn
                .query_one_raw(Statement::from_string(
                    conn.get_database_backend(),
                    "SELECT COUNT(*) AS n FROM invoices",
                ))
                .await
                .expect("count")
                .expect("a row");
            let n: i64 = row.try_get("", "n").expect("n");
            conn.close().await.ok();
            n
        })
    };
    let started = std::time::Instant::now();
    while raised() < 10 && started.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    let part_way = raised();
    assert!((10..63).contains(&part_way), "the run was killed part-way: {part_way} invoices");

    let resumed = run(
        &db,
        &[
            "billing-run",
            "--partnership",
            "demo",
            "--year",
            "2025-26",
            "--period",
            "autumn",
            "--commit",
            "--json",
            "--date",
            "2025-09-01",
        ],
        &[],
    );
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&resumed.stdout).expect("JSON summary");
    assert_eq!(summary["invoices"].as_i64(), Some(63 - part_way), "the resumed run raises only what is left");
    assert_eq!(raised(), 63);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        let conn = partnership_billing::services::connect(&db).await.expect("db");
        let sequences: Vec<i64> = entity::invoice::Entity::find()
            .filter(entity::invoice::Column::Status.eq("issued"))
            .order_by_asc(entity::invoice::Column::Sequence)
            .all(&conn)
            .await
            .expect("invoices")
            .into_iter()
            .filter_map(|i| i.sequence)
            .collect();
        assert_eq!(sequences, (1..=62).collect::<Vec<i64>>(), "numbers run unbroken");
        let lines = entity::invoice_line::Entity::find().all(&conn).await.expect("lines");
        let keys: std::collections::HashSet<_> = lines.iter().map(|l| l.charge_key.clone()).collect();
        assert_eq!(keys.len(), lines.len(), "no charge twice");
    });
    let again = run(
        &db,
        &[
            "billing-run",
            "--partnership",
            "demo",
            "--year",
            "2025-26",
            "--period",
            "autumn",
            "--commit",
            "--json",
        ],
        &[],
    );
    let summary: serde_json::Value = serde_json::from_slice(&again.stdout).expect("JSON");
    assert_eq!(summary["invoices"], 0);
    assert_eq!(summary["total"], "0.00");
}

#[test]
fn invoice_settings_change_prefixes_and_refuse_bad_ones() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("settings.db").display());
    assert!(run(&db, &["demo", "--no-invoices"], &[]).status.success());
    let shown = run(&db, &["invoice-settings"], &[]);
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains("RH-000001"),
        "{}",
        String::from_utf8_lossy(&shown.stdout)
    );
    let changed =
        run(&db, &["invoice-settings", "--invoice-prefix", "INV/2025/", "--payment-terms-days", "14"], &[]);
    let out = String::from_utf8_lossy(&changed.stdout);
    assert!(out.contains("INV/2025/000001") && out.contains("14 days"), "{out}");
    let bad = run(&db, &["invoice-settings", "--invoice-prefix", "no spaces please"], &[]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("must be up to 12 letters"));
    let run_it =
        run(&db, &["billing-run", "--year", "2025-26", "--period", "autumn", "--commit", "--json"], &[]);
    assert!(run_it.status.success());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let conn = sea_orm::Database::connect(&db).await.expect("db");
        let first = entity::invoice::Entity::find()
            .filter(entity::invoice::Column::Sequence.eq(1))
            .one(&conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.number.as_deref(), Some("INV/2025/000001"));
        assert_eq!(first.due_date, first.issue_date.map(|d| d + chrono::Days::new(14)));
    });
}

/// The README's worked example: run exactly as documented, with the figures worked by hand.
#[test]
fn the_readme_funding_model_example() {
    let scenario = crate::helpers::repo_path("tests/scenarios/example.json");
    let out = run("sqlite::memory:", &["model", scenario.to_str().expect("path")], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(r["schools"], 7, "Haringey's open schools: Enfield's and the closed one are left out");
    assert_eq!(r["costs_total"], "37900.00");
    let single = &r["options"][0];
    // 210, 420, 630, 1200 and 900 pupils at £12, and the special school's 90 raised to the £1,500 floor.
    assert_eq!(single["income"]["memberships"], "41820.00");
    assert_eq!(single["income"]["council"], "5000.00", "half of school income, capped at £5,000");
    assert_eq!(single["surplus"], "8920.00");
    // 3,360 pupils x r + £1,500 + £5,000 >= £37,900 first holds at £9.35.
    assert_eq!(single["break_even"], "9.35");
    assert_eq!(single["needs_pupil_number"][0]["name"], "Gorse Free School");
    assert_eq!(single["sensitivity"][0][1], "-37900.00");
    let tiers = &r["options"][1];
    assert_eq!(tiers["income"]["memberships"], "18000.00");
    assert_eq!(tiers["income"]["levels"], "6750.00", "2 x £3,000 x 0.5 + 5 x £3,000 x 0.25");
    assert_eq!(tiers["surplus"], "-8150.00");
    let core = &r["options"][2];
    assert_eq!(core["income"]["memberships"], "18630.00", "3,450 pupils x £6 x 0.9");
    assert_eq!(core["costs_covered"], "27000.00");
    assert_eq!(core["break_even"], "7.09");
    let alder = single["schools"].as_array().unwrap().iter().find(|s| s["urn"] == 100001).unwrap();
    assert_eq!(
        (alder["charge"].as_str(), alder["baseline"].as_str(), alder["change"].as_str()),
        (Some("2520.00"), Some("2100.00"), Some("420.00"))
    );
}

/// A setting that cannot be used stops the command at once, naming the variable; a secret
/// setting is never printed, even when it is wrong elsewhere.
#[test]
fn bad_settings_are_named_and_secrets_never_printed() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let bad = run(
        &db,
        &["migrate"],
        &[("SIGN_IN_LIMIT_PER_EMAIL", "lots"), ("STRIPE_SECRET_KEY", "sk_test_never_printed")],
    );
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("SIGN_IN_LIMIT_PER_EMAIL: \"lots\" is not a whole number"), "{stderr}");
    assert!(!stderr.contains("sk_test_never_printed"));
    let good = run(&db, &["migrate"], &[("SIGN_IN_LIMIT_PER_EMAIL", "5"), ("PB_JOBS", "off")]);
    assert!(good.status.success(), "{}", String::from_utf8_lossy(&good.stderr));
}

/// Runs the binary with `input` on standard input.
fn run_with_input(db_url: &str, args: &[&str], envs: &[(&str, &str)], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_partnership-billing"))
        .args(args)
        .env("DATABASE_URL", db_url)
        .envs(envs.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the binary");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("the binary finishes")
}

#[test]
fn stripe_keys_are_read_from_standard_input_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("keys.db").display());
    assert!(run(&db, &["demo", "--no-invoices"], &[]).status.success());
    let key = ("PB_SECRET_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    let keys = "sk_test_cli_secret_123\nwhsec_cli_secret_456\n";
    let without = run_with_input(&db, &["stripe-keys"], &[], keys);
    assert!(!without.status.success());
    assert!(String::from_utf8_lossy(&without.stderr).contains("no PB_SECRET_KEY"));
    let bad = run_with_input(&db, &["stripe-keys"], &[key], "pk_test_1\nwhsec_1\n");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("secret_key: this is a publishable key"));
    let set = run_with_input(&db, &["stripe-keys"], &[key], keys);
    let out = format!("{}{}", String::from_utf8_lossy(&set.stdout), String::from_utf8_lossy(&set.stderr));
    assert!(set.status.success(), "{out}");
    assert!(out.contains("Card payments are on") && out.contains("/stripe/webhook/demo"), "{out}");
    assert!(!out.contains("cli_secret"), "a key was printed: {out}");
    let db_bytes = std::fs::read(dir.path().join("keys.db")).unwrap();
    assert!(!String::from_utf8_lossy(&db_bytes).contains("cli_secret"), "a key was stored in the clear");
    let removed = run_with_input(&db, &["stripe-keys", "--remove"], &[key], "");
    assert!(String::from_utf8_lossy(&removed.stdout).contains("removed"));
}

#[test]
fn jobs_are_listed_and_run_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("jobs.db").display());
    let outbox = dir.path().join("outbox");
    let outbox_env = ("MAIL_OUTBOX_DIR", outbox.to_str().unwrap());
    let demo = run(&db, &["demo"], &[]);
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let listed = run(&db, &["jobs", "list"], &[("PB_CRON_REMINDERS", "0 30 6 * * *")]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(text.contains("reminders") && text.contains("\"0 30 6 * * *\""), "{text}");
    assert!(text.contains("demo: send-mail has not run yet."), "{text}");
    let cron = run(&db, &["jobs", "list"], &[("PB_CRON_SEND_MAIL", "*/5 * * * *")]);
    assert!(!cron.status.success());
    assert!(
        String::from_utf8_lossy(&cron.stderr)
            .contains("PB_CRON_SEND_MAIL: \"*/5 * * * *\" is not a schedule of six fields")
    );
    let unknown = run(&db, &["jobs", "run", "payroll"], &[]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains(
        "there is no job \"payroll\"; the jobs are direct-debit, reminders, send-mail, traded-invoicing"
    ));
    // a day well after the demo's invoices fell due: the overdue ones are reminded
    let reminded = run(&db, &["jobs", "run", "reminders", "--today", "2026-12-31"], &[outbox_env]);
    let text = String::from_utf8_lossy(&reminded.stdout);
    assert!(reminded.status.success() && text.contains("demo: reminders done: Queued"), "{text}");
    let again = run(&db, &["jobs", "run", "reminders", "--today", "2026-12-31"], &[outbox_env]);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("Queued 0 reminders"),
        "the same day twice queues nothing"
    );
    let sent = run(&db, &["jobs", "run", "send-mail"], &[outbox_env]);
    let text = String::from_utf8_lossy(&sent.stdout);
    assert!(sent.status.success() && text.contains("written as files to the folder"), "{text}");
    let files: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .collect();
    assert!(!files.is_empty(), "{text}");
    let first = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(first.contains("Subject:") && first.contains("application/pdf"), "{first}");
    let listed = run(&db, &["jobs", "list"], &[]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("demo: send-mail last ran"));
}
