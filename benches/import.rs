//! The GIAS import hot path: parsing, and a whole import into a fresh SQLite database, of a
//! generated 50,000-row file in GIAS's full 111-column format.

use criterion::{Criterion, criterion_group, criterion_main};
use partnership_billing::domain::gias::{ParseOptions, parse_file};
use partnership_billing::domain::partnership::YearKind;
use partnership_billing::services::import::{ImportOptions, import_schools};
use partnership_billing::services::partnerships::{self, NewPartnership};
use partnership_billing::services::{connect, migrate};
use std::time::{Duration, Instant};

const ROWS: usize = 50_000;

/// GIAS's own header row (the 111 columns of an establishment download).
const HEADER: &str = r#""URN","LA (code)","LA (name)","EstablishmentNumber","EstablishmentName","TypeOfEstablishment (name)","EstablishmentTypeGroup (name)","EstablishmentStatus (name)","ReasonEstablishmentOpened (name)","OpenDate","ReasonEstablishmentClosed (name)","CloseDate","PhaseOfEducation (name)","StatutoryLowAge","StatutoryHighAge","Boarders (name)","NurseryProvision (name)","OfficialSixthForm (name)","Gender (name)","ReligiousCharacter (name)","ReligiousEthos (name)","Diocese (name)","AdmissionsPolicy (name)","SchoolCapacity","SpecialClasses (name)","CensusDate","NumberOfPupils","NumberOfBoys","NumberOfGirls","PercentageFSM","TrustSchoolFlag (name)","Trusts (name)","SchoolSponsorFlag (name)","SchoolSponsors (name)","FederationFlag (name)","Federations (name)","UKPRN","FEHEIdentifier","FurtherEducationType (name)","OfstedLastInsp","LastChangedDate","Street","Locality","Address3","Town","County (name)","Postcode","SchoolWebsite","TelephoneNum","HeadTitle (name)","HeadFirstName","HeadLastName","HeadPreferredJobTitle","BSOInspectorateName (name)","InspectorateReport","DateOfLastInspectionVisit","NextInspectionVisit","TeenMoth (name)","TeenMothPlaces","CCF (name)","SENPRU (name)","EBD (name)","PlacesPRU","FTProv (name)","EdByOther (name)","Section41Approved (name)","SEN1 (name)","SEN2 (name)","SEN3 (name)","SEN4 (name)","SEN5 (name)","SEN6 (name)","SEN7 (name)","SEN8 (name)","SEN9 (name)","SEN10 (name)","SEN11 (name)","SEN12 (name)","SEN13 (name)","TypeOfResourcedProvision (name)","ResourcedProvisionOnRoll","ResourcedProvisionCapacity","SenUnitOnRoll","SenUnitCapacity","GOR (name)","DistrictAdministrative (name)","AdministrativeWard (name)","ParliamentaryConstituency (name)","UrbanRural (name)","GSSLACode (name)","Easting","Northing","MSOA (name)","LSOA (name)","InspectorateName (name)","SENStat","SENNoStat","PropsName","OfstedRating (name)","RSCRegion (name)","Country (name)","UPRN","SiteName","QABName (name)","EstablishmentAccredited (name)","QABReport","CHNumber","MSOA (code)","LSOA (code)","FSM","Linked establishments""#;

const TYPES: [(&str, &str, &str); 6] = [
    ("Community school", "Local authority maintained schools", "Primary"),
    ("Academy converter", "Academies", "Secondary"),
    ("Voluntary aided school", "Local authority maintained schools", "Primary"),
    ("Community special school", "Special schools", "Not applicable"),
    ("Free schools", "Free Schools", "All-through"),
    ("Pupil referral unit", "Local authority maintained schools", "Not applicable"),
];

