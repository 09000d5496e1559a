//! The bundled examples are executed, not just shipped: every policy in
//! `examples/` checks clean (no errors, no warnings), its inline tests pass, and its
//! journey graphs are snapshotted; every `cxl` block in the docs parses.

use cxl::compile::render_dot;
use cxl::scenario::run_tests;
use cxl::Policy;
use std::path::{Path, PathBuf};

fn example_policies() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cxl"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "at least two examples");
    files
}

#[test]
fn every_example_checks_clean_and_passes_its_tests() {
    for path in example_policies() {
        let text = std::fs::read_to_string(&path).expect("readable");
        let policy = match Policy::compile(&text) {
            Ok(policy) => policy,
            Err(diagnostics) => panic!("{}: {:#?}", path.display(), diagnostics),
        };
        assert!(
            policy.warnings.is_empty(),
            "{}: {:#?}",
            path.display(),
            policy.warnings
        );
        let results = run_tests(&policy, &text);
        assert!(
            !results.is_empty(),
            "{} has no inline tests",
            path.display()
        );
        for r in &results {
            assert!(
                r.passed(),
                "{}: test `{}` failed: {:#?}",
                path.display(),
                r.name,
                r.failures
            );
        }
    }
}

#[test]
fn example_journey_graphs() {
    for path in example_policies() {
        let text = std::fs::read_to_string(&path).expect("readable");
        let policy = Policy::compile(&text).expect("compiles");
        let name = path.file_stem().and_then(|s| s.to_str()).expect("a name");
        for journey in &policy.program.journeys {
            insta::assert_snapshot!(format!("{name}__{}", journey.name), render_dot(journey));
        }
    }
}

#[test]
fn every_cxl_block_in_the_docs_parses() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for doc in ["README.md", "docs/language.md", "docs/architecture.md"] {
        let text = std::fs::read_to_string(root.join(doc)).expect("doc exists");
        let mut blocks = 0;
        let mut rest = text.as_str();
        while let Some(start) = rest.find("```cxl\n") {
            let body = &rest[start + 7..];
            let end = body.find("```").expect("closed block");
            let parsed = cxl::syntax::parse(&body[..end]);
            assert!(
                parsed.diagnostics.is_empty(),
                "{doc}: block {blocks}: {:#?}\n{}",
                parsed.diagnostics,
                &body[..end]
            );
            blocks += 1;
            rest = &body[end..];
        }
        // The reference must really have examples, or this test checks nothing.
        if doc == "docs/language.md" {
            assert!(blocks >= 10, "{doc} has only {blocks} cxl blocks");
        }
    }
}
