//! The binary as a person runs it: demo, import-schools, create-user, create-token.

use crate::helpers::shared_data;
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
    let demo = run(&db, &["demo"], &[]);
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let out = String::from_utf8_lossy(&demo.stdout);
    assert!(
        out.contains("admin@demo.test") && out.contains("demo-admin-2025"),
        "sign-ins are printed: {out}"
    );
    let again = run(&db, &["demo"], &[]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("already loaded"));

    let extract = shared_data("gias-extract-hampshire-surrey-primary-2022-04-20.csv");
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
