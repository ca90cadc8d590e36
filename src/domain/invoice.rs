//! Invoices and credit notes as numbers: lines, totals by VAT rate, credit limits and the
//! unbroken numbering of issued documents. Source-agnostic: each line says what it charges for.

use super::money::Money;
use super::vat::{VatRate, vat_round_down_s17_5};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where an invoice is in its life. Whether it is paid or overdue follows from what it owes and
/// its due date, never from a stored status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Draft,
    /// Held, unnumbered, until the payer gives a purchase-order number.
    WaitingForPo,
    Issued,
}

impl InvoiceStatus {
    pub const ALL: [InvoiceStatus; 3] =
        [InvoiceStatus::Issued, InvoiceStatus::WaitingForPo, InvoiceStatus::Draft];

    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::WaitingForPo => "waiting_for_po",
            InvoiceStatus::Issued => "issued",
        }
    }

    pub fn parse(text: &str) -> Option<InvoiceStatus> {
        InvoiceStatus::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "Draft",
            InvoiceStatus::WaitingForPo => "Waiting for PO",
            InvoiceStatus::Issued => "Issued",
        }
    }
}

super::unknown_name::from_str_by_parse!(InvoiceStatus, "invoice status");

/// What a line charges for; membership now, traded services and commissions later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LineSource {
    Membership { membership_id: i64, period: String },
    Other { reference: String },
}

/// One line of an invoice or credit note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Money,
    /// Quantity x unit price, already rounded where the line's own calculation required it.
    pub net: Money,
    pub vat_rate: VatRate,
    pub source: LineSource,
}

/// The net and VAT at one rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateTotal {
    pub rate: VatRate,
    pub net: Money,
    pub vat: Money,
}

/// An invoice's (or credit note's) totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub net: Money,
    pub vat: Money,
    pub gross: Money,
    pub by_rate: Vec<RateTotal>,
}

/// Adds up lines: net per VAT rate, VAT per rate by [`vat_round_down_s17_5`], and the total.
/// A partnership that is not VAT-registered charges no VAT at all.
pub fn totals(lines: &[Line], vat_registered: bool) -> Totals {
    let mut nets: BTreeMap<VatRate, Money> = BTreeMap::new();
    for line in lines {
        *nets.entry(line.vat_rate).or_default() =
            nets.get(&line.vat_rate).copied().unwrap_or_default() + line.net;
    }
    let by_rate: Vec<RateTotal> = nets
        .into_iter()
        .map(|(rate, net)| RateTotal {
            rate,
            net,
            vat: if vat_registered { vat_round_down_s17_5(net, rate) } else { Money::ZERO },
        })
        .collect();
    let net: Money = by_rate.iter().map(|r| r.net).sum();
    let vat: Money = by_rate.iter().map(|r| r.vat).sum();
    Totals { net, vat, gross: net + vat, by_rate }
}

/// The number an issued document gets: the prefix and a sequence number padded to six digits.
pub fn document_number(prefix: &str, sequence: i64) -> String {
    format!("{prefix}{sequence:06}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(pence: i64, rate: VatRate) -> Line {
        Line {
            description: "Membership".into(),
            quantity: Decimal::ONE,
            unit_price: Money::from_pence(pence),
            net: Money::from_pence(pence),
            vat_rate: rate,
            source: LineSource::Other { reference: "t".into() },
        }
    }

    #[test]
    fn totals_by_rate() {
        let lines =
            [line(1999, VatRate::Standard), line(1999, VatRate::Standard), line(500, VatRate::Exempt)];
        let t = totals(&lines, true);
        assert_eq!(t.net, Money::from_pence(4498));
        assert_eq!(t.vat, Money::from_pence(799), "VAT on 39.98 at 20% is 7.996, rounded down");
        assert_eq!(t.gross, Money::from_pence(5297));
        assert_eq!(t.by_rate.len(), 2);
        let unregistered = totals(&lines, false);
        assert_eq!((unregistered.vat, unregistered.gross), (Money::ZERO, Money::from_pence(4498)));
    }

    #[test]
    fn numbers_are_padded() {
        assert_eq!(document_number("INV-", 42), "INV-000042");
        assert_eq!(document_number("CN", 1_234_567), "CN1234567");
    }

    proptest! {
        #[test]
        fn the_total_is_the_sum_of_the_lines_plus_vat(
            nets in proptest::collection::vec((0i64..10_000_000, 0usize..5), 1..40),
            registered in any::<bool>(),
        ) {
            let lines: Vec<Line> = nets.iter().map(|(p, r)| line(*p, VatRate::ALL[*r])).collect();
            let t = totals(&lines, registered);
            prop_assert_eq!(t.net, lines.iter().map(|l| l.net).sum::<Money>());
            prop_assert_eq!(t.gross, t.net + t.vat);
            for r in &t.by_rate {
                let exact = r.net.amount() * r.rate.percent() / Decimal::ONE_HUNDRED;
                prop_assert!(r.vat.amount() <= exact && exact - r.vat.amount() < Decimal::new(1, 2) || !registered);
            }
        }
    }
}
