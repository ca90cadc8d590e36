//! Matching money in to open invoices. For each credit line the evidence is gathered (invoice
//! numbers in the reference, the payer's name or a learned alias, a school's URN, amounts equal
//! to one invoice or to all a payer owes) and the line is matched automatically only when that
//! evidence cannot point anywhere else; otherwise ranked suggestions say why, in words. Amount
//! alone never matches. Payments always stay with one payer.

use super::reference::{Strength, bacs_normalise, invoice_numbers, squeeze};
use crate::domain::money::Money;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// An issued invoice as matching sees it (fully paid ones too: a payment quoting one is
/// probably a duplicate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItem {
    pub invoice_id: i64,
    pub sequence: u64,
    pub number: String,
    pub payer_id: i64,
    pub outstanding: Money,
    pub due: Option<NaiveDate>,
}

/// What a payer is called: its name, aliases finance confirmed, and codes (a school's URN)
/// that identify it when written alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayerName {
    pub payer_id: i64,
    pub name: String,
    pub aliases: Vec<String>,
    pub codes: Vec<String>,
}

/// One way to read a line: which invoices of which payer, how much to each, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub payer_id: i64,
    /// (invoice id, amount); empty when the line is the payer's credit (a duplicate payment).
    pub allocations: Vec<(i64, Money)>,
    pub score: u32,
    pub reason: String,
}

/// What matching decided for a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Auto(Candidate),
    Suggest(Vec<Candidate>),
    Unmatched,
}

/// A payer identified in the text, and how surely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NameHit {
    payer: usize,
    strong: bool,
}

/// The matching state for one statement: open items by number, payer and amount, and payers'
/// names; outstanding amounts go down as lines are matched, so a duplicate line finds the
/// invoice already paid.
pub struct Matcher {
    prefix: String,
    items: Vec<OpenItem>,
    by_sequence: HashMap<u64, usize>,
    by_id: HashMap<i64, usize>,
    by_payer: HashMap<i64, Vec<usize>>,
    by_amount: HashMap<Money, Vec<usize>>,
    payers: Vec<PayerName>,
    /// (squeezed name, payer index, is an alias or the full name)
    names: Vec<(String, usize)>,
    names_by_start: HashMap<String, Vec<usize>>,
    codes: HashMap<String, usize>,
}

const START: usize = 4;
/// A truncated name must agree for at least this many letters to count.
const MIN_PREFIX: usize = 10;
/// Letters of a name that identify its payer (Bacs keeps 18 characters of an account name).
const STRONG_PREFIX: usize = 15;
const MAX_SUGGESTIONS: usize = 5;

fn money_list(items: &[&OpenItem]) -> String {
    items.iter().map(|i| i.number.as_str()).collect::<Vec<_>>().join(", ")
}

