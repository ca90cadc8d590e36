//! The GIAS importer on the two shared files, bad rows, encodings and re-imports.

use crate::helpers::{Backend, TestApp, test_data};
use crate::on_both_databases;
use chrono::NaiveDate;
use partnership_billing::domain::gias::ParseOptions;
use partnership_billing::domain::partnership::YearKind;
use partnership_billing::domain::role::SchoolScope;
use partnership_billing::domain::school::Urn;
use partnership_billing::services::import::{ImportOptions, ImportSummary, import_schools};
use partnership_billing::services::partnerships::{self, NewPartnership};
use partnership_billing::services::register::{self, SchoolFilter};

const EXTRACT: &str = "gias-extract-hampshire-surrey-primary-2022-04-20.csv";
const SUBSET: &str = "schools-gias-subset.csv";

pub async fn new_partnership(app: &TestApp, slug: &str) -> i64 {
    partnerships::create(
        &app.db,
        NewPartnership {
            slug: slug.into(),
            name: format!("{slug} partnership"),
            address: "1 High Street".into(),
            vat_number: None,
            year_kind: YearKind::Academic,
        },
    )
    .await
    .expect("create partnership")
    .id
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

async fn import(app: &TestApp, pid: i64, bytes: &[u8], options: &ImportOptions) -> ImportSummary {
    import_schools(&app.db, pid, bytes, options, &mut |_, _| {}).await.expect("import runs")
}

async fn count(app: &TestApp, pid: i64, filter: SchoolFilter, on: NaiveDate) -> u64 {
    register::list_schools(&app.db, pid, SchoolScope::All, &filter, on, 1, 1).await.expect("list").total
}

fn by_la(code: &str) -> SchoolFilter {
    SchoolFilter { la: Some(code.into()), ..Default::default() }
}

fn by_status(status: &str) -> SchoolFilter {
    SchoolFilter { status: Some(status.into()), ..Default::default() }
}

fn by_phase(phase: &str) -> SchoolFilter {
    SchoolFilter { phase: Some(phase.into()), ..Default::default() }
}

async fn the_raw_gias_extract(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let pid = new_partnership(&app, "hants-surrey").await;
    let bytes = std::fs::read(test_data(EXTRACT)).expect("read the extract");
    let summary = import(&app, pid, &bytes, &ImportOptions::default()).await;
    assert!(summary.committed, "{:?}", summary.errors);
    assert_eq!((summary.rows, summary.created, summary.updated, summary.rejected), (1096, 1096, 0, 0));
    assert_eq!(summary.pupil_figures_added, 1096 - 296);

    let on = date(2022, 4, 20);
    assert_eq!(count(&app, pid, by_la("850"), on).await, 520);
    assert_eq!(count(&app, pid, by_la("936"), on).await, 576);
    assert_eq!(count(&app, pid, by_status("open"), on).await, 726);
    assert_eq!(count(&app, pid, by_status("closed"), on).await, 368);
    assert_eq!(count(&app, pid, by_status("proposed_to_close"), on).await, 2);
    assert_eq!(count(&app, pid, by_phase("Primary"), on).await, 1092);
    assert_eq!(count(&app, pid, by_phase("All-through"), on).await, 4);
    assert_eq!(count(&app, pid, by_phase("Secondary"), on).await, 0);

    // The 11 open schools GIAS gives no number on roll are flagged, never charged as zero.
    let needing =
        SchoolFilter { status: Some("open".into()), needs_pupils: Some(true), ..Default::default() };
    let page =
        register::list_schools(&app.db, pid, SchoolScope::All, &needing, on, 1, 50).await.expect("list");
    let mut urns: Vec<i32> = page.schools.iter().map(|s| s.urn.value()).collect();
    urns.sort();
    assert_eq!(
        urns,
        vec![148385, 148435, 148469, 148510, 148744, 148882, 148883, 148954, 149003, 149004, 149037]
    );
    assert!(page.schools.iter().all(|s| s.needs_pupil_number && s.pupils.is_none()));

    // The figure in force comes from the school's own census date.
    let alton = register::school_detail(&app.db, pid, SchoolScope::All, Urn::parse("115850").unwrap(), on)
        .await
        .expect("Alton Infant School");
    assert_eq!(alton.summary.pupils, Some(138));
    // Its address in full from GIAS's columns, as an invoice to the school will carry it.
    let model = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        entity::school::Entity::find()
            .filter(entity::school::Column::Urn.eq(115850))
            .one(&app.db)
            .await
            .expect("query")
            .expect("Alton")
    };
    assert_eq!(model.address.as_deref(), Some("Normandy Street\nAlton\nHampshire"));
    let payer = partnership_billing::services::payers::payer_for(
        &app.db,
        pid,
        &model,
        partnership_billing::services::memberships::PaidBy::School,
    )
    .await
    .expect("the school as a payer");
    assert_eq!(payer.address, "Alton Infant School\nNormandy Street\nAlton\nHampshire\nGU34 1DH");
    assert_eq!(alton.history[0].census_date, date(2021, 1, 21));
    let before_census = register::school_detail(
        &app.db,
        pid,
        SchoolScope::All,
        Urn::parse("115850").unwrap(),
        date(2021, 1, 20),
    )
    .await
    .expect("Alton Infant School");
    assert_eq!(before_census.summary.pupils, None);

    // An academy conversion links both ways.
    let old = register::school_detail(&app.db, pid, SchoolScope::All, Urn::parse("115856").unwrap(), on)
        .await
        .expect("old");
    assert_eq!(old.summary.status.as_str(), "closed");
    assert_eq!(old.close_date, Some(date(2020, 11, 30)));
    assert_eq!(old.links.len(), 1);
    assert_eq!(old.links[0].urn.value(), 148213);
    assert_eq!(old.links[0].kind, "Successor");
    assert_eq!(old.links[0].name.as_deref(), Some("Awbridge Primary School"));
    let new = register::school_detail(&app.db, pid, SchoolScope::All, Urn::parse("148213").unwrap(), on)
        .await
        .expect("new");
    assert_eq!(new.summary.type_name, "Academy converter");
    assert_eq!(new.links[0].urn.value(), 115856);
    assert_eq!(new.links[0].kind, "Predecessor");

    // Importing the same file again changes nothing.
    let again = import(&app, pid, &bytes, &ImportOptions::default()).await;
    assert_eq!((again.created, again.updated, again.unchanged, again.pupil_figures_added), (0, 0, 1096, 0));

    // A changed field is updated; a new census figure is added to the history.
    let text = String::from_utf8(bytes).expect("utf-8");
    let changed = text
        .replacen("\"Alton Infant School\"", "\"Alton Infant and Nursery School\"", 1)
        .replacen("\"21-01-2021\",\"138\"", "\"20-01-2022\",\"141\"", 1);
    let third = import(&app, pid, changed.as_bytes(), &ImportOptions::default()).await;
    assert_eq!((third.created, third.updated, third.unchanged, third.pupil_figures_added), (0, 1, 1095, 1));
    let alton = register::school_detail(&app.db, pid, SchoolScope::All, Urn::parse("115850").unwrap(), on)
        .await
        .expect("alton");
    assert_eq!(alton.summary.name, "Alton Infant and Nursery School");
    assert_eq!(alton.summary.pupils, Some(141));
    assert_eq!(alton.history.len(), 2);
    app.finish().await;
}
on_both_databases!(the_raw_gias_extract_imports, the_raw_gias_extract);

