//! [`Finding`]: what the evaluator reports, with its kind, level, rule and evidence.

use crate::compile::RuleSource;
use jiff::Timestamp;
use serde::Serialize;
use std::fmt;

/// How serious a finding is. Data-quality notes are `Info`; the rest carry the
/// yellow or red of the rule that produced them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth knowing; never fails a run.
    Info,
    /// At risk, or making customers unhappy.
    Yellow,
    /// Broken, or making customers very unhappy.
    Red,
}

impl From<crate::compile::Severity> for Level {
    fn from(s: crate::compile::Severity) -> Level {
        match s {
            crate::compile::Severity::Yellow => Level::Yellow,
            crate::compile::Severity::Red => Level::Red,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Info => "info",
            Level::Yellow => "yellow",
            Level::Red => "red",
        })
    }
}

/// The three families of findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// The customer left the ideal path.
    OffPath,
    /// The customer is on the path but a touchpoint failed its expectation.
    BrokenStep,
    /// The input itself.
    DataQuality,
}

/// Every kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A step the path does not allow from where the customer is.
    UnexpectedStep,
    /// A deadline passed and the expected step did not happen (a broken step:
    /// see [`FindingKind::category`]).
    Stalled,
    /// No progress for the journey's `abandon after` time.
    Abandoned,
    /// The journey had not finished at the end of input.
    Incomplete,
    /// More occurrences of a step than the path allows.
    TooManyRepeats,
    /// A step happened after its time limit.
    SlaBreach,
    /// A step had not happened by its warning time.
    SlaWarning,
    /// A step used a channel it should not.
    WrongChannel,
    /// A metric below its threshold.
    MetricBelow,
    /// A metric above its threshold.
    MetricAbove,
    /// The customer was asked again for information already given.
    RepeatedAsk,
    /// A step tried more often than allowed.
    TooManyAttempts,
    /// Events whose name matches no step (one finding per name, with a count).
    UnmappedEvent,
    /// An event older than the lateness window allows.
    LateEvent,
    /// The same event twice.
    DuplicateEvent,
    /// A record that could not be read.
    RejectedRecord,
}

impl FindingKind {
    /// The family of this kind.
    ///
    /// `stalled` counts as a broken step, not as leaving the path: the awaited
    /// touchpoint failed its time promise while the customer waited on the path.
    /// (The design sketch listed it under off-path, yet its own example expects a
    /// late acknowledgement to be `broken` and not to trigger `off_path`.)
    pub fn category(self) -> Category {
        use FindingKind::*;
        match self {
            UnexpectedStep | Abandoned | Incomplete | TooManyRepeats => Category::OffPath,
            Stalled | SlaBreach | SlaWarning | WrongChannel | MetricBelow | MetricAbove
            | RepeatedAsk | TooManyAttempts => Category::BrokenStep,
            UnmappedEvent | LateEvent | DuplicateEvent | RejectedRecord => Category::DataQuality,
        }
    }

    /// Every kind, in order.
    pub const ALL: &'static [FindingKind] = &[
        FindingKind::UnexpectedStep,
        FindingKind::Stalled,
        FindingKind::Abandoned,
        FindingKind::Incomplete,
        FindingKind::TooManyRepeats,
        FindingKind::SlaBreach,
        FindingKind::SlaWarning,
        FindingKind::WrongChannel,
        FindingKind::MetricBelow,
        FindingKind::MetricAbove,
        FindingKind::RepeatedAsk,
        FindingKind::TooManyAttempts,
        FindingKind::UnmappedEvent,
        FindingKind::LateEvent,
        FindingKind::DuplicateEvent,
        FindingKind::RejectedRecord,
    ];

    /// What the kind means, in one line (for rule lists such as SARIF's).
    pub fn summary(self) -> &'static str {
        use FindingKind::*;
        match self {
            UnexpectedStep => "a step the path does not allow from where the customer is",
            Stalled => "a deadline passed and the expected step did not happen",
            Abandoned => "no progress for the journey's `abandon after` time",
            Incomplete => "the journey had not finished at the end of input",
            TooManyRepeats => "more occurrences of a step than the path allows",
            SlaBreach => "a step happened after its time limit",
            SlaWarning => "a step had not happened by its warning time",
            WrongChannel => "a step used a channel it should not",
            MetricBelow => "a metric below its threshold",
            MetricAbove => "a metric above its threshold",
            RepeatedAsk => "the customer was asked again for information already given",
            TooManyAttempts => "a step tried more often than allowed",
            UnmappedEvent => "events whose name matches no step",
            LateEvent => "an event older than the lateness window allows",
            DuplicateEvent => "the same event twice",
            RejectedRecord => "a record that could not be read",
        }
    }

    /// The kind as written in policies and output, `sla_breach`.
    pub fn as_str(self) -> &'static str {
        use FindingKind::*;
        match self {
            UnexpectedStep => "unexpected_step",
            Stalled => "stalled",
            Abandoned => "abandoned",
            Incomplete => "incomplete",
            TooManyRepeats => "too_many_repeats",
            SlaBreach => "sla_breach",
            SlaWarning => "sla_warning",
            WrongChannel => "wrong_channel",
            MetricBelow => "metric_below",
            MetricAbove => "metric_above",
            RepeatedAsk => "repeated_ask",
            TooManyAttempts => "too_many_attempts",
            UnmappedEvent => "unmapped_event",
            LateEvent => "late_event",
            DuplicateEvent => "duplicate_event",
            RejectedRecord => "rejected_record",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event that is part of why a finding was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The event's name as logged.
    pub event: String,
    /// When it happened.
    pub time: Timestamp,
    /// The input line (or XES event line) it was read from; 0 when not from a file.
    pub line: u64,
    /// What role it plays: `anchor`, `event`, `first ask`, ...
    pub role: &'static str,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// What kind.
    pub kind: FindingKind,
    /// How serious.
    pub level: Level,
    /// Whose journey (absent for data-quality findings about the input as a whole).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// Which journey.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journey: Option<String>,
    /// Which instance of the journey for this customer (1, 2, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<u32>,
    /// At which step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// When it was decided (event time).
    pub time: Timestamp,
    /// One line for a person.
    pub message: String,
    /// The rule that produced it, with its place in the policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleSource>,
    /// The anchor of a time limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor: Option<Timestamp>,
    /// The deadline of a time limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
    /// How many events it stands for (unmapped names), when more than one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The events that are its evidence.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

impl Finding {
    /// A finding of `kind` at `level` and `time`, with everything else empty.
    pub fn new(kind: FindingKind, level: Level, time: Timestamp, message: String) -> Finding {
        Finding {
            kind,
            level,
            customer: None,
            journey: None,
            instance: None,
            step: None,
            time,
            message,
            rule: None,
            anchor: None,
            deadline: None,
            count: None,
            evidence: Vec::new(),
        }
    }

    /// The order findings are reported in: by time, then customer, journey,
    /// instance, kind and message, so output never depends on processing order.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            self.time,
            self.customer.as_deref(),
            self.journey.as_deref(),
            self.instance,
            self.kind,
            self.step.as_deref(),
            self.message.as_str(),
        )
    }
}
