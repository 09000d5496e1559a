//! SARIF 2.1.0 (the OASIS Static Analysis Results Interchange Format), which code
//! scanning services read: one run of the tool `cxl`, the [`Rule`]s results may
//! come from, and one result per [`Annotation`]. The document follows the
//! official schema, stored in `schemas/sarif-2.1.0.json` and checked in tests.

use super::annotation::{Annotation, Location, Region, Rule, Severity};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The schema a SARIF document names: the OASIS standard's, with its errata.
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// One SARIF document: `rules`, then `annotations` as results, in the order given.
pub fn render_sarif(rules: &[Rule], annotations: &[Annotation]) -> Value {
    let index: HashMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let results: Vec<Value> = annotations
        .iter()
        .map(|a| result(a, index.get(a.rule.as_str()).copied()))
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "cxl",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules.iter().map(rule).collect::<Vec<_>>(),
                }
            },
            // Columns count characters, as in every other output of cxl.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Note => "note",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

fn rule(rule: &Rule) -> Value {
    json!({
        "id": rule.id,
        "shortDescription": { "text": rule.summary },
        "help": { "text": rule.help },
        "defaultConfiguration": { "level": level(rule.severity) },
    })
}

fn result(annotation: &Annotation, rule_index: Option<usize>) -> Value {
    let mut result = Map::new();
    result.insert("ruleId".into(), annotation.rule.as_str().into());
    if let Some(index) = rule_index {
        result.insert("ruleIndex".into(), index.into());
    }
    result.insert("level".into(), level(annotation.severity).into());
    result.insert("message".into(), json!({ "text": annotation.message }));
    if let Some(location) = &annotation.location {
        result.insert("locations".into(), json!([self::location(location, None)]));
    }
    if !annotation.related.is_empty() {
        let related: Vec<Value> = (1..)
            .zip(&annotation.related)
            .map(|(id, l)| self::location(l, Some(id)))
            .collect();
        result.insert("relatedLocations".into(), related.into());
    }
    if !annotation.properties.is_empty() {
        result.insert(
            "properties".into(),
            Value::Object(annotation.properties.clone()),
        );
    }
    Value::Object(result)
}

/// A location; related locations carry an `id`, unique in their result.
fn location(location: &Location, id: Option<u64>) -> Value {
    let mut physical = Map::new();
    physical.insert(
        "artifactLocation".into(),
        json!({ "uri": uri(&location.file) }),
    );
    if let Some(region) = &location.region {
        physical.insert("region".into(), self::region(region));
    }
    let mut out = Map::new();
    if let Some(id) = id {
        out.insert("id".into(), id.into());
    }
    out.insert("physicalLocation".into(), Value::Object(physical));
    if !location.message.is_empty() {
        out.insert("message".into(), json!({ "text": location.message }));
    }
    Value::Object(out)
}

fn region(region: &Region) -> Value {
    let mut out = Map::new();
    out.insert("startLine".into(), region.start_line.into());
    if let Some(column) = region.start_column {
        out.insert("startColumn".into(), column.into());
    }
    out.insert("endLine".into(), region.end_line.into());
    if let Some(column) = region.end_column {
        out.insert("endColumn".into(), column.into());
    }
    Value::Object(out)
}

/// A file path as a relative URI reference: every byte outside the unreserved
/// characters and `/` percent-encoded (a space, `%`, `#`, non-ASCII), so a path
/// is never read as a scheme, query or fragment.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("examples/claims.cxl"), "examples/claims.cxl");
        assert_eq!(uri("my policies/a#1.cxl"), "my%20policies/a%231.cxl");
        assert_eq!(uri("c:x"), "c%3Ax", "never a scheme");
        assert_eq!(uri("é"), "%C3%A9");
    }
}
