//! The `source` declaration: one per policy, known settings only, each once, with
//! values the readers can use.

use super::{Declared, Origin, Scope};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::syntax::{Source, SourceSetting};

/// Every setting a `source` may have, and whether it takes several values.
pub(crate) const SETTINGS: &[(&str, bool)] = &[
    ("format", false),
    ("customer", false),
    ("step", true),
    ("time", false),
    ("channel", false),
    ("actor", false),
    ("timezone", false),
    ("classifier", false),
    ("lifecycle", false),
    ("delimiter", false),
];

/// Check the file's `source` declarations.
pub(crate) fn check(scope: &Scope, diags: &mut Vec<Diagnostic>) {
    let own: Vec<&Declared<Source>> = scope
        .sources
        .iter()
        .filter(|s| s.origin == Origin::File)
        .collect();
    if let Some((first, rest)) = own.split_first() {
        for extra in rest {
            diags.push(
                Diagnostic::new(Code::DuplicateName, "a policy has one `source`")
                    .with_label(keyword(extra.item.span), "a second `source`")
                    .with_secondary(keyword(first.item.span), "the first one is here")
                    .with_help("put every setting in one `source { ... }`"),
            );
        }
    }
    for source in own {
        let mut seen: Vec<&SourceSetting> = Vec::new();
        for setting in &source.item.settings {
            let key = setting.key.name.as_str();
            let Some((_, many)) = SETTINGS.iter().find(|(k, _)| *k == key) else {
                let mut d = Diagnostic::new(
                    Code::UnknownSetting,
                    format!("unknown source setting `{key}`"),
                )
                .with_label(setting.key.span, "not a setting");
                let names = SETTINGS.iter().map(|(k, _)| *k);
                let list: Vec<&str> = names.clone().collect();
                d = d.with_help(match did_you_mean(key, names) {
                    Some(hint) => format!("{hint} the settings are {}", list.join(", ")),
                    None => format!("the settings are {}", list.join(", ")),
                });
                diags.push(d);
                continue;
            };
            if let Some(first) = seen.iter().find(|s| s.key.name == key) {
                diags.push(
                    Diagnostic::new(Code::DuplicateClause, format!("`{key}` is set twice"))
                        .with_label(setting.key.span, "set again here")
                        .with_secondary(first.key.span, "first set here")
                        .with_help("keep one; a step made of several fields takes them in one line: `step \"a\", \"b\"`"),
                );
                continue;
            }
            seen.push(setting);
            if !many && setting.values.len() > 1 {
                diags.push(invalid(
                    setting,
                    format!("`{key}` takes one value"),
                    "only `step` joins several fields",
                ));
                continue;
            }
            if let Some(problem) = bad_value(key, &setting.values[0].value) {
                diags.push(invalid(setting, problem.0, problem.1));
            }
        }
    }
}

/// The span of the `source` keyword of a declaration.
fn keyword(span: crate::syntax::Span) -> crate::syntax::Span {
    crate::syntax::Span::new(span.start, span.start + "source".len())
}

fn invalid(setting: &SourceSetting, message: String, help: &str) -> Diagnostic {
    let span = setting.values[0]
        .span
        .to(setting.values[setting.values.len() - 1].span);
    Diagnostic::new(Code::InvalidSetting, message)
        .with_label(span, "this value")
        .with_help(help.to_string())
}

/// What is wrong with a value, and how to fix it.
fn bad_value(key: &str, value: &str) -> Option<(String, &'static str)> {
    let ok = match key {
        "format" => matches!(value, "ndjson" | "csv" | "xes"),
        "lifecycle" => matches!(value, "complete" | "all"),
        "delimiter" => value.chars().count() == 1 && value.len() == 1,
        "timezone" => crate::events::time::fixed_zone(value).is_some() || value.contains('/'),
        _ => !value.is_empty(),
    };
    if ok {
        return None;
    }
    let help = match key {
        "format" => "the formats are `ndjson`, `csv` and `xes`",
        "lifecycle" => {
            "`complete` keeps only completed activities (the default); `all` keeps every transition"
        }
        "delimiter" => "a CSV delimiter is one ASCII character, such as `;`",
        "timezone" => {
            "use `UTC`, an offset such as `+01:00`, or an IANA name such as `Europe/Amsterdam`"
        }
        _ => "name the field of the log, e.g. `customer \"case_id\"`",
    };
    Some((format!("`{value}` is not a valid `{key}`"), help))
}
