//! A realistic statement, generated, to measure matching: open invoices of a few hundred
//! payers, and credit lines written the way payers write them (references cut to 18
//! characters and mangled, names only, several invoices in one payment, part and over
//! payments, duplicates, mistyped numbers, and income that is no invoice's). Each line knows
//! its true answer, so precision and recall can be counted.

use super::matching::{Matcher, OpenItem, Outcome, PayerName};
use super::reference::bacs_normalise;
use crate::domain::money::Money;
use chrono::NaiveDate;
use std::collections::HashMap;

/// A small, seeded generator (xorshift), so every run builds the same statement.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[self.below(list.len() as u64) as usize]
    }
}

/// What a line truly is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    /// Pays these invoices of this payer (in full, in part or with more as credit).
    Pays { payer_id: i64, invoices: Vec<i64>, exact: bool },
    /// A second payment of invoices already paid: the payer's credit.
    Duplicate { payer_id: i64 },
    /// Not a payer's money at all (interest, a grant).
    Unrelated,
}

/// One generated credit line.
#[derive(Debug, Clone)]
pub struct Line {
    pub text: String,
    pub amount: Money,
    pub truth: Truth,
}

/// A generated statement and the books it is matched against.
pub struct Synthetic {
    pub items: Vec<OpenItem>,
    pub payers: Vec<PayerName>,
    pub lines: Vec<Line>,
}

const FIRST: [&str; 24] = [
    "Acorn", "Beech", "Cedar", "Elm", "Hazel", "Holly", "Oak", "Rowan", "Willow", "Ash", "Birch", "Maple",
    "Larch", "Alder", "Hawthorn", "Juniper", "Laurel", "Poplar", "Yew", "Aspen", "Chestnut", "Linden",
    "Sycamore", "Spruce",
];
const SECOND: [&str; 15] = [
    "Park", "Hill", "Field", "Grove", "Vale", "Bank", "Lane", "Green", "Meadow", "Brook", "Wood", "Cross",
    "Mill", "Ridge", "Gate",
];
const KIND: [&str; 6] =
    ["Primary School", "Academy", "Infant School", "Junior School", "CE Primary School", "Community College"];

fn cut(text: &str, n: usize) -> String {
    text.chars().take(n).collect::<String>().trim().to_string()
}

