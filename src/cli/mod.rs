//! The command line: parse, read settings, run the chosen command.

use crate::domain::gias::{ParseOptions, parse_gias_date};
use crate::domain::partnership::YearKind;
use crate::domain::role::Role;
use crate::services::demo::{DEMO_LOGINS, load_demo};
use crate::services::import::{ImportOptions, import_schools};
use crate::services::partnerships::{self, NewPartnership};
use crate::services::users::{self, NewUser};
use crate::services::{self, ServiceError, auth};
use crate::settings::{DEFAULT_BIND, DEFAULT_DATABASE_URL, Settings};
use crate::web::{AppState, WebSettings, router};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use sea_orm::DatabaseConnection;
use secrecy::{ExposeSecret, SecretString};
use std::process::ExitCode;

/// Partnership Billing: membership fees, invoices and funding models for education partnerships.
#[derive(Debug, Parser)]
#[command(name = "partnership-billing", version)]
pub struct Cli {
    /// Database URL: sqlite://FILE (created if missing) or postgres://USER:PASSWORD@HOST/DB.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true, global = true)]
    pub database_url: SecretString,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service (the default).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "BIND", default_value = DEFAULT_BIND)]
        bind: String,
        /// Load the demo partnership first if it is not there, and print its sign-ins.
        #[arg(long, env = "PB_DEMO")]
        demo: bool,
        /// Mark cookies Secure: set this when the service is reached over HTTPS.
        #[arg(long, env = "SECURE_COOKIES")]
        secure_cookies: bool,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Load the demo partnership, its schools and one user per role.
    Demo,
    /// Import a GIAS establishment CSV into a partnership's register.
    ImportSchools {
        /// The CSV file (UTF-8 or Windows-1252, as GIAS downloads are).
        file: std::path::PathBuf,
        /// The partnership's slug (needed when there is more than one).
        #[arg(long)]
        partnership: Option<String>,
        /// Import the good rows and report the bad ones instead of refusing the file.
        #[arg(long)]
        skip_bad_rows: bool,
        /// Census date (DD-MM-YYYY) for pupil numbers when the file has no CensusDate column.
        #[arg(long)]
        census_date: Option<String>,
        /// Only import rows of these LA codes, comma-separated (e.g. 309,308).
        #[arg(long)]
        la: Option<String>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a partnership.
    CreatePartnership {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// Postal address; use \n between lines.
        #[arg(long, default_value = "")]
        address: String,
        #[arg(long)]
        vat_number: Option<String>,
        /// academic (September-August) or financial (April-March).
        #[arg(long, default_value = "academic")]
        year_kind: String,
    },
    /// Create a user. The password is read from the PB_PASSWORD variable or standard input.
    CreateUser {
        #[arg(long)]
        partnership: Option<String>,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, finance, board, school_business_manager or commissioner.
        #[arg(long)]
        role: String,
        /// For a business manager of one school: its URN.
        #[arg(long)]
        school: Option<i32>,
        /// For a business manager of a whole trust: its name.
        #[arg(long)]
        trust: Option<String>,
        /// For a commissioner: their council's LA code.
        #[arg(long)]
        council: Option<String>,
    },
    /// Preview (or with --commit, raise) a period's membership invoices.
    BillingRun {
        #[arg(long)]
        partnership: Option<String>,
        /// Membership year, e.g. 2025-26.
        #[arg(long)]
        year: String,
        /// Billing period of the year's plan: annual; autumn, spring or summer; month-1 to month-12.
        #[arg(long, default_value = "annual")]
        period: String,
        /// Raise and issue the invoices (without it, only preview).
        #[arg(long)]
        commit: bool,
        /// The issue date (YYYY-MM-DD); today when not given.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Invoices written per transaction (a killed run loses at most one batch, which the
        /// next run raises again).
        #[arg(long, default_value_t = 1000)]
        batch_size: usize,
    },
    /// Compare a scenario's funding options and print the results as JSON.
    Model {
        /// The scenario JSON file (see the README).
        scenario: std::path::PathBuf,
    },
    /// Show, or change, how a partnership's invoices are numbered and paid.
    InvoiceSettings {
        #[arg(long)]
        partnership: Option<String>,
        /// Prefix of invoice numbers, e.g. INV- (numbers already given never change).
        #[arg(long)]
        invoice_prefix: Option<String>,
        #[arg(long)]
        credit_note_prefix: Option<String>,
        #[arg(long)]
        payment_terms_days: Option<i32>,
        #[arg(long)]
        bank_account_name: Option<String>,
        #[arg(long)]
        sort_code: Option<String>,
        #[arg(long)]
        account_number: Option<String>,
        #[arg(long)]
        remittance_email: Option<String>,
    },
    /// Create an API token for a user; it is printed once.
    CreateToken {
        #[arg(long)]
        email: String,
        /// What will use the token, e.g. "finance spreadsheet".
        #[arg(long)]
        name: String,
    },
}

