//! Running the web service, and loading the demo.

use super::{open, service_error};
use crate::services::demo::{DEMO_LOGINS, load_demo};
use crate::settings::Settings;
use crate::web::{AppState, WebSettings, router};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use std::process::ExitCode;

pub async fn demo(db: &DatabaseConnection, with_money: bool) -> anyhow::Result<()> {
    let (partnership, created) = load_demo(db).await.map_err(service_error)?;
    if created {
        say!("Loaded the demo partnership \"{}\" (slug {}).", partnership.name, partnership.slug);
        let today = crate::clock::Clock::System.today();
        if with_money
            && crate::services::demo::load_demo_money(db, &partnership, today).await.map_err(service_error)?
        {
            say!(
                "Billed its 2025-26 terms and recorded payments; a sample bank statement is on the Bank statements page."
            );
        }
    } else {
        say!("The demo partnership \"{}\" is already loaded.", partnership.name);
    }
    say!("Demo sign-ins (demo data only; these passwords are public):");
    for login in DEMO_LOGINS {
        say!("  {:<22} {:<20} {}", login.email, login.password, login.note);
    }
    Ok(())
}

pub async fn serve(settings: Settings, with_demo: bool) -> anyhow::Result<ExitCode> {
    let db = open(&settings).await?;
    if with_demo {
        demo(&db, true).await?;
    }
    crate::pdf::load_fonts();
    let mailer = crate::services::mail::transport::Mailer::from_settings(&settings.email)?;
    let web = &settings.web;
    let state = AppState::new(
        db,
        WebSettings {
            secure_cookies: web.secure_cookies,
            sign_in_limits: web.sign_in_limits,
            payments: settings.payments.clone(),
            public_url: web.public_url.clone(),
            mailer: mailer.clone(),
            schedules: if settings.jobs.run_scheduled { settings.jobs.schedules.clone() } else { Vec::new() },
        },
    );
    say!("Mail is {}.", mailer.describe());
    let _scheduler = if settings.jobs.run_scheduled {
        Some(crate::jobs::schedule::start(state.job_context(), settings.jobs.schedules.clone()).await?)
    } else {
        say!("Scheduled jobs are off (PB_JOBS=off): run them with `partnership-billing jobs run NAME`.");
        None
    };
    let listener = tokio::net::TcpListener::bind(&web.bind)
        .await
        .with_context(|| format!("cannot listen on {} (set BIND to another address)", web.bind))?;
    let address = listener.local_addr()?;
    tracing::info!(database = %settings.database_for_logs(), "database ready");
    say!("Partnership Billing is running at http://{address}/ (Ctrl+C to stop)");
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("the web server stopped with an error")?;
    Ok(ExitCode::SUCCESS)
}