/// Builds a statement of `lines` credit lines against `invoices` open invoices of `payers`
/// payers (the last tenth trusts, the rest schools with URNs).
pub fn generate(seed: u64, lines: usize, invoices: usize, payers: usize) -> Synthetic {
    let mut rng = Rng(seed.max(1));
    let mut payer_names = Vec::new();
    for p in 0..payers {
        let id = p as i64 + 1;
        let first = FIRST[p % FIRST.len()];
        let second = SECOND[(p / FIRST.len()) % SECOND.len()];
        let trust = p >= payers * 9 / 10;
        let name = if trust {
            format!("{first} {second} Learning Trust")
        } else {
            format!("{first} {second} {}", KIND[(p / (FIRST.len() * SECOND.len())) % KIND.len()])
        };
        let codes = if trust { vec![] } else { vec![format!("{}", 100_000 + id)] };
        payer_names.push(PayerName { payer_id: id, name, aliases: vec![], codes });
    }
    let mut items = Vec::with_capacity(invoices);
    for i in 0..invoices {
        let payer_id = rng.below(payers as u64) as i64 + 1;
        // Termly instalments repeat amounts; some payers owe several invoices of one amount.
        let pence = if rng.below(3) == 0 { 150_000 } else { 10_000 + rng.below(600_000) as i64 };
        let sequence = i as u64 + 1;
        items.push(OpenItem {
            invoice_id: sequence as i64,
            sequence,
            number: format!("RH-{sequence:06}"),
            payer_id,
            outstanding: Money::from_pence(pence),
            due: NaiveDate::from_ymd_opt(2026, 1 + (i % 12) as u32, 1),
        });
    }
    let mut left: Vec<Money> = items.iter().map(|i| i.outstanding).collect();
    let mut by_payer: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        by_payer.entry(item.payer_id).or_default().push(i);
    }
    let name_of = |id: i64| payer_names[(id - 1) as usize].name.to_uppercase();
    let mut out: Vec<Line> = Vec::with_capacity(lines);
    let mut paid: Vec<usize> = Vec::new();
    let reference = |rng: &mut Rng, seq: u64| -> String {
        match rng.below(7) {
            0 => format!("RH{seq:06}"),
            1 => format!("RH-{seq:06}"),
            2 => format!("INV RH-{seq}"),
            3 => format!("RH {seq}"),
            4 => format!("rh{seq:06} membership"),
            5 => format!("INVOICE {seq:06}"),
            _ => format!("RH-{seq:06} THANK YOU"),
        }
    };
    while out.len() < lines {
        let kind = rng.below(1000);
        // An invoice nobody has paid yet.
        let mut fresh = || loop {
            let i = rng.below(items.len() as u64) as usize;
            if left[i] == items[i].outstanding && !paid.contains(&i) {
                return i;
            }
        };
        let line = if kind < 760 {
            let i = fresh();
            paid.push(i);
            left[i] = Money::ZERO;
            let item = &items[i];
            let payer = name_of(item.payer_id);
            let r = reference(&mut rng, item.sequence);
            let text = if rng.below(2) == 0 {
                format!("{} {}", cut(&payer, 18), cut(&bacs_normalise(&r), 18))
            } else {
                cut(&bacs_normalise(&r), 18)
            };
            Line {
                text,
                amount: item.outstanding,
                truth: Truth::Pays { payer_id: item.payer_id, invoices: vec![item.invoice_id], exact: true },
            }
        } else if kind < 840 {
            // Two invoices of one payer in one payment.
            let i = fresh();
            let payer_id = items[i].payer_id;
            let Some(&j) = by_payer[&payer_id]
                .iter()
                .find(|j| **j != i && left[**j] == items[**j].outstanding && !paid.contains(j))
            else {
                continue;
            };
            paid.extend([i, j]);
            left[i] = Money::ZERO;
            left[j] = Money::ZERO;
            let text = cut(&format!("RH{:06} RH{:06}", items[i].sequence, items[j].sequence), 18);
            Line {
                text,
                amount: items[i].outstanding + items[j].outstanding,
                truth: Truth::Pays {
                    payer_id,
                    invoices: vec![items[i].invoice_id, items[j].invoice_id],
                    exact: true,
                },
            }
        } else if kind < 920 {
            // The payer's account name only, paying one invoice whose amount is unique to it.
            let i = fresh();
            let payer_id = items[i].payer_id;
            let unique =
                by_payer[&payer_id].iter().filter(|j| left[**j] == items[i].outstanding).count() == 1;
            if !unique {
                continue;
            }
            paid.push(i);
            left[i] = Money::ZERO;
            let name = name_of(payer_id);
            let text = if rng.below(2) == 0 { cut(&name, 18) } else { format!("{} BGC", cut(&name, 18)) };
            Line {
                text,
                amount: items[i].outstanding,
                truth: Truth::Pays { payer_id, invoices: vec![items[i].invoice_id], exact: true },
            }
        } else if kind < 940 {
            // A part payment.
            let i = fresh();
            let part = Money::from_pence((items[i].outstanding.to_pence().unwrap_or(0) / 2).max(1));
            left[i] = left[i] - part;
            paid.push(i);
            let text = cut(&bacs_normalise(&reference(&mut rng, items[i].sequence)), 18);
            Line {
                text,
                amount: part,
                truth: Truth::Pays {
                    payer_id: items[i].payer_id,
                    invoices: vec![items[i].invoice_id],
                    exact: false,
                },
            }
        } else if kind < 960 {
            // An over-payment.
            let i = fresh();
            paid.push(i);
            left[i] = Money::ZERO;
            let text = cut(&bacs_normalise(&reference(&mut rng, items[i].sequence)), 18);
            Line {
                text,
                amount: items[i].outstanding + Money::from_pence(2_500),
                truth: Truth::Pays {
                    payer_id: items[i].payer_id,
                    invoices: vec![items[i].invoice_id],
                    exact: false,
                },
            }
        } else if kind < 975 {
            // The same payment twice.
            let Some(previous) = out
                .iter()
                .rev()
                .find(
                    |l| matches!(&l.truth, Truth::Pays { invoices, exact: true, .. } if invoices.len() == 1),
                )
                .cloned()
            else {
                continue;
            };
            let Truth::Pays { payer_id, .. } = previous.truth else { continue };
            Line { text: previous.text, amount: previous.amount, truth: Truth::Duplicate { payer_id } }
        } else if kind < 995 {
            let (text, pence) = *rng.pick(&[
                ("INTEREST", 1_234),
                ("HMRC VAT REPAYMENT", 88_210),
                ("DFE SSIF GRANT", 2_500_000),
                ("TFR FROM DEPOSIT", 1_000_000),
            ]);
            Line {
                text: text.to_string(),
                amount: Money::from_pence(pence + rng.below(100) as i64),
                truth: Truth::Unrelated,
            }
        } else {
            // A mistyped invoice number, with the payer's name.
            let i = fresh();
            paid.push(i);
            left[i] = Money::ZERO;
            let wrong = (items[i].sequence % items.len() as u64) + 1;
            let unique =
                by_payer[&items[i].payer_id].iter().filter(|j| left[**j] == items[i].outstanding).count()
                    <= 1;
            if !unique || items[(wrong - 1) as usize].payer_id == items[i].payer_id {
                continue;
            }
            let text = format!("{} RH{wrong:06}", cut(&name_of(items[i].payer_id), 18));
            Line {
                text,
                amount: items[i].outstanding,
                truth: Truth::Pays {
                    payer_id: items[i].payer_id,
                    invoices: vec![items[i].invoice_id],
                    exact: true,
                },
            }
        };
        out.push(line);
    }
    Synthetic { items, payers: payer_names, lines: out }
}

