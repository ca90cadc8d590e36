//! A level's preview: what each school would pay under the proposed rule against today's, with
//! the totals and how many pay more, less or the same; the biggest changes listed first.

use crate::domain::money::Money;
use crate::services::offers::{self, Comparison};

/// One school in the preview.
pub(super) struct PreviewRow {
    pub(super) school: String,
    pub(super) phase: &'static str,
    pub(super) pupils: String,
    pub(super) today: String,
    pub(super) proposed: String,
    pub(super) change: String,
    pub(super) working: String,
}

/// The preview of a rule against today's.
pub(super) struct PreviewView {
    pub(super) who: String,
    pub(super) today_is: String,
    pub(super) summary: Vec<(&'static str, String)>,
    pub(super) shown: String,
    pub(super) rows: Vec<PreviewRow>,
}

/// How many schools the preview lists (the biggest changes first).
const PREVIEW_ROWS: usize = 100;

fn change_text(today: Option<Money>, proposed: Option<Money>) -> String {
    match (today, proposed) {
        (Some(t), Some(p)) if p > t => format!("{} more", p - t),
        (Some(t), Some(p)) if p < t => format!("{} less", t - p),
        (Some(_), Some(_)) => "No change".into(),
        _ => "Not compared".into(),
    }
}

pub(super) fn preview_view(c: Comparison) -> PreviewView {
    let s = c.summary;
    let mut summary = vec![("Schools priced", s.schools.to_string())];
    if c.today_is.is_some() {
        summary.push(("A year under today's rule", s.today.to_string()));
    }
    summary.push(("A year under this rule", s.proposed.to_string()));
    if c.today_is.is_some() {
        let d = s.difference();
        summary.push((
            "Difference",
            if d < Money::ZERO { format!("{} less", Money::ZERO - d) } else { format!("{d} more") },
        ));
        summary.push(("Would pay more", s.more.to_string()));
        summary.push(("Would pay less", s.less.to_string()));
        summary.push(("Would pay the same", s.same.to_string()));
    }
    summary.push(("Not priced by one of the rules", s.not_compared.to_string()));
    let mut rows = c.rows;
    if c.today_is.is_some() {
        let size = |r: &offers::FeeChange| match (r.today, r.proposed) {
            (Some(t), Some(p)) => (p - t).amount().abs(),
            _ => rust_decimal::Decimal::MAX,
        };
        rows.sort_by_key(|r| std::cmp::Reverse(size(r)));
    }
    let total = rows.len();
    rows.truncate(PREVIEW_ROWS);
    PreviewView {
        who: c.who,
        today_is: c.today_is.unwrap_or_else(|| "nothing: there is no rule to compare with".into()),
        summary,
        shown: if total > PREVIEW_ROWS {
            format!("The {PREVIEW_ROWS} schools whose fee changes most, of {total}")
        } else {
            format!("All {total} schools")
        },
        rows: rows
            .into_iter()
            .map(|r| PreviewRow {
                school: format!("{} ({})", r.name, r.urn),
                phase: r.billing_phase.label(),
                pupils: r.pupils.map_or("Not known".into(), |p| p.to_string()),
                today: r.today.map_or("Not charged".into(), |m| m.to_string()),
                proposed: r.proposed.map_or("Not charged".into(), |m| m.to_string()),
                change: change_text(r.today, r.proposed),
                working: r.working,
            })
            .collect(),
    }
}
