//! Invoices and credit notes as numbers: lines, totals by VAT rate, credit limits and the
//! unbroken numbering of issued documents. Source-agnostic: each line says what it charges for.

use super::money::Money;
use super::vat::{VatRate, vat_round_down_s17_5};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// Why a credit note cannot be raised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditError {
    #[error("a credit note must credit something more than £0.00")]
    Nothing,
    #[error("line {line} has {left} left to credit; {asked} is more than that")]
    MoreThanLineLeft { line: usize, left: Money, asked: Money },
    #[error("the invoice has {left} left to credit; this credit note would be {asked}")]
    MoreThanInvoiceLeft { left: Money, asked: Money },
    #[error("there is no line {0} on the invoice")]
    NoSuchLine(usize),
}

/// Checks a credit of `asked` net per invoice line against what earlier credit notes left, and
/// the credit note's gross total against the invoice's gross left. Returns the credit note's lines.
pub fn credit_lines(
    invoice_lines: &[Line],
    credited_net_by_line: &[Money],
    asked_net_by_line: &[(usize, Money)],
    invoice_gross_left: Money,
    vat_registered: bool,
) -> Result<Vec<Line>, CreditError> {
    let mut lines = Vec::new();
    for (index, asked) in asked_net_by_line {
        let line = invoice_lines.get(*index).ok_or(CreditError::NoSuchLine(*index + 1))?;
        if asked.is_negative() {
            return Err(CreditError::Nothing);
        }
        if asked.amount().is_zero() {
            continue;
        }
        let left = line.net - credited_net_by_line.get(*index).copied().unwrap_or_default();
        if *asked > left {
            return Err(CreditError::MoreThanLineLeft { line: index + 1, left, asked: *asked });
        }
        lines.push(Line {
            description: format!("Credit: {}", line.description),
            quantity: Decimal::ONE,
            unit_price: *asked,
            net: *asked,
            vat_rate: line.vat_rate,
            source: line.source.clone(),
        });
    }
    if lines.is_empty() {
        return Err(CreditError::Nothing);
    }
    let gross = totals(&lines, vat_registered).gross;
    if gross > invoice_gross_left {
        return Err(CreditError::MoreThanInvoiceLeft { left: invoice_gross_left, asked: gross });
    }
    Ok(lines)
}

/// Spreads a net amount to credit over the lines, each up to what is left on it, in line
/// order: the way to credit "an amount" rather than chosen lines.
pub fn allocate_amount(left_by_line: &[Money], amount: Money) -> Result<Vec<(usize, Money)>, CreditError> {
    if amount.is_negative() || amount.amount().is_zero() {
        return Err(CreditError::Nothing);
    }
    let total: Money = left_by_line.iter().copied().sum();
    if amount > total {
        return Err(CreditError::MoreThanInvoiceLeft { left: total, asked: amount });
    }
    let mut remaining = amount;
    let mut asked = Vec::new();
    for (index, left) in left_by_line.iter().enumerate() {
        if remaining.amount().is_zero() {
            break;
        }
        let take = if *left < remaining { *left } else { remaining };
        if !take.amount().is_zero() {
            asked.push((index, take));
            remaining = remaining - take;
        }
    }
    Ok(asked)
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
    fn credits_are_limited() {
        let lines = [line(10_000, VatRate::Standard), line(5000, VatRate::Standard)];
        let credited = [Money::from_pence(4000), Money::ZERO];
        let left = Money::from_pence(18_000 - 4800);
        let ok = credit_lines(&lines, &credited, &[(0, Money::from_pence(6000))], left, true).unwrap();
        assert_eq!(ok[0].net, Money::from_pence(6000));
        assert_eq!(
            credit_lines(&lines, &credited, &[(0, Money::from_pence(6001))], left, true).unwrap_err(),
            CreditError::MoreThanLineLeft {
                line: 1,
                left: Money::from_pence(6000),
                asked: Money::from_pence(6001)
            }
        );
        assert_eq!(
            credit_lines(&lines, &credited, &[(0, Money::ZERO)], left, true).unwrap_err(),
            CreditError::Nothing
        );
        assert_eq!(
            credit_lines(&lines, &credited, &[(5, Money::from_pence(1))], left, true).unwrap_err(),
            CreditError::NoSuchLine(6)
        );
        assert!(matches!(
            credit_lines(&lines, &credited, &[(1, Money::from_pence(5000))], Money::from_pence(100), true),
            Err(CreditError::MoreThanInvoiceLeft { .. })
        ));
    }

    #[test]
    fn amounts_spread_over_lines_in_order() {
        let left = [Money::from_pence(5000), Money::ZERO, Money::from_pence(3000)];
        assert_eq!(
            allocate_amount(&left, Money::from_pence(6000)).unwrap(),
            vec![(0, Money::from_pence(5000)), (2, Money::from_pence(1000))]
        );
        assert_eq!(
            allocate_amount(&left, Money::from_pence(100)).unwrap(),
            vec![(0, Money::from_pence(100))]
        );
        assert!(matches!(
            allocate_amount(&left, Money::from_pence(8001)),
            Err(CreditError::MoreThanInvoiceLeft { .. })
        ));
        assert_eq!(allocate_amount(&left, Money::ZERO), Err(CreditError::Nothing));
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

        /// Whatever sequence of partial credits is asked for, the credited total never exceeds
        /// the invoice.
        #[test]
        fn credit_notes_never_exceed_the_invoice(
            nets in proptest::collection::vec(1i64..1_000_000, 1..6),
            asks in proptest::collection::vec((0usize..6, 0i64..1_200_000), 1..20),
        ) {
            let lines: Vec<Line> = nets.iter().map(|p| line(*p, VatRate::Standard)).collect();
            let gross = totals(&lines, true).gross;
            let mut credited = vec![Money::ZERO; lines.len()];
            let mut credited_gross = Money::ZERO;
            for (index, pence) in asks {
                if let Ok(credit) = credit_lines(&lines, &credited, &[(index, Money::from_pence(pence))], gross - credited_gross, true) {
                    credited[index] = credited[index] + credit[0].net;
                    credited_gross = credited_gross + totals(&credit, true).gross;
                }
                prop_assert!(credited_gross <= gross);
                for (i, l) in lines.iter().enumerate() {
                    prop_assert!(credited[i] <= l.net);
                }
            }
        }
    }
}
