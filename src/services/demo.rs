//! The demo partnership: about 150 schools in two local authorities, made deterministically
//! from code so the service can be tried on a fresh machine.

use super::ServiceError;
use super::import::{ImportOptions, import_schools};
use super::partnerships::{self, NewPartnership, Partnership};
use super::users::{self, NewUser};
use crate::domain::partnership::YearKind;
use crate::domain::role::Role;
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use secrecy::SecretString;

pub const DEMO_SLUG: &str = "demo";

/// One demo sign-in, printed on the console when the service starts with demo data.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role: Role,
    pub email: &'static str,
    pub password: &'static str,
    pub note: &'static str,
}

/// The demo users. Their passwords are public: demo data is for trying the service only.
pub const DEMO_LOGINS: [DemoLogin; 6] = [
    DemoLogin {
        role: Role::Admin,
        email: "admin@demo.test",
        password: "demo-admin-2025",
        note: "partnership admin",
    },
    DemoLogin {
        role: Role::Finance,
        email: "finance@demo.test",
        password: "demo-finance-2025",
        note: "finance",
    },
    DemoLogin {
        role: Role::Board,
        email: "board@demo.test",
        password: "demo-board-2025",
        note: "board member",
    },
    DemoLogin {
        role: Role::SchoolBusinessManager,
        email: "sbm@demo.test",
        password: "demo-school-2025",
        note: "business manager of Riverside Park Primary School (URN 990003)",
    },
    DemoLogin {
        role: Role::SchoolBusinessManager,
        email: "trust@demo.test",
        password: "demo-trust-2025",
        note: "finance lead of Northgate Learning Trust (all its schools)",
    },
    DemoLogin {
        role: Role::Commissioner,
        email: "council@demo.test",
        password: "demo-council-2025",
        note: "Riverside council commissioner",
    },
];

/// SplitMix64: a tiny deterministic generator, so the demo is the same on every machine.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() as usize % items.len()]
    }
}

const PLACES: [&str; 40] = [
    "Riverside Park",
    "Hillbrook",
    "Ashford Vale",
    "Bramley",
    "Cedar Grove",
    "Dalton",
    "Elmstead",
    "Fairfield",
    "Glebe",
    "Hawthorn",
    "Ivydale",
    "Juniper Hill",
    "Kingsmead",
    "Larkrise",
    "Millbrook",
    "Northgate",
    "Oakwood",
    "Parkside",
    "Queensway",
    "Rosehill",
    "Southfields",
    "Thornbury",
    "Upton Cross",
    "Victoria Road",
    "Willow Bank",
    "Yewtree",
    "Abbey Mead",
    "Beacon Hill",
    "Chestnut",
    "Downside",
    "Eastfield",
    "Foxhollow",
    "Greenway",
    "Heathside",
    "Kestrel",
    "Lindon",
    "Meadowbank",
    "Newlands",
    "Orchard",
    "Primrose",
];

const SAINTS: [&str; 8] = [
    "St Mary's",
    "St John's",
    "St Anne's",
    "Holy Trinity",
    "St Joseph's",
    "Christ Church",
    "St Peter's",
    "Our Lady's",
];

const TRUSTS: [&str; 5] = [
    "Northgate Learning Trust",
    "River Valley Academies",
    "Hillbrook Diocesan Academy Trust",
    "Beacon Education Partnership Trust",
    "Oakwood Schools Trust",
];

/// One row of the demo register, written in GIAS's own column names so it goes through the
/// same importer as a real extract.
struct DemoRow {
    urn: u32,
    la: (&'static str, &'static str),
    name: String,
    type_name: &'static str,
    group: &'static str,
    phase: &'static str,
    ages: (u32, u32),
    status: &'static str,
    open: &'static str,
    close: &'static str,
    pupils: Option<u64>,
    trust: Option<&'static str>,
    link: String,
}

const HEADER: &str = "URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (name),EstablishmentTypeGroup (name),EstablishmentStatus (name),OpenDate,CloseDate,PhaseOfEducation (name),StatutoryLowAge,StatutoryHighAge,CensusDate,NumberOfPupils,Trusts (name),Postcode,Linked establishments";

