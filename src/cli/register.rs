//! Importing the register from a GIAS extract.

use super::service_error;
use crate::clock::Clock;
use crate::domain::gias::{ParseOptions, parse_gias_date};
use crate::services::import::{ImportOptions, import_file};
use crate::services::partnerships;
use anyhow::Context;
use sea_orm::DatabaseConnection;
use std::process::ExitCode;

pub async fn import(
    db: &DatabaseConnection,
    file: &std::path::Path,
    partnership: Option<&str>,
    skip_bad_rows: bool,
    census_date: Option<String>,
    la: Option<String>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let partnership = partnerships::resolve(db, partnership).await.map_err(service_error)?;
    let reader = std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let census = match census_date.as_deref() {
        Some(text) => parse_gias_date(text).map_err(|e| anyhow::anyhow!("--census-date: {e}"))?,
        None => None,
    };
    let census = census.unwrap_or_else(|| Clock::System.today());
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
        import_file(db, partnership.id, reader, &options, &mut progress).await.map_err(service_error)?;
    bar.finish_and_clear();
    if json {
        say!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        for e in &summary.errors {
            eprintln!("{e}");
        }
        if summary.errors_not_listed > 0 {
            eprintln!("... and {} more problems", summary.errors_not_listed);
        }
        if summary.committed {
            say!(
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
            say!(
                "Nothing was imported: {} of {} rows have problems (listed above). Correct them, or pass --skip-bad-rows.",
                summary.rejected,
                summary.rows
            );
        }
    }
    Ok(if summary.committed { ExitCode::SUCCESS } else { ExitCode::from(2) })
}