/// How well matching did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accuracy {
    pub lines: usize,
    pub auto: usize,
    pub wrong_auto: usize,
    pub not_auto: usize,
    /// Of the lines not matched automatically: the top suggestion was right (or, for income
    /// that is no invoice's, there was none).
    pub top_right: usize,
    /// The lines whose top suggestion was wrong, for reading.
    pub misses: Vec<String>,
}

impl Accuracy {
    pub fn auto_share(&self) -> f64 {
        self.auto as f64 / self.lines.max(1) as f64
    }
    pub fn top_share(&self) -> f64 {
        self.top_right as f64 / self.not_auto.max(1) as f64
    }
}

/// Matches every line in order and scores the outcomes against the truth.
pub fn measure(s: &Synthetic) -> Accuracy {
    let mut matcher = Matcher::new("RH-", s.items.clone(), s.payers.clone());
    let mut acc = Accuracy { lines: s.lines.len(), ..Accuracy::default() };
    for line in &s.lines {
        let outcome = matcher.match_line(&line.text, line.amount);
        match (&outcome, &line.truth) {
            (Outcome::Auto(c), Truth::Pays { payer_id, invoices, .. }) => {
                acc.auto += 1;
                let mut got: Vec<i64> = c.allocations.iter().map(|a| a.0).collect();
                got.sort_unstable();
                let mut want = invoices.clone();
                want.sort_unstable();
                if c.payer_id != *payer_id || got != want {
                    acc.wrong_auto += 1;
                    acc.misses.push(format!("WRONG AUTO {:?} {} -> {:?}", line.text, line.amount, c));
                }
            }
            (Outcome::Auto(c), _) => {
                acc.auto += 1;
                acc.wrong_auto += 1;
                acc.misses.push(format!("WRONG AUTO {:?} {} -> {:?}", line.text, line.amount, c));
            }
            (other, truth) => {
                acc.not_auto += 1;
                let right = match (other, truth) {
                    (Outcome::Unmatched, Truth::Unrelated) => true,
                    (Outcome::Suggest(list), Truth::Pays { payer_id, invoices, .. }) => {
                        list[0].payer_id == *payer_id
                            && list[0].allocations.iter().any(|a| invoices.contains(&a.0))
                    }
                    (Outcome::Suggest(list), Truth::Duplicate { payer_id }) => list[0].payer_id == *payer_id,
                    _ => false,
                };
                if right {
                    acc.top_right += 1;
                    // A confirmed suggestion lowers what is owed, as finance confirming it would.
                    if let Outcome::Suggest(list) = other {
                        matcher.apply(&list[0].allocations);
                    }
                } else if acc.misses.len() < 50 {
                    acc.misses
                        .push(format!("MISS {:?} {} {:?} -> {:?}", line.text, line.amount, truth, other));
                }
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The accuracy goals on a tenth of the benchmark's statement (the full size, and its
    /// time, are in `benches/matching.rs` and BENCHMARKS.md).
    #[test]
    fn matching_meets_its_accuracy_goals() {
        let s = generate(7, 1_000, 2_400, 300);
        let acc = measure(&s);
        assert_eq!(acc.wrong_auto, 0, "no wrong automatic match: {:#?}", acc.misses);
        assert!(
            acc.auto_share() >= 0.90,
            "{} of {} matched automatically: {:#?}",
            acc.auto,
            acc.lines,
            acc.misses
        );
        assert!(
            acc.top_share() >= 0.98,
            "{} of {} top suggestions right: {:#?}",
            acc.top_right,
            acc.not_auto,
            acc.misses
        );
    }
}
