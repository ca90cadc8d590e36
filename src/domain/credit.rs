//! Credit notes as numbers: what may be credited on an invoice and the VAT each credit gives back.
//!
//! A credit note credits chosen net amounts on chosen lines of one issued invoice. Every ask is
//! checked against what is left on its line after earlier credit notes **and** after the asks
//! before it in the same request; a line named twice in one request is refused. VAT is worked per
//! rate: a credit note's VAT at a rate is [`vat_round_down_s17_5`] of its net at that rate, except
//! that the note which takes the last of a rate's net gives back exactly the VAT left at that rate.
//! Rounding down each time never gives back more than was charged (the sum of rounded-down parts
//! is at most the rounded-down whole), so no line, rate or invoice is ever credited beyond what it
//! had, and crediting everything leaves nothing owed.

use super::invoice::{Line, RateTotal, Totals};
use super::money::Money;
use super::vat::{VatRate, vat_round_down_s17_5};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Why a credit note cannot be raised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditError {
    #[error("a credit note must credit something more than £0.00")]
    Nothing,
    #[error("line {0}: an amount to credit cannot be negative")]
    Negative(usize),
    #[error("line {line} has {left} left to credit; {asked} is more than that")]
    MoreThanLineLeft { line: usize, left: Money, asked: Money },
    #[error("the invoice has {left} left to credit; this credit note would be {asked}")]
    MoreThanInvoiceLeft { left: Money, asked: Money },
    #[error("there is no line {0} on the invoice")]
    NoSuchLine(usize),
    #[error("line {0} is named more than once: give one amount for each line")]
    SameLineTwice(usize),
}

/// What earlier credit notes have taken from an invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credited {
    /// Net credited on each invoice line, in line order.
    pub net_by_line: Vec<Money>,
    /// Net and VAT credited at each rate.
    pub by_rate: BTreeMap<VatRate, (Money, Money)>,
}

impl Credited {
    /// Nothing credited yet on an invoice of `lines` lines.
    pub fn nothing(lines: usize) -> Credited {
        Credited { net_by_line: vec![Money::ZERO; lines], by_rate: BTreeMap::new() }
    }

    /// Adds a credit note's lines and totals (as [`plan_credit`] made them).
    pub fn add(&mut self, plan: &CreditPlan) {
        for (index, line) in &plan.lines {
            if let Some(credited) = self.net_by_line.get_mut(*index) {
                *credited = *credited + line.net;
            }
        }
        for rate in &plan.totals.by_rate {
            let entry = self.by_rate.entry(rate.rate).or_insert((Money::ZERO, Money::ZERO));
            *entry = (entry.0 + rate.net, entry.1 + rate.vat);
        }
    }

    fn line(&self, index: usize) -> Money {
        self.net_by_line.get(index).copied().unwrap_or_default()
    }

    fn rate(&self, rate: VatRate) -> (Money, Money) {
        self.by_rate.get(&rate).copied().unwrap_or((Money::ZERO, Money::ZERO))
    }
}

/// A credit note worked out: its lines (each with the invoice line it credits) and totals.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditPlan {
    pub lines: Vec<(usize, Line)>,
    pub totals: Totals,
}

