//! Enrolling many schools at once: every open school of chosen phases, local authorities or
//! trusts, or the rows of a CSV of URNs (with a level and payer each, if wanted). Everything is
//! checked first; one problem and nothing is written. Schools already members are left as they are.

use super::*;
use crate::domain::billing_phase::BillingPhase;
use crate::domain::school::SchoolStatus;
use std::collections::{HashMap, HashSet};

/// The most rows a CSV of URNs may have.
pub const MAX_CSV_ROWS: usize = 30_000;

/// Which schools to enrol.
#[derive(Debug, Clone)]
pub enum Chosen {
    /// Open schools of the register in any of these phases, local authorities (codes) and
    /// trusts (names); an empty list does not narrow.
    Register { phases: Vec<BillingPhase>, la_codes: Vec<String>, trusts: Vec<String> },
    /// A CSV with a URN column and, optionally, Level and Paid by columns.
    Csv(Vec<u8>),
}

/// What every enrolled school gets unless its CSV row says otherwise.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub year: String,
    pub level: String,
    pub starts_on: NaiveDate,
    /// For schools from the register: a trust payer applies to schools in a trust (others pay
    /// themselves); a council payer to maintained schools (others pay themselves).
    pub paid_by: PaidBy,
    pub first_year: bool,
}

/// One school to enrol.
#[derive(Debug, Clone)]
pub struct ToEnrol {
    pub school_id: i64,
    pub urn: i32,
    pub name: String,
    pub level_id: i64,
    pub level: String,
    pub paid_by: PaidBy,
}

/// What an enrolment would do.
#[derive(Debug, Clone, Default)]
pub struct EnrolmentPlan {
    pub to_enrol: Vec<ToEnrol>,
    /// Schools left out because they are already members then: URN and name.
    pub already: Vec<(i32, String)>,
    /// Each problem, naming the row or school.
    pub problems: Vec<FieldError>,
}

fn level_of<'a>(offer: &'a offers::Offer, name: &str) -> Result<&'a offers::Level, String> {
    offer.levels.iter().find(|l| l.name.eq_ignore_ascii_case(name.trim())).ok_or_else(|| {
        let names: Vec<&str> = offer.levels.iter().map(|l| l.name.as_str()).collect();
        format!("\"{}\" is not a level of {} ({})", name.trim(), offer.year, names.join(", "))
    })
}

