//! The journey map (`cxl graph --format map-svg`, `--view steps`), run as a
//! user runs it, on the bundled examples and the real policies: well-formed
//! SVG, one `data-step` group per declared step (a repeat or `&` never
//! duplicates a step), byte-stable output, snapshotted.

use assert_cmd::Command;
use quick_xml::events::Event;
use serde_json::Value;
use std::collections::BTreeMap;

/// `cxl` run from the crate root.
fn cxl(args: &[&str]) -> String {
    let output = Command::cargo_bin("cxl")
        .expect("the cxl binary is built")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("cxl runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "cxl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The policies drawn: both bundled examples and every real policy.
fn policies() -> Vec<String> {
    let mut files = vec![
        "examples/claims.cxl".to_string(),
        "examples/telecom_support.cxl".to_string(),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/real");
    let mut real: Vec<String> = std::fs::read_dir(&dir)
        .expect("examples/real exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".cxl"))
        .map(|n| format!("examples/real/{n}"))
        .collect();
    real.sort();
    files.extend(real);
    files
}

/// Each journey's declared step names, from `cxl graph --format json`.
fn declared_steps(policy: &str) -> BTreeMap<String, Vec<String>> {
    let value: Value =
        serde_json::from_str(&cxl(&["graph", policy, "--format", "json"])).expect("JSON");
    let journeys = match value {
        Value::Array(all) => all,
        one => vec![one],
    };
    journeys
        .iter()
        .map(|j| {
            let steps = j["steps"]
                .as_array()
                .expect("steps")
                .iter()
                .map(|s| s["name"].as_str().expect("a step name").to_string())
                .collect();
            (j["journey"].as_str().expect("a name").to_string(), steps)
        })
        .collect()
}

/// Per journey, the `data-step` values of its map, in document order; fails
/// on SVG that is not well-formed XML.
fn drawn_steps(svg: &str) -> BTreeMap<String, Vec<String>> {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut journey = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                for a in e.attributes() {
                    let a = a.expect("a well-formed attribute");
                    let value = a.unescape_value().expect("escaped").into_owned();
                    match a.key.as_ref() {
                        b"data-journey" => journey = value,
                        b"data-step" if e.name().as_ref() == b"g" => {
                            out.entry(journey.clone()).or_default().push(value)
                        }
                        _ => {}
                    }
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed SVG: {e}"),
        }
    }
    out
}

#[test]
fn every_declared_step_is_drawn_once() {
    for policy in policies() {
        let svg = cxl(&["graph", &policy, "--format", "map-svg"]);
        assert!(svg.starts_with("<svg "), "{policy}");
        let drawn = drawn_steps(&svg);
        let declared = declared_steps(&policy);
        assert_eq!(drawn, declared, "{policy}: the map draws each step once");
    }
}

#[test]
fn the_maps_are_snapshotted_and_byte_stable() {
    for policy in policies() {
        let svg = cxl(&["graph", &policy, "--format", "map-svg"]);
        assert_eq!(
            svg,
            cxl(&["graph", &policy, "--format", "map-svg"]),
            "{policy}: the same bytes every run"
        );
        let name = policy
            .trim_start_matches("examples/")
            .trim_end_matches(".cxl")
            .replace('/', "_");
        insta::assert_snapshot!(format!("map_svg_{name}"), svg);
    }
}

#[test]
fn the_steps_view_draws_one_node_per_step_with_owner_and_channels() {
    let dot = cxl(&["graph", "examples/claims.cxl"]);
    insta::assert_snapshot!("steps_dot_claims", dot);
    // `request_docs{0,2}` is one step, drawn once, with its owner and channels.
    assert_eq!(dot.matches("Ask for documents").count(), 1, "{dot}");
    assert!(
        dot.contains("s3 [label=\"Ask for documents\\nClaims handlers\\nvia email, portal\"]"),
        "{dot}"
    );
    let mermaid = cxl(&["graph", "examples/claims.cxl", "--format", "mermaid"]);
    assert_eq!(mermaid.matches("Ask for documents").count(), 1, "{mermaid}");
    assert!(
        mermaid.contains("s3(\"Ask for documents<br/>Claims handlers<br/>via email, portal\")"),
        "{mermaid}"
    );
    // The automaton view keeps one node per occurrence.
    let automaton = cxl(&["graph", "examples/claims.cxl", "--view", "automaton"]);
    assert!(
        automaton.matches("Ask for documents").count() > 1,
        "{automaton}"
    );
}

#[test]
fn a_weighted_choice_keeps_its_weights_in_the_steps_view() {
    let dot = cxl(&["graph", "examples/claims.cxl"]);
    assert!(dot.contains("s4 -> s5 [label=\"85%\"]"), "{dot}");
    assert!(dot.contains("s4 -> s6 [label=\"15%\"]"), "{dot}");
}
