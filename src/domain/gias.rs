//! Reading the DfE's GIAS establishment CSV into valid register rows.
//!
//! Accepts the full 111-column download and any file with the same column names and fewer
//! columns. Pure: the caller supplies the bytes and the census date to use when a file has none.

use super::billing_phase::{BillingPhase, billing_phase_of};
use super::pupils::parse_pupils;
use super::school::{SchoolLink, SchoolStatus, Urn, parse_links};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom};

/// One school as a GIAS row describes it, every field checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiasSchool {
    /// The row's line number in the file (the header is line 1).
    pub line: u64,
    pub urn: Urn,
    pub la_code: String,
    pub la_name: String,
    pub establishment_number: Option<String>,
    pub name: String,
    pub type_name: String,
    pub type_group: Option<String>,
    pub gias_phase: String,
    pub billing_phase: BillingPhase,
    pub low_age: Option<i32>,
    pub high_age: Option<i32>,
    pub status: SchoolStatus,
    pub open_date: Option<NaiveDate>,
    pub close_date: Option<NaiveDate>,
    pub pupils: Option<CensusFigure>,
    pub trust_name: Option<String>,
    pub postcode: Option<String>,
    /// Street to county, one part a line.
    pub address: Option<String>,
    pub links: Vec<SchoolLink>,
}

/// A number on roll and the census it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CensusFigure {
    pub census_date: NaiveDate,
    pub pupils: i32,
}

/// Why one row (or the whole file, at line 1) could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column \"{}\": {}", self.line, self.column, self.reason)
    }
}

/// The most problems listed for one file; the rest are counted. A file of a million bad lines
/// must not make a report of a million entries.
pub const MAX_LISTED_ERRORS: usize = 1000;

/// Everything read from a file: the good rows and the reasons the others were rejected.
#[derive(Debug, Default)]
pub struct ParsedFile {
    pub schools: Vec<GiasSchool>,
    /// The first [`MAX_LISTED_ERRORS`] problems, in file order.
    pub errors: Vec<RowError>,
    /// Problems beyond those listed.
    pub errors_not_listed: usize,
    /// Rows with at least one problem (all of them, listed or not).
    pub rejected_rows: usize,
    /// Rows left out because their LA was not one the caller asked for.
    pub outside_area: usize,
}

impl ParsedFile {
    fn problem(&mut self, error: RowError) {
        if self.errors.len() < MAX_LISTED_ERRORS {
            self.errors.push(error);
        } else {
            self.errors_not_listed += 1;
        }
    }

    /// Whether the file itself (not one of its rows) is unreadable: no header, a missing column.
    pub fn file_level_problem(&self) -> bool {
        self.errors.iter().any(|e| e.line <= 1)
    }
}

/// What the caller decides for a file.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// The census date for pupil numbers when the file has no `CensusDate` (or it is blank).
    pub default_census_date: Option<NaiveDate>,
    /// Only keep rows of these LA codes (all rows when empty).
    pub only_la_codes: Vec<String>,
}

const URN: &str = "URN";
const LA_CODE: &str = "LA (code)";
const LA_NAME: &str = "LA (name)";
const NAME: &str = "EstablishmentName";
const TYPE: &str = "TypeOfEstablishment (name)";
const PHASE: &str = "PhaseOfEducation (name)";
const STATUS: &str = "EstablishmentStatus (name)";
const REQUIRED: [&str; 7] = [URN, LA_CODE, LA_NAME, NAME, TYPE, PHASE, STATUS];

const NUMBER: &str = "EstablishmentNumber";
const TYPE_GROUP: &str = "EstablishmentTypeGroup (name)";
const LOW_AGE: &str = "StatutoryLowAge";
const HIGH_AGE: &str = "StatutoryHighAge";
const OPEN_DATE: &str = "OpenDate";
const CLOSE_DATE: &str = "CloseDate";
const PUPILS: &str = "NumberOfPupils";
const CENSUS_DATE: &str = "CensusDate";
const TRUST: &str = "Trusts (name)";
const POSTCODE: &str = "Postcode";
const ADDRESS: [&str; 5] = ["Street", "Locality", "Address3", "Town", "County (name)"];
const LINKS: &str = "Linked establishments";

