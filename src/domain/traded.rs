//! Traded services as rules: what a service is (its category, the unit it is sold in, when it is
//! invoiced), its price list for a year, and the price a buying school pays on the date of
//! service: by its membership level there when the list names the level, else the member price,
//! else the non-member price. Each price is a fee rule from billing (one amount, by phase, per
//! pupil with a floor and cap), so "a secondary peer review costs more" and "an SLA per pupil
//! with a floor" are the same vocabulary. Entitlements included in a level are used first.

use super::billing_phase::BillingPhase;
use super::fees::FeeRule;
use super::money::Money;
use rust_decimal::Decimal;

/// What kind of service it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    AdviserSupport,
    PeerReview,
    CpdCourse,
    Conference,
    Governance,
    SpecialistSupport,
    ServiceLevelAgreement,
    Resource,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::AdviserSupport,
        Category::PeerReview,
        Category::CpdCourse,
        Category::Conference,
        Category::Governance,
        Category::SpecialistSupport,
        Category::ServiceLevelAgreement,
        Category::Resource,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::AdviserSupport => "adviser_support",
            Category::PeerReview => "peer_review",
            Category::CpdCourse => "cpd_course",
            Category::Conference => "conference",
            Category::Governance => "governance",
            Category::SpecialistSupport => "specialist_support",
            Category::ServiceLevelAgreement => "service_level_agreement",
            Category::Resource => "resource",
        }
    }

    pub fn parse(text: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::AdviserSupport => "Adviser support",
            Category::PeerReview => "Peer review",
            Category::CpdCourse => "CPD course",
            Category::Conference => "Conference",
            Category::Governance => "Governance",
            Category::SpecialistSupport => "Specialist support",
            Category::ServiceLevelAgreement => "Service-level agreement",
            Category::Resource => "Resource",
        }
    }
}

/// The unit a service is sold in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Day,
    HalfDay,
    Hour,
    Place,
    Review,
    Package,
    Item,
    PerPupilPerYear,
}

impl Unit {
    pub const ALL: [Unit; 8] = [
        Unit::Day,
        Unit::HalfDay,
        Unit::Hour,
        Unit::Place,
        Unit::Review,
        Unit::Package,
        Unit::Item,
        Unit::PerPupilPerYear,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Day => "day",
            Unit::HalfDay => "half_day",
            Unit::Hour => "hour",
            Unit::Place => "place",
            Unit::Review => "review",
            Unit::Package => "package",
            Unit::Item => "item",
            Unit::PerPupilPerYear => "per_pupil_per_year",
        }
    }

    pub fn parse(text: &str) -> Option<Unit> {
        Unit::ALL.into_iter().find(|u| u.as_str() == text)
    }

    /// One unit in words: "day", "half day", "place".
    pub fn singular(self) -> &'static str {
        match self {
            Unit::Day => "day",
            Unit::HalfDay => "half day",
            Unit::Hour => "hour",
            Unit::Place => "place",
            Unit::Review => "review",
            Unit::Package => "package",
            Unit::Item => "item",
            Unit::PerPupilPerYear => "year",
        }
    }

    /// A price rule in words for this unit: billing's words say "a school"; a service is sold by
    /// its unit ("£650.00 a day").
    pub fn describe(self, rule: &FeeRule) -> String {
        rule.describe().replace(" a school", &format!(" {}", self.per()))
    }

    /// One unit with its article, as in "£650.00 a day" or "£95.00 an hour".
    pub fn per(self) -> String {
        let one = self.singular();
        let article = if matches!(self, Unit::Hour | Unit::Item) { "an" } else { "a" };
        format!("{article} {one}")
    }

    /// The unit in words, one or many: "1 day", "3 days".
    pub fn count(self, quantity: Decimal) -> String {
        let one = quantity == Decimal::ONE;
        let q = quantity.normalize();
        match self {
            Unit::Day => format!("{q} {}", if one { "day" } else { "days" }),
            Unit::HalfDay => format!("{q} {}", if one { "half day" } else { "half days" }),
            Unit::Hour => format!("{q} {}", if one { "hour" } else { "hours" }),
            Unit::Place => format!("{q} {}", if one { "place" } else { "places" }),
            Unit::Review => format!("{q} {}", if one { "review" } else { "reviews" }),
            Unit::Package => format!("{q} {}", if one { "package" } else { "packages" }),
            Unit::Item => format!("{q} {}", if one { "item" } else { "items" }),
            Unit::PerPupilPerYear => format!("{q} {}", if one { "year" } else { "years" }),
        }
    }
}

