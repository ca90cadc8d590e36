//! How money arrived, where the record came from, and why a debt was written off.

use serde::{Deserialize, Serialize};

/// How a payment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    BankTransfer,
    BacsCredit,
    Card,
    DirectDebit,
    Cheque,
    Cash,
    /// The council deducted the amount from a maintained school's budget (de-delegation).
    CouncilBudgetDeduction,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 7] = [
        PaymentMethod::BankTransfer,
        PaymentMethod::BacsCredit,
        PaymentMethod::Card,
        PaymentMethod::DirectDebit,
        PaymentMethod::Cheque,
        PaymentMethod::Cash,
        PaymentMethod::CouncilBudgetDeduction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::BacsCredit => "bacs_credit",
            PaymentMethod::Card => "card",
            PaymentMethod::DirectDebit => "direct_debit",
            PaymentMethod::Cheque => "cheque",
            PaymentMethod::Cash => "cash",
            PaymentMethod::CouncilBudgetDeduction => "council_budget_deduction",
        }
    }

    pub fn parse(text: &str) -> Option<PaymentMethod> {
        let wanted = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        PaymentMethod::ALL.into_iter().find(|m| m.as_str() == wanted)
    }

    pub fn label(self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer => "Bank transfer",
            PaymentMethod::BacsCredit => "Bacs credit",
            PaymentMethod::Card => "Card",
            PaymentMethod::DirectDebit => "Direct Debit",
            PaymentMethod::Cheque => "Cheque",
            PaymentMethod::Cash => "Cash",
            PaymentMethod::CouncilBudgetDeduction => "Council budget deduction",
        }
    }
}

super::super::unknown_name::from_str_by_parse!(PaymentMethod, "payment method");

/// Where a payment's record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentSource {
    /// Typed in by finance.
    Typed,
    /// A line of an imported bank statement.
    BankLine,
    /// A card or Direct Debit payment through the payment provider.
    Provider,
    /// One council budget deduction settling many invoices.
    Settlement,
}

impl PaymentSource {
    pub const ALL: [PaymentSource; 4] =
        [PaymentSource::Typed, PaymentSource::BankLine, PaymentSource::Provider, PaymentSource::Settlement];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentSource::Typed => "typed",
            PaymentSource::BankLine => "bank_line",
            PaymentSource::Provider => "provider",
            PaymentSource::Settlement => "settlement",
        }
    }

    pub fn parse(text: &str) -> Option<PaymentSource> {
        PaymentSource::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            PaymentSource::Typed => "Recorded by hand",
            PaymentSource::BankLine => "Bank statement",
            PaymentSource::Provider => "Card or Direct Debit",
            PaymentSource::Settlement => "Council budget deduction",
        }
    }
}

super::super::unknown_name::from_str_by_parse!(PaymentSource, "payment source");

/// Why an amount was written off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteOffKind {
    /// A remainder under the partnership's small-balance limit (a payer paid £0.40 short).
    SmallRemainder,
    /// A debt the partnership no longer expects to collect.
    BadDebt,
}

impl WriteOffKind {
    pub const ALL: [WriteOffKind; 2] = [WriteOffKind::SmallRemainder, WriteOffKind::BadDebt];

    pub fn as_str(self) -> &'static str {
        match self {
            WriteOffKind::SmallRemainder => "small_remainder",
            WriteOffKind::BadDebt => "bad_debt",
        }
    }

    pub fn parse(text: &str) -> Option<WriteOffKind> {
        WriteOffKind::ALL.into_iter().find(|k| k.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            WriteOffKind::SmallRemainder => "Small remainder",
            WriteOffKind::BadDebt => "Bad debt",
        }
    }
}

super::super::unknown_name::from_str_by_parse!(WriteOffKind, "kind of write-off");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in PaymentMethod::ALL {
            assert_eq!(PaymentMethod::parse(m.as_str()), Some(m));
        }
        assert_eq!(PaymentMethod::parse("Direct Debit"), Some(PaymentMethod::DirectDebit));
        assert_eq!(PaymentMethod::parse("bitcoin"), None);
        for s in PaymentSource::ALL {
            assert_eq!(PaymentSource::parse(s.as_str()), Some(s));
        }
        for k in WriteOffKind::ALL {
            assert_eq!(WriteOffKind::parse(k.as_str()), Some(k));
        }
        assert!("cheque ".parse::<PaymentMethod>().is_ok());
        assert_eq!(
            "x".parse::<WriteOffKind>().unwrap_err().to_string(),
            "\"x\" is not a known kind of write-off"
        );
    }
}
