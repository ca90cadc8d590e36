//! The demo register: about 150 schools in two local authorities as a GIAS-format CSV, made
//! deterministically (the same file every time for the same census).

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

pub(super) const PLACES: [&str; 40] = [
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

pub(super) const TRUSTS: [&str; 5] = [
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

pub(super) const HEADER: &str = "URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (name),EstablishmentTypeGroup (name),EstablishmentStatus (name),OpenDate,CloseDate,PhaseOfEducation (name),StatutoryLowAge,StatutoryHighAge,CensusDate,NumberOfPupils,Trusts (name),Street,Town,Postcode,Linked establishments";

pub(super) fn csv_field(text: &str) -> String {
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
            format!("{} {}", 1 + i % 97, ["School Lane", "Church Road", "Mill Street", "Park Avenue"][i % 4]),
            r.la.1.to_string(),
            postcode,
            r.link.clone(),
        ];
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}