impl Matcher {
    pub fn new(prefix: &str, items: Vec<OpenItem>, payers: Vec<PayerName>) -> Matcher {
        let mut by_sequence = HashMap::new();
        let by_id: HashMap<i64, usize> =
            items.iter().enumerate().map(|(i, item)| (item.invoice_id, i)).collect();
        let mut by_payer: HashMap<i64, Vec<usize>> = HashMap::new();
        let mut by_amount: HashMap<Money, Vec<usize>> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            by_sequence.insert(item.sequence, i);
            by_payer.entry(item.payer_id).or_default().push(i);
            if item.outstanding > Money::ZERO {
                by_amount.entry(item.outstanding).or_default().push(i);
            }
        }
        for list in by_payer.values_mut() {
            list.sort_by_key(|i| (items[*i].due, items[*i].sequence));
        }
        let mut names = Vec::new();
        let mut names_by_start: HashMap<String, Vec<usize>> = HashMap::new();
        let mut codes = HashMap::new();
        for (p, payer) in payers.iter().enumerate() {
            for name in std::iter::once(&payer.name).chain(payer.aliases.iter()) {
                let sq = squeeze(name);
                if sq.len() < 6 {
                    continue;
                }
                names_by_start.entry(sq[..START].to_string()).or_default().push(names.len());
                names.push((sq, p));
            }
            for code in &payer.codes {
                codes.insert(code.clone(), p);
            }
        }
        Matcher {
            prefix: prefix.to_string(),
            items,
            by_sequence,
            by_id,
            by_payer,
            by_amount,
            payers,
            names,
            names_by_start,
            codes,
        }
    }

    /// The payers named in the text: a full name or alias anywhere, or a name cut short (as
    /// Bacs cuts it) from a word's start, or a code (URN) as a word of its own.
    fn payers_named(&self, text: &str) -> Vec<NameHit> {
        let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
        let mut hits: Vec<NameHit> = Vec::new();
        let mut add = |hit: NameHit| match hits.iter_mut().find(|h| h.payer == hit.payer) {
            Some(h) => h.strong |= hit.strong,
            None => hits.push(hit),
        };
        for w in &words {
            if let Some(p) = self.codes.get(*w) {
                add(NameHit { payer: *p, strong: true });
            }
        }
        for start in 0..words.len().min(6) {
            let rest = squeeze(&words[start..].join(""));
            if rest.len() < START {
                continue;
            }
            let Some(list) = self.names_by_start.get(&rest[..START]) else { continue };
            for &n in list {
                let (name, payer) = &self.names[n];
                let common = name.bytes().zip(rest.bytes()).take_while(|(a, b)| a == b).count();
                if common == name.len() || common >= STRONG_PREFIX {
                    // The whole name, or enough of it that only a namesake could share it
                    // (and then both are named, and nothing is matched automatically).
                    add(NameHit { payer: *payer, strong: true });
                } else if common >= MIN_PREFIX && common == rest.len() {
                    // The text ends inside the name: Bacs cut it short.
                    add(NameHit { payer: *payer, strong: false });
                }
            }
        }
        hits
    }

    fn open_of(&self, payer_id: i64) -> Vec<&OpenItem> {
        self.by_payer
            .get(&payer_id)
            .map(|list| {
                list.iter().map(|i| &self.items[*i]).filter(|i| i.outstanding > Money::ZERO).collect()
            })
            .unwrap_or_default()
    }

    /// Oldest first, up to `amount`.
    fn spread(items: &[&OpenItem], amount: Money) -> Vec<(i64, Money)> {
        let mut left = amount;
        let mut out = Vec::new();
        for i in items {
            if left <= Money::ZERO {
                break;
            }
            let take = if i.outstanding < left { i.outstanding } else { left };
            out.push((i.invoice_id, take));
            left = left - take;
        }
        out
    }

    fn payer_name(&self, payer_id: i64) -> &str {
        self.payers.iter().find(|p| p.payer_id == payer_id).map_or("", |p| p.name.as_str())
    }

    /// Matches one credit line; an automatic match is applied to the state at once.
    pub fn match_line(&mut self, text: &str, amount: Money) -> Outcome {
        let outcome = self.decide(text, amount);
        if let Outcome::Auto(c) = &outcome {
            self.apply(&c.allocations);
        }
        outcome
    }

    /// Lowers what the invoices owe after a match (automatic or confirmed).
    pub fn apply(&mut self, allocations: &[(i64, Money)]) {
        for (invoice_id, amount) in allocations {
            if let Some(item) = self.by_id.get(invoice_id).and_then(|i| self.items.get_mut(*i)) {
                item.outstanding = item.outstanding - *amount;
            }
        }
    }

    fn decide(&self, raw: &str, amount: Money) -> Outcome {
        let text = bacs_normalise(raw);
        let named = self.payers_named(&text);
        let numbers = invoice_numbers(&text, &self.prefix);
        let referenced: Vec<(&OpenItem, Strength)> = numbers
            .iter()
            .filter_map(|(n, s)| self.by_sequence.get(n).map(|i| (&self.items[*i], *s)))
            .filter(|(item, s)| {
                *s == Strength::Prefixed
                    || named.iter().any(|h| self.payers[h.payer].payer_id == item.payer_id)
            })
            .collect();
        if !referenced.is_empty() {
            return self.by_reference(&referenced, &named, amount);
        }
        let mut suggestions = Vec::new();
        let strong: Vec<&NameHit> = named.iter().filter(|h| h.strong).collect();
        if named.len() == 1 || strong.len() == 1 {
            let hit = if strong.len() == 1 { *strong[0] } else { named[0] };
            let payer = &self.payers[hit.payer];
            let open = self.open_of(payer.payer_id);
            let owed: Money = open.iter().map(|i| i.outstanding).sum();
            let equal: Vec<&&OpenItem> = open.iter().filter(|i| i.outstanding == amount).collect();
            let said = format!("payer's name in \"{text}\" = {}", payer.name);
            if hit.strong && equal.len() == 1 {
                return Outcome::Auto(Candidate {
                    payer_id: payer.payer_id,
                    allocations: vec![(equal[0].invoice_id, amount)],
                    score: 90,
                    reason: format!(
                        "{said}; amount equal to {}, its only invoice of that amount",
                        equal[0].number
                    ),
                });
            }
            if hit.strong && open.len() > 1 && owed == amount {
                return Outcome::Auto(Candidate {
                    payer_id: payer.payer_id,
                    allocations: Self::spread(&open, amount),
                    score: 90,
                    reason: format!("{said}; amount equal to everything it owes ({})", money_list(&open)),
                });
            }
            if let Some(first) = equal.first() {
                suggestions.push(Candidate {
                    payer_id: payer.payer_id,
                    allocations: vec![(first.invoice_id, amount)],
                    score: 75,
                    reason: format!(
                        "{said}; amount equal to {}{}",
                        first.number,
                        if equal.len() > 1 {
                            format!(", one of {} of its invoices for this amount", equal.len())
                        } else {
                            String::new()
                        }
                    ),
                });
            }
            suggestions.push(Candidate {
                payer_id: payer.payer_id,
                allocations: Self::spread(&open, amount),
                score: if equal.is_empty() { 60 } else { 40 },
                reason: match (open.is_empty(), owed.cmp(&amount)) {
                    (true, _) => format!("{said}, which owes nothing: keep it as credit"),
                    (false, std::cmp::Ordering::Less) => {
                        format!("{said}; pays all it owes ({owed}) and {} more as credit", amount - owed)
                    }
                    (false, std::cmp::Ordering::Equal) => format!("{said}; amount equal to all it owes"),
                    (false, std::cmp::Ordering::Greater) => {
                        format!("{said}; {amount} of the {owed} it owes, oldest first")
                    }
                },
            });
        } else {
            for hit in &named {
                let payer = &self.payers[hit.payer];
                let open = self.open_of(payer.payer_id);
                let equal = open.iter().any(|i| i.outstanding == amount);
                suggestions.push(Candidate {
                    payer_id: payer.payer_id,
                    allocations: Self::spread(&open, amount),
                    score: if equal { 50 } else { 35 },
                    reason: format!(
                        "the text could name {} (one of {} payers it could name){}",
                        payer.name,
                        named.len(),
                        if equal { "; amount equal to one of its invoices" } else { "" }
                    ),
                });
            }
        }
        if suggestions.is_empty()
            && let Some(list) = self.by_amount.get(&amount)
        {
            for i in list.iter().map(|i| &self.items[*i]).filter(|i| i.outstanding == amount).take(3) {
                suggestions.push(Candidate {
                        payer_id: i.payer_id,
                        allocations: vec![(i.invoice_id, amount)],
                        score: 20,
                        reason: format!(
                            "amount equal to {} ({}); nothing else in the text points to it, so check before confirming",
                            i.number,
                            self.payer_name(i.payer_id)
                        ),
                    });
            }
        }
        suggestions.sort_by_key(|c| std::cmp::Reverse(c.score));
        suggestions.truncate(MAX_SUGGESTIONS);
        if suggestions.is_empty() { Outcome::Unmatched } else { Outcome::Suggest(suggestions) }
    }

    fn by_reference(
        &self,
        referenced: &[(&OpenItem, Strength)],
        named: &[NameHit],
        amount: Money,
    ) -> Outcome {
        let open: Vec<&OpenItem> =
            referenced.iter().map(|(i, _)| *i).filter(|i| i.outstanding > Money::ZERO).collect();
        let payers: Vec<i64> = {
            let mut p: Vec<i64> = referenced.iter().map(|(i, _)| i.payer_id).collect();
            p.sort_unstable();
            p.dedup();
            p
        };
        let words = referenced.iter().map(|(i, _)| i.number.as_str()).collect::<Vec<_>>().join(", ");
        let other_payer_named = !named.is_empty()
            && named.iter().filter(|h| h.strong).all(|h| !payers.contains(&self.payers[h.payer].payer_id))
            && named.iter().any(|h| h.strong);
        if payers.len() == 1 {
            let payer_id = payers[0];
            let owed: Money = open.iter().map(|i| i.outstanding).sum();
            let all_open = open.len() == referenced.len();
            if all_open && owed == amount && !other_payer_named {
                let reason = if open.len() == 1 {
                    format!("reference {} = invoice {}; amount equal", open[0].number, open[0].number)
                } else {
                    format!("references to {words}; their amounts owed add up to the line")
                };
                return Outcome::Auto(Candidate {
                    payer_id,
                    allocations: Self::spread(&open, amount),
                    score: 100,
                    reason,
                });
            }
            let name = self.payer_name(payer_id);
            let reason = if open.is_empty() {
                format!(
                    "reference to {words} ({name}), already paid: a duplicate payment? Keep it as {name}'s credit or refund it"
                )
            } else if other_payer_named {
                format!("reference to {words} ({name}), but the text names another payer: check who paid")
            } else if owed > amount {
                format!("reference to {words} ({name}); a part payment: {amount} of {owed} owed")
            } else {
                format!("reference to {words} ({name}); {} more than owed, kept as credit", amount - owed)
            };
            let mut out = vec![Candidate {
                payer_id,
                allocations: Self::spread(&open, amount),
                score: if other_payer_named { 50 } else { 80 },
                reason,
            }];
            if other_payer_named {
                // A mistyped number: the payer the text names comes first.
                for hit in named.iter().filter(|h| h.strong) {
                    let payer = &self.payers[hit.payer];
                    let theirs = self.open_of(payer.payer_id);
                    let equal = theirs.iter().find(|i| i.outstanding == amount);
                    out.push(Candidate {
                        payer_id: payer.payer_id,
                        allocations: match equal {
                            Some(i) => vec![(i.invoice_id, amount)],
                            None => Self::spread(&theirs, amount),
                        },
                        score: if equal.is_some() { 75 } else { 55 },
                        reason: format!(
                            "the text names {}{}; the invoice number quoted is another payer's",
                            payer.name,
                            equal
                                .map(|i| format!(", and {} is for this amount", i.number))
                                .unwrap_or_default()
                        ),
                    });
                }
                out.sort_by_key(|c| std::cmp::Reverse(c.score));
                out.truncate(MAX_SUGGESTIONS);
            }
            return Outcome::Suggest(out);
        }
        // Invoices of several payers in one line: one suggestion per payer.
        let mut out: Vec<Candidate> = payers
            .iter()
            .map(|p| {
                let mine: Vec<&OpenItem> = open.iter().copied().filter(|i| i.payer_id == *p).collect();
                Candidate {
                    payer_id: *p,
                    allocations: Self::spread(&mine, amount),
                    score: 60,
                    reason: format!(
                        "reference to {} ({}); the line also quotes other payers' invoices",
                        money_list(&mine),
                        self.payer_name(*p)
                    ),
                }
            })
            .collect();
        out.truncate(MAX_SUGGESTIONS);
        Outcome::Suggest(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, payer: i64, pence: i64) -> OpenItem {
        OpenItem {
            invoice_id: id,
            sequence: id as u64,
            number: format!("RH-{id:06}"),
            payer_id: payer,
            outstanding: Money::from_pence(pence),
            due: NaiveDate::from_ymd_opt(2026, 10, 1),
        }
    }

    fn payer(id: i64, name: &str) -> PayerName {
        PayerName {
            payer_id: id,
            name: name.into(),
            aliases: vec![],
            codes: vec![format!("{}", 990000 + id)],
        }
    }

    fn matcher() -> Matcher {
        Matcher::new(
            "RH-",
            vec![
                item(1, 1, 120_000),
                item(10, 2, 50_000),
                item(11, 2, 70_000),
                item(123, 3, 99_900),
                item(124, 3, 99_900),
                item(200, 4, 5_000),
            ],
            vec![
                payer(1, "Acorn Primary School"),
                payer(2, "Northgate Learning Trust"),
                payer(3, "Beech Academy"),
                payer(4, "St Mary's Primary School"),
            ],
        )
    }

    fn auto(o: &Outcome) -> &Candidate {
        match o {
            Outcome::Auto(c) => c,
            other => panic!("expected an automatic match, got {other:?}"),
        }
    }

    #[test]
    fn a_reference_with_the_amount_owed_matches() {
        let mut m = matcher();
        let c = auto(&m.match_line("RH000001", Money::from_pence(120_000))).clone();
        assert_eq!(c.allocations, vec![(1, Money::from_pence(120_000))]);
        assert_eq!(c.reason, "reference RH-000001 = invoice RH-000001; amount equal");
        // The same payment again finds the invoice paid: a suggestion, never a second match.
        match m.match_line("RH000001", Money::from_pence(120_000)) {
            Outcome::Suggest(s) => assert!(s[0].reason.contains("already paid"), "{s:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn never_one_inside_ten() {
        let mut m = matcher();
        let c = auto(&m.match_line("INV RH-10", Money::from_pence(50_000))).clone();
        assert_eq!(c.allocations, vec![(10, Money::from_pence(50_000))]);
    }

    #[test]
    fn several_invoices_in_one_line() {
        let mut m = matcher();
        let c = auto(&m.match_line("RH-000123 RH-000124", Money::from_pence(199_800))).clone();
        assert_eq!(c.allocations.len(), 2);
    }

    #[test]
    fn part_and_over_payments_are_suggested() {
        let mut m = matcher();
        match m.match_line("RH000010", Money::from_pence(10_000)) {
            Outcome::Suggest(s) => {
                assert!(s[0].reason.contains("a part payment: £100.00 of £500.00 owed"), "{s:?}")
            }
            other => panic!("{other:?}"),
        }
        match m.match_line("RH000010", Money::from_pence(60_000)) {
            Outcome::Suggest(s) => assert!(s[0].reason.contains("£100.00 more than owed"), "{s:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_truncated_name_with_all_it_owes_matches() {
        let mut m = matcher();
        let c = auto(&m.match_line("NORTHGATE LEARNING", Money::from_pence(120_000))).clone();
        assert_eq!(c.payer_id, 2);
        assert_eq!(c.allocations.len(), 2);
        // Cut short to 18 characters and a part amount: a suggestion for that payer only.
        match m.match_line("NORTHGATE LEARNIN", Money::from_pence(1_000)) {
            Outcome::Suggest(s) => assert_eq!(s[0].payer_id, 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn amount_alone_never_matches() {
        let mut m = matcher();
        match m.match_line("BGC 88219", Money::from_pence(5_000)) {
            Outcome::Suggest(s) => {
                assert_eq!(s[0].allocations, vec![(200, Money::from_pence(5_000))]);
                assert!(s[0].reason.contains("check before confirming"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(m.match_line("INTEREST", Money::from_pence(123)), Outcome::Unmatched);
    }

    #[test]
    fn a_urn_names_the_school() {
        let mut m = matcher();
        let c = auto(&m.match_line("990001 MEMBERSHIP", Money::from_pence(120_000))).clone();
        assert_eq!(c.payer_id, 1);
    }

    #[test]
    fn a_reference_to_another_payers_invoice_is_only_suggested() {
        let mut m = matcher();
        match m.match_line("ACORN PRIMARY SCHOOL RH000200", Money::from_pence(5_000)) {
            Outcome::Suggest(s) => {
                assert_eq!(s[0].payer_id, 1, "the named payer comes first: {s:?}");
                assert!(s.iter().any(|c| c.reason.contains("names another payer")), "{s:?}");
            }
            other => panic!("{other:?}"),
        }
    }
}
