//! The statement files partnerships' banks give them: the CSV exports of Lloyds, Barclays,
//! NatWest/RBS and HSBC, any other CSV through a saved column mapping, OFX (read by `ofx-rs`)
//! and camt.053 (read by `quick-xml`'s serde support). Dates are UK (day first); amounts exact.
//! A file that does not read is refused whole, naming the line and why.

use super::line::StatementLine;
use crate::domain::money::Money;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A statement file's layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Lloyds,
    Barclays,
    Natwest,
    Hsbc,
    /// Any other CSV, read through a column mapping.
    Generic,
    Ofx,
    Camt053,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Lloyds,
        Format::Barclays,
        Format::Natwest,
        Format::Hsbc,
        Format::Generic,
        Format::Ofx,
        Format::Camt053,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Lloyds => "lloyds",
            Format::Barclays => "barclays",
            Format::Natwest => "natwest",
            Format::Hsbc => "hsbc",
            Format::Generic => "generic",
            Format::Ofx => "ofx",
            Format::Camt053 => "camt053",
        }
    }

    pub fn parse(text: &str) -> Option<Format> {
        let t = text.trim().to_ascii_lowercase().replace(['.', '-', ' '], "");
        match t.as_str() {
            "rbs" => Some(Format::Natwest),
            "csv" => Some(Format::Generic),
            _ => Format::ALL.into_iter().find(|f| f.as_str() == t),
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Format::Lloyds => "Lloyds CSV",
            Format::Barclays => "Barclays CSV",
            Format::Natwest => "NatWest or RBS CSV",
            Format::Hsbc => "HSBC CSV",
            Format::Generic => "Other CSV (with a column mapping)",
            Format::Ofx => "OFX",
            Format::Camt053 => "camt.053 (ISO 20022 XML)",
        }
    }
}

crate::domain::unknown_name::from_str_by_parse!(Format, "statement format");

/// Which columns of another bank's CSV hold what (header names, any case).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub date: String,
    pub description: String,
    /// One signed amount column (money in positive)...
    #[serde(default)]
    pub amount: Option<String>,
    /// ...or money in and money out in two columns.
    #[serde(default)]
    pub credit: Option<String>,
    #[serde(default)]
    pub debit: Option<String>,
    #[serde(default)]
    pub balance: Option<String>,
    #[serde(default)]
    pub counterparty: Option<String>,
}

/// Why a statement file cannot be read: the line (1 is the first line of the file) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct FormatError {
    pub line: usize,
    pub reason: String,
}

fn fail(line: usize, reason: impl Into<String>) -> FormatError {
    FormatError { line, reason: reason.into() }
}

fn header_key(text: &str) -> String {
    text.trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The format of a file, from its first bytes and header row; `None` when it cannot tell (a
/// CSV of another bank, which needs a mapping).
pub fn detect(bytes: &[u8]) -> Option<Format> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_string();
    let trimmed = head.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with("OFXHEADER") || head.contains("<OFX>") || head.contains("<?OFX") {
        return Some(Format::Ofx);
    }
    if head.contains("camt.053") || head.contains("<BkToCstmrStmt") {
        return Some(Format::Camt053);
    }
    let first = trimmed.lines().next().unwrap_or_default();
    let columns: Vec<String> = first.split(',').map(|c| header_key(c.trim_matches('"'))).collect();
    let has = |names: &[&str]| names.iter().all(|n| columns.iter().any(|c| c == n));
    if has(&["transaction date", "transaction description", "debit amount", "credit amount"]) {
        Some(Format::Lloyds)
    } else if has(&["number", "date", "account", "amount", "subcategory", "memo"]) {
        Some(Format::Barclays)
    } else if has(&["date", "type", "description", "value", "balance", "account name"]) {
        Some(Format::Natwest)
    } else if has(&["date", "type", "description", "paid out", "paid in"]) {
        Some(Format::Hsbc)
    } else {
        None
    }
}

/// A UK date: 02/11/2026, 2/11/26, 02-11-2026, 02 Nov 2026 or 2026-11-02.
pub fn uk_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%Y-%m-%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
        .or_else(|| {
            ["%d/%m/%y", "%d-%m-%y", "%d %b %y", "%d-%b-%y"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
        })
}

fn read_money(text: &str, line: usize, column: &str) -> Result<Money, FormatError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(Money::ZERO);
    }
    let (negative, t) = match t.strip_suffix("CR").or_else(|| t.strip_suffix("cr")) {
        Some(rest) => (false, rest.trim()),
        None => match t.strip_suffix("DR").or_else(|| t.strip_suffix("dr")) {
            Some(rest) => (true, rest.trim()),
            None => (false, t),
        },
    };
    let money = Money::parse(t).map_err(|e| fail(line, format!("column \"{column}\": {e}")))?;
    Ok(if negative { -money } else { money })
}

