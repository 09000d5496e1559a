//! Input formats and the field mapping: which input field holds the customer,
//! the step (activity), the time, the channel and the actor.
//!
//! Defaults per format: XES reads `case:concept:name` (the trace's
//! `concept:name`), `concept:name`, `time:timestamp` and `org:resource`;
//! NDJSON and CSV read `customer`, `step`, `time`, `channel`, `actor`. When a
//! CSV header lacks a *default* column but has the XES-style one that PM4Py
//! writes (`case:concept:name`, `concept:name`, `time:timestamp`,
//! `org:resource`), that one is used. A step may join several fields with `+`
//! (`concept:name+lifecycle:transition`), as XES classifiers do.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// A mapped field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// The customer (case) id.
    Customer,
    /// The step (activity) name.
    Step,
    /// The event time.
    Time,
    /// The channel.
    Channel,
    /// The actor (resource).
    Actor,
}

impl Field {
    /// Every field, in order.
    pub const ALL: [Field; 5] = [
        Field::Customer,
        Field::Step,
        Field::Time,
        Field::Channel,
        Field::Actor,
    ];

    /// The field's name as written in `--map`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Customer => "customer",
            Field::Step => "step",
            Field::Time => "time",
            Field::Channel => "channel",
            Field::Actor => "actor",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// One JSON object per line.
    Ndjson,
    /// Comma- (or otherwise) separated values with a header row.
    Csv,
    /// IEEE XES, plain or gzip-compressed.
    Xes,
}

impl InputFormat {
    /// The format a file name implies: `.ndjson`, `.jsonl`, `.json`, `.csv`,
    /// `.xes`, each optionally followed by `.gz`.
    pub fn from_path(path: &Path) -> Option<InputFormat> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let ext = name.rsplit_once('.')?.1;
        ext.parse().ok()
    }
}

impl FromStr for InputFormat {
    type Err = MappingError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "ndjson" | "jsonl" | "json" => Ok(InputFormat::Ndjson),
            "csv" => Ok(InputFormat::Csv),
            "xes" => Ok(InputFormat::Xes),
            _ => Err(MappingError(format!(
                "unknown input format `{text}`: expected ndjson, csv or xes"
            ))),
        }
    }
}

/// A problem with a `--map` string or a format name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MappingError(pub String);

/// Which input field holds each mapped field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The customer field (XES: `case:` names a trace attribute).
    pub customer: String,
    /// The step field(s); several are joined with `+` in the event name.
    pub step: Vec<String>,
    /// The time field.
    pub time: String,
    /// The channel field, if any.
    pub channel: Option<String>,
    /// The actor field, if any.
    pub actor: Option<String>,
    /// The fields the user set explicitly (a missing explicit column is an
    /// error even for the optional channel and actor).
    pub explicit: Vec<Field>,
}

impl Mapping {
    /// The default mapping of a format.
    pub fn for_format(format: InputFormat) -> Mapping {
        match format {
            InputFormat::Xes => Mapping {
                customer: "case:concept:name".into(),
                step: vec!["concept:name".into()],
                time: "time:timestamp".into(),
                channel: None,
                actor: Some("org:resource".into()),
                explicit: Vec::new(),
            },
            InputFormat::Ndjson | InputFormat::Csv => Mapping {
                customer: "customer".into(),
                step: vec!["step".into()],
                time: "time".into(),
                channel: Some("channel".into()),
                actor: Some("actor".into()),
                explicit: Vec::new(),
            },
        }
    }

