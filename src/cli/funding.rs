//! `model`: compare a scenario's funding options and print the results as JSON.

use super::{open, service_error};
use crate::settings::Settings;
use anyhow::Context;
use std::process::ExitCode;

/// Runs the model of a scenario file (its schools from a GIAS CSV beside it, or a register).
pub async fn model(settings: &Settings, scenario: std::path::PathBuf) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(&scenario).with_context(|| format!("cannot read {}", scenario.display()))?;
    let parsed: crate::domain::funding::Scenario =
        serde_json::from_str(&text).with_context(|| format!("{} is not a scenario", scenario.display()))?;
    crate::services::funding::check_scenario(&parsed).map_err(service_error)?;
    let base = scenario.parent().unwrap_or(std::path::Path::new("."));
    let schools = if parsed.schools.gias_csv.is_some() {
        crate::services::funding::schools_from_csv(&parsed, base).map_err(service_error)?
    } else {
        let db = open(settings).await?;
        crate::services::funding::schools_from_register(&db, &parsed).await.map_err(service_error)?
    };
    let result = crate::domain::funding::model(&parsed, &schools);
    say!("{}", serde_json::to_string_pretty(&result)?);
    Ok(ExitCode::SUCCESS)
}