async fn the_fifteen_area_list(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let pid = new_partnership(&app, "fifteen").await;
    let bytes = std::fs::read(test_data(SUBSET)).expect("read the subset");
    let census = date(2025, 1, 16);
    let options = ImportOptions {
        parse: ParseOptions { default_census_date: Some(census), only_la_codes: vec![] },
        skip_bad_rows: false,
    };
    let summary = import(&app, pid, &bytes, &options).await;
    assert!(summary.committed, "{:?}", summary.errors);
    assert_eq!((summary.created, summary.rejected, summary.pupil_figures_added), (1490, 0, 1490));
    let on = date(2025, 9, 1);
    for (code, expected) in
        [("309", 85), ("308", 97), ("202", 57), ("301", 61), ("936", 400), ("851", 61), ("303", 84)]
    {
        assert_eq!(count(&app, pid, by_la(code), on).await, expected, "LA {code}");
    }
    for (phase, expected) in [
        ("Nursery", 20),
        ("Primary", 1064),
        ("Secondary", 246),
        ("All-through", 28),
        ("Special", 105),
        ("Alternative provision", 27),
        ("Post-16", 0),
        ("Other", 0),
    ] {
        assert_eq!(count(&app, pid, by_phase(phase), on).await, expected, "{phase}");
    }
    assert_eq!(count(&app, pid, by_status("open"), on).await, 1490);
    let needing = SchoolFilter { needs_pupils: Some(true), ..Default::default() };
    assert_eq!(count(&app, pid, needing.clone(), on).await, 0);
    // Before the census date no figure is in force: every school needs one.
    assert_eq!(count(&app, pid, needing, date(2025, 1, 15)).await, 1490);
    let trusts = register::trusts(&app.db, pid).await.expect("trusts");
    assert_eq!(trusts.len(), 141);
    let haringey_only = ImportOptions {
        parse: ParseOptions { default_census_date: Some(census), only_la_codes: vec!["309".into()] },
        skip_bad_rows: false,
    };
    let other = new_partnership(&app, "haringey").await;
    let summary = import(&app, other, &bytes, &haringey_only).await;
    assert_eq!((summary.created, summary.outside_area), (85, 1405));
    app.finish().await;
}
on_both_databases!(the_fifteen_area_list_imports, the_fifteen_area_list);

