//! The command line's say over warnings: `--allow CODE` silences a warning,
//! `--deny CODE` makes it an error, `--deny warnings` makes every warning one.
//! Applied after the policy's own `# cxl: allow(...)` comments.

use super::{Code, Diagnostic, Level};
use std::collections::BTreeSet;

/// Which warnings are silenced and which count as errors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Levels {
    allow: BTreeSet<Code>,
    deny: BTreeSet<Code>,
    deny_warnings: bool,
}

/// Why a `--allow` or `--deny` cannot be followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LevelsError {
    /// Not a diagnostic code (nor `warnings`, for `--deny`).
    #[error("`{0}` is not a diagnostic code")]
    Unknown(String),
    /// An error's code: errors are errors already, and cannot be allowed.
    #[error("`{0}` is an error: only warnings can be allowed or denied")]
    NotAWarning(Code),
    /// The same code both allowed and denied.
    #[error("`{0}` is both allowed and denied")]
    Both(Code),
}

impl Levels {
    /// From the codes given to `--allow` and `--deny` (where `warnings` means
    /// every warning). A code allowed is allowed even under `--deny warnings`.
    pub fn new<'a>(
        allow: impl IntoIterator<Item = &'a str>,
        deny: impl IntoIterator<Item = &'a str>,
    ) -> Result<Levels, LevelsError> {
        let mut levels = Levels::default();
        for text in allow {
            levels.allow.insert(warning(text)?);
        }
        for text in deny {
            if text == "warnings" {
                levels.deny_warnings = true;
                continue;
            }
            let code = warning(text)?;
            if levels.allow.contains(&code) {
                return Err(LevelsError::Both(code));
            }
            levels.deny.insert(code);
        }
        Ok(levels)
    }

    /// The diagnostics with allowed warnings dropped and denied ones made errors.
    pub fn apply(&self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        diagnostics
            .into_iter()
            .filter(|d| !self.allow.contains(&d.code))
            .map(|mut d| {
                if d.level == Level::Warning && (self.deny_warnings || self.deny.contains(&d.code))
                {
                    d.level = Level::Error;
                }
                d
            })
            .collect()
    }
}

/// The warning's code written as `text`.
fn warning(text: &str) -> Result<Code, LevelsError> {
    let code = Code::parse(text).ok_or_else(|| LevelsError::Unknown(text.to_string()))?;
    match code.level() {
        Level::Warning => Ok(code),
        Level::Error => Err(LevelsError::NotAWarning(code)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostics() -> Vec<Diagnostic> {
        vec![
            Diagnostic::new(Code::StepNotInPath, "a"),
            Diagnostic::new(Code::UnusedSegment, "b"),
            Diagnostic::new(Code::UnknownStep, "c"),
        ]
    }

    fn levels(d: &[Diagnostic]) -> Vec<(&str, Level)> {
        d.iter().map(|d| (d.code.as_str(), d.level)).collect()
    }

    #[test]
    fn allow_drops_a_warning_and_deny_makes_one_an_error() {
        let l = Levels::new(["W0409"], ["W0401"]).expect("valid");
        let out = l.apply(diagnostics());
        assert_eq!(
            levels(&out),
            [("W0401", Level::Error), ("E0203", Level::Error)]
        );
        let l = Levels::new(["W0409"], ["warnings"]).expect("valid");
        let out = l.apply(diagnostics());
        assert_eq!(
            levels(&out),
            [("W0401", Level::Error), ("E0203", Level::Error)],
            "an allowed warning stays silent under --deny warnings"
        );
    }

    #[test]
    fn only_known_warnings_can_be_named() {
        assert_eq!(
            Levels::new(["W9999"], []),
            Err(LevelsError::Unknown("W9999".into()))
        );
        assert_eq!(
            Levels::new([], ["E0203"]),
            Err(LevelsError::NotAWarning(Code::UnknownStep))
        );
        assert_eq!(
            Levels::new(["W0401"], ["W0401"]),
            Err(LevelsError::Both(Code::StepNotInPath))
        );
        assert_eq!(
            Levels::new([], ["warnings"]).map(|l| l.deny_warnings),
            Ok(true)
        );
    }
}
