//! Literal values: string escapes, durations, numbers and timestamps, each checked
//! with its own diagnostic code.

use super::Span;
use crate::diagnostic::{Code, Diagnostic};

/// Resolve `\"`, `\\`, `\n` and `\t` in a string literal's body; any other escaped
/// character stands for itself.
pub(crate) fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Why a duration literal is wrong.
pub(crate) struct DurationProblem {
    message: String,
}

impl DurationProblem {
    /// What is wrong, in one line.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// The diagnostic for this problem at `span`.
    pub(crate) fn diagnostic(&self, span: Span) -> Diagnostic {
        Diagnostic::new(Code::InvalidDuration, self.message.clone())
            .with_label(span, "this duration")
            .with_help("a duration is a number and a unit: `s` seconds, `m` minutes, `h` hours, `d` days, `w` weeks; parts may be combined, as in `1h30m` or `1.5h`")
    }
}

/// Seconds in one unit of a duration.
fn unit_seconds(unit: &str) -> Option<f64> {
    Some(match unit {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => return None,
    })
}

/// The length of a duration literal such as `1h30m` or `1.5h`, in whole seconds.
pub(crate) fn duration_seconds(text: &str) -> Result<u64, DurationProblem> {
    let mut total = 0.0_f64;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let unit_len = rest[digits..]
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len() - digits);
        let (number, unit) = (&rest[..digits], &rest[digits..digits + unit_len]);
        let value: f64 = number.parse().map_err(|_| DurationProblem {
            message: format!("`{text}` is not a duration"),
        })?;
        let Some(scale) = unit_seconds(unit) else {
            let message = if unit.is_empty() {
                format!("`{text}` has a number without a unit")
            } else {
                format!("unknown duration unit `{unit}` in `{text}`")
            };
            return Err(DurationProblem { message });
        };
        total += value * scale;
        rest = &rest[digits + unit_len..];
    }
    // About 300 million years: anything longer is a typo, and must not overflow.
    if !total.is_finite() || total > 1e16 {
        return Err(DurationProblem {
            message: format!("duration `{text}` is too long"),
        });
    }
    Ok(total.round() as u64)
}

/// The value of a number literal such as `50_000` or `2.5`.
pub(crate) fn number(text: &str) -> Result<f64, Diagnostic> {
    let cleaned: String = text.chars().filter(|c| *c != '_').collect();
    match cleaned.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() < 1e15 => Ok(v),
        _ => Err(Diagnostic::new(
            Code::InvalidNumber,
            format!("`{text}` is not a usable number"),
        )
        .with_help(
            "numbers are written like `4`, `50_000` or `2.5`, and must be below 10^15 in size",
        )),
    }
}

/// The instant a timestamp literal names. A date alone is midnight UTC; a time
/// without an offset is UTC.
pub(crate) fn timestamp(text: &str) -> Result<jiff::Timestamp, Diagnostic> {
    let invalid = || {
        Diagnostic::new(Code::InvalidTimestamp, format!("`{text}` is not a valid timestamp")).with_help(
            "write an RFC 3339 time such as `2026-03-01T10:00Z`, `2026-03-01T10:00:00+01:00`, or a date `2026-03-01` (midnight UTC)",
        )
    };
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts);
    }
    let civil = text
        .parse::<jiff::civil::DateTime>()
        .map_err(|_| invalid())?;
    if text.len() > 10 && (text.ends_with('Z') || text[10..].contains(['+', '-'])) {
        // It had an offset jiff's Timestamp parser refused (e.g. `+0100` without colon).
        return Err(invalid());
    }
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_seconds("30s").ok(), Some(30));
        assert_eq!(duration_seconds("1h30m").ok(), Some(5400));
        assert_eq!(duration_seconds("1.5h").ok(), Some(5400));
        assert_eq!(duration_seconds("2w").ok(), Some(1_209_600));
        assert!(duration_seconds("5y").is_err());
        assert!(duration_seconds("5days").is_err());
        assert!(duration_seconds("99999999999999999999w").is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(number("50_000").ok(), Some(50_000.0));
        assert_eq!(number("-2.5").ok(), Some(-2.5));
        assert!(number("1".repeat(40).as_str()).is_err());
    }

    #[test]
    fn timestamps() {
        let utc = |s: &str| timestamp(s).map(|t| t.to_string()).ok();
        assert_eq!(
            utc("2026-03-01T10:00Z").as_deref(),
            Some("2026-03-01T10:00:00Z")
        );
        assert_eq!(
            utc("2026-03-01T10:00:00+01:00").as_deref(),
            Some("2026-03-01T09:00:00Z")
        );
        assert_eq!(utc("2026-03-01").as_deref(), Some("2026-03-01T00:00:00Z"));
        assert_eq!(
            utc("2026-03-01T10:00").as_deref(),
            Some("2026-03-01T10:00:00Z")
        );
        assert!(timestamp("2026-13-01").is_err());
    }
}