const HEADER: &str = "URN,LA (code),LA (name),EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),EstablishmentStatus (name),NumberOfPupils,CensusDate";

async fn bad_rows(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let pid = new_partnership(&app, "bad").await;
    let file = format!(
        "{HEADER}\n100001,309,Haringey,Good School,Community school,Primary,Open,200,16-01-2025\n\
         100002,309,Haringey,Bad Pupils,Community school,Primary,Open,lots,16-01-2025\n\
         ABC,309,Haringey,Bad URN,Community school,Primary,Open,10,16-01-2025\n"
    );
    let refused = import(&app, pid, file.as_bytes(), &ImportOptions::default()).await;
    assert!(!refused.committed);
    assert_eq!(refused.rejected, 2);
    let shown: Vec<String> = refused.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        vec![
            "line 3, column \"NumberOfPupils\": \"lots\" is not a whole number of pupils",
            "line 4, column \"URN\": \"ABC\" is not a URN (up to 7 digits)",
        ]
    );
    assert_eq!(count(&app, pid, SchoolFilter::default(), date(2025, 9, 1)).await, 0, "nothing written");
    let skipping = ImportOptions { skip_bad_rows: true, ..Default::default() };
    let partial = import(&app, pid, file.as_bytes(), &skipping).await;
    assert!(partial.committed);
    assert_eq!((partial.created, partial.rejected), (1, 2));
    assert_eq!(count(&app, pid, SchoolFilter::default(), date(2025, 9, 1)).await, 1);
    // A file without the required columns is refused whatever the caller asks.
    let no_columns = import(&app, pid, b"URN,Name\n1,A\n", &skipping).await;
    assert!(!no_columns.committed);
    assert!(no_columns.errors.iter().all(|e| e.line == 1));
    app.finish().await;
}
on_both_databases!(bad_rows_are_all_or_nothing, bad_rows);

#[tokio::test]
async fn windows_1252_files_import() {
    let app = TestApp::empty(Backend::Sqlite).await;
    let pid = new_partnership(&app, "cp").await;
    let mut file = format!("{HEADER}\n").into_bytes();
    file.extend_from_slice(
        b"100001,309,Haringey,St Mary\x92s Caf\xe9 School,Community school,Primary,Open,200,16-01-2025\n",
    );
    let summary = import(&app, pid, &file, &ImportOptions::default()).await;
    assert!(summary.committed, "{:?}", summary.errors);
    let school = register::school_detail(
        &app.db,
        pid,
        SchoolScope::All,
        Urn::parse("100001").unwrap(),
        date(2025, 9, 1),
    )
    .await
    .expect("school");
    assert_eq!(school.summary.name, "St Mary’s Café School");
    app.finish().await;
}

/// A search by part of a name finds what the register holds now: the name index (SQLite's
/// trigram table, kept by triggers) follows a school renamed by a later import, forgets its old
/// name, and finds a new school straight away; pieces typed in any case, and a typed `%`, which
/// the index treats as a wildcard, matches only itself.
async fn name_search_follows_imports(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let pid = new_partnership(&app, "ns").await;
    let on = date(2025, 9, 1);
    let search = |q: &str| SchoolFilter { q: Some(q.into()), ..Default::default() };
    let names = |app: &TestApp, q: &'static str| {
        let db = app.db.clone();
        async move {
            register::list_schools(&db, pid, SchoolScope::All, &search(q), on, 1, 50)
                .await
                .expect("search")
                .schools
                .into_iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
        }
    };
    let first = format!(
        "{HEADER}\n100001,309,Haringey,Oakfield Primary School,Community school,Primary,Open,200,16-01-2025\n\
         100002,309,Haringey,Elm Tree 100% Academy,Academy converter,Primary,Open,150,16-01-2025\n"
    );
    assert!(import(&app, pid, first.as_bytes(), &ImportOptions::default()).await.committed);
    assert_eq!(names(&app, "KFIELD prim").await, ["Oakfield Primary School"]);
    assert_eq!(names(&app, "100%").await, ["Elm Tree 100% Academy"]);
    assert!(names(&app, "ee 1%cad").await.is_empty(), "% is matched as itself");
    let renamed = format!(
        "{HEADER}\n100001,309,Haringey,Oakfield Federation School,Community school,Primary,Open,200,16-01-2025\n\
         100003,309,Haringey,Birchwood Infant School,Community school,Primary,Open,90,16-01-2025\n"
    );
    assert!(import(&app, pid, renamed.as_bytes(), &ImportOptions::default()).await.committed);
    assert!(names(&app, "field prim").await.is_empty(), "the old name is forgotten");
    assert_eq!(names(&app, "field fed").await, ["Oakfield Federation School"]);
    assert_eq!(names(&app, "birchwood").await, ["Birchwood Infant School"]);
    app.finish().await;
}
on_both_databases!(a_name_search_follows_imports, name_search_follows_imports);