/// A file like a national GIAS download: 150 LAs, a mix of types, trusts, closed schools with
/// successors, blank pupil numbers, quoted values and DD-MM-YYYY dates.
fn generate() -> Vec<u8> {
    let columns: Vec<&str> = HEADER.split(',').map(|c| c.trim_matches('"')).collect();
    assert_eq!(columns.len(), 111);
    let mut out = String::with_capacity(ROWS * 700);
    out.push_str(HEADER);
    out.push('\n');
    for i in 0..ROWS {
        let urn = 100_000 + i;
        let la = 800 + (i % 150);
        let (kind, group, phase) = TYPES[i % TYPES.len()];
        let closed = i % 10 == 0;
        let mut fields: Vec<String> = vec![String::new(); 111];
        for (index, column) in columns.iter().enumerate() {
            fields[index] = match *column {
                "URN" => urn.to_string(),
                "LA (code)" => format!("\"{la}\""),
                "LA (name)" => format!("\"Authority {la}\""),
                "EstablishmentNumber" => format!("\"{}\"", 2000 + i % 8000),
                "EstablishmentName" => format!("\"School {i}, Upper Town\""),
                "TypeOfEstablishment (name)" => format!("\"{kind}\""),
                "EstablishmentTypeGroup (name)" => format!("\"{group}\""),
                "EstablishmentStatus (name)" => {
                    if closed {
                        "\"Closed\"".into()
                    } else {
                        "\"Open\"".into()
                    }
                }
                "CloseDate" => {
                    if closed {
                        "\"31-08-2021\"".into()
                    } else {
                        "\"\"".into()
                    }
                }
                "OpenDate" => "\"01-09-1990\"".into(),
                "PhaseOfEducation (name)" => format!("\"{phase}\""),
                "StatutoryLowAge" => "4".into(),
                "StatutoryHighAge" => "11".into(),
                "CensusDate" => {
                    if i % 17 == 0 {
                        "\"\"".into()
                    } else {
                        "\"20-01-2022\"".into()
                    }
                }
                "NumberOfPupils" => {
                    if i % 17 == 0 {
                        "\"\"".into()
                    } else {
                        format!("\"{}\"", 50 + i % 1500)
                    }
                }
                "Trusts (name)" => {
                    if i % 3 == 1 {
                        format!("\"Trust {}\"", i % 900)
                    } else {
                        "\"\"".into()
                    }
                }
                "Postcode" => format!("\"AB{} {}CD\"", i % 99, i % 9),
                "Linked establishments" => {
                    if closed {
                        format!("\"{} Successor\"", 200_000 + i)
                    } else {
                        "\"Does not have links\"".into()
                    }
                }
                _ => "\"Not applicable\"".into(),
            };
        }
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

fn bench(c: &mut Criterion) {
    let file = generate();
    let mut group = c.benchmark_group("gias_import_50000_rows");
    group.sample_size(10).measurement_time(Duration::from_secs(30));
    group.bench_function("parse", |b| b.iter(|| parse_file(&file, &ParseOptions::default())));
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    group.bench_function("import_into_fresh_sqlite", |b| {
        b.iter_custom(|iterations| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let dir = tempfile::tempdir().expect("dir");
                    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                    migrate(&url).await.expect("migrate");
                    let db = connect(&url).await.expect("db");
                    let partnership = partnerships::create(
                        &db,
                        NewPartnership {
                            slug: "bench".into(),
                            name: "Bench".into(),
                            address: String::new(),
                            vat_number: None,
                            year_kind: YearKind::Academic,
                        },
                    )
                    .await
                    .expect("partnership");
                    let started = Instant::now();
                    let summary =
                        import_schools(&db, partnership.id, &file, &ImportOptions::default(), &mut |_, _| {})
                            .await
                            .expect("import");
                    total += started.elapsed();
                    assert_eq!(summary.created, ROWS);
                    db.close().await.ok();
                }
                total
            })
        })
    });
    group.bench_function("reimport_unchanged_sqlite", |b| {
        let dir = tempfile::tempdir().expect("dir");
        let (db, partnership) = runtime.block_on(async {
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            migrate(&url).await.expect("migrate");
            let db = connect(&url).await.expect("db");
            let p = partnerships::create(
                &db,
                NewPartnership {
                    slug: "bench".into(),
                    name: "Bench".into(),
                    address: String::new(),
                    vat_number: None,
                    year_kind: YearKind::Academic,
                },
            )
            .await
            .expect("partnership");
            import_schools(&db, p.id, &file, &ImportOptions::default(), &mut |_, _| {})
                .await
                .expect("first import");
            (db, p)
        });
        b.iter(|| {
            runtime.block_on(async {
                let summary =
                    import_schools(&db, partnership.id, &file, &ImportOptions::default(), &mut |_, _| {})
                        .await
                        .expect("import");
                assert_eq!(summary.unchanged, ROWS);
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
