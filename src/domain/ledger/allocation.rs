//! Allocating a payment to invoices: oldest first by default, or as finance chooses; never more
//! than the payment has left nor more than an invoice owes.

use crate::domain::money::Money;
use chrono::NaiveDate;

/// An invoice that still owes something, as allocation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvoice {
    pub id: i64,
    pub number: String,
    /// Oldest first means earliest due date, then earliest issue, then lowest number.
    pub due: Option<NaiveDate>,
    pub issued: Option<NaiveDate>,
    pub outstanding: Money,
}

/// Why an allocation cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    #[error("{number} is not one of this payer's invoices with something owed")]
    NotOpen { number: String },
    #[error("allocate more than £0.00 to {number}")]
    NotPositive { number: String },
    #[error("{number} is chosen more than once")]
    Repeated { number: String },
    #[error("{number} owes {outstanding}; {asked} is more than that")]
    MoreThanOwed { number: String, outstanding: Money, asked: Money },
    #[error("the payment has {left} left to allocate; these allocations add up to {asked}")]
    MoreThanPaymentLeft { left: Money, asked: Money },
}

/// Allocates up to `available` to `open` invoices, oldest first, each in whole before the next;
/// the last may be part paid. What is left over stays unallocated (the payer's credit).
pub fn oldest_first(available: Money, open: &[OpenInvoice]) -> Vec<(i64, Money)> {
    let mut ordered: Vec<&OpenInvoice> = open.iter().filter(|i| i.outstanding > Money::ZERO).collect();
    ordered.sort_by(|a, b| {
        (a.due.is_none(), a.due, a.issued, &a.number, a.id).cmp(&(
            b.due.is_none(),
            b.due,
            b.issued,
            &b.number,
            b.id,
        ))
    });
    let mut left = available;
    let mut out = Vec::new();
    for invoice in ordered {
        if left <= Money::ZERO {
            break;
        }
        let amount = if invoice.outstanding < left { invoice.outstanding } else { left };
        out.push((invoice.id, amount));
        left = left - amount;
    }
    out
}

/// Checks allocations chosen by hand, by invoice id, against what the payment has `left` and
/// what each `open` invoice owes.
pub fn check_chosen(
    left: Money,
    chosen: &[(i64, Money)],
    open: &[OpenInvoice],
    number_of: impl Fn(i64) -> String,
) -> Result<(), AllocationError> {
    let mut total = Money::ZERO;
    for (index, (id, amount)) in chosen.iter().enumerate() {
        let Some(invoice) = open.iter().find(|i| i.id == *id && i.outstanding > Money::ZERO) else {
            return Err(AllocationError::NotOpen { number: number_of(*id) });
        };
        if chosen[..index].iter().any(|(other, _)| other == id) {
            return Err(AllocationError::Repeated { number: invoice.number.clone() });
        }
        if *amount <= Money::ZERO {
            return Err(AllocationError::NotPositive { number: invoice.number.clone() });
        }
        if *amount > invoice.outstanding {
            return Err(AllocationError::MoreThanOwed {
                number: invoice.number.clone(),
                outstanding: invoice.outstanding,
                asked: *amount,
            });
        }
        total = total + *amount;
    }
    if total > left {
        return Err(AllocationError::MoreThanPaymentLeft { left, asked: total });
    }
    Ok(())
}