/// Logs to standard error; `RUST_LOG` chooses the level (default info).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

async fn open(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = services::connect(settings.database_url.expose_secret())
        .await
        .with_context(|| format!("cannot open the database at {}", settings.database_for_logs()))?;
    services::migrate(&db).await.context("cannot bring the database schema up to date")?;
    Ok(db)
}

fn service_error(e: ServiceError) -> anyhow::Error {
    match e {
        ServiceError::Database(db) => anyhow::Error::new(db).context("database error"),
        other => anyhow::anyhow!("{other}"),
    }
}

/// Runs one command; the exit code says whether it did what was asked.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let command = cli.command.unwrap_or(Command::Serve {
        bind: std::env::var("BIND").unwrap_or_else(|_| DEFAULT_BIND.into()),
        demo: std::env::var("PB_DEMO").is_ok_and(|v| v == "true" || v == "1"),
        secure_cookies: std::env::var("SECURE_COOKIES").is_ok_and(|v| v == "true" || v == "1"),
    });
    let mut settings =
        Settings { database_url: cli.database_url, bind: DEFAULT_BIND.into(), secure_cookies: false };
    match command {
        Command::Serve { bind, demo, secure_cookies } => {
            settings.bind = bind;
            settings.secure_cookies = secure_cookies;
            serve(settings, demo).await
        }
        Command::Migrate => {
            open(&settings).await?;
            println!("The database at {} is up to date.", settings.database_for_logs());
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => {
            let db = open(&settings).await?;
            demo(&db).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::ImportSchools { file, partnership, skip_bad_rows, census_date, la, json } => {
            let db = open(&settings).await?;
            import(&db, &file, partnership.as_deref(), skip_bad_rows, census_date, la, json).await
        }
        Command::CreatePartnership { slug, name, address, vat_number, year_kind } => {
            let db = open(&settings).await?;
            let year_kind = YearKind::parse(&year_kind)
                .with_context(|| format!("--year-kind \"{year_kind}\" must be academic or financial"))?;
            let created = partnerships::create(
                &db,
                NewPartnership { slug, name, address: address.replace("\\n", "\n"), vat_number, year_kind },
            )
            .await
            .map_err(service_error)?;
            println!("Created partnership {} ({}).", created.name, created.slug);
            Ok(ExitCode::SUCCESS)
        }
        Command::CreateUser { partnership, email, name, role, school, trust, council } => {
            let db = open(&settings).await?;
            let partnership =
                partnerships::resolve(&db, partnership.as_deref()).await.map_err(service_error)?;
            let role = Role::parse(&role).with_context(|| {
                format!(
                    "--role \"{role}\" must be admin, finance, board, school_business_manager or commissioner"
                )
            })?;
            let password = read_password()?;
            let created = users::create(
                &db,
                NewUser {
                    partnership_id: partnership.id,
                    email,
                    name,
                    role,
                    password,
                    school_urn: school,
                    trust_name: trust,
                    local_authority_code: council,
                },
            )
            .await
            .map_err(service_error)?;
            println!("Created {} ({}) in {}.", created.email, created.role.label(), partnership.name);
            Ok(ExitCode::SUCCESS)
        }
        Command::BillingRun { partnership, year, period, commit, date, json, batch_size } => {
            let db = open(&settings).await?;
            let partnership =
                partnerships::resolve(&db, partnership.as_deref()).await.map_err(service_error)?;
            let today = date.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let options = crate::services::billing::CommitOptions { batch_size, run_id: None };
            billing_run(&db, &partnership, (&year, &period), commit.then_some(options), today, json).await
        }
        Command::InvoiceSettings {
            partnership,
            invoice_prefix,
            credit_note_prefix,
            payment_terms_days,
            bank_account_name,
            sort_code,
            account_number,
            remittance_email,
        } => {
            let db = open(&settings).await?;
            let p = partnerships::resolve(&db, partnership.as_deref()).await.map_err(service_error)?;
            let keep = |new: Option<String>, old: Option<String>| {
                new.map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).or(old)
            };
            let changed = partnerships::InvoiceSettings {
                invoice_prefix: invoice_prefix.unwrap_or(p.invoice_prefix.clone()),
                credit_note_prefix: credit_note_prefix.unwrap_or(p.credit_note_prefix.clone()),
                payment_terms_days: payment_terms_days.unwrap_or(p.payment_terms_days),
                bank_account_name: keep(bank_account_name, p.bank_account_name.clone()),
                bank_sort_code: keep(sort_code, p.bank_sort_code.clone()),
                bank_account_number: keep(account_number, p.bank_account_number.clone()),
                remittance_email: keep(remittance_email, p.remittance_email.clone()),
            };
            let saved =
                partnerships::set_invoice_settings(&db, p.id, changed, None).await.map_err(service_error)?;
            println!("Invoices of {}:", saved.name);
            println!("  invoice numbers       {}000001, ...", saved.invoice_prefix);
            println!("  credit note numbers   {}000001, ...", saved.credit_note_prefix);
            println!("  payment terms         {} days", saved.payment_terms_days);
            println!(
                "  VAT number            {}",
                saved.vat_number.as_deref().unwrap_or("none: invoices carry no VAT")
            );
            println!(
                "  bank account          {} {} {}",
                saved.bank_account_name.as_deref().unwrap_or("(no name)"),
                saved.bank_sort_code.as_deref().unwrap_or("(no sort code)"),
                saved.bank_account_number.as_deref().unwrap_or("(no account number)")
            );
            println!("  remittance email      {}", saved.remittance_email.as_deref().unwrap_or("(none)"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Model { scenario } => {
            let text = std::fs::read_to_string(&scenario)
                .with_context(|| format!("cannot read {}", scenario.display()))?;
            let parsed: crate::domain::funding::Scenario = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a scenario", scenario.display()))?;
            crate::services::funding::check_scenario(&parsed).map_err(service_error)?;
            let base = scenario.parent().unwrap_or(std::path::Path::new("."));
            let schools = if parsed.schools.gias_csv.is_some() {
                crate::services::funding::schools_from_csv(&parsed, base).map_err(service_error)?
            } else {
                let db = open(&settings).await?;
                crate::services::funding::schools_from_register(&db, &parsed).await.map_err(service_error)?
            };
            let result = crate::domain::funding::model(&parsed, &schools);
            println!("{}", serde_json::to_string_pretty(&result)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::CreateToken { email, name } => {
            let db = open(&settings).await?;
            let user = users::find_by_email(&db, &email)
                .await
                .map_err(service_error)?
                .with_context(|| format!("no user with email {email}"))?;
            let token = auth::create_api_token(&db, user.id, &name).await.map_err(service_error)?;
            println!("API token for {email} (shown once; keep it secret):\n{}", token.expose_secret());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn read_password() -> anyhow::Result<SecretString> {
    if let Ok(p) = std::env::var("PB_PASSWORD") {
        return Ok(SecretString::from(p));
    }
    eprintln!("Password (at least {} characters), then Enter:", users::MIN_PASSWORD_LEN);
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("no password given: set PB_PASSWORD or type one on standard input");
    }
    Ok(SecretString::from(password))
}

async fn demo(db: &DatabaseConnection) -> anyhow::Result<()> {
    let (partnership, created) = load_demo(db).await.map_err(service_error)?;
    if created {
        println!("Loaded the demo partnership \"{}\" (slug {}).", partnership.name, partnership.slug);
    } else {
        println!("The demo partnership \"{}\" is already loaded.", partnership.name);
    }
    println!("Demo sign-ins (demo data only; these passwords are public):");
    for login in DEMO_LOGINS {
        println!("  {:<22} {:<20} {}", login.email, login.password, login.note);
    }
    Ok(())
}

async fn serve(settings: Settings, with_demo: bool) -> anyhow::Result<ExitCode> {
    let db = open(&settings).await?;
    if with_demo {
        demo(&db).await?;
    }
    let state = AppState::new(db, WebSettings { secure_cookies: settings.secure_cookies });
    let listener = tokio::net::TcpListener::bind(&settings.bind)
        .await
        .with_context(|| format!("cannot listen on {} (set BIND to another address)", settings.bind))?;
    let address = listener.local_addr()?;
    tracing::info!(database = %settings.database_for_logs(), "database ready");
    println!("Partnership Billing is running at http://{address}/ (Ctrl+C to stop)");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("the web server stopped with an error")?;
    Ok(ExitCode::SUCCESS)
}

async fn import(
    db: &DatabaseConnection,
    file: &std::path::Path,
    partnership: Option<&str>,
    skip_bad_rows: bool,
    census_date: Option<String>,
    la: Option<String>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let partnership = partnerships::resolve(db, partnership).await.map_err(service_error)?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let census = match census_date.as_deref() {
        Some(text) => parse_gias_date(text).map_err(|e| anyhow::anyhow!("--census-date: {e}"))?,
        None => None,
    };
    let census = census.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let only_la_codes = crate::domain::gias::parse_la_codes(la.as_deref().unwrap_or(""))
        .map_err(|e| anyhow::anyhow!("--la: {e}"))?;
    let options = ImportOptions {
        parse: ParseOptions { default_census_date: Some(census), only_la_codes },
        skip_bad_rows,
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("Importing into {}", partnership.slug));
    let progress_bar = bar.clone();
    let mut progress = move |done: u64, total: u64| {
        progress_bar.set_length(total);
        progress_bar.set_position(done);
    };
    let summary =
        import_schools(db, partnership.id, &bytes, &options, &mut progress).await.map_err(service_error)?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        for e in summary.errors.iter().take(500) {
            eprintln!("{e}");
        }
        if summary.errors.len() > 500 {
            eprintln!("... and {} more problems", summary.errors.len() - 500);
        }
        if summary.committed {
            println!(
                "Imported {} rows into {}: {} created, {} updated, {} unchanged, {} rejected, {} outside the chosen LAs; {} pupil figures added.",
                summary.rows,
                partnership.slug,
                summary.created,
                summary.updated,
                summary.unchanged,
                summary.rejected,
                summary.outside_area,
                summary.pupil_figures_added
            );
        } else {
            println!(
                "Nothing was imported: {} of {} rows have problems (listed above). Correct them, or pass --skip-bad-rows.",
                summary.rejected, summary.rows
            );
        }
    }
    Ok(if summary.committed { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

async fn billing_run(
    db: &DatabaseConnection,
    partnership: &partnerships::Partnership,
    (year, period): (&str, &str),
    commit: Option<crate::services::billing::CommitOptions>,
    today: chrono::NaiveDate,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use crate::services::billing;
    let plan = billing::plan(db, partnership, year, period).await.map_err(service_error)?;
    let Some(options) = commit else {
        if json {
            let summary = serde_json::json!({
                "committed": false,
                "year": plan.year,
                "period": plan.period,
                "invoices": plan.invoices.len(),
                "net": plan.net.amount().to_string(),
                "vat": plan.vat.amount().to_string(),
                "total": plan.total.amount().to_string(),
                "waiting_for_po": plan.invoices.iter().filter(|i| i.waiting_for_po).count(),
                "already_raised": plan.already_raised,
                "skipped": plan.skipped,
                "plan": plan.invoices,
            });
            println!("{}", serde_json::to_string_pretty(&summary)?);
        } else {
            println!(
                "Preview of {} {} for {} ({} to {}): nothing is raised without --commit.",
                year, plan.period, partnership.name, plan.period_start, plan.period_end
            );
            println!("{:<50} {:>6} {:>14} {:>12} {:>14}", "Payer", "Lines", "Net", "VAT", "Total");
            for invoice in &plan.invoices {
                let held = if invoice.waiting_for_po { "  (waiting for PO)" } else { "" };
                println!(
                    "{:<50} {:>6} {:>14} {:>12} {:>14}{held}",
                    invoice.payer_name,
                    invoice.lines.len(),
                    invoice.totals.net.to_string(),
                    invoice.totals.vat.to_string(),
                    invoice.totals.gross.to_string()
                );
            }
            println!(
                "{} invoices, total {} (net {}, VAT {}).",
                plan.invoices.len(),
                plan.total,
                plan.net,
                plan.vat
            );
            for (phase, net) in &plan.by_phase {
                println!("  {phase:<24} net {net}");
            }
            if plan.already_raised > 0 {
                println!(
                    "{} charges for this period were raised before and are left out.",
                    plan.already_raised
                );
            }
            for skipped in &plan.skipped {
                println!("Skipped {} (URN {}): {}", skipped.school_name, skipped.urn, skipped.reason);
            }
        }
        return Ok(ExitCode::SUCCESS);
    };
    let bar = indicatif::ProgressBar::new(plan.invoices.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("Raising invoices [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress_bar = bar.clone();
    let mut progress = move |done: u64, _total: u64| progress_bar.set_position(done);
    let by = billing::RunBy { user_id: None, today, now: chrono::Utc::now() };
    let summary = billing::commit_with(db, partnership, year, period, by, options, &mut progress)
        .await
        .map_err(service_error)?;
    bar.finish_and_clear();
    if json {
        let out = serde_json::json!({
            "committed": true,
            "run_id": summary.run_id,
            "year": summary.year,
            "period": summary.period,
            "invoices": summary.invoices,
            "issued": summary.issued,
            "waiting_for_po": summary.waiting_for_po,
            "already_raised": summary.already_raised,
            "net": summary.net.amount().to_string(),
            "vat": summary.vat.amount().to_string(),
            "total": summary.total.amount().to_string(),
            "skipped": summary.skipped,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "Raised {} invoices for {} {} ({} issued, {} waiting for a PO), total {}; {} charges were already raised.",
            summary.invoices,
            year,
            summary.period,
            summary.issued,
            summary.waiting_for_po,
            summary.total,
            summary.already_raised
        );
        for skipped in &summary.skipped {
            println!("Skipped {} (URN {}): {}", skipped.school_name, skipped.urn, skipped.reason);
        }
    }
    Ok(ExitCode::SUCCESS)
}
