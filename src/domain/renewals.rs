//! The renewal round as rules: the states of a school's answer, reading an answer as typed, and
//! which pupil number the school's answer records.

use super::pupils::parse_pupils;
use super::text;

/// The longest PO number a school may give (as on the payers page).
pub const MAX_PO_CHARS: usize = 60;
/// The longest comment a school may leave with its answer.
pub const MAX_COMMENT_CHARS: usize = 1_000;
/// The longest note finance may put in the invitation.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// Where a school's answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerState {
    /// Invited; no answer yet.
    Waiting,
    /// Renewing (or joining) at a level.
    Accepted,
    /// Not renewing.
    Declined,
}

impl AnswerState {
    pub const ALL: [AnswerState; 3] = [AnswerState::Waiting, AnswerState::Accepted, AnswerState::Declined];

    pub fn as_str(self) -> &'static str {
        match self {
            AnswerState::Waiting => "waiting",
            AnswerState::Accepted => "accepted",
            AnswerState::Declined => "declined",
        }
    }

    pub fn parse(text: &str) -> Option<AnswerState> {
        AnswerState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            AnswerState::Waiting => "Not answered",
            AnswerState::Accepted => "Renewing",
            AnswerState::Declined => "Not renewing",
        }
    }
}

super::unknown_name::from_str_by_parse!(AnswerState, "renewal answer state");

/// An answer as typed on the portal or sent to the API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypedAnswer {
    /// "renew" or "decline".
    pub choice: String,
    /// The level's name (when renewing).
    pub level: String,
    pub pupils: String,
    pub po_number: String,
    pub comment: String,
}

/// An answer as the round keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Renew { level: String, pupils: i32, po_number: Option<String>, comment: Option<String> },
    Decline { comment: Option<String> },
}

/// Reads an answer against the offer's level names: every problem is named with its field.
pub fn read_answer(typed: &TypedAnswer, levels: &[&str]) -> Result<Answer, Vec<(&'static str, String)>> {
    let mut problems = Vec::new();
    let comment = text::optional(&typed.comment, MAX_COMMENT_CHARS)
        .map_err(|e| problems.push(("comment", format!("Comment: {e}"))))
        .ok()
        .flatten();
    match typed.choice.trim() {
        "renew" => {
            let level = levels.iter().find(|l| l.eq_ignore_ascii_case(typed.level.trim()));
            if level.is_none() {
                problems.push((
                    "level",
                    if typed.level.trim().is_empty() {
                        format!("Choose a level ({})", levels.join(", "))
                    } else {
                        format!(
                            "\"{}\" is not a level of the offer ({})",
                            typed.level.trim(),
                            levels.join(", ")
                        )
                    },
                ));
            }
            let pupils = if typed.pupils.trim().is_empty() {
                problems.push(("pupils", "Enter the number of pupils on roll, like 210".to_string()));
                None
            } else {
                parse_pupils(&typed.pupils)
                    .map_err(|e| problems.push(("pupils", format!("Number of pupils: {e}"))))
                    .ok()
            };
            let po_number = text::optional(&typed.po_number, MAX_PO_CHARS)
                .map_err(|e| problems.push(("po_number", format!("PO number: {e}"))))
                .ok()
                .flatten();
            match (level, pupils, problems.is_empty()) {
                (Some(level), Some(pupils), true) => {
                    Ok(Answer::Renew { level: (*level).to_string(), pupils, po_number, comment })
                }
                _ => Err(problems),
            }
        }
        "decline" if problems.is_empty() => Ok(Answer::Decline { comment }),
        "decline" => Err(problems),
        _ => {
            problems
                .insert(0, ("choice", "Choose whether the school will be a member next year".to_string()));
            Err(problems)
        }
    }
}

/// The pupil number to record for the school when its answer becomes a membership: the figure it
/// gave, unless the register already says the same.
pub fn pupils_to_record(given: i32, register: Option<i32>) -> Option<i32> {
    (register != Some(given)).then_some(given)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn typed(choice: &str, level: &str, pupils: &str, po: &str) -> TypedAnswer {
        TypedAnswer {
            choice: choice.into(),
            level: level.into(),
            pupils: pupils.into(),
            po_number: po.into(),
            comment: String::new(),
        }
    }

    const LEVELS: [&str; 2] = ["Core", "Enhanced"];

    #[test]
    fn a_renewal_names_its_level_as_the_offer_spells_it() {
        assert_eq!(
            read_answer(&typed("renew", " enhanced ", "212", "PO-77"), &LEVELS),
            Ok(Answer::Renew {
                level: "Enhanced".into(),
                pupils: 212,
                po_number: Some("PO-77".into()),
                comment: None
            })
        );
        assert_eq!(
            read_answer(&typed("renew", "Core", "0", ""), &LEVELS),
            Ok(Answer::Renew { level: "Core".into(), pupils: 0, po_number: None, comment: None })
        );
    }

    #[test]
    fn every_problem_is_named_with_its_field() {
        let problems = read_answer(&typed("renew", "Gold", "lots", &"P".repeat(61)), &LEVELS).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["level", "pupils", "po_number"]);
        assert!(problems[0].1.contains("\"Gold\" is not a level of the offer (Core, Enhanced)"));
        assert!(problems[1].1.contains("\"lots\" is not a whole number"));
        let missing = read_answer(&typed("renew", "", "", ""), &LEVELS).unwrap_err();
        assert_eq!(missing[0].1, "Choose a level (Core, Enhanced)");
        assert_eq!(missing[1].1, "Enter the number of pupils on roll, like 210");
        let no_choice = read_answer(&typed("", "", "", ""), &LEVELS).unwrap_err();
        assert_eq!(no_choice[0].0, "choice");
    }

    #[test]
    fn a_school_may_decline_with_a_comment() {
        let mut t = typed("decline", "", "", "");
        t.comment = "Joining the trust's own programme".into();
        assert_eq!(
            read_answer(&t, &LEVELS),
            Ok(Answer::Decline { comment: Some("Joining the trust's own programme".into()) })
        );
        t.comment = "x".repeat(MAX_COMMENT_CHARS + 1);
        assert_eq!(read_answer(&t, &LEVELS).unwrap_err()[0].0, "comment");
    }

    #[test]
    fn only_a_figure_the_register_lacks_is_recorded() {
        assert_eq!(pupils_to_record(210, Some(210)), None);
        assert_eq!(pupils_to_record(212, Some(210)), Some(212));
        assert_eq!(pupils_to_record(212, None), Some(212));
    }

    proptest! {
        #[test]
        fn any_whole_number_of_pupils_in_range_is_read_back(n in 0i32..=crate::domain::pupils::MAX_PUPILS) {
            let answer = read_answer(&typed("renew", "core", &n.to_string(), ""), &LEVELS);
            prop_assert_eq!(answer, Ok(Answer::Renew { level: "Core".into(), pupils: n, po_number: None, comment: None }));
        }

        #[test]
        fn reading_never_panics(choice in ".{0,10}", level in ".{0,20}", pupils in ".{0,12}", po in ".{0,80}") {
            let _ = read_answer(&typed(&choice, &level, &pupils, &po), &LEVELS);
        }
    }
}
