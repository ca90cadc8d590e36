//! Importing a GIAS establishment file into a partnership's register.
//!
//! All-or-nothing: either every row is written in one transaction, or (when any row is bad and
//! the caller did not ask to skip bad rows) nothing is. Re-importing the same file changes nothing.

use super::ServiceError;
use crate::domain::gias::{GiasSchool, ParseOptions, RowError, parse_reader};
use crate::domain::pupils::PupilSource;
use chrono::Utc;
use entity::{local_authority, pupil_count, school, school_link, trust};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    TransactionSession, TransactionTrait,
};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek};

/// What the caller chose for this import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub parse: ParseOptions,
    /// Import the good rows and report the bad ones, instead of refusing the whole file.
    pub skip_bad_rows: bool,
}

/// What an import did, or (when `committed` is false) why it wrote nothing.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportSummary {
    pub committed: bool,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    pub outside_area: usize,
    pub pupil_figures_added: usize,
    /// The first problems found (up to 1,000), by line and column.
    pub errors: Vec<RowError>,
    /// Problems found beyond those listed.
    pub errors_not_listed: usize,
}

/// Rows written per INSERT statement (kept under SQLite's limit on bound values).
const BATCH: usize = 1000;

/// Imports a GIAS file's bytes (see [`import_file`]).
pub async fn import_schools<C>(
    db: &C,
    partnership_id: i64,
    bytes: &[u8],
    options: &ImportOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<ImportSummary, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    import_file(db, partnership_id, std::io::Cursor::new(bytes.to_vec()), options, progress).await
}

/// Imports a GIAS file from a reader (an upload spooled to disk, a file on disk), read a chunk at
/// a time on the blocking pool so memory stays small whatever the file's size. `progress(done,
/// total)` is called as rows are written.
pub async fn import_file<C, R>(
    db: &C,
    partnership_id: i64,
    reader: R,
    options: &ImportOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<ImportSummary, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
    R: Read + Seek + Send + 'static,
{
    let parse_options = options.parse.clone();
    let parsed = tokio::task::spawn_blocking(move || parse_reader(reader, &parse_options, |_| {}))
        .await
        .map_err(|e| ServiceError::Internal(format!("reading the file stopped: {e}")))?
        .map_err(|e| ServiceError::invalid("file", format!("the file could not be read: {e}")))?;
    let mut summary = ImportSummary {
        rows: parsed.schools.len() + parsed.rejected_rows + parsed.outside_area,
        rejected: parsed.rejected_rows,
        outside_area: parsed.outside_area,
        errors_not_listed: parsed.errors_not_listed,
        ..Default::default()
    };
    let file_level = parsed.file_level_problem();
    summary.errors = parsed.errors;
    if file_level || (summary.rejected > 0 && !options.skip_bad_rows) {
        return Ok(summary);
    }
    let txn = super::begin_write(db).await?;
    write_rows(&txn, partnership_id, &parsed.schools, &mut summary, progress).await?;
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        // The name index (migration 24) grows by a segment per batch of rows written; merged
        // into one, a search reads one list per trigram (the national register's search:
        // 1,030 to 2,064 requests a second, BENCHMARKS.md).
        txn.execute_unprepared("INSERT INTO school_names(school_names) VALUES ('optimize')").await?;
    }
    txn.commit().await?;
    summary.committed = true;
    Ok(summary)
}

async fn write_rows(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    rows: &[GiasSchool],
    summary: &mut ImportSummary,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<(), ServiceError> {
    let total = rows.len() as u64;
    let now = Utc::now();
    let la_ids = sync_local_authorities(db, partnership_id, rows).await?;
    let trust_ids = sync_trusts(db, partnership_id, rows).await?;
    let existing: HashMap<i32, school::Model> = school::Entity::find()
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.urn, m))
        .collect();

    let mut changed_urns: HashSet<i32> = HashSet::new();
    let mut new_rows = Vec::new();
    for (done, row) in rows.iter().enumerate() {
        let la_id = la_ids[&row.la_code];
        let trust_id = row.trust_name.as_ref().map(|n| trust_ids[n]);
        let wanted = SchoolFields::from_row(row, la_id, trust_id);
        match existing.get(&row.urn.value()) {
            None => new_rows.push(wanted.into_new(partnership_id, row.urn.value(), now)),
            Some(model) if SchoolFields::from_model(model) == wanted => {}
            Some(model) => {
                let mut active: school::ActiveModel = model.clone().into();
                wanted.apply(&mut active);
                active.updated_at = Set(now);
                active.update(db).await?;
                changed_urns.insert(row.urn.value());
            }
        }
        if done % 500 == 0 {
            progress(done as u64 / 2, total);
        }
    }
    let created = new_rows.len();
    let mut inserted = 0u64;
    while !new_rows.is_empty() {
        let batch: Vec<school::ActiveModel> = new_rows.drain(..new_rows.len().min(BATCH)).collect();
        inserted += batch.len() as u64;
        school::Entity::insert_many(batch).exec(db).await?;
        progress(total / 2 + inserted / 4, total);
    }

    let ids: HashMap<i32, i64> = school::Entity::find()
        .select_only()
        .column(school::Column::Urn)
        .column(school::Column::Id)
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .into_tuple::<(i32, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let figures_added = sync_pupil_figures(db, partnership_id, rows, &ids, &mut changed_urns).await?;
    progress(total * 7 / 8, total);
    sync_links(db, partnership_id, rows, &ids, &mut changed_urns).await?;
    progress(total, total);

    let new_urns: HashSet<i32> =
        rows.iter().map(|r| r.urn.value()).filter(|u| !existing.contains_key(u)).collect();
    summary.created = created;
    summary.updated = changed_urns.difference(&new_urns).count();
    summary.unchanged = rows.len() - summary.created - summary.updated;
    summary.pupil_figures_added = figures_added;
    Ok(())
}

