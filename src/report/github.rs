//! GitHub Actions workflow commands, one line per [`Annotation`]:
//! `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=CODE::message`
//! (`::warning`, `::notice` by severity). A step that prints them shows each as
//! an annotation on the pull request, at its place in the file.

use super::annotation::{Annotation, Severity};
use std::fmt::Write;

/// The workflow commands for `annotations`, one line each, in the order given.
pub fn render_github(annotations: &[Annotation]) -> String {
    let mut out = String::new();
    for a in annotations {
        let command = match a.severity {
            Severity::Note => "notice",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        let mut properties = Vec::new();
        if let Some(location) = &a.location {
            properties.push(("file", location.file.clone()));
            if let Some(region) = &location.region {
                properties.push(("line", region.start_line.to_string()));
                // GitHub reads columns only on one line, the end one included.
                let columns = (region.start_line == region.end_line)
                    .then_some(region.start_column.zip(region.end_column))
                    .flatten();
                if let Some((start, end)) = columns {
                    properties.push(("col", start.to_string()));
                    properties.push(("endLine", region.end_line.to_string()));
                    properties.push(("endColumn", end.saturating_sub(1).max(start).to_string()));
                } else {
                    properties.push(("endLine", region.end_line.to_string()));
                }
            }
        }
        properties.push(("title", a.rule.clone()));
        let properties: Vec<String> = properties
            .into_iter()
            .map(|(key, value)| format!("{key}={}", escape_property(&value)))
            .collect();
        let _ = writeln!(
            out,
            "::{command} {}::{}",
            properties.join(","),
            escape_data(&a.message)
        );
    }
    out
}

/// A command's message, escaped as GitHub's toolkit does (`%`, CR, LF).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A command's property value: as a message, and `:` and `,` too, which would
/// otherwise end the value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::super::annotation::{Location, Region};
    use super::*;

    fn annotation(file: &str, region: Option<Region>, message: &str) -> Annotation {
        Annotation {
            rule: "W0401".into(),
            severity: Severity::Warning,
            message: message.into(),
            location: Some(Location {
                file: file.into(),
                region,
                message: String::new(),
            }),
            related: Vec::new(),
            properties: serde_json::Map::new(),
        }
    }

    #[test]
    fn messages_and_properties_are_escaped_as_github_documents() {
        let region = Region {
            start_line: 3,
            start_column: Some(8),
            end_line: 3,
            end_column: Some(15),
        };
        let out = render_github(&[annotation(
            "a,b:c%.cxl",
            Some(region),
            "50% done\r\nhelp: x, y",
        )]);
        assert_eq!(
            out,
            "::warning file=a%2Cb%3Ac%25.cxl,line=3,col=8,endLine=3,endColumn=14,title=W0401\
             ::50%25 done%0D%0Ahelp: x, y\n"
        );
    }

    #[test]
    fn a_region_over_several_lines_has_no_columns() {
        let region = Region {
            start_line: 3,
            start_column: Some(1),
            end_line: 9,
            end_column: Some(2),
        };
        let out = render_github(&[annotation("p.cxl", Some(region), "m")]);
        assert_eq!(
            out,
            "::warning file=p.cxl,line=3,endLine=9,title=W0401::m\n"
        );
        let out = render_github(&[annotation("p.cxl", None, "m")]);
        assert_eq!(out, "::warning file=p.cxl,title=W0401::m\n");
    }
}