/// Whether the bytes read are valid UTF-8 (a byte-order mark allowed), checked a chunk at a
/// time; otherwise the file is Windows-1252, the encoding GIAS downloads use.
pub fn is_utf8<R: Read>(mut reader: R) -> io::Result<bool> {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let read = reader.read(&mut buffer)?;
        if read == 0 {
            return Ok(carry.is_empty());
        }
        carry.extend_from_slice(&buffer[..read]);
        match std::str::from_utf8(&carry) {
            Ok(_) => carry.clear(),
            // An incomplete character at the end of the chunk: keep it for the next one.
            Err(e) if e.error_len().is_none() => {
                let rest = carry.split_off(e.valid_up_to());
                carry = rest;
            }
            Err(_) => return Ok(false),
        }
    }
}

/// A reader that turns Windows-1252 bytes into UTF-8 as they are read.
struct Windows1252<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    output: Vec<u8>,
    start: usize,
    done: bool,
}

impl<R: Read> Read for Windows1252<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.start >= self.output.len() && !self.done {
            let read = self.inner.read(&mut self.input)?;
            let last = read == 0;
            self.output.clear();
            self.output.resize(read * 3 + 16, 0);
            let (_, _, written, _) = self.decoder.decode_to_utf8(&self.input[..read], &mut self.output, last);
            self.output.truncate(written);
            self.start = 0;
            self.done = last;
        }
        let n = out.len().min(self.output.len() - self.start);
        out[..n].copy_from_slice(&self.output[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

/// Reads a whole file from its start: UTF-8 (with or without a byte-order mark) when it is valid
/// UTF-8, otherwise Windows-1252, a chunk at a time so memory stays small whatever the file's
/// size. Never fails on content: problems come back as [`RowError`]s.
pub fn parse_reader<R: Read + Seek>(
    mut reader: R,
    options: &ParseOptions,
    progress: impl FnMut(usize),
) -> io::Result<ParsedFile> {
    let utf8 = is_utf8(&mut reader)?;
    reader.seek(SeekFrom::Start(0))?;
    if utf8 {
        Ok(parse_text(reader, options, progress))
    } else {
        let decoded = Windows1252 {
            inner: reader,
            decoder: encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling(),
            input: vec![0u8; 64 * 1024],
            output: Vec::new(),
            start: 0,
            done: false,
        };
        Ok(parse_text(decoded, options, progress))
    }
}

/// Reads a GIAS date: DD-MM-YYYY as GIAS writes it, or YYYY-MM-DD.
pub fn parse_gias_date(text: &str) -> Result<Option<NaiveDate>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(trimmed, "%d-%m-%Y")
        .or_else(|_| NaiveDate::parse_from_str(trimmed, "%d/%m/%Y"))
        .or_else(|_| NaiveDate::parse_from_str(trimmed, "%Y-%m-%d"))
        .map(Some)
        .map_err(|_| format!("\"{trimmed}\" is not a date (DD-MM-YYYY)"))
}

/// Splits "309, 308" into codes; anything but digits is an error naming the value.
pub fn parse_la_codes(text: &str) -> Result<Vec<String>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            if c.chars().all(|ch| ch.is_ascii_digit()) && c.len() <= 4 {
                Ok(c.to_string())
            } else {
                Err(format!("\"{c}\" is not a local authority code (3 digits, e.g. 309)"))
            }
        })
        .collect()
}

/// Column positions by GIAS name.
struct Columns(HashMap<String, usize>);

impl Columns {
    fn get(&self, name: &str) -> Option<usize> {
        self.0.get(&name.to_ascii_lowercase()).copied()
    }
}

/// Reads the whole file from bytes (see [`parse_reader`]).
pub fn parse_file(bytes: &[u8], options: &ParseOptions) -> ParsedFile {
    parse_reader(io::Cursor::new(bytes), options, |_| {}).unwrap_or_else(|e| {
        let mut parsed = ParsedFile::default();
        parsed.problem(RowError { line: 1, column: String::new(), reason: e.to_string() });
        parsed
    })
}