/// The school fields an import sets, for comparing and writing.
#[derive(Debug, PartialEq, Eq)]
struct SchoolFields {
    name: String,
    local_authority_id: i64,
    establishment_number: Option<String>,
    type_name: String,
    type_group: Option<String>,
    gias_phase: String,
    billing_phase: String,
    low_age: Option<i32>,
    high_age: Option<i32>,
    status: String,
    open_date: Option<chrono::NaiveDate>,
    close_date: Option<chrono::NaiveDate>,
    trust_id: Option<i64>,
    postcode: Option<String>,
    address: Option<String>,
}

impl SchoolFields {
    fn from_row(row: &GiasSchool, local_authority_id: i64, trust_id: Option<i64>) -> SchoolFields {
        SchoolFields {
            name: row.name.clone(),
            local_authority_id,
            establishment_number: row.establishment_number.clone(),
            type_name: row.type_name.clone(),
            type_group: row.type_group.clone(),
            gias_phase: row.gias_phase.clone(),
            billing_phase: row.billing_phase.label().to_string(),
            low_age: row.low_age,
            high_age: row.high_age,
            status: row.status.as_str().to_string(),
            open_date: row.open_date,
            close_date: row.close_date,
            trust_id,
            postcode: row.postcode.clone(),
            address: row.address.clone(),
        }
    }

    fn from_model(m: &school::Model) -> SchoolFields {
        SchoolFields {
            name: m.name.clone(),
            local_authority_id: m.local_authority_id,
            establishment_number: m.establishment_number.clone(),
            type_name: m.type_name.clone(),
            type_group: m.type_group.clone(),
            gias_phase: m.gias_phase.clone(),
            billing_phase: m.billing_phase.clone(),
            low_age: m.low_age,
            high_age: m.high_age,
            status: m.status.clone(),
            open_date: m.open_date,
            close_date: m.close_date,
            trust_id: m.trust_id,
            postcode: m.postcode.clone(),
            address: m.address.clone(),
        }
    }

    fn apply(self, a: &mut school::ActiveModel) {
        a.name = Set(self.name);
        a.local_authority_id = Set(self.local_authority_id);
        a.establishment_number = Set(self.establishment_number);
        a.type_name = Set(self.type_name);
        a.type_group = Set(self.type_group);
        a.gias_phase = Set(self.gias_phase);
        a.billing_phase = Set(self.billing_phase);
        a.low_age = Set(self.low_age);
        a.high_age = Set(self.high_age);
        a.status = Set(self.status);
        a.open_date = Set(self.open_date);
        a.close_date = Set(self.close_date);
        a.trust_id = Set(self.trust_id);
        a.postcode = Set(self.postcode);
        a.address = Set(self.address);
        // A school in the area's file is one of the area's schools.
        a.outside_area = Set(false);
    }