/// Reads a statement file in `format` (a generic CSV needs `mapping`).
pub fn parse(
    bytes: &[u8],
    format: &Format,
    mapping: Option<&ColumnMapping>,
) -> Result<Vec<StatementLine>, FormatError> {
    let text = std::str::from_utf8(bytes)
        .map(|t| t.trim_start_matches('\u{feff}').to_string())
        .unwrap_or_else(|_| encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned());
    let lines = match format {
        Format::Ofx => ofx(&text)?,
        Format::Camt053 => camt053(&text)?,
        Format::Generic => {
            let mapping = mapping
                .ok_or_else(|| fail(1, "this CSV is not one the service knows: give a column mapping"))?;
            csv_with(&text, |get, line| {
                let date = get(&mapping.date)?;
                let description = get(&mapping.description)?;
                let amount = match (&mapping.amount, &mapping.credit, &mapping.debit) {
                    (Some(a), _, _) => read_money(&get(a)?, line, a)?,
                    (None, Some(c), Some(d)) => {
                        read_money(&get(c)?, line, c)? - read_money(&get(d)?, line, d)?
                    }
                    (None, Some(c), None) => read_money(&get(c)?, line, c)?,
                    _ => {
                        return Err(fail(
                            1,
                            "the mapping needs an amount column, or money in and money out columns",
                        ));
                    }
                };
                let balance = match &mapping.balance {
                    Some(b) => Some(read_money(&get(b)?, line, b)?),
                    None => None,
                };
                let counterparty = match &mapping.counterparty {
                    Some(c) => Some(get(c)?).filter(|v| !v.is_empty()),
                    None => None,
                };
                Ok((date, description, amount, balance, counterparty))
            })?
        }
        Format::Lloyds => csv_with(&text, |get, line| {
            let money_in = read_money(&get("credit amount")?, line, "Credit Amount")?;
            let money_out = read_money(&get("debit amount")?, line, "Debit Amount")?;
            let balance = read_money(&get("balance")?, line, "Balance")?;
            Ok((
                get("transaction date")?,
                get("transaction description")?,
                money_in - money_out,
                Some(balance),
                None,
            ))
        })?,
        Format::Barclays => csv_with(&text, |get, line| {
            let memo = get("memo")?.replace('\t', " ");
            Ok((get("date")?, memo, read_money(&get("amount")?, line, "Amount")?, None, None))
        })?,
        Format::Natwest => csv_with(&text, |get, line| {
            let balance = read_money(&get("balance")?, line, "Balance")?;
            Ok((
                get("date")?,
                get("description")?,
                read_money(&get("value")?, line, "Value")?,
                Some(balance),
                None,
            ))
        })?,
        Format::Hsbc => csv_with(&text, |get, line| {
            let money_in = read_money(&get("paid in")?, line, "Paid In")?;
            let money_out = read_money(&get("paid out")?, line, "Paid Out")?;
            let balance = match get("balance") {
                Ok(b) if !b.trim().is_empty() => Some(read_money(&b, line, "Balance")?),
                _ => None,
            };
            Ok((get("date")?, get("description")?, money_in - money_out, balance, None))
        })?,
    };
    if lines.is_empty() {
        return Err(fail(1, "the file has no transactions"));
    }
    Ok(lines)
}

type Row = (String, String, Money, Option<Money>, Option<String>);

