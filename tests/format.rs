//! `cxl fmt`: the canonical layout keeps every comment, is idempotent, and parses
//! back to the same AST, on generated policies and on every bundled policy; and
//! the verb (`--check`, `--diff`, in-place writes, refusal of broken files), run
//! as a user runs it.

use assert_cmd::Command;
use cxl::format::{format, same_meaning, FormatError};
use cxl::syntax;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// `cxl` run from the crate root.
fn cxl() -> Command {
    let mut cmd = Command::cargo_bin("cxl").expect("the cxl binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.env("NO_COLOR", "1");
    cmd
}

/// A fresh scratch directory for this test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("format")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// Formats `text` and checks the formatter's promises on it: the same AST, the
/// same comments in the same order, and a second run that changes nothing.
fn assert_formats_well(text: &str) -> String {
    let out = format(text).unwrap_or_else(|e| panic!("{e:?}\n---\n{text}"));
    let before = syntax::parse(text);
    let after = syntax::parse(&out);
    assert!(
        after.diagnostics.is_empty(),
        "{:?}\n---\n{out}",
        after.diagnostics
    );
    assert!(
        same_meaning(&before.file, &after.file),
        "meaning changed:\n{text}\n---\n{out}"
    );
    let comments = |p: &syntax::ParsedFile| -> Vec<String> {
        p.comments
            .iter()
            .map(|c| c.text.trim_end().to_string())
            .collect()
    };
    assert_eq!(comments(&before), comments(&after), "\n{out}");
    assert_eq!(
        comment_homes(&before),
        comment_homes(&after),
        "a comment left its item:\n{text}\n---\n{out}"
    );
    let again = format(&out).expect("formatted text formats");
    assert_eq!(out, again, "not idempotent:\n{out}");
    for line in out.lines() {
        assert_eq!(line, line.trim_end(), "trailing whitespace in {line:?}");
    }
    out
}

/// For each comment, the innermost node of the AST whose span holds it, as its
/// path in the serialized AST (`/decls/1/Journey/items/5/...`): the same in the
/// source and in the formatted text when every comment stays in its item.
fn comment_homes(parsed: &syntax::ParsedFile) -> Vec<String> {
    fn walk(value: &serde_json::Value, path: String, out: &mut Vec<(String, u64, u64)>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(span) = map.get("span") {
                    if let (Some(start), Some(end)) = (span["start"].as_u64(), span["end"].as_u64())
                    {
                        out.push((path.clone(), start, end));
                    }
                }
                for (key, v) in map {
                    if key != "span" {
                        walk(v, format!("{path}/{key}"), out);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, format!("{path}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut nodes = Vec::new();
    let ast = serde_json::to_value(&parsed.file).expect("the AST serializes");
    walk(&ast, String::new(), &mut nodes);
    parsed
        .comments
        .iter()
        .map(|c| {
            let at = c.span.start as u64;
            nodes
                .iter()
                .filter(|(_, start, end)| *start <= at && at < *end)
                .min_by_key(|(_, start, end)| end - start)
                .map_or_else(|| "the file".to_string(), |(path, _, _)| path.clone())
        })
        .collect()
}

fn bundled_policies() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "examples",
        "stdlib",
        "tests/fixtures/valid",
        "tests/fixtures/eval",
    ] {
        collect(&root.join(dir), &mut files);
    }
    files.sort();
    files
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("a bundled directory")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "cxl") {
            out.push(path);
        }
    }
}

#[test]
fn every_bundled_policy_formats_to_the_same_ast_and_is_formatted() {
    let files = bundled_policies();
    assert!(files.len() >= 12, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        if !syntax::parse(&text).diagnostics.is_empty() {
            // A fixture that is meant to be broken.
            continue;
        }
        let out = assert_formats_well(&text);
        assert!(
            out == text,
            "{} is not formatted: run `cxl fmt` on it",
            file.display()
        );
    }
}

#[test]
fn the_bundled_policies_pass_fmt_check() {
    let out = cxl()
        .args([
            "fmt",
            "--check",
            "examples",
            "stdlib",
            "tests/fixtures/valid",
            "tests/fixtures/eval",
        ])
        .output()
        .expect("cxl runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_messy_policy_gets_the_canonical_layout_with_its_comments() {
    let messy = "# head\n\nsegment   gold{when tier==\"gold\" # gold only\n}\njourney claim \"Claim\" {\n\
        \x20   for gold # who\n   goal settled\n\n\n   step report{via web;owner \"Desk\"}\n   step settled\n\
        \x20 # the path\n   path report->(settled|report{2,})\n}\n# tail\n";
    let out = assert_formats_well(messy);
    assert_eq!(
        out,
        "# head\n\n\
         segment gold {\n\
         \x20 when tier == \"gold\"  # gold only\n\
         }\n\
         journey claim \"Claim\" {\n\
         \x20 for gold  # who\n\
         \x20 goal settled\n\
         \n\
         \x20 step report  { via web; owner \"Desk\" }\n\
         \x20 step settled\n\
         \x20 # the path\n\
         \x20 path report -> (settled | report{2,})\n\
         }\n\
         # tail\n"
    );
}

/// A comment inside a clause written over several lines stays on its line of that
/// clause, after the same code, and the clause keeps its line breaks; a
/// suppression there silences what it silenced before.
#[test]
fn a_comment_inside_a_clause_over_several_lines_stays_in_it() {
    let text = "\
segment gold {
  when tier == \"gold\"   # the tier
    and n >= 2  # enough
}
journey claim {
  goal settled
  step report
  step settled
  step deny
  path report   # first
    # then one of two
    -> (settled
    | deny)
}
test \"t\" {
  customer c1 { tier: \"gold\",   # gold
    n: 3 }
}
";
    let out = assert_formats_well(text);
    assert_eq!(
        out,
        "\
segment gold {
  when tier == \"gold\"  # the tier
       and n >= 2      # enough
}
journey claim {
  goal settled
  step report
  step settled
  step deny
  path report  # first
       # then one of two
       -> (settled
          | deny)
}
test \"t\" {
  customer c1 { tier: \"gold\",  # gold
                n: 3 }
}
"
    );
    // A suppression on the line of one branch: check says the same before and after.
    let codes = |text: &str| -> Vec<String> {
        cxl::check_source(text)
            .iter()
            .map(|d| d.code.as_str().to_string())
            .collect()
    };
    for comment_at in ["(settled", "| deny)"] {
        let suppressed = out.replacen(comment_at, &format!("{comment_at}  # cxl: allow(W0403)"), 1);
        let formatted = assert_formats_well(&suppressed);
        assert!(
            formatted.contains(&format!("{comment_at}  # cxl: allow(W0403)\n")),
            "{formatted}"
        );
        assert_eq!(codes(&suppressed), codes(&formatted), "{formatted}");
    }
}