    fn into_new(self, partnership_id: i64, urn: i32, now: chrono::DateTime<Utc>) -> school::ActiveModel {
        let mut a = school::ActiveModel {
            partnership_id: Set(partnership_id),
            urn: Set(urn),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        self.apply(&mut a);
        a
    }
}

/// Makes sure every LA in the file exists (and has the file's name); returns code -> id.
async fn sync_local_authorities(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    rows: &[GiasSchool],
) -> Result<HashMap<String, i64>, ServiceError> {
    let mut known: HashMap<String, local_authority::Model> = local_authority::Entity::find()
        .filter(local_authority::Column::PartnershipId.eq(partnership_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect();
    let mut wanted: Vec<(&str, &str)> =
        rows.iter().map(|r| (r.la_code.as_str(), r.la_name.as_str())).collect();
    wanted.sort();
    wanted.dedup_by(|a, b| a.0 == b.0);
    for (code, name) in wanted {
        match known.get(code) {
            Some(m) if m.name == name => {}
            Some(m) => {
                let mut active: local_authority::ActiveModel = m.clone().into();
                active.name = Set(name.to_string());
                let updated = active.update(db).await?;
                known.insert(code.to_string(), updated);
            }
            None => {
                let created = local_authority::ActiveModel {
                    partnership_id: Set(partnership_id),
                    code: Set(code.to_string()),
                    name: Set(name.to_string()),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                known.insert(code.to_string(), created);
            }
        }
    }
    Ok(known.into_iter().map(|(code, m)| (code, m.id)).collect())
}

/// Makes sure every trust named in the file exists; returns name -> id.
async fn sync_trusts(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    rows: &[GiasSchool],
) -> Result<HashMap<String, i64>, ServiceError> {
    let mut known: HashMap<String, i64> = trust::Entity::find()
        .filter(trust::Column::PartnershipId.eq(partnership_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.name, m.id))
        .collect();
    let mut names: Vec<&String> = rows.iter().filter_map(|r| r.trust_name.as_ref()).collect();
    names.sort();
    names.dedup();
    for name in names {
        if !known.contains_key(name) {
            let created = trust::ActiveModel {
                partnership_id: Set(partnership_id),
                name: Set(name.clone()),
                companies_house_number: Set(None),
                ..Default::default()
            }
            .insert(db)
            .await?;
            known.insert(name.clone(), created.id);
        }
    }
    Ok(known)
}

/// Adds each row's census figure unless the same census already has that number; a different
/// number for the same census replaces the imported one. Returns how many figures were written.
async fn sync_pupil_figures(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    rows: &[GiasSchool],
    ids: &HashMap<i32, i64>,
    changed: &mut HashSet<i32>,
) -> Result<usize, ServiceError> {
    let imported: HashMap<(i64, chrono::NaiveDate), pupil_count::Model> = pupil_count::Entity::find()
        .filter(pupil_count::Column::Source.eq(PupilSource::GiasImport.as_str()))
        .filter(pupil_count::Column::SchoolId.in_subquery(schools_of(partnership_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| ((m.school_id, m.census_date), m))
        .collect();
    let now = Utc::now();
    let mut new_figures = Vec::new();
    let mut written = 0;
    for row in rows {
        let Some(figure) = row.pupils else { continue };
        let school_id = ids[&row.urn.value()];
        match imported.get(&(school_id, figure.census_date)) {
            Some(m) if m.pupils == figure.pupils => {}
            Some(m) => {
                let mut active: pupil_count::ActiveModel = m.clone().into();
                active.pupils = Set(figure.pupils);
                active.recorded_at = Set(now);
                active.update(db).await?;
                changed.insert(row.urn.value());
                written += 1;
            }
            None => {
                new_figures.push(pupil_count::ActiveModel {
                    school_id: Set(school_id),
                    census_date: Set(figure.census_date),
                    pupils: Set(figure.pupils),
                    source: Set(PupilSource::GiasImport.as_str().to_string()),
                    entered_by_user_id: Set(None),
                    reason: Set(None),
                    recorded_at: Set(now),
                    ..Default::default()
                });
                changed.insert(row.urn.value());
            }
        }
    }
    written += new_figures.len();
    while !new_figures.is_empty() {
        let batch: Vec<_> = new_figures.drain(..new_figures.len().min(BATCH)).collect();
        pupil_count::Entity::insert_many(batch).exec(db).await?;
    }
    Ok(written)
}

/// Makes each imported school's links match the file's `Linked establishments`.
async fn sync_links(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    rows: &[GiasSchool],
    ids: &HashMap<i32, i64>,
    changed: &mut HashSet<i32>,
) -> Result<(), ServiceError> {
    let mut existing: HashMap<(i64, i32), school_link::Model> = school_link::Entity::find()
        .filter(school_link::Column::SchoolId.in_subquery(schools_of(partnership_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| ((m.school_id, m.linked_urn), m))
        .collect();
    let mut new_links = Vec::new();
    let mut imported: HashMap<i64, i32> = HashMap::new();
    for row in rows {
        let school_id = ids[&row.urn.value()];
        imported.insert(school_id, row.urn.value());
        for link in &row.links {
            match existing.remove(&(school_id, link.urn.value())) {
                Some(m) if m.kind == link.kind => {}
                Some(m) => {
                    let mut active: school_link::ActiveModel = m.into();
                    active.kind = Set(link.kind.clone());
                    active.update(db).await?;
                    changed.insert(row.urn.value());
                }
                None => {
                    new_links.push(school_link::ActiveModel {
                        school_id: Set(school_id),
                        linked_urn: Set(link.urn.value()),
                        kind: Set(link.kind.clone()),
                        ..Default::default()
                    });
                    changed.insert(row.urn.value());
                }
            }
        }
    }
    // What is left of `existing` for imported schools are links the file no longer lists.
    let gone: Vec<i64> = existing
        .values()
        .filter(|m| imported.contains_key(&m.school_id))
        .map(|m| {
            changed.insert(imported[&m.school_id]);
            m.id
        })
        .collect();
    for chunk in gone.chunks(BATCH) {
        school_link::Entity::delete_many()
            .filter(school_link::Column::Id.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    while !new_links.is_empty() {
        let batch: Vec<_> = new_links.drain(..new_links.len().min(BATCH)).collect();
        school_link::Entity::insert_many(batch).exec(db).await?;
    }
    Ok(())
}

fn schools_of(partnership_id: i64) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(school::Column::Id)
        .from(school::Entity)
        .and_where(school::Column::PartnershipId.eq(partnership_id))
        .to_owned()
}