/// Works out who would be enrolled, who is already a member and what is wrong, writing nothing.
pub async fn plan_enrolment(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    new: &Enrolment,
    chosen: &Chosen,
) -> Result<EnrolmentPlan, ServiceError> {
    let offer = offers::find(db, partnership_id, &new.year)
        .await?
        .ok_or_else(|| problem("year", format!("there is no offer for {}", new.year)))?;
    let default_level = level_of(&offer, &new.level).map_err(|m| problem("level", m))?;
    let schools =
        school::Entity::find().filter(school::Column::PartnershipId.eq(partnership_id)).all(db).await?;
    let mut plan = EnrolmentPlan::default();
    // (school, level, payer, where it came from)
    let mut picked: Vec<(&school::Model, &offers::Level, PaidBy)> = Vec::new();
    match chosen {
        Chosen::Register { phases, la_codes, trusts } => {
            let las: HashMap<i64, String> = entity::local_authority::Entity::find()
                .filter(entity::local_authority::Column::PartnershipId.eq(partnership_id))
                .all(db)
                .await?
                .into_iter()
                .map(|l| (l.id, l.code))
                .collect();
            let trust_ids: HashMap<String, i64> = entity::trust::Entity::find()
                .filter(entity::trust::Column::PartnershipId.eq(partnership_id))
                .all(db)
                .await?
                .into_iter()
                .map(|t| (t.name.to_lowercase(), t.id))
                .collect();
            let mut wanted_trusts = HashSet::new();
            for name in trusts {
                match trust_ids.get(&name.trim().to_lowercase()) {
                    Some(id) => {
                        wanted_trusts.insert(*id);
                    }
                    None => plan.problems.push(FieldError {
                        field: "trusts".into(),
                        message: format!("There is no trust called \"{}\" in the register", name.trim()),
                    }),
                }
            }
            for code in la_codes {
                if !las.values().any(|c| c == code.trim()) {
                    plan.problems.push(FieldError {
                        field: "la_codes".into(),
                        message: format!("There is no local authority {} in the register", code.trim()),
                    });
                }
            }
            for s in &schools {
                let open = s.status != SchoolStatus::Closed.as_str();
                let phase_ok = phases.is_empty() || phases.iter().any(|p| p.label() == s.billing_phase);
                let la_ok = la_codes.is_empty()
                    || las.get(&s.local_authority_id).is_some_and(|c| la_codes.iter().any(|w| w.trim() == c));
                let trust_ok =
                    wanted_trusts.is_empty() || s.trust_id.is_some_and(|t| wanted_trusts.contains(&t));
                if open && phase_ok && la_ok && trust_ok {
                    let paid_by = match new.paid_by {
                        PaidBy::Trust if s.trust_id.is_none() => PaidBy::School,
                        PaidBy::Council if !is_maintained(&s.type_name) => PaidBy::School,
                        other => other,
                    };
                    picked.push((s, default_level, paid_by));
                }
            }
        }
        Chosen::Csv(bytes) => {
            let by_urn: HashMap<i32, &school::Model> = schools.iter().map(|s| (s.urn, s)).collect();
            let mut reader =
                csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(bytes.as_slice());
            let headers =
                reader.headers().map_err(|e| problem("file", format!("The file is not a CSV: {e}")))?.clone();
            let column = |name: &str| {
                headers.iter().position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
            };
            let Some(urn_at) = column("URN") else {
                return Err(problem(
                    "file",
                    "The file needs a URN column (and may have Level and Paid by columns)",
                ));
            };
            let (level_at, paid_at) = (column("Level"), column("Paid by"));
            let mut seen = HashSet::new();
            for (i, record) in reader.records().enumerate() {
                let line = i + 2;
                if i >= MAX_CSV_ROWS {
                    plan.problems.push(FieldError {
                        field: "file".into(),
                        message: format!("The file has more than {MAX_CSV_ROWS} rows: split it"),
                    });
                    break;
                }
                let record = match record {
                    Ok(r) => r,
                    Err(e) => {
                        plan.problems
                            .push(FieldError { field: "file".into(), message: format!("Line {line}: {e}") });
                        continue;
                    }
                };
                let cell = |at: Option<usize>| at.and_then(|a| record.get(a)).unwrap_or("").trim();
                let say = |message: String| FieldError {
                    field: "file".into(),
                    message: format!("Line {line}: {message}"),
                };
                let urn_text = cell(Some(urn_at));
                if urn_text.is_empty() && record.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                let Some(s) = urn_text.parse::<i32>().ok().and_then(|u| by_urn.get(&u).copied()) else {
                    plan.problems.push(say(format!("no school with URN \"{urn_text}\" in the register")));
                    continue;
                };
                if !seen.insert(s.urn) {
                    plan.problems.push(say(format!("URN {} is in the file more than once", s.urn)));
                    continue;
                }
                let level = match cell(level_at) {
                    "" => default_level,
                    name => match level_of(&offer, name) {
                        Ok(l) => l,
                        Err(m) => {
                            plan.problems.push(say(m));
                            continue;
                        }
                    },
                };
                let paid_by = match cell(paid_at) {
                    "" => new.paid_by,
                    text => match PaidBy::parse(&text.to_lowercase()) {
                        Some(p) => p,
                        None => {
                            plan.problems.push(say(format!("\"{text}\" is not school, trust or council")));
                            continue;
                        }
                    },
                };
                if paid_by == PaidBy::Trust && s.trust_id.is_none() {
                    plan.problems.push(say(format!("{} is not in a trust, so its trust cannot pay", s.name)));
                    continue;
                }
                if paid_by == PaidBy::Council && !is_maintained(&s.type_name) {
                    plan.problems.push(say(format!(
                        "{} is not a maintained school, so the council cannot pay",
                        s.name
                    )));
                    continue;
                }
                picked.push((s, level, paid_by));
            }
        }
    }
    let members: HashMap<i64, Vec<membership::Model>> =
        of_offer(db, offer.id).await?.into_iter().fold(HashMap::new(), |mut by_school, m| {
            by_school.entry(m.school_id).or_default().push(m);
            by_school
        });
    for (s, level, paid_by) in picked {
        let overlaps = members
            .get(&s.id)
            .is_some_and(|ms| ms.iter().any(|m| m.ends_on.is_none_or(|end| end >= new.starts_on)));
        if overlaps {
            plan.already.push((s.urn, s.name.clone()));
        } else {
            plan.to_enrol.push(ToEnrol {
                school_id: s.id,
                urn: s.urn,
                name: s.name.clone(),
                level_id: level.id,
                level: level.name.clone(),
                paid_by,
            });
        }
    }
    plan.to_enrol.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(plan)
}

/// Enrols everyone the plan finds, in one transaction; refuses (writing nothing) when it finds
/// any problem. Returns the plan carried out.
pub async fn enrol_many<C>(
    db: &C,
    partnership_id: i64,
    new: &Enrolment,
    chosen: &Chosen,
    user_id: Option<i64>,
) -> Result<EnrolmentPlan, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let plan = plan_enrolment(db, partnership_id, new, chosen).await?;
    if !plan.problems.is_empty() {
        return Err(ServiceError::Invalid(plan.problems));
    }
    let offer = offers::find(db, partnership_id, &new.year)
        .await?
        .ok_or_else(|| problem("year", format!("there is no offer for {}", new.year)))?;
    let txn = crate::services::begin_write(db).await?;
    let now = chrono::Utc::now();
    for chunk in plan.to_enrol.chunks(500) {
        let rows = chunk.iter().map(|e| membership::ActiveModel {
            partnership_id: Set(partnership_id),
            school_id: Set(e.school_id),
            offer_id: Set(offer.id),
            level_id: Set(e.level_id),
            starts_on: Set(new.starts_on),
            ends_on: Set(None),
            paid_by: Set(e.paid_by.as_str().to_string()),
            first_year: Set(new.first_year),
            created_at: Set(now),
            ..Default::default()
        });
        membership::Entity::insert_many(rows).exec(&txn).await?;
    }
    audit::record(
        &txn,
        Event {
            partnership_id,
            user_id,
            action: "membership.enrolled_many",
            entity: "offer",
            entity_id: offer.id,
            before: None,
            after: Some(serde_json::json!({
                "year": new.year,
                "starts_on": new.starts_on,
                "schools": plan.to_enrol.len(),
                "urns": plan.to_enrol.iter().map(|e| e.urn).collect::<Vec<_>>(),
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(plan)
}
