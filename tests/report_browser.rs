//! The HTML report in a real browser: headless Chromium (Debian's `chromium`,
//! installed by `.ci/install-browser`, which `.ci/run` calls) opens the report
//! of the bundled claims example, of a real log and of a hostile one, and the
//! tests check the page as the browser built it: every step's group present
//! once per map, the dots' colours those of the evaluation, no script element,
//! no console message (a script or a request the page's policy blocked would
//! be one), nothing that could fetch. Screenshots at a fixed size are kept in
//! `target/report-screenshots/` as artefacts.
//!
//! Without a browser (`CXL_CHROMIUM` names one, else `chromium` on the PATH)
//! the tests fail under `CI=true`, and otherwise skip with a message.

use assert_cmd::Command;
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// The browser to drive, or why there is none.
fn chromium() -> Option<String> {
    let name = std::env::var("CXL_CHROMIUM").unwrap_or_else(|_| "chromium".to_string());
    let found = std::process::Command::new(&name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some(name);
    }
    let message = format!(
        "no headless browser: `{name}` does not run; install it with `.ci/install-browser` \
         (Debian's chromium package) or name one in CXL_CHROMIUM"
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    eprintln!("skipped: {message}");
    None
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `target/report-screenshots/`, where screenshots stay after the run.
fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let dir = target.join("report-screenshots");
    std::fs::create_dir_all(&dir).expect("a screenshot directory");
    dir
}

fn cxl(args: &[&str]) -> (i32, Vec<u8>) {
    let output = Command::cargo_bin("cxl")
        .expect("the cxl binary is built")
        .current_dir(root())
        .args(args)
        .output()
        .expect("cxl runs");
    (output.status.code().expect("an exit code"), output.stdout)
}

/// Write the report of `policy` on `log` as `NAME.html` in a scratch directory.
fn report(policy: &str, log: &str, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report_browser");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let out = dir.join(format!("{name}.html"));
    let (code, _) = cxl(&["report", policy, log, "-o", out.to_str().expect("UTF-8")]);
    assert_eq!(code, 0, "cxl report {policy} {log}");
    out
}

/// What the browser made of a page: its DOM and its console.
struct Browsed {
    dom: String,
    console: Vec<String>,
}

/// Run the browser headless on `page` with `args`, in a profile of its own.
fn browse(browser: &str, page: &Path, args: &[String]) -> (Vec<u8>, String) {
    let profile = tempfile::tempdir().expect("a profile directory");
    let output = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--disable-background-networking",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .output()
        .expect("the browser runs");
    assert!(output.status.success(), "{browser} failed: {output:?}");
    (
        output.stdout,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The page's DOM as the browser built it, and what it wrote to its console.
fn dump(browser: &str, page: &Path) -> Browsed {
    let (stdout, stderr) = browse(browser, page, &["--dump-dom".to_string()]);
    Browsed {
        dom: String::from_utf8(stdout).expect("UTF-8"),
        console: stderr
            .lines()
            .filter(|l| l.contains("CONSOLE"))
            .map(str::to_string)
            .collect(),
    }
}

/// A screenshot of `page` at a fixed size, kept as `NAME.png`.
fn screenshot(browser: &str, page: &Path, name: &str) -> PathBuf {
    let png = screenshots().join(format!("{name}.png"));
    let _ = std::fs::remove_file(&png);
    browse(
        browser,
        page,
        &[
            "--window-size=1600,2400".to_string(),
            format!("--screenshot={}", png.display()),
        ],
    );
    let bytes = std::fs::read(&png).expect("the screenshot was written");
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
    assert!(bytes.len() > 10_000, "a screenshot with something on it");
    png
}

/// Per journey, per step: the `data-health` of the step's groups on its map.
fn dots(dom: &str) -> BTreeMap<(String, String), Vec<String>> {
    let map = Regex::new(r#"<svg [^>]*class="journey-map" data-journey="([^"]*)""#).expect("regex");
    let step = Regex::new(r#"<g class="step[^"]*" data-step="([^"]*)" data-health="([^"]*)""#)
        .expect("regex");
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let starts: Vec<(usize, String)> = map
        .captures_iter(dom)
        .map(|c| (c.get(0).expect("match").start(), c[1].to_string()))
        .collect();
    for c in step.captures_iter(dom) {
        let at = c.get(0).expect("match").start();
        let journey = starts
            .iter()
            .rev()
            .find(|(start, _)| *start < at)
            .map_or(String::new(), |(_, j)| j.clone());
        out.entry((journey, c[1].to_string()))
            .or_default()
            .push(c[2].to_string());
    }
    out
}

/// Per journey, per step: the evaluation's health.
fn evaluated(policy: &str, log: &str) -> BTreeMap<(String, String), Vec<String>> {
    let (_, stdout) = cxl(&["eval", "--format", "json", policy, log]);
    let report: Value = serde_json::from_slice(&stdout).expect("JSON");
    report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            let key = (
                s["journey"].as_str().expect("journey").to_string(),
                s["step"].as_str().expect("step").to_string(),
            );
            (key, vec![s["health"].as_str().expect("health").to_string()])
        })
        .collect()
}

/// The checks every page passes in the browser.
fn check_page(browser: &str, policy: &str, log: &str, name: &str) -> Browsed {
    let page = report(policy, log, name);
    let browsed = dump(browser, &page);
    assert!(
        browsed.console.is_empty(),
        "{name}: console messages: {:#?}",
        browsed.console
    );
    let lower = browsed.dom.to_lowercase();
    assert!(!lower.contains("<script"), "{name}: a script element");
    for fetch in [" src=", " href=", "@import"] {
        assert!(!lower.contains(fetch), "{name}: `{fetch}` could fetch");
    }
    // `url(#…)` names a marker in the page itself; any other `url(` could fetch.
    let url = Regex::new(r"url\(\s*[^#\s]").expect("regex");
    assert!(!url.is_match(&lower), "{name}: a `url(` that could fetch");
    // Every step of every journey once, with the evaluation's colour.
    assert_eq!(dots(&browsed.dom), evaluated(policy, log), "{name}");
    screenshot(browser, &page, name);
    browsed
}

#[test]
fn the_claims_report_in_a_browser() {
    let Some(browser) = chromium() else { return };
    let browsed = check_page(
        &browser,
        "examples/claims.cxl",
        "examples/claims.ndjson",
        "claims",
    );
    assert!(browsed.dom.contains("Top findings by rule"));
}

#[test]
fn a_real_log_report_in_a_browser() {
    let Some(browser) = chromium() else { return };
    check_page(
        &browser,
        "examples/real/helpdesk.cxl",
        "examples/real/logs/helpdesk.xes.gz",
        "helpdesk",
    );
}

#[test]
fn a_hostile_report_runs_nothing_in_a_browser() {
    let Some(browser) = chromium() else { return };
    let browsed = check_page(
        &browser,
        "tests/fixtures/report/hostile.cxl",
        "tests/fixtures/report/hostile.ndjson",
        "hostile",
    );
    // What tried to be markup is text on the page.
    assert!(browsed
        .dom
        .contains("&lt;script&gt;alert('c')&lt;/script&gt;"));
    assert!(!browsed.dom.contains("<b>Sons</b>"));
}
