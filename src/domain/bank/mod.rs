//! Bank statements: lines read from the banks' own files, Bacs references read the way payers
//! write them, and matching credit lines to open invoices with the evidence in words.

pub mod formats;
pub mod line;
pub mod matching;
pub mod reference;
pub mod synthetic;

pub use formats::{ColumnMapping, Format, FormatError, detect, parse};
pub use line::{LineState, StatementLine, fingerprints};
pub use matching::{Candidate, Matcher, OpenItem, Outcome, PayerName};
pub use reference::{bacs_normalise, invoice_numbers};