/// Which allocations (id, amount) to undo, newest first, and by how much, so that `excess` is
/// freed: a credit note on a paid invoice gives back the payment's share it no longer needs.
pub fn to_free(excess: Money, newest_first: &[(i64, Money)]) -> Vec<(i64, Money)> {
    let mut left = excess;
    let mut out = Vec::new();
    for (id, amount) in newest_first {
        if left <= Money::ZERO {
            break;
        }
        let take = if *amount < left { *amount } else { left };
        out.push((*id, take));
        left = left - take;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn open(id: i64, due_day: u32, pence: i64) -> OpenInvoice {
        OpenInvoice {
            id,
            number: format!("RH-{id:06}"),
            due: NaiveDate::from_ymd_opt(2026, 10, due_day),
            issued: None,
            outstanding: Money::from_pence(pence),
        }
    }

    #[test]
    fn oldest_first_fills_in_due_order() {
        let invoices = [open(3, 20, 500), open(1, 10, 1000), open(2, 15, 700)];
        assert_eq!(
            oldest_first(Money::from_pence(1500), &invoices),
            vec![(1, Money::from_pence(1000)), (2, Money::from_pence(500))]
        );
        assert_eq!(oldest_first(Money::from_pence(5000), &invoices).len(), 3, "the rest stays as credit");
        assert!(oldest_first(Money::ZERO, &invoices).is_empty());
    }

    #[test]
    fn chosen_allocations_are_checked() {
        let invoices = [open(1, 10, 1000), open(2, 15, 700)];
        let number = |id: i64| format!("invoice {id}");
        let ok = check_chosen(
            Money::from_pence(1200),
            &[(1, Money::from_pence(500)), (2, Money::from_pence(700))],
            &invoices,
            number,
        );
        assert_eq!(ok, Ok(()));
        let over = check_chosen(Money::from_pence(100), &[(1, Money::from_pence(500))], &invoices, number);
        assert_eq!(
            over.unwrap_err().to_string(),
            "the payment has £1.00 left to allocate; these allocations add up to £5.00"
        );
        let owed = check_chosen(Money::from_pence(5000), &[(2, Money::from_pence(701))], &invoices, number);
        assert_eq!(owed.unwrap_err().to_string(), "RH-000002 owes £7.00; £7.01 is more than that");
        let twice = check_chosen(
            Money::from_pence(5000),
            &[(2, Money::from_pence(1)), (2, Money::from_pence(1))],
            &invoices,
            number,
        );
        assert!(matches!(twice, Err(AllocationError::Repeated { .. })));
        let stranger = check_chosen(Money::from_pence(5000), &[(9, Money::from_pence(1))], &invoices, number);
        assert_eq!(
            stranger.unwrap_err().to_string(),
            "invoice 9 is not one of this payer's invoices with something owed"
        );
        let zero = check_chosen(Money::from_pence(5000), &[(1, Money::ZERO)], &invoices, number);
        assert!(matches!(zero, Err(AllocationError::NotPositive { .. })));
    }

    #[test]
    fn freeing_takes_newest_first() {
        let allocations = [(9, Money::from_pence(300)), (4, Money::from_pence(1000))];
        assert_eq!(
            to_free(Money::from_pence(500), &allocations),
            vec![(9, Money::from_pence(300)), (4, Money::from_pence(200))]
        );
        assert!(to_free(Money::ZERO, &allocations).is_empty());
    }

    proptest! {
        /// Oldest first never allocates more than the payment nor more than an invoice owes,
        /// and leaves credit only once every invoice is paid.
        #[test]
        fn oldest_first_is_bounded(available in 0i64..2_000_000, owed in proptest::collection::vec(1i64..500_000, 0..20)) {
            let invoices: Vec<OpenInvoice> = owed.iter().enumerate().map(|(i, p)| open(i as i64, 1 + (i as u32 % 28), *p)).collect();
            let plan = oldest_first(Money::from_pence(available), &invoices);
            let total: Money = plan.iter().map(|(_, m)| *m).sum();
            prop_assert!(total <= Money::from_pence(available));
            for (id, amount) in &plan {
                let invoice = invoices.iter().find(|i| i.id == *id).unwrap();
                prop_assert!(*amount > Money::ZERO && *amount <= invoice.outstanding);
            }
            let owed_total: Money = invoices.iter().map(|i| i.outstanding).sum();
            prop_assert_eq!(total, if owed_total < Money::from_pence(available) { owed_total } else { Money::from_pence(available) });
            prop_assert!(check_chosen(Money::from_pence(available), &plan, &invoices, |id| id.to_string()).is_ok());
        }
    }
}