/// The income streams a partnership reports its money by; a service's income is traded
/// services unless it says otherwise (a commissioned programme sold school by school, say).
pub const INCOME_STREAMS: [(&str, &str); 5] = [
    ("traded_services", "Traded services"),
    ("memberships", "Schools' memberships"),
    ("la_commission", "Local-authority commission"),
    ("other_commission", "Other commission"),
    ("grant", "Grant"),
];

/// When a service is invoiced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invoicing {
    OnConfirmation,
    OnDelivery,
    MonthlyInArrears,
}

impl Invoicing {
    pub const ALL: [Invoicing; 3] =
        [Invoicing::OnConfirmation, Invoicing::OnDelivery, Invoicing::MonthlyInArrears];

    pub fn as_str(self) -> &'static str {
        match self {
            Invoicing::OnConfirmation => "on_confirmation",
            Invoicing::OnDelivery => "on_delivery",
            Invoicing::MonthlyInArrears => "monthly_in_arrears",
        }
    }

    pub fn parse(text: &str) -> Option<Invoicing> {
        Invoicing::ALL.into_iter().find(|i| i.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Invoicing::OnConfirmation => "When the order is confirmed",
            Invoicing::OnDelivery => "When it is delivered",
            Invoicing::MonthlyInArrears => "Monthly in arrears",
        }
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    Requested,
    Confirmed,
    /// Confirmed with its date agreed.
    Scheduled,
    Delivered,
    Cancelled,
}

impl OrderState {
    pub const ALL: [OrderState; 5] = [
        OrderState::Requested,
        OrderState::Confirmed,
        OrderState::Scheduled,
        OrderState::Delivered,
        OrderState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Requested => "requested",
            OrderState::Confirmed => "confirmed",
            OrderState::Scheduled => "scheduled",
            OrderState::Delivered => "delivered",
            OrderState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<OrderState> {
        OrderState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            OrderState::Requested => "Requested",
            OrderState::Confirmed => "Confirmed",
            OrderState::Scheduled => "Scheduled",
            OrderState::Delivered => "Delivered",
            OrderState::Cancelled => "Cancelled",
        }
    }

    /// Whether the order may move to `next`: requested, then confirmed, then scheduled (and
    /// rescheduled) or straight to delivered; cancelled from anything not yet delivered. (An
    /// invoiced order is cancelled by crediting its invoice, which the service checks.)
    pub fn may_become(self, next: OrderState) -> bool {
        use OrderState::*;
        matches!(
            (self, next),
            (Requested, Confirmed)
                | (Confirmed | Scheduled, Scheduled)
                | (Confirmed | Scheduled, Delivered)
                | (Requested | Confirmed | Scheduled, Cancelled)
        )
    }
}

/// A service's prices for one year.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceList {
    /// What a member school pays when its level has no price of its own.
    pub member: FeeRule,
    /// What a school that is not a member pays; none: members only.
    pub non_member: Option<FeeRule>,
    /// Prices for particular membership levels (e.g. Advanced pays less), by level name.
    pub by_level: Vec<(String, FeeRule)>,
}

/// The buying school on the date of service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    /// Its membership level that day, if it is a member.
    pub level: Option<String>,
    pub phase: BillingPhase,
    pub pupils: Option<u32>,
}

/// A unit price and why it is that price, e.g. "member price, Standard level".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitPrice {
    pub amount: Money,
    pub why: String,
}

/// Why a school cannot be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotPriced {
    #[error("this service is for member schools only")]
    MembersOnly,
    #[error("{0}")]
    Rule(String),
}