/// Works out a credit note of `asks` (invoice line index, net amount) against an invoice whose
/// lines and issued totals are given, after what earlier notes `credited`.
pub fn plan_credit(
    invoice_lines: &[Line],
    invoice_totals: &Totals,
    credited: &Credited,
    asks: &[(usize, Money)],
    vat_registered: bool,
) -> Result<CreditPlan, CreditError> {
    let mut asked_by_line: BTreeMap<usize, Money> = BTreeMap::new();
    let mut lines = Vec::new();
    for (index, asked) in asks {
        let line = invoice_lines.get(*index).ok_or(CreditError::NoSuchLine(*index + 1))?;
        if asked_by_line.insert(*index, *asked).is_some() {
            return Err(CreditError::SameLineTwice(*index + 1));
        }
        if asked.is_negative() {
            return Err(CreditError::Negative(*index + 1));
        }
        if asked.amount().is_zero() {
            continue;
        }
        let left = line.net - credited.line(*index);
        if *asked > left {
            return Err(CreditError::MoreThanLineLeft { line: index + 1, left, asked: *asked });
        }
        lines.push((
            *index,
            Line {
                description: format!("Credit: {}", line.description),
                quantity: Decimal::ONE,
                unit_price: *asked,
                net: *asked,
                vat_rate: line.vat_rate,
                source: line.source.clone(),
            },
        ));
    }
    if lines.is_empty() {
        return Err(CreditError::Nothing);
    }
    let mut nets: BTreeMap<VatRate, Money> = BTreeMap::new();
    for (_, line) in &lines {
        let entry = nets.entry(line.vat_rate).or_insert(Money::ZERO);
        *entry = *entry + line.net;
    }
    let invoiced_at = |rate: VatRate| {
        invoice_totals
            .by_rate
            .iter()
            .find(|r| r.rate == rate)
            .map_or((Money::ZERO, Money::ZERO), |r| (r.net, r.vat))
    };
    let by_rate: Vec<RateTotal> = nets
        .into_iter()
        .map(|(rate, net)| {
            let (invoiced_net, invoiced_vat) = invoiced_at(rate);
            let (credited_net, credited_vat) = credited.rate(rate);
            let vat = if !vat_registered {
                Money::ZERO
            } else if credited_net + net == invoiced_net {
                invoiced_vat - credited_vat
            } else {
                vat_round_down_s17_5(net, rate)
            };
            RateTotal { rate, net, vat }
        })
        .collect();
    let net: Money = by_rate.iter().map(|r| r.net).sum();
    let vat: Money = by_rate.iter().map(|r| r.vat).sum();
    let totals = Totals { net, vat, gross: net + vat, by_rate };
    let credited_gross: Money = credited.by_rate.values().map(|(n, v)| *n + *v).sum();
    let left = invoice_totals.gross - credited_gross;
    if totals.gross > left {
        return Err(CreditError::MoreThanInvoiceLeft { left, asked: totals.gross });
    }
    Ok(CreditPlan { lines, totals })
}

/// What is left to credit on each line.
pub fn left_by_line(invoice_lines: &[Line], credited: &Credited) -> Vec<Money> {
    invoice_lines.iter().enumerate().map(|(i, l)| l.net - credited.line(i)).collect()
}