    /// The XES-style column PM4Py writes for a field, used when a default column is absent.
    pub fn pm4py_column(field: Field) -> Option<&'static str> {
        match field {
            Field::Customer => Some("case:concept:name"),
            Field::Step => Some("concept:name"),
            Field::Time => Some("time:timestamp"),
            Field::Actor => Some("org:resource"),
            Field::Channel => None,
        }
    }

    /// Applies `customer=case_id,step=activity,time=ts` overrides; `step=a+b`
    /// joins fields; `channel=` (empty) unmaps an optional field.
    pub fn parse_overrides(mut self, spec: &str) -> Result<Mapping, MappingError> {
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, column) = part.split_once('=').ok_or_else(|| {
                MappingError(format!(
                    "`{part}` in --map is not `field=column`; e.g. `customer=case_id,step=activity`"
                ))
            })?;
            let field = parse_field(name.trim())?;
            self.set(field, column.trim())?;
            if !self.explicit.contains(&field) {
                self.explicit.push(field);
            }
        }
        Ok(self)
    }

    fn set(&mut self, field: Field, column: &str) -> Result<(), MappingError> {
        let optional = || (!column.is_empty()).then(|| column.to_string());
        match field {
            Field::Channel => self.channel = optional(),
            Field::Actor => self.actor = optional(),
            _ if column.is_empty() => {
                return Err(MappingError(format!(
                    "the {field} field cannot be unmapped: give a column, e.g. `{field}=id`"
                )))
            }
            Field::Customer => self.customer = column.to_string(),
            Field::Time => self.time = column.to_string(),
            Field::Step => {
                self.step = column.split('+').map(|s| s.trim().to_string()).collect();
                if self.step.iter().any(String::is_empty) {
                    return Err(MappingError(format!("`step={column}` has an empty part")));
                }
            }
        }
        Ok(())
    }

    /// True when the step name includes the lifecycle transition, so lifecycle
    /// filtering would hide part of the name and is turned off.
    pub fn step_has_lifecycle(&self) -> bool {
        self.step.iter().any(|s| s == "lifecycle:transition")
    }

    /// The column of a field, if mapped (for `Step`, the first part).
    pub fn column(&self, field: Field) -> Option<&str> {
        match field {
            Field::Customer => Some(&self.customer),
            Field::Step => self.step.first().map(String::as_str),
            Field::Time => Some(&self.time),
            Field::Channel => self.channel.as_deref(),
            Field::Actor => self.actor.as_deref(),
        }
    }
}

fn parse_field(name: &str) -> Result<Field, MappingError> {
    let lower = name.to_ascii_lowercase();
    let alias = match lower.as_str() {
        "case" | "case_id" => "customer",
        "activity" | "name" | "event" => "step",
        "timestamp" => "time",
        "resource" => "actor",
        other => other,
    };
    Field::ALL
        .into_iter()
        .find(|f| f.as_str() == alias)
        .ok_or_else(|| {
            let hint = Field::ALL
                .into_iter()
                .map(Field::as_str)
                .min_by_key(|f| strsim::levenshtein(f, &lower))
                .filter(|f| strsim::levenshtein(f, &lower) <= 2)
                .map(|f| format!("; did you mean `{f}`?"))
                .unwrap_or_default();
            MappingError(format!(
                "unknown field `{name}` in --map: expected customer, step, time, channel or actor{hint}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_defaults() {
        let m = Mapping::for_format(InputFormat::Csv)
            .parse_overrides("customer=case_id, step=activity+lifecycle:transition,channel=")
            .expect("valid");
        assert_eq!(m.customer, "case_id");
        assert_eq!(m.step, vec!["activity", "lifecycle:transition"]);
        assert_eq!(m.channel, None);
        assert_eq!(m.time, "time");
        assert!(m.step_has_lifecycle());
        assert_eq!(
            m.explicit,
            vec![Field::Customer, Field::Step, Field::Channel]
        );
    }

    #[test]
    fn bad_overrides_are_clear() {
        let base = Mapping::for_format(InputFormat::Ndjson);
        let err = base
            .clone()
            .parse_overrides("custmer=id")
            .expect_err("typo");
        assert!(err.0.contains("did you mean `customer`"), "{err}");
        let err = base.clone().parse_overrides("customer").expect_err("no =");
        assert!(err.0.contains("not `field=column`"), "{err}");
        let err = base.parse_overrides("time=").expect_err("unmapped");
        assert!(err.0.contains("cannot be unmapped"), "{err}");
    }

    #[test]
    fn formats_from_paths() {
        let f = |p: &str| InputFormat::from_path(Path::new(p));
        assert_eq!(f("a/b.xes.gz"), Some(InputFormat::Xes));
        assert_eq!(f("x.JSONL"), Some(InputFormat::Ndjson));
        assert_eq!(f("r.csv"), Some(InputFormat::Csv));
        assert_eq!(f("noext"), None);
    }
}
