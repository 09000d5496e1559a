//! Silencing warnings (issue 18, item 3): `# cxl: allow(CODE, ...)` at the end
//! of a line or on the line before a declaration or journey clause, `--allow`
//! and `--deny` on the command line, W0410 for a suppression that silences
//! nothing, and `cxl fmt` keeping the comments where they are.

use assert_cmd::Command;
use serde_json::Value;

/// Three steps out of the path (W0401 each), a dead end (W0403), an unused
/// segment (W0409).
const POLICY: &str = "\
segment gold { when tier == \"gold\" }

journey claim \"Property claim\" {
  goal settled
  step report
  step appraise
  step review
  step settled
  step deny
  path report -> (settled | deny)
}

journey other \"Another\" {
  goal b
  step a
  step b
  step c
  path a -> b
}
";

/// The codes `cxl check` gives `text`, with the 1-based line of each.
fn codes(text: &str) -> Vec<(String, usize)> {
    cxl::check_source(text)
        .iter()
        .map(|d| {
            let at = d.primary_span().map_or(0, |s| s.start);
            (
                d.code.as_str().to_string(),
                cxl::diagnostic::line_col(text, at).0,
            )
        })
        .collect()
}

fn owned(codes: &[(&str, usize)]) -> Vec<(String, usize)> {
    codes.iter().map(|(c, l)| (c.to_string(), *l)).collect()
}

#[test]
fn without_suppressions_every_warning_shows() {
    assert_eq!(
        codes(POLICY),
        owned(&[
            ("W0409", 1),
            ("W0401", 6),
            ("W0401", 7),
            ("W0403", 10),
            ("W0401", 17)
        ])
    );
}

#[test]
fn at_the_end_of_a_line_it_silences_that_line_only() {
    let text = POLICY.replace(
        "  step appraise\n",
        "  step appraise   # cxl: allow(W0401)\n",
    );
    assert_eq!(
        codes(&text),
        owned(&[("W0409", 1), ("W0401", 7), ("W0403", 10), ("W0401", 17)])
    );
}

#[test]
fn on_the_line_before_a_declaration_it_silences_the_declaration() {
    let text = POLICY.replace("journey claim", "# cxl: allow(W0401)\njourney claim");
    assert_eq!(
        codes(&text),
        owned(&[("W0409", 1), ("W0403", 11), ("W0401", 18)]),
        "both steps of `claim` are silenced; `other`'s is not"
    );
    // Other comments may stand between it and the declaration; a blank line not.
    let text = POLICY.replace(
        "journey claim",
        "# cxl: allow(W0401)\n# why: appraisal is not tracked yet\njourney claim",
    );
    assert_eq!(codes(&text).len(), 3);
    let text = POLICY.replace("journey claim", "# cxl: allow(W0401)\n\njourney claim");
    let found = codes(&text);
    assert!(found.contains(&("W0410".to_string(), 3)), "{found:?}");
    assert_eq!(found.iter().filter(|(c, _)| c == "W0401").count(), 3);
}

#[test]
fn several_codes_and_a_clause_over_several_lines() {
    let text = POLICY
        .replace("segment gold", "# cxl: allow(W0409, W0401)\nsegment gold")
        .replace(
            "  path report -> (settled | deny)\n",
            "  # cxl: allow(W0403)\n  path report\n       -> (settled\n          | deny)\n",
        );
    // W0401 is unused on the segment line: nothing there has it.
    assert_eq!(
        codes(&text),
        owned(&[("W0410", 1), ("W0401", 7), ("W0401", 8), ("W0401", 21)])
    );
}

#[test]
fn only_warnings_are_silenced_and_unused_ones_wait_for_errors_to_go() {
    // An error is never silenced, and with errors in the policy an unused
    // suppression is not judged (the lints that would use it did not run).
    let text = POLICY.replace("path a -> b", "path a -> zz   # cxl: allow(E0203, W0401)");
    let found = codes(&text);
    assert!(found.contains(&("E0203".to_string(), 18)), "{found:?}");
    assert!(
        found.contains(&("W0410".to_string(), 18)),
        "E0203 cannot be allowed: {found:?}"
    );
    assert_eq!(
        found.iter().filter(|(c, _)| c == "W0410").count(),
        1,
        "{found:?}"
    );
}