#[test]
fn parentheses_are_kept_where_they_change_the_tree() {
    for text in [
        "segment s { when (a or b) and c }",
        "segment s { when not (a == 1) }",
        "segment s { when (a or b) or c or d }",
        "segment s { when a or (b or c) }",
        "journey j { path (a | b) -> c }",
        "journey j { path (a -> b)* & (c | d 20%) }",
        "journey j { path ((a -> b) -> c)? }",
    ] {
        assert_formats_well(text);
    }
}

#[test]
fn a_long_path_is_broken_at_its_operators_and_aligned() {
    let steps: Vec<String> = (0..30).map(|i| format!("step_number_{i}")).collect();
    let text = format!("journey j {{ path {} }}\n", steps.join(" -> "));
    let out = assert_formats_well(&text);
    assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
    assert!(out.contains("\n       -> step_number_1\n"), "{out}");
}

#[test]
fn a_file_with_a_syntax_error_is_refused() {
    let err = format("journey j { path a -> }\n").expect_err("refused");
    assert!(matches!(err, FormatError::Syntax(d) if !d.is_empty()));
}

// ---- the verb -----------------------------------------------------------------

const MESSY: &str = "segment gold{when tier==\"gold\"}\n";
const TIDY: &str = "segment gold { when tier == \"gold\" }\n";

