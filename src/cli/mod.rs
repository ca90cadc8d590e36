//! The command line: parse, read settings, run the chosen command (one file per group).

/// Prints a line on standard output; when the reader has gone (`partnership-billing ... | head`)
/// the command ends quietly instead of panicking on the closed pipe.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::output::line(format_args!($($arg)*))
    };
}

mod accounts;
mod billing;
mod funding;
mod jobs;
mod ledger;
pub mod output;
mod register;
mod serve;

use crate::clock::Clock;
use crate::services::{self, ServiceError, partnerships};
use crate::settings::{DEFAULT_BIND, DEFAULT_DATABASE_URL, Settings};
use anyhow::Context;
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

/// What `jobs` does.
#[derive(Debug, Subcommand)]
pub enum JobsAction {
    /// Each job, its schedule, and its last run for each partnership.
    List {
        /// Only this partnership (by slug).
        #[arg(long)]
        partnership: Option<String>,
    },
    /// Run a job now (send-mail or reminders) for one partnership or all of them.
    Run {
        /// send-mail or reminders.
        name: String,
        /// The day to run as (YYYY-MM-DD); today when not given.
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        /// Only this partnership (by slug); all of them when left out.
        #[arg(long)]
        partnership: Option<String>,
    },
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
    /// Load the demo partnership, its schools and one user per role, with its 2025-26 terms
    /// billed and paid in every way.
    Demo {
        /// Without invoices and payments: the register, offers, memberships and users only.
        #[arg(long)]
        no_invoices: bool,
    },
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
    /// Import a bank statement (Lloyds, Barclays, NatWest, HSBC CSV, OFX or camt.053) and match
    /// its money in to invoices; only lines not imported before are added.
    ImportStatement {
        file: std::path::PathBuf,
        /// lloyds, barclays, natwest, hsbc, generic, ofx or camt053 (detected when left out).
        #[arg(long)]
        format: Option<String>,
        #[arg(long)]
        partnership: Option<String>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check every payer account's invariants; exits non-zero and names every breach.
    CheckLedger {
        /// One partnership's slug; all partnerships when left out.
        #[arg(long)]
        partnership: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set (or, with --remove, remove) a partnership's Stripe keys for card payments. Reads the
    /// secret key then the webhook signing secret from standard input, one a line, so they
    /// never appear in the shell's history or the process list. Needs PB_SECRET_KEY.
    StripeKeys {
        /// The partnership's slug (the only one when left out).
        #[arg(long)]
        partnership: Option<String>,
        /// Remove the keys: card payment is no longer offered.
        #[arg(long)]
        remove: bool,
    },
    /// List the background jobs and their last runs, or run one now.
    Jobs {
        #[command(subcommand)]
        action: JobsAction,
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
    let db = services::connect(settings.database.url.expose_secret())
        .await
        .with_context(|| format!("cannot open the database at {}", settings.database_for_logs()))?;
    services::migrate(settings.database.url.expose_secret())
        .await
        .context("cannot bring the database schema up to date")?;
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
    let mut settings = Settings::from_env(cli.database_url)?;
    let command = cli.command.unwrap_or(Command::Serve {
        bind: settings.web.bind.clone(),
        demo: std::env::var("PB_DEMO").is_ok_and(|v| v == "true" || v == "1"),
        secure_cookies: settings.web.secure_cookies,
    });
    match command {
        Command::Serve { bind, demo, secure_cookies } => {
            settings.web.bind = bind;
            settings.web.secure_cookies |= secure_cookies;
            serve::serve(settings, demo).await
        }
        Command::Migrate => {
            open(&settings).await?;
            say!("The database at {} is up to date.", settings.database_for_logs());
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { no_invoices } => {
            let db = open(&settings).await?;
            serve::demo(&db, !no_invoices).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::ImportSchools { file, partnership, skip_bad_rows, census_date, la, json } => {
            let db = open(&settings).await?;
            register::import(&db, &file, partnership.as_deref(), skip_bad_rows, census_date, la, json).await
        }
        Command::CreatePartnership { slug, name, address, vat_number, year_kind } => {
            accounts::create_partnership(&settings, slug, name, address, vat_number, year_kind).await
        }
        Command::CreateUser { partnership, email, name, role, school, trust, council } => {
            accounts::create_user(&settings, partnership, email, name, role, school, trust, council).await
        }
        Command::BillingRun { partnership, year, period, commit, date, json, batch_size } => {
            let db = open(&settings).await?;
            let partnership =
                partnerships::resolve(&db, partnership.as_deref()).await.map_err(service_error)?;
            let today = date.unwrap_or_else(|| Clock::System.today());
            let options = crate::services::billing::CommitOptions { batch_size, run_id: None };
            billing::billing_run(&db, &partnership, (&year, &period), commit.then_some(options), today, json)
                .await
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
            billing::invoice_settings(
                &settings,
                partnership,
                invoice_prefix,
                credit_note_prefix,
                payment_terms_days,
                bank_account_name,
                sort_code,
                account_number,
                remittance_email,
            )
            .await
        }
        Command::Model { scenario } => funding::model(&settings, scenario).await,
        Command::CreateToken { email, name } => accounts::create_token(&settings, email, name).await,
        Command::CheckLedger { partnership, json } => ledger::check(&settings, partnership, json).await,
        Command::Jobs { action } => jobs::jobs(&settings, action).await,
        Command::StripeKeys { partnership, remove } => {
            ledger::stripe_keys(&settings, partnership, remove).await
        }
        Command::ImportStatement { file, format, partnership, json } => {
            ledger::import_statement(&settings, &file, format, partnership, json).await
        }
    }
}