/// Reads UTF-8 CSV text, calling `progress` with the count of rows read so far.
fn parse_text<R: Read>(text: R, options: &ParseOptions, mut progress: impl FnMut(usize)) -> ParsedFile {
    let mut parsed = ParsedFile::default();
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            parsed.problem(RowError { line: 1, column: String::new(), reason: e.to_string() });
            return parsed;
        }
    };
    let columns = Columns(
        headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase(), i))
            .collect(),
    );
    let missing: Vec<&str> = REQUIRED.into_iter().filter(|c| columns.get(c).is_none()).collect();
    if !missing.is_empty() {
        for column in missing {
            parsed.problem(RowError {
                line: 1,
                column: column.to_string(),
                reason: "this column is required and the header row does not have it".into(),
            });
        }
        return parsed;
    }
    let wanted_las: Vec<String> = options.only_la_codes.iter().map(|c| c.trim().to_string()).collect();
    let mut seen: HashMap<Urn, u64> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut count = 0usize;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                parsed.rejected_rows += 1;
                parsed.problem(RowError { line, column: String::new(), reason: e.to_string() });
                break;
            }
        }
        count += 1;
        if count.is_multiple_of(1000) {
            progress(count);
        }
        let line = record.position().map(|p| p.line()).unwrap_or(count as u64 + 1);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if let Some((index, c)) =
            record.iter().enumerate().find_map(|(i, f)| super::text::control_character(f).map(|c| (i, c)))
        {
            parsed.rejected_rows += 1;
            parsed.problem(RowError {
                line,
                column: headers.get(index).unwrap_or_default().trim().to_string(),
                reason: format!(
                    "contains a control character (U+{:04X}) that cannot be stored",
                    u32::from(c)
                ),
            });
            continue;
        }
        let cell = |name: &str| -> &str {
            columns.get(name).and_then(|i| record.get(i)).map(str::trim).unwrap_or("")
        };
        if !wanted_las.is_empty() && !wanted_las.iter().any(|c| c == cell(LA_CODE)) {
            parsed.outside_area += 1;
            continue;
        }
        match read_row(line, &cell, options) {
            Ok(school) => {
                if let Some(first) = seen.insert(school.urn, line) {
                    parsed.rejected_rows += 1;
                    parsed.problem(RowError {
                        line,
                        column: URN.into(),
                        reason: format!("URN {} appears again (first on line {first})", school.urn),
                    });
                } else {
                    parsed.schools.push(school);
                }
            }
            Err(errors) => {
                parsed.rejected_rows += 1;
                for error in errors {
                    parsed.problem(error);
                }
            }
        }
    }
    progress(count);
    parsed
}

