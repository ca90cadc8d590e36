//! A generated register in GIAS's full 111-column establishment format, shared by the benches.

use std::io::Write;

/// GIAS's own header row (the 111 columns of an establishment download).
pub const HEADER: &str = r#""URN","LA (code)","LA (name)","EstablishmentNumber","EstablishmentName","TypeOfEstablishment (name)","EstablishmentTypeGroup (name)","EstablishmentStatus (name)","ReasonEstablishmentOpened (name)","OpenDate","ReasonEstablishmentClosed (name)","CloseDate","PhaseOfEducation (name)","StatutoryLowAge","StatutoryHighAge","Boarders (name)","NurseryProvision (name)","OfficialSixthForm (name)","Gender (name)","ReligiousCharacter (name)","ReligiousEthos (name)","Diocese (name)","AdmissionsPolicy (name)","SchoolCapacity","SpecialClasses (name)","CensusDate","NumberOfPupils","NumberOfBoys","NumberOfGirls","PercentageFSM","TrustSchoolFlag (name)","Trusts (name)","SchoolSponsorFlag (name)","SchoolSponsors (name)","FederationFlag (name)","Federations (name)","UKPRN","FEHEIdentifier","FurtherEducationType (name)","OfstedLastInsp","LastChangedDate","Street","Locality","Address3","Town","County (name)","Postcode","SchoolWebsite","TelephoneNum","HeadTitle (name)","HeadFirstName","HeadLastName","HeadPreferredJobTitle","BSOInspectorateName (name)","InspectorateReport","DateOfLastInspectionVisit","NextInspectionVisit","TeenMoth (name)","TeenMothPlaces","CCF (name)","SENPRU (name)","EBD (name)","PlacesPRU","FTProv (name)","EdByOther (name)","Section41Approved (name)","SEN1 (name)","SEN2 (name)","SEN3 (name)","SEN4 (name)","SEN5 (name)","SEN6 (name)","SEN7 (name)","SEN8 (name)","SEN9 (name)","SEN10 (name)","SEN11 (name)","SEN12 (name)","SEN13 (name)","TypeOfResourcedProvision (name)","ResourcedProvisionOnRoll","ResourcedProvisionCapacity","SenUnitOnRoll","SenUnitCapacity","GOR (name)","DistrictAdministrative (name)","AdministrativeWard (name)","ParliamentaryConstituency (name)","UrbanRural (name)","GSSLACode (name)","Easting","Northing","MSOA (name)","LSOA (name)","InspectorateName (name)","SENStat","SENNoStat","PropsName","OfstedRating (name)","RSCRegion (name)","Country (name)","UPRN","SiteName","QABName (name)","EstablishmentAccredited (name)","QABReport","CHNumber","MSOA (code)","LSOA (code)","FSM","Linked establishments""#;

const TYPES: [(&str, &str, &str); 6] = [
    ("Community school", "Local authority maintained schools", "Primary"),
    ("Academy converter", "Academies", "Secondary"),
    ("Voluntary aided school", "Local authority maintained schools", "Primary"),
    ("Community special school", "Special schools", "Not applicable"),
    ("Free schools", "Free Schools", "All-through"),
    ("Pupil referral unit", "Local authority maintained schools", "Not applicable"),
];

/// What a generated file holds: `rows` schools from URN `first_urn`, spread over 150 LAs and six
/// establishment types, one in three in a trust; optionally closed schools with successor links
/// and rows with no pupil number, as a national download has.
pub struct GiasFile {
    pub rows: usize,
    pub first_urn: usize,
    /// Every n-th school is closed (with a successor link); `None`: all open.
    pub closed_every: Option<usize>,
    /// Every n-th school has no pupil number; `None`: all have one.
    pub blank_pupils_every: Option<usize>,
}

fn every(i: usize, n: Option<usize>) -> bool {
    n.is_some_and(|n| i.is_multiple_of(n))
}

impl GiasFile {
    /// The file in memory.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.rows * 700);
        self.write(&mut out).expect("writing to memory");
        out
    }

    /// Writes the file (quoted values, DD-MM-YYYY dates, as GIAS downloads are).
    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        let columns: Vec<&str> = HEADER.split(',').map(|c| c.trim_matches('"')).collect();
        assert_eq!(columns.len(), 111);
        writeln!(out, "{HEADER}")?;
        let mut fields: Vec<String> = vec![String::new(); 111];
        for i in 0..self.rows {
            let urn = self.first_urn + i;
            let la = 800 + (i % 150);
            let (kind, group, phase) = TYPES[i % TYPES.len()];
            let closed = every(i, self.closed_every);
            let blank = every(i, self.blank_pupils_every);
            for (index, column) in columns.iter().enumerate() {
                fields[index] = match *column {
                    "URN" => urn.to_string(),
                    "LA (code)" => format!("\"{la}\""),
                    "LA (name)" => format!("\"Authority {la}\""),
                    "EstablishmentNumber" => format!("\"{}\"", 2000 + i % 8000),
                    "EstablishmentName" => format!("\"School {i}, Upper Town\""),
                    "TypeOfEstablishment (name)" => format!("\"{kind}\""),
                    "EstablishmentTypeGroup (name)" => format!("\"{group}\""),
                    "EstablishmentStatus (name)" => if closed { "\"Closed\"" } else { "\"Open\"" }.into(),
                    "CloseDate" => if closed { "\"31-08-2021\"" } else { "\"\"" }.into(),
                    "OpenDate" => "\"01-09-1990\"".into(),
                    "PhaseOfEducation (name)" => format!("\"{phase}\""),
                    "StatutoryLowAge" => "4".into(),
                    "StatutoryHighAge" => "11".into(),
                    "CensusDate" => if blank { "\"\"" } else { "\"16-01-2025\"" }.into(),
                    "NumberOfPupils" => {
                        if blank {
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
                            format!("\"{} Successor\"", self.first_urn + 100_000 + i)
                        } else {
                            "\"Does not have links\"".into()
                        }
                    }
                    _ => "\"Not applicable\"".into(),
                };
            }
            writeln!(out, "{}", fields.join(","))?;
        }
        Ok(())
    }
}