/// `cxl` run from the crate root on a scratch copy of `text`.
fn check(text: &str, name: &str, args: &[&str]) -> (i32, String, String) {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("suppressions");
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("a scratch policy");
    let output = Command::cargo_bin("cxl")
        .expect("the cxl binary")
        .env("NO_COLOR", "1")
        .arg("check")
        .arg(&path)
        .args(args)
        .output()
        .expect("cxl runs");
    (
        output.status.code().expect("an exit code"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn levels(json: &str) -> Vec<(String, String)> {
    let value: Value = serde_json::from_str(json).expect("JSON");
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["level"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn allow_and_deny_on_the_command_line() {
    let (code, _, _) = check(POLICY, "warnings.cxl", &[]);
    assert_eq!(code, 0, "warnings alone pass");
    let (code, _, err) = check(POLICY, "warnings.cxl", &["--deny", "warnings"]);
    assert_eq!(code, 1, "--deny warnings fails on any warning");
    assert!(err.contains("5 errors, 0 warnings"), "{err}");
    let (code, _, _) = check(POLICY, "warnings.cxl", &["--deny-warnings"]);
    assert_eq!(code, 1, "--deny-warnings is the same");

    let (code, out, _) = check(
        POLICY,
        "warnings.cxl",
        &["--format", "json", "--deny", "W0403"],
    );
    assert_eq!(code, 1);
    let found = levels(&out);
    assert!(
        found.contains(&("W0403".into(), "error".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("W0401".into(), "warning".into())),
        "{found:?}"
    );

    let args = [
        "--format", "json", "--deny", "warnings", "--allow", "W0401", "--allow", "W0403",
    ];
    let (code, out, _) = check(POLICY, "warnings.cxl", &args);
    assert_eq!(code, 1, "W0409 is still denied");
    assert_eq!(levels(&out), [("W0409".to_string(), "error".to_string())]);
    let args = [
        "--deny", "warnings", "--allow", "W0401", "--allow", "W0403", "--allow", "W0409",
    ];
    assert_eq!(
        check(POLICY, "warnings.cxl", &args).0,
        0,
        "everything allowed"
    );

    for bad in [
        &["--allow", "E0203"][..],
        &["--allow", "W9999"],
        &["--deny", "W0401", "--allow", "W0401"],
    ] {
        let (code, _, err) = check(POLICY, "warnings.cxl", bad);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(err.starts_with("error: --allow/--deny: "), "{err}");
    }
}

#[test]
fn deny_warnings_honours_the_comments_and_reaches_test_and_eval() {
    let text = POLICY
        .replace("segment gold", "# cxl: allow(W0409)\nsegment gold")
        .replace(
            "  step appraise\n  step review\n",
            "  step appraise  # cxl: allow(W0401)\n  step review  # cxl: allow(W0401)\n",
        )
        .replace("  path report", "  # cxl: allow(W0403)\n  path report")
        .replace("  step c\n", "  step c  # cxl: allow(W0401)\n");
    let (code, out, err) = check(&text, "silenced.cxl", &["--deny", "warnings"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");

    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("suppressions");
    // A file of its own: `allow_and_deny_on_the_command_line` rewrites
    // `warnings.cxl` while this test runs, and a reader can catch it truncated.
    let policy = dir.join("denied.cxl");
    std::fs::write(&policy, POLICY).expect("a scratch policy");
    let test = Command::cargo_bin("cxl")
        .expect("the cxl binary")
        .env("NO_COLOR", "1")
        .arg("test")
        .arg(&policy)
        .args(["--deny", "W0409"])
        .output()
        .expect("cxl runs");
    assert_eq!(
        test.status.code(),
        Some(2),
        "a denied warning stops the tests as an error does"
    );
    assert!(String::from_utf8_lossy(&test.stderr).contains("W0409"));

    let log = dir.join("one.ndjson");
    std::fs::write(
        &log,
        "{\"customer\":\"c1\",\"step\":\"report\",\"time\":\"2026-03-01T10:00:00Z\"}\n",
    )
    .expect("a scratch log");
    let eval = |deny: &str| {
        Command::cargo_bin("cxl")
            .expect("the cxl binary")
            .env("NO_COLOR", "1")
            .arg("eval")
            .args([&policy, &log])
            .args(["--fail-on", "never", "--deny", deny])
            .output()
            .expect("cxl runs")
    };
    assert_eq!(eval("W0408").status.code(), Some(0), "no W0408 to deny");
    let denied = eval("W0409");
    assert_eq!(denied.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&denied.stderr).contains("1 error, 4 warnings"));
}

#[test]
fn the_formatter_keeps_suppressions_where_they_are() {
    let text = "\
# cxl: allow(W0409)
segment gold { when tier == \"gold\" }

journey claim \"Property claim\" {
  goal settled
  step report
  step appraise   # cxl: allow(W0401)
  step settled
  step deny
  # cxl: allow(W0403)
  path report -> (settled | deny)
}
";
    assert_eq!(codes(text), Vec::<(String, usize)>::new());
    let formatted = cxl::format::format(text).expect("it formats");
    for line in [
        "# cxl: allow(W0409)\nsegment gold",
        "step appraise  # cxl: allow(W0401)\n",
        "  # cxl: allow(W0403)\n  path report",
    ] {
        assert!(formatted.contains(line), "{line:?} in\n{formatted}");
    }
    assert_eq!(
        codes(&formatted),
        Vec::<(String, usize)>::new(),
        "still silenced"
    );
}
