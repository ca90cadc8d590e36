//! Payer accounts: what each invoice still owes, how payments are allocated, the state an
//! invoice is in because of them, aged debt and the invariants that keep every account right to
//! the penny. Source-agnostic: an invoice is an invoice, whatever raised it.

pub mod aged;
pub mod allocation;
pub mod invariants;
pub mod method;
pub mod state;

pub use aged::{AgeBand, AgedDebt, age_band};
pub use allocation::{AllocationError, OpenInvoice, check_chosen, oldest_first, to_free};
pub use invariants::{Breach, check_invoice, check_numbers, check_payer};
pub use method::{PaymentMethod, PaymentSource, WriteOffKind};
pub use state::{PaymentState, payment_state};

use super::money::Money;
use serde::Serialize;

/// What has happened to one issued invoice's money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct InvoiceMoney {
    pub gross: Money,
    pub credited: Money,
    pub allocated: Money,
    pub written_off: Money,
}

impl InvoiceMoney {
    /// What is still owed: gross less credit notes, allocated payments and write-offs.
    pub fn outstanding(&self) -> Money {
        self.gross - self.credited - self.allocated - self.written_off
    }

    /// What a credit note may still take: gross less earlier credit notes and write-offs. A paid
    /// invoice can be credited; the payment's share it no longer needs becomes credit.
    pub fn creditable(&self) -> Money {
        self.gross - self.credited - self.written_off
    }
}

/// One payer's account in totals. A positive balance is owed to the partnership; a negative one
/// is the payer's credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct AccountTotals {
    pub invoiced: Money,
    pub refunded: Money,
    pub credited: Money,
    pub paid: Money,
    pub written_off: Money,
}

impl AccountTotals {
    /// Invoices and refunds less credit notes, payments and write-offs.
    pub fn balance(&self) -> Money {
        self.invoiced + self.refunded - self.credited - self.paid - self.written_off
    }
}

/// A payer's unallocated money: payments less what is allocated and refunded.
pub fn credit_balance(paid: Money, allocated: Money, refunded: Money) -> Money {
    paid - allocated - refunded
}
