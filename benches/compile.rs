//! Compile speed: a generated policy of about 10,000 lines (200 journeys) through
//! the whole front end (parse, check, compile, lints), in release.
//!
//! Also the diagnostics of a policy with one per declaration (5,000 and 20,000
//! unused segments), checked and rendered for a person and as JSON: the time should
//! grow with their number, not its square.
//!
//! `cargo bench --bench compile`. Under `cargo test --all-targets` it only checks
//! that the generated policies compile and give the diagnostics expected.

use cxl::Policy;
use std::fmt::Write;
use std::time::Instant;

/// A policy with `journeys` journeys of 8 steps in 2 stages, an expect block per
/// journey and a segment per 10 journeys: about 50 lines per journey.
fn policy(journeys: usize) -> String {
    let mut text = String::from("use std/cx\n\n");
    for s in 0..journeys / 10 {
        let _ = writeln!(text, "segment seg{s} \"Segment {s}\" {{\n  when tier == \"t{s}\" or lifetime_value >= {}\n}}\n", 1000 * s);
    }
    for j in 0..journeys {
        let seg = j / 10;
        let _ = writeln!(
            text,
            "journey j{j} \"Journey {j}\" {{\n  for seg{seg}\n  goal s7\n  abandon after 30d"
        );
        for stage in 0..2 {
            let _ = writeln!(text, "  stage st{stage} {{");
            for k in 0..4 {
                let s = stage * 4 + k;
                let _ = writeln!(
                    text,
                    "    step s{s} \"Step {s}\" {{\n      via web, email\n      owner \"Team {s}\"\n      match \"Event {j} {s}\"\n    }}"
                );
            }
            let _ = writeln!(text, "  }}");
        }
        let _ = writeln!(
            text,
            "  path s0 -> s1 -> (s2 & s3?) -> s4{{0,2}} -> (s5 80% | s6 20%) -> s7\n}}\n"
        );
        let _ = writeln!(
            text,
            "expect j{j}.s1 {{\n  within 1h after s0\n  warn after 45m after s0\n  via email\n}}\nexpect j{j}.* {{\n  use frictionless\n  csat >= 4 else yellow\n}}\n"
        );
    }
    text
}

/// `n` segments that nothing uses: one W0409 each.
fn unused_segments(n: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        let _ = writeln!(text, "segment s{i} {{ when tier == \"x{i}\" }}");
    }
    text
}

/// Check and render the diagnostics of `n` unused segments; the seconds taken.
fn diagnostics_of_unused_segments(n: usize) -> f64 {
    let text = unused_segments(n);
    let start = Instant::now();
    let diagnostics = cxl::check_source(&text);
    assert_eq!(diagnostics.len(), n);
    let human = cxl::diagnostic::render_human(&diagnostics, "policy.cxl", &text, false);
    let json = cxl::diagnostic::to_json(&diagnostics, "policy.cxl", &text);
    std::hint::black_box((human, json));
    start.elapsed().as_secs_f64()
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    if !bench {
        diagnostics_of_unused_segments(500);
    } else {
        for n in [5_000, 20_000] {
            let secs = diagnostics_of_unused_segments(n);
            println!("check and render {n} diagnostics: {:.2} s", secs);
        }
    }
    let text = policy(200);
    let lines = text.lines().count();
    let policy = Policy::compile(&text).expect("the generated policy compiles");
    assert_eq!(policy.program.journeys.len(), 200);
    if !bench {
        println!("compile: 1 passed, 0 failed");
        return;
    }
    let runs = 20;
    let mut best = f64::MAX;
    let mut total = 0.0;
    for _ in 0..runs {
        let start = Instant::now();
        let compiled = Policy::compile(&text).expect("compiles");
        let secs = start.elapsed().as_secs_f64();
        std::hint::black_box(compiled);
        best = best.min(secs);
        total += secs;
    }
    println!(
        "compile {lines} lines, {} journeys: best {:.1} ms, mean {:.1} ms over {runs} runs",
        policy.program.journeys.len(),
        best * 1e3,
        total / runs as f64 * 1e3
    );
}