/// Every line's remainder: the asks that void what is left of an invoice.
pub fn everything_left(invoice_lines: &[Line], credited: &Credited) -> Vec<(usize, Money)> {
    left_by_line(invoice_lines, credited).into_iter().enumerate().collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::invoice::{LineSource, totals};
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

    fn p(pence: i64) -> Money {
        Money::from_pence(pence)
    }

    #[test]
    fn credits_are_limited_to_what_each_line_has_left() {
        let lines = [line(10_000, VatRate::Standard), line(5000, VatRate::Standard)];
        let t = totals(&lines, true);
        let mut credited = Credited::nothing(2);
        let first = plan_credit(&lines, &t, &credited, &[(0, p(4000))], true).unwrap();
        credited.add(&first);
        let ok = plan_credit(&lines, &t, &credited, &[(0, p(6000))], true).unwrap();
        assert_eq!(ok.lines[0].1.net, p(6000));
        assert_eq!(
            plan_credit(&lines, &t, &credited, &[(0, p(6001))], true).unwrap_err(),
            CreditError::MoreThanLineLeft { line: 1, left: p(6000), asked: p(6001) }
        );
        assert_eq!(plan_credit(&lines, &t, &credited, &[(0, Money::ZERO)], true), Err(CreditError::Nothing));
        assert_eq!(plan_credit(&lines, &t, &credited, &[(5, p(1))], true), Err(CreditError::NoSuchLine(6)));
        assert_eq!(plan_credit(&lines, &t, &credited, &[(1, p(-1))], true), Err(CreditError::Negative(2)));
    }

    #[test]
    fn the_same_line_twice_in_one_request_is_refused() {
        let lines = [line(10_000, VatRate::Standard), line(5000, VatRate::Reduced)];
        let t = totals(&lines, true);
        let asks = [(1, p(5000)), (1, p(5000))];
        assert_eq!(
            plan_credit(&lines, &t, &Credited::nothing(2), &asks, true),
            Err(CreditError::SameLineTwice(2))
        );
        let small = [(0, p(1)), (0, p(1))];
        assert_eq!(
            plan_credit(&lines, &t, &Credited::nothing(2), &small, true),
            Err(CreditError::SameLineTwice(1)),
            "even when both together would fit"
        );
    }

    #[test]
    fn the_note_that_takes_the_last_of_a_rate_gives_back_exactly_the_vat_left() {
        // 19.99 + 19.99 at 20%: VAT on 39.98 is 7.996, charged 7.99.
        let lines =
            [line(1999, VatRate::Standard), line(1999, VatRate::Standard), line(500, VatRate::Exempt)];
        let t = totals(&lines, true);
        let mut credited = Credited::nothing(3);
        let first = plan_credit(&lines, &t, &credited, &[(0, p(1999))], true).unwrap();
        assert_eq!(first.totals.vat, p(399), "VAT on 19.99 is 3.998, rounded down");
        credited.add(&first);
        let rest = plan_credit(&lines, &t, &credited, &everything_left(&lines, &credited), true).unwrap();
        assert_eq!(rest.totals.vat, p(400), "7.99 charged less 3.99 already given back");
        credited.add(&rest);
        assert_eq!(credited.by_rate[&VatRate::Standard], (p(3998), p(799)));
        assert_eq!(first.totals.gross + rest.totals.gross, t.gross);
    }

    #[test]
    fn amounts_spread_over_lines_in_order() {
        let left = [p(5000), Money::ZERO, p(3000)];
        assert_eq!(allocate_amount(&left, p(6000)).unwrap(), vec![(0, p(5000)), (2, p(1000))]);
        assert_eq!(allocate_amount(&left, p(100)).unwrap(), vec![(0, p(100))]);
        assert!(matches!(allocate_amount(&left, p(8001)), Err(CreditError::MoreThanInvoiceLeft { .. })));
        assert_eq!(allocate_amount(&left, Money::ZERO), Err(CreditError::Nothing));
    }

    proptest! {
        /// Any sequence of credit requests (any lines, repeats, amounts, on a mixed-rate invoice)
        /// never credits more than any line, any rate's net or VAT, or the invoice had.
        #[test]
        fn credits_never_exceed_any_line_rate_or_invoice(
            invoice in proptest::collection::vec((1i64..1_000_000, 0usize..5), 1..6),
            requests in proptest::collection::vec(
                proptest::collection::vec((0usize..7, 0i64..1_200_000), 1..5), 1..12),
            registered in any::<bool>(),
        ) {
            let lines: Vec<Line> = invoice.iter().map(|(pence, r)| line(*pence, VatRate::ALL[*r])).collect();
            let t = totals(&lines, registered);
            let mut credited = Credited::nothing(lines.len());
            for asks in requests {
                let asks: Vec<(usize, Money)> = asks.into_iter().map(|(i, pence)| (i, p(pence))).collect();
                if let Ok(plan) = plan_credit(&lines, &t, &credited, &asks, registered) {
                    prop_assert_eq!(plan.totals.gross, plan.totals.net + plan.totals.vat);
                    credited.add(&plan);
                }
                for (i, l) in lines.iter().enumerate() {
                    prop_assert!(credited.net_by_line[i] <= l.net);
                }
                for r in &t.by_rate {
                    let (net, vat) = credited.by_rate.get(&r.rate).copied().unwrap_or((Money::ZERO, Money::ZERO));
                    prop_assert!(net <= r.net && vat <= r.vat && !vat.is_negative());
                }
                let gross: Money = credited.by_rate.values().map(|(n, v)| *n + *v).sum();
                prop_assert!(gross <= t.gross);
            }
            // Voiding what is left then leaves exactly nothing.
            let rest = everything_left(&lines, &credited);
            if let Ok(plan) = plan_credit(&lines, &t, &credited, &rest, registered) {
                credited.add(&plan);
            }
            let gross: Money = credited.by_rate.values().map(|(n, v)| *n + *v).sum();
            prop_assert_eq!(gross, t.gross);
        }
    }
}
