//! One line of a bank statement, and the fingerprint that recognises it when an overlapping
//! statement is imported again.

use crate::domain::money::Money;
use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// A line as the bank gave it: money in is positive, money out negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    pub date: NaiveDate,
    pub amount: Money,
    pub description: String,
    /// The payer's name, where the format carries it apart from the description.
    pub counterparty: Option<String>,
    pub balance: Option<Money>,
    /// The bank's own id of the transaction (OFX FITID, camt.053 entry reference).
    pub bank_id: Option<String>,
}

impl StatementLine {
    /// Money in.
    pub fn is_credit(&self) -> bool {
        self.amount > Money::ZERO
    }

    /// Everything a payer could have written: counterparty and description.
    pub fn text(&self) -> String {
        match &self.counterparty {
            Some(c) if !self.description.contains(c.as_str()) => format!("{c} {}", self.description),
            _ => self.description.clone(),
        }
    }
}

/// A stable fingerprint per line: the bank's id where it has one, otherwise date, amount,
/// description and balance, with a count so that two genuinely identical lines in one file
/// (two £50.00 payments the same day) stay two lines.
pub fn fingerprints(lines: &[StatementLine]) -> Vec<String> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    lines
        .iter()
        .map(|l| {
            let base = match &l.bank_id {
                Some(id) => format!("id|{id}"),
                None => format!(
                    "{}|{}|{}|{}",
                    l.date,
                    l.amount.amount(),
                    l.description.trim().to_uppercase(),
                    l.balance.map(|b| b.amount().to_string()).unwrap_or_default()
                ),
            };
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            hex::encode(Sha256::digest(format!("{base}|{n}").as_bytes()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(desc: &str, pence: i64, balance: Option<i64>) -> StatementLine {
        StatementLine {
            date: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            amount: Money::from_pence(pence),
            description: desc.into(),
            counterparty: None,
            balance: balance.map(Money::from_pence),
            bank_id: None,
        }
    }

    #[test]
    fn repeats_are_counted_and_overlaps_agree() {
        let first = [line("ACORN", 5000, None), line("ACORN", 5000, None), line("BEECH", 100, Some(900))];
        let prints = fingerprints(&first);
        assert_ne!(prints[0], prints[1], "two identical lines stay two");
        let again = fingerprints(&first[..2]);
        assert_eq!(&prints[..2], &again[..], "the same lines give the same prints");
        let other_balance = fingerprints(&[line("BEECH", 100, Some(800))]);
        assert_ne!(prints[2], other_balance[0]);
    }
}

/// Where a statement line stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    /// Money in that nothing points to yet.
    Unmatched,
    /// Money in with ranked suggestions for finance to confirm.
    Suggested,
    /// Money in recorded as a payment (automatically or confirmed).
    Matched,
    /// Not a payer's money (interest, a transfer), set aside.
    Ignored,
    /// Money out, not yet looked at.
    Debit,
    /// Money out that was a refund to a payer.
    Refund,
}

impl LineState {
    pub const ALL: [LineState; 6] = [
        LineState::Unmatched,
        LineState::Suggested,
        LineState::Matched,
        LineState::Ignored,
        LineState::Debit,
        LineState::Refund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LineState::Unmatched => "unmatched",
            LineState::Suggested => "suggested",
            LineState::Matched => "matched",
            LineState::Ignored => "ignored",
            LineState::Debit => "debit",
            LineState::Refund => "refund",
        }
    }

    pub fn parse(text: &str) -> Option<LineState> {
        LineState::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            LineState::Unmatched => "Unmatched",
            LineState::Suggested => "Suggested",
            LineState::Matched => "Matched",
            LineState::Ignored => "Ignored",
            LineState::Debit => "Money out",
            LineState::Refund => "Refund paid",
        }
    }
}

crate::domain::unknown_name::from_str_by_parse!(LineState, "statement line state");
