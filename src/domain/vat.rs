//! VAT rates and the one VAT rounding rule.
//!
//! Rounding follows HMRC VAT Notice 700, section 17.5 (rounding at invoice level): VAT is worked
//! out on the total net amount at each rate on the invoice and the result is **rounded down to
//! the whole penny** (fractions of a penny are dropped). Credit notes use the same rule on their
//! own totals, so a full credit note gives back exactly the VAT charged.

use super::money::Money;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// The VAT treatment of one invoice line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VatRate {
    /// 20%.
    Standard,
    /// 5%.
    Reduced,
    /// 0%: a taxable supply at zero rate.
    Zero,
    /// Exempt from VAT.
    Exempt,
    /// Outside the scope of VAT (e.g. a grant-funded activity that is not a supply).
    OutsideScope,
}

impl VatRate {
    pub const ALL: [VatRate; 5] =
        [VatRate::Standard, VatRate::Reduced, VatRate::Zero, VatRate::Exempt, VatRate::OutsideScope];

    /// The percentage charged.
    pub fn percent(self) -> Decimal {
        match self {
            VatRate::Standard => Decimal::from(20),
            VatRate::Reduced => Decimal::from(5),
            VatRate::Zero | VatRate::Exempt | VatRate::OutsideScope => Decimal::ZERO,
        }
    }

    /// How an invoice shows the rate.
    pub fn label(self) -> &'static str {
        match self {
            VatRate::Standard => "20%",
            VatRate::Reduced => "5%",
            VatRate::Zero => "0%",
            VatRate::Exempt => "Exempt",
            VatRate::OutsideScope => "Outside the scope of VAT",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VatRate::Standard => "standard",
            VatRate::Reduced => "reduced",
            VatRate::Zero => "zero",
            VatRate::Exempt => "exempt",
            VatRate::OutsideScope => "outside_scope",
        }
    }

    pub fn parse(text: &str) -> Option<VatRate> {
        VatRate::ALL.into_iter().find(|r| r.as_str() == text.trim())
    }
}

super::unknown_name::from_str_by_parse!(VatRate, "VAT rate");

/// VAT on the total net at one rate: HMRC VAT Notice 700 s17.5, rounded down to the penny.
pub fn vat_round_down_s17_5(net_at_rate: Money, rate: VatRate) -> Money {
    let exact = net_at_rate.amount() * rate.percent() / Decimal::ONE_HUNDRED;
    let rounded = exact.round_dp_with_strategy(2, RoundingStrategy::ToZero);
    Money::from_decimal_rounded(rounded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounds_down_to_the_penny() {
        assert_eq!(vat_round_down_s17_5(Money::from_pence(1999), VatRate::Standard), Money::from_pence(399));
        assert_eq!(vat_round_down_s17_5(Money::from_pence(1), VatRate::Standard), Money::ZERO);
        assert_eq!(
            vat_round_down_s17_5(Money::from_pence(10_000), VatRate::Standard),
            Money::from_pence(2000)
        );
        assert_eq!(vat_round_down_s17_5(Money::from_pence(1999), VatRate::Reduced), Money::from_pence(99));
        for rate in [VatRate::Zero, VatRate::Exempt, VatRate::OutsideScope] {
            assert_eq!(vat_round_down_s17_5(Money::from_pence(1999), rate), Money::ZERO);
        }
    }

    #[test]
    fn credit_amounts_round_towards_zero_too() {
        assert_eq!(
            vat_round_down_s17_5(Money::from_pence(-1999), VatRate::Standard),
            Money::from_pence(-399)
        );
    }

    proptest! {
        #[test]
        fn vat_is_never_more_than_exact_nor_a_penny_less(pence in 0i64..10_000_000_000, standard in any::<bool>()) {
            let rate = if standard { VatRate::Standard } else { VatRate::Reduced };
            let net = Money::from_pence(pence);
            let vat = vat_round_down_s17_5(net, rate).amount();
            let exact = net.amount() * rate.percent() / Decimal::ONE_HUNDRED;
            prop_assert!(vat <= exact);
            prop_assert!(exact - vat < Decimal::new(1, 2));
        }
    }
}
