//! The rules every account keeps, checked from stored documents; each breach named in words.

use super::{AccountTotals, InvoiceMoney};
use crate::domain::money::Money;
use serde::Serialize;

/// One rule an account or document breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Breach {
    #[error(
        "invoice {invoice}: gross {gross} is not credited {credited} + allocated {allocated} + written off {written_off} + outstanding {outstanding}"
    )]
    InvoiceDoesNotAddUp {
        invoice: String,
        gross: Money,
        credited: Money,
        allocated: Money,
        written_off: Money,
        outstanding: Money,
    },
    #[error("invoice {invoice}: {outstanding} outstanding is less than nothing")]
    OverSettled { invoice: String, outstanding: Money },
    #[error("invoice {invoice}: the stored outstanding amount {stored} should be {derived}")]
    StaleOutstanding { invoice: String, stored: Money, derived: Money },
    #[error("payment {payment}: {allocated} allocated and {refunded} refunded is more than its {amount}")]
    PaymentOverAllocated { payment: i64, amount: Money, allocated: Money, refunded: Money },
    #[error("payment {payment}: reversed but still has {allocated} allocated")]
    ReversedStillAllocated { payment: i64, allocated: Money },
    #[error("payment {payment}: allocated to {invoice}, which is another payer's or not issued")]
    ForeignAllocation { payment: i64, invoice: String },
    #[error("payer {payer}: balance {balance} is not outstanding {outstanding} less credit {credit}")]
    PayerDoesNotAddUp { payer: String, balance: Money, outstanding: Money, credit: Money },
    #[error("{document} numbers skip from {after} to {next}")]
    NumbersSkip { document: String, after: i64, next: i64 },
    #[error("{document} number {number} is used twice")]
    NumberRepeated { document: String, number: i64 },
}

/// Checks one issued invoice: gross = credited + allocated + written off + outstanding, nothing
/// over-settled, and the outstanding amount stored for lists equal to the one derived.
pub fn check_invoice(invoice: &str, money: &InvoiceMoney, stored_outstanding: Money) -> Vec<Breach> {
    let mut breaches = Vec::new();
    let derived = money.outstanding();
    if money.credited + money.allocated + money.written_off + derived != money.gross {
        breaches.push(Breach::InvoiceDoesNotAddUp {
            invoice: invoice.to_string(),
            gross: money.gross,
            credited: money.credited,
            allocated: money.allocated,
            written_off: money.written_off,
            outstanding: derived,
        });
    }
    if derived < Money::ZERO {
        breaches.push(Breach::OverSettled { invoice: invoice.to_string(), outstanding: derived });
    }
    if stored_outstanding != derived {
        breaches.push(Breach::StaleOutstanding {
            invoice: invoice.to_string(),
            stored: stored_outstanding,
            derived,
        });
    }
    breaches
}

/// Checks one payer: the balance from document totals equals what its invoices owe less its
/// unallocated credit.
pub fn check_payer(payer: &str, totals: &AccountTotals, outstanding: Money, credit: Money) -> Vec<Breach> {
    if totals.balance() == outstanding - credit {
        Vec::new()
    } else {
        vec![Breach::PayerDoesNotAddUp {
            payer: payer.to_string(),
            balance: totals.balance(),
            outstanding,
            credit,
        }]
    }
}

/// Checks that a document's sequence numbers (sorted) run 1, 2, 3... without gaps or repeats.
pub fn check_numbers(document: &str, sorted: &[i64]) -> Vec<Breach> {
    let mut breaches = Vec::new();
    let mut previous = 0;
    for &n in sorted {
        if n == previous {
            breaches.push(Breach::NumberRepeated { document: document.to_string(), number: n });
        } else if n != previous + 1 {
            breaches.push(Breach::NumbersSkip { document: document.to_string(), after: previous, next: n });
        }
        previous = n;
    }
    breaches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invoice_that_adds_up_passes() {
        let money = InvoiceMoney {
            gross: Money::from_pence(1000),
            credited: Money::from_pence(100),
            allocated: Money::from_pence(800),
            written_off: Money::from_pence(50),
        };
        assert!(check_invoice("RH-000001", &money, Money::from_pence(50)).is_empty());
        let stale = check_invoice("RH-000001", &money, Money::from_pence(60));
        assert_eq!(
            stale[0].to_string(),
            "invoice RH-000001: the stored outstanding amount £0.60 should be £0.50"
        );
        let over = InvoiceMoney { allocated: Money::from_pence(900), ..money };
        assert!(matches!(
            check_invoice("RH-000001", &over, Money::from_pence(-50))[0],
            Breach::OverSettled { .. }
        ));
    }

    #[test]
    fn a_payer_must_add_up() {
        let totals = AccountTotals {
            invoiced: Money::from_pence(1000),
            refunded: Money::from_pence(0),
            credited: Money::from_pence(0),
            paid: Money::from_pence(1200),
            written_off: Money::ZERO,
        };
        assert!(check_payer("Acorn", &totals, Money::ZERO, Money::from_pence(200)).is_empty());
        assert_eq!(check_payer("Acorn", &totals, Money::ZERO, Money::ZERO).len(), 1);
    }

    #[test]
    fn numbers_run_unbroken() {
        assert!(check_numbers("invoice", &[1, 2, 3]).is_empty());
        assert!(check_numbers("invoice", &[]).is_empty());
        assert_eq!(check_numbers("invoice", &[1, 3])[0].to_string(), "invoice numbers skip from 1 to 3");
        assert_eq!(
            check_numbers("credit note", &[1, 1])[0].to_string(),
            "credit note number 1 is used twice"
        );
        assert_eq!(check_numbers("invoice", &[2])[0].to_string(), "invoice numbers skip from 0 to 2");
    }
}
