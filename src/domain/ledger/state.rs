//! The state an issued invoice is in, derived from its money and due date; never stored.

use super::InvoiceMoney;
use crate::domain::money::Money;
use chrono::NaiveDate;
use serde::Serialize;

/// Where an issued invoice stands with its payer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Issued, nothing paid, not yet due.
    Issued,
    /// Something paid, something still owed, not yet due.
    PartPaid,
    /// Nothing owed, and payments cleared it.
    Paid,
    /// Due date passed with something still owed.
    Overdue,
    /// Credit notes cleared it without payment.
    Credited,
    /// A write-off cleared the last of it.
    WrittenOff,
}

impl PaymentState {
    pub const ALL: [PaymentState; 6] = [
        PaymentState::Issued,
        PaymentState::PartPaid,
        PaymentState::Paid,
        PaymentState::Overdue,
        PaymentState::Credited,
        PaymentState::WrittenOff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Issued => "issued",
            PaymentState::PartPaid => "part_paid",
            PaymentState::Paid => "paid",
            PaymentState::Overdue => "overdue",
            PaymentState::Credited => "credited",
            PaymentState::WrittenOff => "written_off",
        }
    }

    pub fn parse(text: &str) -> Option<PaymentState> {
        PaymentState::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            PaymentState::Issued => "Issued",
            PaymentState::PartPaid => "Part paid",
            PaymentState::Paid => "Paid",
            PaymentState::Overdue => "Overdue",
            PaymentState::Credited => "Credited",
            PaymentState::WrittenOff => "Written off",
        }
    }

    /// Whether something is still owed.
    pub fn is_open(self) -> bool {
        matches!(self, PaymentState::Issued | PaymentState::PartPaid | PaymentState::Overdue)
    }
}

super::super::unknown_name::from_str_by_parse!(PaymentState, "payment state");

/// The state of an issued invoice with `money` and `due` on `today`. Overdue wins over part
/// paid (both owe; the date is what finance acts on); once nothing is owed, what cleared the
/// last of it names the state: a write-off, else a payment, else credit notes alone.
pub fn payment_state(money: &InvoiceMoney, due: Option<NaiveDate>, today: NaiveDate) -> PaymentState {
    let outstanding = money.outstanding();
    if outstanding > Money::ZERO {
        if due.is_some_and(|d| d < today) {
            PaymentState::Overdue
        } else if money.allocated > Money::ZERO || money.written_off > Money::ZERO {
            PaymentState::PartPaid
        } else {
            PaymentState::Issued
        }
    } else if money.written_off > Money::ZERO {
        PaymentState::WrittenOff
    } else if money.allocated > Money::ZERO {
        PaymentState::Paid
    } else {
        PaymentState::Credited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(gross: i64, credited: i64, allocated: i64, written_off: i64) -> InvoiceMoney {
        InvoiceMoney {
            gross: Money::from_pence(gross),
            credited: Money::from_pence(credited),
            allocated: Money::from_pence(allocated),
            written_off: Money::from_pence(written_off),
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, d).unwrap()
    }

    #[test]
    fn states() {
        let due = Some(day(15));
        let before = day(15);
        let after = day(16);
        assert_eq!(payment_state(&money(1000, 0, 0, 0), due, before), PaymentState::Issued);
        assert_eq!(payment_state(&money(1000, 0, 0, 0), due, after), PaymentState::Overdue);
        assert_eq!(payment_state(&money(1000, 0, 400, 0), due, before), PaymentState::PartPaid);
        assert_eq!(payment_state(&money(1000, 0, 400, 0), due, after), PaymentState::Overdue);
        assert_eq!(payment_state(&money(1000, 0, 1000, 0), due, after), PaymentState::Paid);
        assert_eq!(payment_state(&money(1000, 1000, 0, 0), due, after), PaymentState::Credited);
        assert_eq!(payment_state(&money(1000, 200, 800, 0), due, after), PaymentState::Paid);
        assert_eq!(payment_state(&money(1000, 0, 999, 1), due, after), PaymentState::WrittenOff);
        assert_eq!(payment_state(&money(1000, 0, 0, 0), None, after), PaymentState::Issued);
        assert_eq!(payment_state(&money(1000, 600, 0, 0), due, before), PaymentState::Issued);
    }

    #[test]
    fn names() {
        for s in PaymentState::ALL {
            assert_eq!(PaymentState::parse(s.as_str()), Some(s));
        }
        assert!(PaymentState::Overdue.is_open() && !PaymentState::Paid.is_open());
    }
}