/// The unit price `buyer` pays under `list`: its level's price when the list has one, else the
/// member price for a member, else the non-member price; each rounded half up to the penny.
pub fn unit_price(list: &PriceList, buyer: &Buyer) -> Result<UnitPrice, NotPriced> {
    let (rule, why) = match &buyer.level {
        Some(level) => match list.by_level.iter().find(|(name, _)| name.eq_ignore_ascii_case(level)) {
            Some((name, rule)) => (rule, format!("member price, {name} level")),
            None => (&list.member, format!("member price, {level} level")),
        },
        None => (list.non_member.as_ref().ok_or(NotPriced::MembersOnly)?, "non-member price".to_string()),
    };
    let priced = rule.exact(buyer.phase, buyer.pupils).map_err(|e| NotPriced::Rule(e.to_string()))?;
    let amount = Money::from_decimal_rounded(priced.amount);
    // A single amount needs no working; a phase, pupil or banded price says how it was reached.
    let plain =
        matches!(rule.kind, super::fees::RuleKind::Flat { .. }) && rule.min.is_none() && rule.max.is_none();
    let why = if plain || priced.working.is_empty() { why } else { format!("{why}: {}", priced.working) };
    Ok(UnitPrice { amount, why })
}

/// What each kind of school pays for one unit under `list`: a row for a school that is not a
/// member, then one per level (`levels`, in the offer's order), each priced for every column
/// (a billing phase and a school size); `None` where the school cannot buy it.
pub fn price_table(
    list: &PriceList,
    levels: &[String],
    columns: &[(BillingPhase, u32)],
) -> Vec<(String, Vec<Option<UnitPrice>>)> {
    std::iter::once(None)
        .chain(levels.iter().map(Some))
        .map(|level| {
            let label = match level {
                None => "Not a member".to_string(),
                Some(l) => format!("{l} member"),
            };
            let cells = columns
                .iter()
                .map(|(phase, pupils)| {
                    unit_price(list, &Buyer { level: level.cloned(), phase: *phase, pupils: Some(*pupils) })
                        .ok()
                })
                .collect();
            (label, cells)
        })
        .collect()
}

/// How many of `quantity` units are covered by an entitlement of `included` units of which
/// `used` are used already: (free, charged).
pub fn use_entitlement(included: Decimal, used: Decimal, quantity: Decimal) -> (Decimal, Decimal) {
    let left = (included - used).max(Decimal::ZERO);
    let free = quantity.min(left).max(Decimal::ZERO);
    (free, quantity - free)
}

/// The income a delivery of `units` of an order earns: its share of what the order charges
/// (the entitlement's free units spread evenly over the order), rounded half up to the penny
/// once.
pub fn delivery_income(units: Decimal, quantity: Decimal, free: Decimal, unit: Money) -> Money {
    if quantity <= Decimal::ZERO {
        return Money::ZERO;
    }
    let charged = (quantity - free).max(Decimal::ZERO);
    Money::from_decimal_rounded(units * unit.amount() * charged / quantity)
}