#[test]
fn fmt_rewrites_in_place_and_leaves_formatted_files_alone() {
    let dir = scratch("in_place");
    let messy = dir.join("messy.cxl");
    let tidy = dir.join("sub").join("tidy.cxl");
    std::fs::create_dir_all(tidy.parent().expect("a parent")).expect("mkdir");
    std::fs::write(&messy, MESSY).expect("write");
    std::fs::write(&tidy, TIDY).expect("write");
    let before = std::fs::metadata(&tidy)
        .and_then(|m| m.modified())
        .expect("mtime");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = cxl().arg("fmt").arg(&dir).output().expect("cxl runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&messy).expect("read"), TIDY);
    let after = std::fs::metadata(&tidy)
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(before, after, "an unchanged file is not written");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".cxl-tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn fmt_check_lists_the_files_that_would_change_and_writes_nothing() {
    let dir = scratch("check");
    let messy = dir.join("messy.cxl");
    let tidy = dir.join("tidy.cxl");
    std::fs::write(&messy, MESSY).expect("write");
    std::fs::write(&tidy, TIDY).expect("write");
    let out = cxl()
        .args(["fmt", "--check"])
        .arg(&dir)
        .output()
        .expect("cxl runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.trim(), messy.to_string_lossy());
    assert_eq!(std::fs::read_to_string(&messy).expect("read"), MESSY);
}

#[test]
fn fmt_diff_shows_a_unified_diff() {
    let dir = scratch("diff");
    let messy = dir.join("messy.cxl");
    std::fs::write(&messy, MESSY).expect("write");
    let out = cxl()
        .args(["fmt", "--diff"])
        .arg(&messy)
        .output()
        .expect("cxl runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(&format!("--- {}\n+++ ", messy.display())),
        "{stdout}"
    );
    assert!(stdout.contains("@@ -1 +1 @@\n"), "{stdout}");
    assert!(stdout.contains(&format!("-{MESSY}+{TIDY}")), "{stdout}");
    assert_eq!(std::fs::read_to_string(&messy).expect("read"), MESSY);
}

#[test]
fn fmt_refuses_a_broken_file_with_its_diagnostics_and_leaves_it() {
    let dir = scratch("broken");
    let broken = dir.join("broken.cxl");
    let text = "journey j {\n  path a ->\n}\n";
    std::fs::write(&broken, text).expect("write");
    let out = cxl().arg("fmt").arg(&broken).output().expect("cxl runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("E0101"), "{stderr}");
    assert!(stderr.contains("not formatted"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&broken).expect("read"), text);
}

// ---- generated policies -------------------------------------------------------

/// Whitespace between tokens: spaces, line breaks (indented, so that no keyword
/// starts a line), blank lines, comments at the end of a line (between two
/// operands, where a line may break, and after `not`, where none may).
fn gap() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![" ", " ", "  ", "\n  ", "\n\n  ", " # note\n  ", "\t"])
}

fn name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["a", "b", "c", "tier", "report", "settled"])
}

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        name().prop_map(str::to_string),
        Just("address.country".to_string()),
        Just("50_000".to_string()),
        Just("\"gold\"".to_string()),
        Just("true".to_string()),
        Just("4h".to_string()),
        Just("segment(gold)".to_string()),
        Just("broken(j.*)".to_string()),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), gap(), inner.clone()).prop_map(|(a, g, b)| format!("{a}{g}and {b}")),
            (inner.clone(), gap(), inner.clone()).prop_map(|(a, g, b)| format!("{a} or{g}{b}")),
            inner.clone().prop_map(|a| format!("({a})")),
            (gap(), inner.clone()).prop_map(|(g, a)| format!("not{g}({a})")),
            (name(), inner.clone()).prop_map(|(n, b)| format!("{n} >= ({b})")),
            (name(), prop::collection::vec(inner.clone(), 1..3))
                .prop_map(|(n, items)| format!("{n} in [{}]", items.join(", "))),
        ]
    })
}

fn path() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just("c".to_string())
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), gap(), inner.clone()).prop_map(|(a, g, b)| format!("{a}{g}-> {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} | {b} 20%")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} & {b}")),
            inner.clone().prop_map(|a| format!("({a})")),
            inner.clone().prop_map(|a| format!("({a})?")),
            inner.clone().prop_map(|a| format!("({a})*+")),
            inner.clone().prop_map(|a| format!("({a}){{1,3}}")),
        ]
    })
}

fn policy() -> impl Strategy<Value = String> {
    (expr(), path(), expr(), gap(), gap(), gap(), any::<bool>()).prop_map(
        |(cond, path, unless, g1, g2, g3, stage)| {
            let steps = "step a { via web; owner \"Desk\" }\n  step b \"Bee\"\n  step c { match \"C\", \"Cee\"; takes 1m..2h; backstage }";
            let steps = match stage {
                true => format!("stage one {{{g1}{steps}\n  }}"),
                false => steps.to_string(),
            };
            format!(
                "# a generated policy\nuse std/cx\nsegment gold \"Gold\" {{ when{g1}{cond} }}\n\
                 journey j {{{g2}for gold\n  goal c\n  abandon after 30d\n  {steps}\n  path {path}\n}}\n\
                 expect j.a for gold {{ within 1h after journey start else yellow;{g3}csat >= 4 }}\n\
                 escalate e {{ when off_path(j){g2}notify \"Team\" severity red within 4h\n  \
                 then notify \"Boss\" after 1d unless {unless} }}\n\
                 test \"t\" {{\n  customer c1 {{ tier: \"gold\",{g3}n: 3 }}\n  c1 a at 2026-03-01T10:00Z via web\n  \
                 c1 \"C\" at +2h {{ csat: 4 }}\n  expect broken j.a for c1 -> none\n}}\n"
            )
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_policies_format_to_the_same_ast(text in policy()) {
        prop_assume!(syntax::parse(&text).diagnostics.is_empty());
        assert_formats_well(&text);
    }
}