fn read_row<'a>(
    line: u64,
    cell: &dyn Fn(&str) -> &'a str,
    options: &ParseOptions,
) -> Result<GiasSchool, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut fail = |column: &str, reason: String| {
        errors.push(RowError { line, column: column.to_string(), reason });
    };
    let urn = Urn::parse(cell(URN)).map_err(|e| fail(URN, e)).ok();
    let la_code = cell(LA_CODE).to_string();
    if la_code.is_empty() || !la_code.chars().all(|c| c.is_ascii_digit()) || la_code.len() > 4 {
        fail(LA_CODE, format!("\"{la_code}\" is not a local authority code (3 digits)"));
    }
    let la_name = cell(LA_NAME).to_string();
    if la_name.is_empty() {
        fail(LA_NAME, "the local authority name is blank".into());
    }
    let name = cell(NAME).to_string();
    if name.is_empty() {
        fail(NAME, "the school name is blank".into());
    }
    for column in [NAME, LA_NAME, TYPE, TYPE_GROUP, PHASE, TRUST] {
        let length = cell(column).chars().count();
        if length > super::text::MAX_NAME_CHARS {
            fail(column, format!("is {length} characters long; the most is {}", super::text::MAX_NAME_CHARS));
        }
    }
    let type_name = cell(TYPE).to_string();
    if type_name.is_empty() {
        fail(TYPE, "the type of establishment is blank".into());
    }
    let gias_phase = cell(PHASE).to_string();
    let status = SchoolStatus::from_gias(cell(STATUS));
    if status.is_none() {
        fail(STATUS, format!("\"{}\" is not a GIAS establishment status", cell(STATUS)));
    }
    let mut age = |column: &str| -> Option<i32> {
        let text = cell(column);
        if text.is_empty() {
            return None;
        }
        match text.parse::<i32>() {
            Ok(v) if (0..=25).contains(&v) => Some(v),
            _ => {
                fail(column, format!("\"{text}\" is not an age"));
                None
            }
        }
    };
    let low_age = age(LOW_AGE);
    let high_age = age(HIGH_AGE);
    let mut date = |column: &str| {
        parse_gias_date(cell(column)).unwrap_or_else(|e| {
            fail(column, e);
            None
        })
    };
    let open_date = date(OPEN_DATE);
    let close_date = date(CLOSE_DATE);
    let census_cell = parse_gias_date(cell(CENSUS_DATE));
    let census_unreadable = census_cell.is_err();
    let census_date = census_cell.unwrap_or_else(|e| {
        fail(CENSUS_DATE, e);
        None
    });
    let census_date = census_date.or(options.default_census_date);
    let pupils_text = cell(PUPILS);
    let pupils = if pupils_text.is_empty() {
        None
    } else {
        match (parse_pupils(pupils_text), census_date) {
            (Ok(pupils), Some(census_date)) => Some(CensusFigure { census_date, pupils }),
            (Ok(_), None) => {
                if !census_unreadable {
                    fail(CENSUS_DATE, "the row has a number of pupils but no census date".into());
                }
                None
            }
            (Err(e), _) => {
                fail(PUPILS, e);
                None
            }
        }
    };
    let links = parse_links(cell(LINKS)).unwrap_or_else(|e| {
        fail(LINKS, e);
        Vec::new()
    });
    let optional = |text: &str| (!text.is_empty()).then(|| text.to_string());
    match (urn, status) {
        (Some(urn), Some(status)) if errors.is_empty() => Ok(GiasSchool {
            line,
            urn,
            billing_phase: billing_phase_of(&type_name, &gias_phase),
            la_code,
            la_name,
            establishment_number: optional(cell(NUMBER)),
            name,
            type_name,
            type_group: optional(cell(TYPE_GROUP)),
            gias_phase,
            low_age,
            high_age,
            status,
            open_date,
            close_date,
            pupils,
            trust_name: optional(cell(TRUST)),
            postcode: optional(cell(POSTCODE)),
            address: crate::domain::address::from_gias_parts(&ADDRESS.map(cell)),
            links,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "URN,LA (code),LA (name),EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),EstablishmentStatus (name),NumberOfPupils,CensusDate,Linked establishments,Trusts (name)";

    fn opts() -> ParseOptions {
        ParseOptions { default_census_date: None, only_la_codes: vec![] }
    }

    #[test]
    fn reads_a_good_row() {
        let file = format!(
            "{HEADER}\n100001,309,Haringey,\"Park Lane, Primary\",Academy converter,Primary,Open,420,16-01-2025,100000 Predecessor,Big Trust\n"
        );
        let parsed = parse_file(file.as_bytes(), &opts());
        assert_eq!(parsed.errors, vec![]);
        let s = &parsed.schools[0];
        assert_eq!(s.line, 2);
        assert_eq!(s.name, "Park Lane, Primary");
        assert_eq!(s.billing_phase, BillingPhase::Primary);
        assert_eq!(s.pupils.unwrap().pupils, 420);
        assert_eq!(s.pupils.unwrap().census_date, NaiveDate::from_ymd_opt(2025, 1, 16).unwrap());
        assert_eq!(s.trust_name.as_deref(), Some("Big Trust"));
        assert!(s.links[0].is_predecessor());
    }

    #[test]
    fn blank_pupils_are_none_not_zero() {
        let file = format!("{HEADER}\n100001,309,Haringey,A,Community school,Primary,Open,,,,\n");
        let parsed = parse_file(file.as_bytes(), &opts());
        assert_eq!(parsed.errors, vec![]);
        assert_eq!(parsed.schools[0].pupils, None);
    }

    #[test]
    fn reports_line_column_and_reason() {
        let file = format!(
            "{HEADER}\n100001,309,Haringey,A,Community school,Primary,Open,12x,16-01-2025,,\n100002,309,Haringey,B,Community school,Primary,Gone,1,31-02-2025,,\n"
        );
        let parsed = parse_file(file.as_bytes(), &opts());
        assert!(parsed.schools.is_empty());
        let shown: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            vec![
                "line 2, column \"NumberOfPupils\": \"12x\" is not a whole number of pupils",
                "line 3, column \"EstablishmentStatus (name)\": \"Gone\" is not a GIAS establishment status",
                "line 3, column \"CensusDate\": \"31-02-2025\" is not a date (DD-MM-YYYY)",
            ]
        );
    }

    #[test]
    fn pupils_without_any_census_date_are_refused_unless_a_default_is_given() {
        let file = "URN,LA (code),LA (name),EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),EstablishmentStatus (name),NumberOfPupils\n100001,309,Haringey,A,Community school,Primary,Open,300\n";
        let parsed = parse_file(file.as_bytes(), &opts());
        assert_eq!(parsed.errors[0].column, "CensusDate");
        let day = NaiveDate::from_ymd_opt(2025, 1, 16).unwrap();
        let with_default = ParseOptions { default_census_date: Some(day), only_la_codes: vec![] };
        let parsed = parse_file(file.as_bytes(), &with_default);
        assert_eq!(parsed.schools[0].pupils.unwrap().census_date, day);
    }

    #[test]
    fn missing_required_columns_reject_the_file() {
        let parsed = parse_file(b"URN,EstablishmentName\n1,A\n", &opts());
        assert!(parsed.schools.is_empty());
        assert_eq!(parsed.errors.len(), 5);
        assert!(parsed.errors.iter().all(|e| e.line == 1));
        assert_eq!(parsed.errors[0].column, "LA (code)");
    }

    #[test]
    fn a_repeated_urn_is_an_error_on_the_second_line() {
        let file = format!(
            "{HEADER}\n100001,309,Haringey,A,Community school,Primary,Open,,,,\n100001,309,Haringey,A,Community school,Primary,Open,,,,\n"
        );
        let parsed = parse_file(file.as_bytes(), &opts());
        assert_eq!(parsed.schools.len(), 1);
        assert_eq!(parsed.errors[0].line, 3);
        assert!(parsed.errors[0].reason.contains("first on line 2"));
    }

    #[test]
    fn decodes_windows_1252_and_utf8_with_bom() {
        let cp1252 = b"caf\xe9 \x96 St Mary\x92s";
        let decode = |bytes: &[u8]| {
            let utf8 = is_utf8(bytes).unwrap();
            let mut text = String::new();
            if utf8 {
                text = String::from_utf8(bytes.to_vec()).unwrap().trim_start_matches('\u{feff}').to_string();
            } else {
                let mut reader = Windows1252 {
                    inner: bytes,
                    decoder: encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling(),
                    input: vec![0u8; 3],
                    output: Vec::new(),
                    start: 0,
                    done: false,
                };
                reader.read_to_string(&mut text).unwrap();
            }
            text
        };
        assert_eq!(decode(cp1252), "café – St Mary’s");
        assert_eq!(decode("\u{feff}café".as_bytes()), "café");
        assert!(!is_utf8(&[0xe9u8][..]).unwrap());
        assert!(is_utf8("é".repeat(40_000).as_bytes()).unwrap(), "characters split across chunks");
    }

    #[test]
    fn keeps_only_the_asked_for_las() {
        let file = format!(
            "{HEADER}\n100001,309,Haringey,A,Community school,Primary,Open,,,,\n100002,308,Enfield,B,Community school,Primary,Open,,,,\n"
        );
        let only = ParseOptions { default_census_date: None, only_la_codes: vec!["308".into()] };
        let parsed = parse_file(file.as_bytes(), &only);
        assert_eq!(parsed.schools.len(), 1);
        assert_eq!(parsed.schools[0].la_name, "Enfield");
        assert_eq!(parsed.outside_area, 1);
    }

    proptest::proptest! {
        /// Any name and pupil number written the way GIAS quotes them reads back unchanged.
        #[test]
        fn quoted_values_read_back(name in "[A-Za-z0-9 ,.'\"()&-]{1,60}", pupils in 0i32..5000, urn in 100000i32..999999) {
            let name = name.trim().to_string();
            proptest::prop_assume!(!name.is_empty());
            let quoted = format!("\"{}\"", name.replace('"', "\"\""));
            let file = format!(
                "{HEADER}\n{urn},\"309\",\"Haringey\",{quoted},\"Community school\",\"Primary\",\"Open\",\"{pupils}\",\"16-01-2025\",\"\",\"\"\n"
            );
            let parsed = parse_file(file.as_bytes(), &opts());
            proptest::prop_assert_eq!(parsed.errors, vec![]);
            proptest::prop_assert_eq!(&parsed.schools[0].name, &name);
            proptest::prop_assert_eq!(parsed.schools[0].pupils.map(|p| p.pupils), Some(pupils));
            proptest::prop_assert_eq!(parsed.schools[0].urn.value(), urn);
        }

        /// Arbitrary bytes never make the parser panic; every problem names a line.
        #[test]
        fn arbitrary_input_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let mut file = HEADER.as_bytes().to_vec();
            file.push(b'\n');
            file.extend_from_slice(&bytes);
            let parsed = parse_file(&file, &opts());
            proptest::prop_assert!(parsed.errors.iter().all(|e| e.line >= 1 || e.column.is_empty()));
        }
    }

    #[test]
    fn dates_in_gias_form() {
        assert_eq!(parse_gias_date("01-09-2021").unwrap(), NaiveDate::from_ymd_opt(2021, 9, 1));
        assert_eq!(parse_gias_date("2021-09-01").unwrap(), NaiveDate::from_ymd_opt(2021, 9, 1));
        assert_eq!(parse_gias_date(" ").unwrap(), None);
        assert!(parse_gias_date("1 Sept 2021").is_err());
    }
}