/// A line's total: quantity times the unit price, rounded half up to the penny once.
pub fn line_total(quantity: Decimal, unit: Money) -> Money {
    Money::from_decimal_rounded(quantity * unit.amount())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn rule(json: &str) -> FeeRule {
        FeeRule::from_json(json).unwrap()
    }

    fn adviser_day() -> PriceList {
        PriceList {
            member: rule(r#"{"flat": "650.00"}"#),
            non_member: Some(rule(r#"{"flat": "800.00"}"#)),
            by_level: vec![("Advanced".into(), rule(r#"{"flat": "600.00"}"#))],
        }
    }

    fn buyer(level: Option<&str>, phase: BillingPhase, pupils: Option<u32>) -> Buyer {
        Buyer { level: level.map(String::from), phase, pupils }
    }

    #[test]
    fn a_delivery_earns_its_share_of_what_the_order_charges() {
        let price = Money::from_pence(65_000);
        assert_eq!(delivery_income(dec!(1), dec!(3), dec!(0), price), price);
        assert_eq!(delivery_income(dec!(1), dec!(3), dec!(3), price), Money::ZERO, "all included");
        assert_eq!(
            delivery_income(dec!(1), dec!(3), dec!(1), price),
            Money::from_pence(43_333),
            "two thirds of a day"
        );
        assert_eq!(delivery_income(dec!(3), dec!(3), dec!(1), price), Money::from_pence(130_000));
    }

    #[test]
    fn orders_move_in_order() {
        use OrderState::*;
        assert!(Requested.may_become(Confirmed) && !Requested.may_become(Scheduled));
        assert!(Confirmed.may_become(Scheduled) && Scheduled.may_become(Scheduled), "rescheduled");
        assert!(Scheduled.may_become(Delivered) && Confirmed.may_become(Delivered));
        assert!(Scheduled.may_become(Cancelled) && !Delivered.may_become(Cancelled));
        assert!(!Cancelled.may_become(Confirmed) && !Delivered.may_become(Scheduled));
    }

    #[test]
    fn units_take_their_article() {
        assert_eq!(Unit::Day.per(), "a day");
        assert_eq!(Unit::Hour.per(), "an hour");
        assert_eq!(Unit::Item.per(), "an item");
        assert_eq!(Unit::Hour.describe(&rule(r#"{"flat": "95.00"}"#)), "£95.00 an hour");
    }

    #[test]
    fn the_price_table_prices_every_kind_of_school() {
        let list = PriceList {
            member: rule(r#"{"by_phase": {"Primary": {"flat": "1000.00"}, "default": {"flat": "1600.00"}}}"#),
            non_member: None,
            by_level: vec![("Advanced".into(), rule(r#"{"flat": "900.00"}"#))],
        };
        let table = price_table(
            &list,
            &["Standard".into(), "Advanced".into()],
            &[(BillingPhase::Primary, 250), (BillingPhase::Secondary, 1000)],
        );
        let amounts: Vec<(String, Vec<Option<i64>>)> = table
            .into_iter()
            .map(|(label, cells)| {
                (label, cells.into_iter().map(|c| c.map(|p| p.amount.to_pence().unwrap())).collect())
            })
            .collect();
        assert_eq!(
            amounts,
            vec![
                ("Not a member".to_string(), vec![None, None]),
                ("Standard member".to_string(), vec![Some(100_000), Some(160_000)]),
                ("Advanced member".to_string(), vec![Some(90_000), Some(90_000)]),
            ]
        );
    }

    #[test]
    fn members_non_members_and_levels_pay_their_own_prices() {
        let list = adviser_day();
        let member = unit_price(&list, &buyer(Some("Standard"), BillingPhase::Primary, Some(300))).unwrap();
        assert_eq!(
            (member.amount, member.why.as_str()),
            (Money::from_pence(65_000), "member price, Standard level")
        );
        let advanced = unit_price(&list, &buyer(Some("advanced"), BillingPhase::Primary, None)).unwrap();
        assert_eq!(
            (advanced.amount, advanced.why.as_str()),
            (Money::from_pence(60_000), "member price, Advanced level")
        );
        let other = unit_price(&list, &buyer(None, BillingPhase::Secondary, None)).unwrap();
        assert_eq!((other.amount, other.why.as_str()), (Money::from_pence(80_000), "non-member price"));
        let members_only = PriceList { non_member: None, ..list };
        assert_eq!(
            unit_price(&members_only, &buyer(None, BillingPhase::Primary, None)),
            Err(NotPriced::MembersOnly)
        );
    }

    #[test]
    fn phase_and_pupil_prices_use_the_fee_rule_vocabulary() {
        let review = PriceList {
            member: rule(
                r#"{"by_phase": {"Primary": {"flat": "1000.00"}, "Secondary": {"flat": "1600.00"}, "default": {"flat": "1200.00"}}}"#,
            ),
            non_member: None,
            by_level: vec![],
        };
        assert_eq!(
            unit_price(&review, &buyer(Some("Core"), BillingPhase::Secondary, None)).unwrap().amount,
            Money::from_pence(160_000)
        );
        assert_eq!(
            unit_price(&review, &buyer(Some("Core"), BillingPhase::Special, None)).unwrap().amount,
            Money::from_pence(120_000)
        );
        let sla = PriceList {
            member: rule(r#"{"per_pupil": "2.50", "min": "400.00"}"#),
            non_member: None,
            by_level: vec![],
        };
        let small = unit_price(&sla, &buyer(Some("Core"), BillingPhase::Primary, Some(90))).unwrap();
        assert_eq!(small.amount, Money::from_pence(40_000), "the floor: {}", small.why);
        assert!(small.why.starts_with("member price, Core level: "), "{}", small.why);
        assert_eq!(
            unit_price(&sla, &buyer(Some("Core"), BillingPhase::Primary, Some(420))).unwrap().amount,
            Money::from_pence(105_000)
        );
        assert!(matches!(
            unit_price(&sla, &buyer(Some("Core"), BillingPhase::Primary, None)),
            Err(NotPriced::Rule(_))
        ));
    }

    #[test]
    fn entitlements_are_used_first() {
        assert_eq!(use_entitlement(dec!(2), dec!(0), dec!(1)), (dec!(1), dec!(0)));
        assert_eq!(use_entitlement(dec!(2), dec!(1), dec!(3)), (dec!(1), dec!(2)));
        assert_eq!(use_entitlement(dec!(2), dec!(2), dec!(1)), (dec!(0), dec!(1)));
        assert_eq!(use_entitlement(dec!(5), dec!(0), dec!(0.5)), (dec!(0.5), dec!(0)));
        assert_eq!(line_total(dec!(1.5), Money::from_pence(65_000)), Money::from_pence(97_500));
        assert_eq!(Unit::Day.count(dec!(1)), "1 day");
        assert_eq!(Unit::Day.describe(&rule(r#"{"flat": "650.00"}"#)), "£650.00 a day");
        assert_eq!(Unit::HalfDay.count(dec!(3)), "3 half days");
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        for u in Unit::ALL {
            assert_eq!(Unit::parse(u.as_str()), Some(u));
        }
        for i in Invoicing::ALL {
            assert_eq!(Invoicing::parse(i.as_str()), Some(i));
        }
        use OrderState::*;
        assert!(
            Requested.may_become(Confirmed)
                && Confirmed.may_become(Delivered)
                && Confirmed.may_become(Cancelled)
        );
        assert!(
            !Requested.may_become(Delivered)
                && !Delivered.may_become(Cancelled)
                && !Cancelled.may_become(Confirmed)
        );
    }

    proptest! {
        /// However an order is split, the free units never exceed what is included, nothing is
        /// lost, and nothing is free once the entitlement is used up.
        #[test]
        fn entitlements_never_give_more_than_included(included in 0u32..10, orders in proptest::collection::vec(1u32..5, 0..8)) {
            let included = Decimal::from(included);
            let mut used = Decimal::ZERO;
            for q in orders {
                let q = Decimal::from(q);
                let (free, charged) = use_entitlement(included, used, q);
                prop_assert_eq!(free + charged, q);
                prop_assert!(free >= Decimal::ZERO && charged >= Decimal::ZERO);
                used += free;
                prop_assert!(used <= included);
            }
        }

        /// A member never pays more than a non-member when the list says members pay less.
        #[test]
        fn members_pay_the_member_price(member in 1i64..100_000, extra in 0i64..100_000) {
            let list = PriceList {
                member: FeeRule::from_json(&format!(r#"{{"flat": "{}"}}"#, Money::from_pence(member).amount())).unwrap(),
                non_member: Some(FeeRule::from_json(&format!(r#"{{"flat": "{}"}}"#, Money::from_pence(member + extra).amount())).unwrap()),
                by_level: vec![],
            };
            let m = unit_price(&list, &buyer(Some("Core"), BillingPhase::Primary, None)).unwrap().amount;
            let n = unit_price(&list, &buyer(None, BillingPhase::Primary, None)).unwrap().amount;
            prop_assert!(m <= n);
        }
    }
}