fn csv_field(text: &str) -> String {
    if text.contains([',', '"']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

/// The demo register as a GIAS-format CSV for one census date; the same every time.
pub fn demo_register_csv(census: &str, growth: i64) -> String {
    let mut dice = Dice(20_251_122);
    let las = [("990", "Riverside"), ("991", "Hillbrook")];
    let mut rows: Vec<DemoRow> = Vec::new();
    let mut urn = 990_001u32;
    let mut place = 0usize;
    let mut next_place = |dice: &mut Dice| {
        place += 1;
        let base = PLACES[place % PLACES.len()];
        if place >= PLACES.len() {
            format!("{base} {}", dice.pick(&["Green", "Park", "Heath", "Lane", "Meadow"]))
        } else {
            base.to_string()
        }
    };
    // (billing mix per LA): kind, count
    let mix: [(&str, u32); 6] =
        [("nursery", 2), ("primary", 52), ("secondary", 12), ("all-through", 2), ("special", 4), ("ap", 2)];
    for (la_index, la) in las.iter().enumerate() {
        for (kind, count) in mix {
            for i in 0..count {
                let base = next_place(&mut dice);
                let academy = dice.range(0, 99) < if kind == "secondary" { 70 } else { 35 };
                let trust = academy.then(|| TRUSTS[(dice.next() as usize + la_index) % TRUSTS.len()]);
                let (type_name, group, phase, ages, pupils, name) = match kind {
                    "nursery" => (
                        "Local authority nursery school",
                        "Local authority maintained schools",
                        "Nursery",
                        (2, 5),
                        dice.range(60, 140),
                        format!("{base} Nursery School"),
                    ),
                    "primary" => {
                        let faith = i % 5 == 0;
                        let name = if faith {
                            format!("{} CE Primary School, {base}", dice.pick(&SAINTS))
                        } else if i % 7 == 3 {
                            format!("{base} Infant School")
                        } else if i % 7 == 4 {
                            format!("{base} Junior School")
                        } else {
                            format!("{base} Primary School")
                        };
                        let ages = if name.contains("Infant") {
                            (4, 7)
                        } else if name.contains("Junior") {
                            (7, 11)
                        } else {
                            (3, 11)
                        };
                        let t = if academy {
                            if i % 3 == 0 { "Academy sponsor led" } else { "Academy converter" }
                        } else if faith {
                            if i % 2 == 0 { "Voluntary aided school" } else { "Voluntary controlled school" }
                        } else if i % 9 == 0 {
                            "Foundation school"
                        } else {
                            "Community school"
                        };
                        let g = if academy { "Academies" } else { "Local authority maintained schools" };
                        (t, g, "Primary", ages, dice.range(110, 640), name)
                    }
                    "secondary" => {
                        let t = if academy {
                            "Academy converter"
                        } else if i % 4 == 0 {
                            "Voluntary aided school"
                        } else {
                            "Community school"
                        };
                        let g = if academy { "Academies" } else { "Local authority maintained schools" };
                        (
                            t,
                            g,
                            "Secondary",
                            (11, 18),
                            dice.range(650, 1850),
                            format!("{base} {}", dice.pick(&["Academy", "High School", "School", "College"])),
                        )
                    }
                    "all-through" => (
                        "Free schools",
                        "Free Schools",
                        "All-through",
                        (4, 18),
                        dice.range(900, 1900),
                        format!("{base} School"),
                    ),
                    "special" => {
                        let t =
                            if academy { "Academy special converter" } else { "Community special school" };
                        let g = if academy { "Academies" } else { "Special schools" };
                        (
                            t,
                            g,
                            "Not applicable",
                            (2, 19),
                            dice.range(50, 220),
                            format!("{base} Special School"),
                        )
                    }
                    _ => (
                        "Pupil referral unit",
                        "Local authority maintained schools",
                        "Not applicable",
                        (5, 16),
                        dice.range(15, 80),
                        format!("{la_name} Tuition Centre {}", i + 1, la_name = la.1),
                    ),
                };
                let trust = if group == "Academies" || group == "Free Schools" {
                    trust.or(Some(TRUSTS[la_index]))
                } else {
                    None
                };
                rows.push(DemoRow {
                    urn,
                    la: *la,
                    name,
                    type_name,
                    group,
                    phase,
                    ages,
                    status: "Open",
                    open: "",
                    close: "",
                    pupils: Some(pupils),
                    trust,
                    link: String::new(),
                });
                urn += 1;
            }
        }
    }
    // The school the demo business manager looks after is a maintained primary.
    rows[2].name = "Riverside Park Primary School".into();
    rows[2].type_name = "Community school";
    rows[2].group = "Local authority maintained schools";
    rows[2].trust = None;
    // A few schools with no pupil number yet: new free schools and a school about to open.
    for (index, name) in [(20usize, "Kestrel Free School"), (95, "Newlands Free School")] {
        rows[index].name = name.into();
        rows[index].type_name = "Free schools";
        rows[index].group = "Free Schools";
        rows[index].trust = Some(TRUSTS[3]);
        rows[index].open = "01-09-2025";
        rows[index].pupils = None;
    }
    rows[60].pupils = None;
    rows[60].status = "Proposed to open";
    // An academy conversion mid-year: a community primary closed on 31 December 2025 and its
    // academy successor, part of Northgate Learning Trust, opened the next day.
    let predecessor_urn = rows[10].urn;
    let successor_urn = urn;
    let predecessor = &mut rows[10];
    predecessor.name = "Millbrook Primary School".into();
    predecessor.type_name = "Community school";
    predecessor.group = "Local authority maintained schools";
    predecessor.trust = None;
    predecessor.status = "Closed";
    predecessor.close = "31-12-2025";
    predecessor.link = format!("{successor_urn} Successor");
    let mut successor = DemoRow {
        urn: successor_urn,
        la: predecessor.la,
        name: "Millbrook Primary Academy".into(),
        type_name: "Academy converter",
        group: "Academies",
        phase: "Primary",
        ages: predecessor.ages,
        status: "Open",
        open: "01-01-2026",
        close: "",
        pupils: predecessor.pupils,
        trust: Some(TRUSTS[0]),
        link: format!("{predecessor_urn} Predecessor"),
    };
    successor.pupils = predecessor.pupils;
    rows.push(successor);

    // Real registers repeat names across towns; the demo keeps them apart so invoices read clearly.
    let mut used = std::collections::HashSet::new();
    for row in rows.iter_mut() {
        if !used.insert(row.name.clone()) {
            let mut renamed = format!("{} ({})", row.name, row.la.1);
            let mut n = 2;
            while used.contains(&renamed) {
                renamed = format!("{} ({} {n})", row.name, row.la.1);
                n += 1;
            }
            used.insert(renamed.clone());
            row.name = renamed;
        }
    }
    let mut out = String::with_capacity(rows.len() * 200);
    out.push_str(HEADER);
    out.push('\n');
    for (i, r) in rows.iter().enumerate() {
        let pupils = r
            .pupils
            .map(|p| ((p as i64) + growth * ((i as i64 % 7) - 3)).max(10).to_string())
            .unwrap_or_default();
        let census_for_row = if pupils.is_empty() { "" } else { census };
        let postcode = format!(
            "{}{} {}{}",
            if r.la.0 == "990" { "RV" } else { "HB" },
            1 + i % 9,
            1 + i % 8,
            ["AB", "CD", "EF", "GH", "JK"][i % 5]
        );
        let fields = [
            r.urn.to_string(),
            r.la.0.to_string(),
            r.la.1.to_string(),
            format!("{}", 2000 + i),
            r.name.clone(),
            r.type_name.to_string(),
            r.group.to_string(),
            r.status.to_string(),
            r.open.to_string(),
            r.close.to_string(),
            r.phase.to_string(),
            r.ages.0.to_string(),
            r.ages.1.to_string(),
            census_for_row.to_string(),
            pupils,
            r.trust.unwrap_or("").to_string(),
            postcode,
            r.link.clone(),
        ];
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// Loads the demo partnership, its register (two censuses) and one user per role. Does nothing
/// when the demo partnership exists already. Returns the partnership and whether it was created.
pub async fn load_demo<C>(db: &C) -> Result<(Partnership, bool), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    if let Some(existing) = partnerships::find_by_slug(db, DEMO_SLUG).await? {
        return Ok((existing, false));
    }
    let txn = super::begin_write(db).await?;
    let partnership = partnerships::create(
        &txn,
        NewPartnership {
            slug: DEMO_SLUG.into(),
            name: "Riverside and Hillbrook Schools Partnership".into(),
            address: "The Learning Centre\n12 Mill Lane\nRiverside\nRV1 2AB".into(),
            vat_number: Some("GB 123 4567 89".into()),
            year_kind: YearKind::Academic,
        },
    )
    .await?;
    for (census, growth) in [("18-01-2024", -3), ("16-01-2025", 0)] {
        let csv = demo_register_csv(census, growth);
        let summary =
            import_schools(&txn, partnership.id, csv.as_bytes(), &ImportOptions::default(), &mut |_, _| {})
                .await?;
        if !summary.committed {
            let reasons: Vec<String> = summary.errors.iter().map(ToString::to_string).collect();
            return Err(ServiceError::Conflict(format!(
                "the demo register did not import: {}",
                reasons.join("; ")
            )));
        }
    }
    partnerships::set_invoice_settings(
        &txn,
        partnership.id,
        partnerships::InvoiceSettings {
            invoice_prefix: "RH-".into(),
            credit_note_prefix: "RHC-".into(),
            payment_terms_days: 30,
            bank_account_name: Some("Riverside and Hillbrook Schools Partnership Ltd".into()),
            bank_sort_code: Some("20-45-77".into()),
            bank_account_number: Some("43218765".into()),
            remittance_email: Some("finance@riverside-hillbrook.example".into()),
        },
        None,
    )
    .await?;
    load_demo_memberships(&txn, partnership.id).await?;
    let scenario = serde_json::from_value(demo_scenario())
        .map_err(|e| ServiceError::Conflict(format!("demo scenario: {e}")))?;
    super::funding::save_scenario(&txn, partnership.id, "2026-27 funding options", scenario, None).await?;
    for login in DEMO_LOGINS {
        let (school_urn, trust_name, la) = match login.email {
            "sbm@demo.test" => (Some(990_003), None, None),
            "trust@demo.test" => (None, Some(TRUSTS[0].to_string()), None),
            "council@demo.test" => (None, None, Some("990".to_string())),
            _ => (None, None, None),
        };
        users::create(
            &txn,
            NewUser {
                partnership_id: partnership.id,
                one_time_password: false,
                email: login.email.into(),
                name: demo_name(login.role, login.email).into(),
                role: login.role,
                password: SecretString::from(login.password),
                school_urn,
                trust_name,
                local_authority_code: la,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok((partnership, true))
}

/// The demo's membership offers: 2025-26 billed termly with Core / Standard / Enhanced levels,
/// 2026-27 billed annually with Basic / Standard / Advanced.
fn demo_offers() -> [serde_json::Value; 2] {
    [
        serde_json::json!({
            "year": "2025-26", "billing_plan": "termly", "trust_discount_percent": "5", "first_year_discount_percent": "25",
            "levels": [
                { "name": "Core", "description": "Termly network meetings, the annual conference, safeguarding and statutory updates, and one adviser visit a year.", "vat_rate": "standard",
                  "fee_rule": { "by_phase": {
                      "Primary": { "per_pupil": "6.50", "lump_sum": "400.00" },
                      "Secondary": { "per_pupil": "4.50", "lump_sum": "1200.00" },
                      "All-through": { "per_pupil": "4.75", "lump_sum": "1200.00" },
                      "Special": { "flat": "1100.00" },
                      "Alternative provision": { "flat": "900.00" },
                      "Nursery": { "flat": "550.00" },
                      "default": { "flat": "750.00" } }, "min": "550.00", "max": "9000.00" } },
                { "name": "Standard", "description": "Everything in Core, plus three adviser days, a peer review every other year and ten CPD places.", "vat_rate": "standard",
                  "fee_rule": { "by_phase": {
                      "Primary": { "per_pupil": "11.00", "lump_sum": "600.00" },
                      "Secondary": { "per_pupil": "8.00", "lump_sum": "1800.00" },
                      "default": { "flat": "1600.00" } }, "max": "13000.00" } },
                { "name": "Enhanced", "description": "Everything in Standard, plus six adviser days, an annual peer review and unlimited CPD places.", "vat_rate": "standard",
                  "fee_rule": { "bands": [ { "up_to": 210, "flat": "3200.00" }, { "up_to": 630, "per_pupil": "12.00" }, { "per_pupil": "9.00" } ], "mode": "graduated", "max": "18000.00" } }
            ]
        }),
        serde_json::json!({
            "year": "2026-27", "billing_plan": "annual", "trust_discount_percent": "5", "first_year_discount_percent": "25",
            "levels": [
                { "name": "Basic", "description": "The core offer: networks, conference, statutory updates.", "vat_rate": "standard",
                  "fee_rule": { "per_pupil": "7.00", "lump_sum": "350.00", "min": "600.00" } },
                { "name": "Standard", "description": "Basic plus adviser days, peer review and CPD places.", "vat_rate": "standard",
                  "fee_rule": { "per_pupil": "12.00", "lump_sum": "500.00", "max": "14000.00" } },
                { "name": "Advanced", "description": "Standard plus intensive support and unlimited CPD.", "vat_rate": "standard",
                  "fee_rule": { "bands": [ { "up_to": 300, "flat": "4500.00" }, { "per_pupil": "13.00" } ], "mode": "volume", "max": "20000.00" } }
            ]
        }),
    ]
}

/// The board's scenario for 2026-27: one partnership fee, a basic fee with a paid tier, or
/// core only, against the costed offer, with the council matching school income.
fn demo_scenario() -> serde_json::Value {
    serde_json::json!({
        "year": "2026-27",
        "schools": { "register": DEMO_SLUG },
        "costs": [
            { "name": "Independent chair", "kind": "core", "days": "24", "day_rate": "700.00" },
            { "name": "Coordinator", "kind": "core", "amount": "48000.00" },
            { "name": "Conference and networks", "kind": "core", "amount": "26000.00" },
            { "name": "Peer reviews", "kind": "additional", "per_phase": {
                "Primary": { "units": "40", "unit_cost": "950.00" },
                "Secondary": { "units": "12", "unit_cost": "1600.00" } } },
            { "name": "SLE and LLE days", "kind": "additional", "days": "180", "day_rate": "550.00" }
        ],
        "options": [
            { "name": "Single partnership fee", "membership_fee": { "per_pupil": "6.00", "min": "800.00", "max": "12000.00" },
              "covers": ["core", "additional"] },
            { "name": "Basic plus Advanced tier", "membership_fee": { "by_phase": { "Secondary": { "flat": "2500.00" }, "default": { "flat": "900.00" } } },
              "covers": ["core", "additional"],
              "levels": [ { "name": "Advanced", "fee": { "per_pupil": "4.00", "min": "1000.00" }, "sign_up": { "Secondary": "0.5", "default": "0.3" } } ] },
            { "name": "Core only", "membership_fee": { "per_pupil": "3.00", "min": "500.00" }, "sign_up": "0.9", "covers": ["core"] }
        ],
        "council": { "match": "0.5", "cap": "60000.00" },
        "baseline": { "per_pupil": "6.50", "lump_sum": "400.00", "min": "550.00", "max": "9000.00" }
    })
}

/// Memberships for most demo schools: some paid by their trust, some by the council, a few
/// joining mid-year, the mid-year academy conversion, and one trust that requires a PO.
async fn load_demo_memberships<C>(db: &C, partnership_id: i64) -> Result<(), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    use super::memberships::{self, NewMembership};
    use super::offers::{self, NewOffer};
    use chrono::NaiveDate;
    use entity::school;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    for offer in demo_offers() {
        let new: NewOffer =
            serde_json::from_value(offer).map_err(|e| ServiceError::Conflict(format!("demo offer: {e}")))?;
        offers::create(db, partnership_id, YearKind::Academic, &new, None).await?;
    }
    let schools = school::Entity::find()
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .order_by_asc(school::Column::Urn)
        .all(db)
        .await?;
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    for (i, s) in schools.iter().enumerate() {
        // About one school in eight is not a member.
        if i % 8 == 7 || s.status == "proposed_to_open" {
            continue;
        }
        let academy = s.trust_id.is_some();
        let maintained = crate::domain::school::is_maintained(&s.type_name);
        let paid_by = if academy && i % 5 != 0 {
            "trust"
        } else if maintained && s.local_authority_id == schools[0].local_authority_id && i % 3 != 0 {
            "council"
        } else {
            "school"
        };
        let (levels_now, levels_next) = match i % 6 {
            0 | 3 => ("Standard", "Standard"),
            5 => ("Enhanced", "Advanced"),
            _ => ("Core", "Basic"),
        };
        // A few schools join part-way through 2025-26, with the first-year discount.
        let (starts, first_year) = match i % 23 {
            4 => (day(2026, 1, 1), true),
            9 => (day(2026, 2, 1), true),
            16 => (day(2025, 10, 15), true),
            _ => (day(2025, 9, 1), false),
        };
        let (starts, ends) = match s.urn {
            // The converting school: a member until it closes; its academy from when it opens.
            990_011 => (day(2025, 9, 1), None),
            990_149 => (day(2026, 1, 1), None),
            _ => (starts, None),
        };
        let paid_by = match s.urn {
            990_011 => "council",
            990_149 => "trust",
            // The demo business manager's school pays its own invoices.
            990_003 => "school",
            _ => paid_by,
        };
        memberships::join(
            db,
            partnership_id,
            &NewMembership {
                urn: s.urn,
                year: "2025-26".into(),
                level: levels_now.into(),
                starts_on: starts,
                ends_on: ends,
                paid_by: paid_by.into(),
                first_year,
            },
            None,
        )
        .await?;
        if s.status != "closed" {
            memberships::join(
                db,
                partnership_id,
                &NewMembership {
                    urn: s.urn,
                    year: "2026-27".into(),
                    level: levels_next.into(),
                    starts_on: day(2026, 9, 1),
                    ends_on: None,
                    paid_by: paid_by.into(),
                    first_year: false,
                },
                None,
            )
            .await?;
        }
    }
    // River Valley Academies will not pay without a purchase-order number.
    if let Some(trust) = entity::trust::Entity::find()
        .filter(entity::trust::Column::PartnershipId.eq(partnership_id))
        .filter(entity::trust::Column::Name.eq(TRUSTS[1]))
        .one(db)
        .await?
        && let Some(member) = schools.iter().find(|s| s.trust_id == Some(trust.id))
    {
        let payer = memberships::payer_for(db, partnership_id, member, memberships::PaidBy::Trust).await?;
        memberships::set_requires_po(db, partnership_id, payer.id, true, None).await?;
    }
    Ok(())
}

fn demo_name(role: Role, email: &str) -> &'static str {
    match (role, email) {
        (Role::Admin, _) => "Amira Hassan",
        (Role::Finance, _) => "Femi Adeyemi",
        (Role::Board, _) => "Bernadette Clarke",
        (Role::SchoolBusinessManager, "trust@demo.test") => "Tomasz Nowak",
        (Role::SchoolBusinessManager, _) => "Sandra Patel",
        (Role::Commissioner, _) => "Colin Reid",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::billing_phase::BillingPhase;
    use crate::domain::gias::{ParseOptions, parse_file};

    #[test]
    fn the_demo_register_is_deterministic_and_valid() {
        let first = demo_register_csv("16-01-2025", 0);
        assert_eq!(first, demo_register_csv("16-01-2025", 0));
        let parsed = parse_file(first.as_bytes(), &ParseOptions::default());
        assert_eq!(parsed.errors, vec![]);
        assert_eq!(parsed.schools.len(), 149);
        let no_pupils = parsed.schools.iter().filter(|s| s.pupils.is_none()).count();
        assert_eq!(no_pupils, 3);
        let phases: std::collections::HashSet<BillingPhase> =
            parsed.schools.iter().map(|s| s.billing_phase).collect();
        for p in [
            BillingPhase::Nursery,
            BillingPhase::Primary,
            BillingPhase::Secondary,
            BillingPhase::AllThrough,
            BillingPhase::Special,
            BillingPhase::AlternativeProvision,
        ] {
            assert!(phases.contains(&p), "{p}");
        }
        assert_eq!(parsed.schools[2].urn.value(), 990_003);
        assert_eq!(parsed.schools[2].name, "Riverside Park Primary School");
        assert!(parsed.schools.iter().any(|s| s.links.iter().any(|l| l.is_successor())));
        assert!(parsed.schools.iter().filter(|s| s.trust_name.is_some()).count() > 30);
    }
}