/// Reads a CSV with a header row; `row` reads one record through a getter by header name.
fn csv_with<F>(text: &str, row: F) -> Result<Vec<StatementLine>, FormatError>
where
    F: Fn(&dyn Fn(&str) -> Result<String, FormatError>, usize) -> Result<Row, FormatError>,
{
    let mut reader =
        csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| fail(1, format!("the header row cannot be read: {e}")))?
        .iter()
        .map(header_key)
        .collect();
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| fail(line, format!("cannot be read: {e}")))?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |name: &str| -> Result<String, FormatError> {
            let key = header_key(name);
            let index = headers
                .iter()
                .position(|h| *h == key)
                .ok_or_else(|| fail(1, format!("there is no column \"{name}\"")))?;
            Ok(record.get(index).unwrap_or_default().to_string())
        };
        let (date, description, amount, balance, counterparty) = row(&get, line)?;
        let date =
            uk_date(&date).ok_or_else(|| fail(line, format!("\"{date}\" is not a date like 02/11/2026")))?;
        if amount == Money::ZERO {
            continue;
        }
        out.push(StatementLine {
            date,
            amount,
            description: description.trim().to_string(),
            counterparty,
            balance,
            bank_id: None,
        });
    }
    Ok(out)
}

fn ofx(text: &str) -> Result<Vec<StatementLine>, FormatError> {
    let doc = ofx_rs::parse(text).map_err(|e| fail(1, format!("this OFX file cannot be read: {e}")))?;
    let banking = doc.banking().ok_or_else(|| fail(1, "this OFX file has no bank statement"))?;
    let mut out = Vec::new();
    for wrapper in banking.statement_responses() {
        let Some(statement) = wrapper.response() else { continue };
        let Some(list) = statement.transaction_list() else { continue };
        for (i, t) in list.transactions().iter().enumerate() {
            let posted = t.date_posted().as_offset_date_time().date();
            let date = NaiveDate::from_ymd_opt(
                posted.year(),
                u32::from(u8::from(posted.month())),
                u32::from(posted.day()),
            )
            .ok_or_else(|| fail(i + 1, "a transaction has no real date"))?;
            let amount = Money::from_decimal(t.amount().as_decimal())
                .map_err(|e| fail(i + 1, format!("transaction {}: {e}", t.fit_id().as_str())))?;
            let description = [t.name(), t.memo()].into_iter().flatten().collect::<Vec<_>>().join(" ");
            if amount == Money::ZERO {
                continue;
            }
            out.push(StatementLine {
                date,
                amount,
                description,
                counterparty: t.name().map(str::to_string),
                balance: None,
                bank_id: Some(t.fit_id().as_str().to_string()),
            });
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct CamtDocument {
    #[serde(rename = "BkToCstmrStmt")]
    statement: CamtStatements,
}

#[derive(Deserialize)]
struct CamtStatements {
    #[serde(rename = "Stmt", default)]
    statements: Vec<CamtStatement>,
}

#[derive(Deserialize)]
struct CamtStatement {
    #[serde(rename = "Ntry", default)]
    entries: Vec<CamtEntry>,
}

#[derive(Deserialize)]
struct CamtEntry {
    #[serde(rename = "NtryRef")]
    entry_ref: Option<String>,
    #[serde(rename = "AcctSvcrRef")]
    servicer_ref: Option<String>,
    #[serde(rename = "Amt")]
    amount: CamtAmount,
    #[serde(rename = "CdtDbtInd")]
    direction: String,
    #[serde(rename = "BookgDt")]
    booked: Option<CamtDate>,
    #[serde(rename = "ValDt")]
    value: Option<CamtDate>,
    #[serde(rename = "NtryDtls", default)]
    details: Vec<CamtDetails>,
    #[serde(rename = "AddtlNtryInf")]
    info: Option<String>,
}

#[derive(Deserialize)]
struct CamtAmount {
    #[serde(rename = "$text")]
    value: String,
    #[serde(rename = "@Ccy")]
    currency: Option<String>,
}

#[derive(Deserialize)]
struct CamtDate {
    #[serde(rename = "Dt")]
    date: Option<String>,
    #[serde(rename = "DtTm")]
    date_time: Option<String>,
}

#[derive(Deserialize)]
struct CamtDetails {
    #[serde(rename = "TxDtls", default)]
    transactions: Vec<CamtTransaction>,
}

#[derive(Deserialize)]
struct CamtTransaction {
    #[serde(rename = "RmtInf")]
    remittance: Option<CamtRemittance>,
    #[serde(rename = "RltdPties")]
    parties: Option<CamtParties>,
}

#[derive(Deserialize)]
struct CamtRemittance {
    #[serde(rename = "Ustrd", default)]
    unstructured: Vec<String>,
}

#[derive(Deserialize)]
struct CamtParties {
    #[serde(rename = "Dbtr")]
    debtor: Option<CamtParty>,
}

#[derive(Deserialize)]
struct CamtParty {
    #[serde(rename = "Nm")]
    name: Option<String>,
    /// camt.053.001.08 wraps the party: Dbtr/Pty/Nm.
    #[serde(rename = "Pty")]
    party: Option<Box<CamtParty>>,
}

impl CamtParty {
    fn name(&self) -> Option<String> {
        self.name.clone().or_else(|| self.party.as_ref().and_then(|p| p.name()))
    }
}

fn camt053(text: &str) -> Result<Vec<StatementLine>, FormatError> {
    let doc: CamtDocument = quick_xml::de::from_str(text)
        .map_err(|e| fail(1, format!("this camt.053 file cannot be read: {e}")))?;
    let mut out = Vec::new();
    for (i, e) in doc.statement.statements.iter().flat_map(|s| s.entries.iter()).enumerate() {
        let n = i + 1;
        if e.amount.currency.as_deref().is_some_and(|c| c != "GBP") {
            return Err(fail(
                n,
                format!("entry {n} is in {}, not pounds", e.amount.currency.as_deref().unwrap_or_default()),
            ));
        }
        let value = Money::parse(&e.amount.value).map_err(|err| fail(n, format!("entry {n}: {err}")))?;
        let amount = match e.direction.as_str() {
            "CRDT" => value,
            "DBIT" => -value,
            other => return Err(fail(n, format!("entry {n}: \"{other}\" is neither CRDT nor DBIT"))),
        };
        let day = e
            .booked
            .as_ref()
            .or(e.value.as_ref())
            .and_then(|d| {
                d.date.clone().or_else(|| d.date_time.as_ref().map(|t| t.chars().take(10).collect()))
            })
            .ok_or_else(|| fail(n, format!("entry {n} has no booking date")))?;
        let date = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .map_err(|_| fail(n, format!("entry {n}: \"{day}\" is not a date")))?;
        let tx = e.details.iter().flat_map(|d| d.transactions.iter());
        let mut words: Vec<String> = Vec::new();
        let mut counterparty = None;
        for t in tx {
            if let Some(r) = &t.remittance {
                words.extend(r.unstructured.iter().cloned());
            }
            if counterparty.is_none() {
                counterparty = t.parties.as_ref().and_then(|p| p.debtor.as_ref()).and_then(CamtParty::name);
            }
        }
        words.extend(e.info.iter().cloned());
        out.push(StatementLine {
            date,
            amount,
            description: words.join(" "),
            counterparty,
            balance: None,
            bank_id: e.servicer_ref.clone().or_else(|| e.entry_ref.clone()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn each_banks_csv_is_read_and_detected() {
        let lloyds = "Transaction Date,Transaction Type,Sort Code,Account Number,Transaction Description,Debit Amount,Credit Amount,Balance\n02/11/2026,BGC,'20-45-77,43218765,RH000123 ACORN PRIMARY,,1200.00,5200.00\n03/11/2026,DD,'20-45-77,43218765,INSURANCE,45.50,,5154.50\n";
        assert_eq!(detect(lloyds.as_bytes()), Some(Format::Lloyds));
        let lines = parse(lloyds.as_bytes(), &Format::Lloyds, None).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].date, lines[0].amount), (day(2), Money::from_pence(120_000)));
        assert_eq!(lines[1].amount, Money::from_pence(-4550));
        assert_eq!(lines[0].balance, Some(Money::from_pence(520_000)));

        let barclays = "Number,Date,Account,Amount,Subcategory,Memo\n1,02/11/2026,20-45-77 43218765,1200.00,Bacs,ACORN PRIMARY\tRH000123\n";
        assert_eq!(detect(barclays.as_bytes()), Some(Format::Barclays));
        let b = parse(barclays.as_bytes(), &Format::Barclays, None).unwrap();
        assert_eq!(b[0].description, "ACORN PRIMARY RH000123");

        let natwest = "Date, Type, Description, Value, Balance, Account Name, Account Number\n02/11/2026,BAC,\"NORTHGATE LEARNIN , RH-000124\",2400.00,7600.00,RIVERSIDE,43218765\n";
        assert_eq!(detect(natwest.as_bytes()), Some(Format::Natwest));
        assert_eq!(
            parse(natwest.as_bytes(), &Format::Natwest, None).unwrap()[0].amount,
            Money::from_pence(240_000)
        );

        let hsbc = "Date,Type,Description,Paid Out,Paid In,Balance\n02 Nov 2026,CR,YEWTREE PRIMARY INV 125,,\"1,000.00\",\"9,000.00\"\n";
        assert_eq!(detect(hsbc.as_bytes()), Some(Format::Hsbc));
        assert_eq!(
            parse(hsbc.as_bytes(), &Format::Hsbc, None).unwrap()[0].amount,
            Money::from_pence(100_000)
        );
    }

    #[test]
    fn a_generic_csv_needs_its_mapping() {
        let csv = "When,What,In,Out\n02/11/2026,RH000123,50.00,\n";
        assert_eq!(detect(csv.as_bytes()), None);
        assert!(parse(csv.as_bytes(), &Format::Generic, None).unwrap_err().reason.contains("column mapping"));
        let mapping = ColumnMapping {
            date: "When".into(),
            description: "what".into(),
            credit: Some("In".into()),
            debit: Some("Out".into()),
            ..ColumnMapping::default()
        };
        let lines = parse(csv.as_bytes(), &Format::Generic, Some(&mapping)).unwrap();
        assert_eq!(lines[0].amount, Money::from_pence(5000));
    }

    #[test]
    fn a_bad_file_is_refused_with_its_line() {
        let bad = "Date,Type,Description,Paid Out,Paid In,Balance\n02/11/2026,CR,A,,10.00,\n31/02/2026,CR,B,,10.00,\n";
        let e = parse(bad.as_bytes(), &Format::Hsbc, None).unwrap_err();
        assert_eq!(e.to_string(), "line 3: \"31/02/2026\" is not a date like 02/11/2026");
        let pennies = "Date,Type,Description,Paid Out,Paid In,Balance\n02/11/2026,CR,A,,10.001,\n";
        assert!(
            parse(pennies.as_bytes(), &Format::Hsbc, None)
                .unwrap_err()
                .to_string()
                .starts_with("line 2: column \"Paid In\"")
        );
        assert!(parse(b"Date,Type,Description,Paid Out,Paid In,Balance\n", &Format::Hsbc, None).is_err());
    }

    #[test]
    fn ofx_and_camt053() {
        let ofx = "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20261102120000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>GBP<BANKACCTFROM><BANKID>204577<ACCTID>43218765<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>20261101<DTEND>20261130<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261102<TRNAMT>1200.00<FITID>ABC1<NAME>ACORN PRIMARY<MEMO>RH000123</STMTTRN></BANKTRANLIST><LEDGERBAL><BALAMT>5200.00<DTASOF>20261130</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>";
        assert_eq!(detect(ofx.as_bytes()), Some(Format::Ofx));
        let lines = parse(ofx.as_bytes(), &Format::Ofx, None).unwrap();
        assert_eq!(lines[0].bank_id.as_deref(), Some("ABC1"));
        assert_eq!((lines[0].date, lines[0].amount), (day(2), Money::from_pence(120_000)));
        assert!(lines[0].description.contains("RH000123"));

        let camt = r#"<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>1</MsgId></GrpHdr><Stmt><Id>S1</Id><Ntry><NtryRef>E1</NtryRef><Amt Ccy="GBP">2400.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-03</Dt></BookgDt><AcctSvcrRef>BANK-1</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>NORTHGATE LEARNING TRUST</Nm></Dbtr></RltdPties><RmtInf><Ustrd>RH-000124</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry><Ntry><Amt Ccy="GBP">10.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-11-04</Dt></BookgDt><AddtlNtryInf>CHARGES</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>"#;
        assert_eq!(detect(camt.as_bytes()), Some(Format::Camt053));
        let lines = parse(camt.as_bytes(), &Format::Camt053, None).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].counterparty.as_deref(), Some("NORTHGATE LEARNING TRUST"));
        assert_eq!(
            (lines[0].amount, lines[0].bank_id.as_deref()),
            (Money::from_pence(240_000), Some("BANK-1"))
        );
        assert_eq!(lines[1].amount, Money::from_pence(-1000));
    }
}
