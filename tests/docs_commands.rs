//! Every command the documentation shows runs, and prints what the documentation
//! says it prints.
//!
//! The `sh` code blocks of README.md, docs/*.md and examples/real/README.md are
//! read line by line; each command runs through the real binary (`cxl`,
//! `cargo run --` and `cargo run --release --` all mean the binary this test was
//! built with), from a scratch folder that holds a link to every top-level entry
//! of the repository (so `examples/claims.cxl` resolves, and `> ideal.ndjson`
//! writes into the scratch folder, never into the repository). Commands of one
//! document run in order in one scratch folder, so a later command can read what
//! an earlier one wrote.
//!
//! A command is expected to exit 0 unless its comment says otherwise
//! (`# exit 1: ...`). Where the documentation shows output — a `text` block whose
//! lines start with `$ cxl ...`, or the `text` block right after an `sh` block of
//! one command — the shown lines must be the real ones (stdout, then stderr), in
//! order: a line `...` stands for lines left out; without one, shown lines are
//! consecutive in the real output, and the first and last shown lines are its
//! first and last.
//!
//! Commands that are not `cxl` are refused unless [`NOT_RUN`] lists them with a
//! reason, so nothing is skipped silently.

use regex::Regex;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Commands the documentation shows that this test does not run, and why.
const NOT_RUN: &[(&str, &str)] = &[
    (
        "cargo test",
        "it is the test suite this test is part of: running it here would recurse",
    ),
    (
        "cargo bench",
        "a benchmark takes minutes in a release build; `cargo test` already runs each bench once on a small log (their `smoke`)",
    ),
];

/// The documents outside docs/ whose commands run (every docs/*.md runs too).
const DOCUMENTS: &[&str] = &["README.md", "examples/real/README.md"];

/// A fenced code block: its language and lines, and the line it starts on.
#[derive(Debug)]
struct Block {
    lang: String,
    line: usize,
    body: Vec<String>,
}

/// One command to run, with the exit code and output the document gives it.
#[derive(Debug)]
struct Shown {
    /// `file:line` of the command in the document.
    place: String,
    command: String,
    exit: i32,
    output: Option<Vec<String>>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fenced code blocks of a Markdown text, in order.
fn blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (fence, open.take()) {
            (Some(lang), None) => {
                open = Some(Block {
                    lang: lang.trim().to_string(),
                    line: i + 1,
                    body: Vec::new(),
                })
            }
            (Some(_), Some(block)) => blocks.push(block),
            (None, Some(mut block)) => {
                block.body.push(line.to_string());
                open = Some(block);
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "a code block is never closed");
    blocks
}

/// The commands of one document, with what it shows of them; and the commands
/// it shows that are not run (by [`NOT_RUN`]).
fn commands(file: &str, text: &str) -> (Vec<Shown>, Vec<String>) {
    let blocks = blocks(text);
    let mut shown = Vec::new();
    let mut skipped = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        let block = &blocks[i];
        if block.lang == "sh" {
            let mut ran = Vec::new();
            for (offset, command) in logical_lines(&block.body) {
                if let Some((prefix, _)) = NOT_RUN.iter().find(|(p, _)| command.starts_with(p)) {
                    skipped.push(format!("{prefix}: {command}"));
                    continue;
                }
                ran.push(Shown {
                    place: format!("{file}:{}", block.line + 1 + offset),
                    exit: expected_exit(&command),
                    command,
                    output: None,
                });
            }
            let next = blocks
                .get(i + 1)
                .filter(|b| b.lang == "text" && !is_session(b));
            if let Some(next) = next {
                assert!(
                    ran.len() <= 1,
                    "{file}:{}: the text block after this sh block shows output, but the block \
                     has {} commands: show it as `$ cxl ...` lines instead",
                    block.line,
                    ran.len()
                );
                if let Some(last) = ran.last_mut() {
                    last.output = Some(next.body.clone());
                    i += 1;
                }
            }
            shown.extend(ran);
        } else if block.lang == "text" && is_session(block) {
            shown.extend(session(file, block));
        }
        i += 1;
    }
    (shown, skipped)
}

/// A `text` block that shows a terminal: its first line is `$ command`.
fn is_session(block: &Block) -> bool {
    block.body.first().is_some_and(|l| l.starts_with("$ "))
}

/// The `$ command` lines of a terminal block, each with the lines up to the next.
fn session(file: &str, block: &Block) -> Vec<Shown> {
    let mut shown: Vec<Shown> = Vec::new();
    for (offset, line) in block.body.iter().enumerate() {
        match (line.strip_prefix("$ "), shown.last_mut()) {
            (Some(command), _) => shown.push(Shown {
                place: format!("{file}:{}", block.line + 1 + offset),
                exit: expected_exit(command),
                command: command.to_string(),
                output: Some(Vec::new()),
            }),
            (None, Some(last)) => last.output.get_or_insert_with(Vec::new).push(line.clone()),
            (None, None) => unreachable!("a session block starts with `$ `"),
        }
    }
    shown
}

/// The non-empty lines of an `sh` block, `\` continuations joined, each with its
/// offset in the block.
fn logical_lines(body: &[String]) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (offset, line) in body.iter().enumerate() {
        let (start, mut text) = current.take().unwrap_or((offset, String::new()));
        match line.trim_end().strip_suffix('\\') {
            Some(part) => {
                text.push_str(part);
                current = Some((start, text));
            }
            None => {
                text.push_str(line);
                if !text.trim().is_empty() && !text.trim_start().starts_with('#') {
                    lines.push((start, text.trim().to_string()));
                }
            }
        }
    }
    lines
}

/// The exit code a command's comment asks for (`# exit 1: ...`), else 0.
fn expected_exit(command: &str) -> i32 {
    let comment = tokens(command).1.unwrap_or_default();
    let exit = Regex::new(r"\bexits? (\d+)").expect("a valid regex");
    exit.captures(&comment)
        .and_then(|c| c[1].parse().ok())
        .unwrap_or(0)
}

/// A word of a command line, or a shell operator this test understands.
#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Pipe,
    Redirect,
}

/// The tokens of a command line (quotes as in the shell, no expansion), and its
/// comment.
fn tokens(line: &str) -> (Vec<Token>, Option<String>) {
    let mut tokens = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\'' | '"' => {
                let word = word.get_or_insert_with(String::new);
                for (_, q) in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    word.push(q);
                }
            }
            '#' if word.is_none() => return (tokens, Some(line[at + 1..].trim().to_string())),
            ' ' | '\t' | '|' | '>' => {
                tokens.extend(word.take().map(Token::Word));
                match c {
                    '|' => tokens.push(Token::Pipe),
                    '>' => tokens.push(Token::Redirect),
                    _ => {}
                }
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    tokens.extend(word.take().map(Token::Word));
    (tokens, None)
}

/// The arguments of the binary for one stage of a pipeline: the words after
/// `cxl`, `cargo run --` or `cargo run --release --`.
fn cxl_args<'a>(words: &'a [String], place: &str) -> &'a [String] {
    let prefixes: [&[&str]; 3] = [
        &["cxl"],
        &["cargo", "run", "--"],
        &["cargo", "run", "--release", "--"],
    ];
    for prefix in prefixes {
        if words.len() >= prefix.len() && words.iter().zip(prefix).all(|(w, p)| w.as_str() == *p) {
            return &words[prefix.len()..];
        }
    }
    panic!(
        "{place}: `{}` is not a cxl command: run it through `cxl`, or list it in NOT_RUN with the reason",
        words.join(" ")
    )
}

/// What one command printed, and how it ended.
struct Ran {
    code: i32,
    lines: Vec<String>,
}

/// Run a command line: a pipeline of `cxl` commands, its output optionally
/// redirected to a file of the scratch folder.
fn run(shown: &Shown, scratch: &Path) -> Ran {
    let (tokens, _) = tokens(&shown.command);
    let mut stages: Vec<Vec<String>> = vec![Vec::new()];
    let mut redirect: Option<String> = None;
    let mut tokens = tokens.into_iter();
    while let Some(token) = tokens.next() {
        match token {
            Token::Word(w) => stages.last_mut().expect("a stage").push(w),
            Token::Pipe => stages.push(Vec::new()),
            Token::Redirect => match tokens.next() {
                Some(Token::Word(file)) => redirect = Some(file),
                other => panic!("{}: `>` followed by {other:?}", shown.place),
            },
        }
    }
    for words in &stages {
        check_writes(words, redirect.as_deref(), &shown.place);
    }
    let mut children: Vec<Child> = Vec::new();
    for (n, words) in stages.iter().enumerate() {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cxl"));
        command
            .args(cxl_args(words, &shown.place))
            .current_dir(scratch)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match children.last_mut().and_then(|c| c.stdout.take()) {
            Some(out) => command.stdin(Stdio::from(out)),
            None => command.stdin(Stdio::null()),
        };
        if n + 1 == stages.len() {
            if let Some(file) = &redirect {
                let file = fs::File::create(scratch.join(file)).expect("a scratch file");
                command.stdout(file);
            }
        }
        children.push(command.spawn().expect("cxl starts"));
    }
    let last = children.pop().expect("one stage at least");
    for mut child in children {
        let status = child.wait().expect("a stage ends");
        assert!(
            status.success(),
            "{}: a stage of the pipeline failed",
            shown.place
        );
    }
    let output = last.wait_with_output().expect("cxl ends");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    Ran {
        code: output.status.code().unwrap_or(-1),
        lines: trimmed_lines(&text),
    }
}

/// A command writes only into the scratch folder: its redirection and its output
/// files are plain names.
fn check_writes(words: &[String], redirect: Option<&str>, place: &str) {
    let flags = ["--escalations", "--reject-file"];
    let written = words
        .windows(2)
        .filter(|w| flags.contains(&w[0].as_str()))
        .map(|w| w[1].as_str())
        .chain(redirect);
    for file in written {
        assert!(
            !file.contains('/') && !file.contains('\\'),
            "{place}: `{file}` would be written outside the scratch folder: write to a plain file name"
        );
    }
}

/// Lines without trailing blanks, and without blank lines at the end.
fn trimmed_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// Whether the shown lines are the real ones, `...` standing for lines left out;
/// `Err` says which shown line was not found where it should be.
fn matches(shown: &[String], real: &[String]) -> Result<(), String> {
    let shown = trimmed_lines(&shown.join("\n"));
    let is_gap = |l: &String| l.trim() == "...";
    let open_start = shown.first().is_some_and(is_gap);
    let open_end = shown.last().is_some_and(is_gap);
    let segments: Vec<&[String]> = shown.split(is_gap).filter(|s| !s.is_empty()).collect();
    let mut at = 0;
    for (n, segment) in segments.iter().enumerate() {
        let first = n == 0 && !open_start;
        let last = n + 1 == segments.len() && !open_end;
        let found = if last {
            let start = real.len().checked_sub(segment.len()).filter(|&s| s >= at);
            start.filter(|&s| (!first || s == 0) && real[s..] == **segment)
        } else if first {
            real.starts_with(segment).then_some(0)
        } else {
            (at..=real.len().saturating_sub(segment.len()))
                .find(|&s| real[s..].starts_with(segment))
        };
        match found {
            Some(start) => at = start + segment.len(),
            None => {
                let wanted = if first && last {
                    "as the whole output"
                } else if first {
                    "as the first lines"
                } else if last {
                    "as the last lines"
                } else {
                    "after the lines before it"
                };
                return Err(format!(
                    "these shown lines are not in the real output {wanted}:\n{}",
                    segment.join("\n")
                ));
            }
        }
    }
    Ok(())
}

/// Run every command of one document; panic with every failure at once.
fn run_document(file: &str) -> usize {
    let text = fs::read_to_string(repo().join(file)).expect("the document exists");
    let (shown, skipped) = commands(file, &text);
    let scratch = scratch_for(file);
    let mut failures = Vec::new();
    for command in &shown {
        let ran = run(command, &scratch);
        if ran.code != command.exit {
            failures.push(format!(
                "{}: `{}` exited {}, the document expects {}\n{}",
                command.place,
                command.command,
                ran.code,
                command.exit,
                ran.lines.join("\n")
            ));
        }
        if let Some(output) = &command.output {
            if let Err(why) = matches(output, &ran.lines) {
                failures.push(format!(
                    "{}: `{}` does not print what the document shows: {why}\n--- real output:\n{}",
                    command.place,
                    command.command,
                    ran.lines.join("\n")
                ));
            }
        }
    }
    for s in &skipped {
        eprintln!("{file}: not run ({s})");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    shown.len()
}

/// A fresh scratch folder for one document, with a link to every top-level
/// entry of the repository but `target` and `.git`.
fn scratch_for(file: &str) -> PathBuf {
    let name = file.replace(['/', '.'], "_");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("docs_commands")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a scratch folder");
    for entry in fs::read_dir(repo()).expect("the repository").flatten() {
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        link(&entry.path(), &dir.join(&name));
    }
    dir
}

#[cfg(unix)]
fn link(from: &Path, to: &Path) {
    std::os::unix::fs::symlink(from, to).expect("a link in the scratch folder");
}

#[cfg(not(unix))]
fn link(from: &Path, to: &Path) {
    if from.is_dir() {
        std::os::windows::fs::symlink_dir(from, to).expect("a link in the scratch folder");
    } else {
        fs::copy(from, to).expect("a copy in the scratch folder");
    }
}

#[test]
fn readme_commands_run_and_print_what_it_shows() {
    let ran = run_document("README.md");
    assert!(
        ran >= 10,
        "the README shows {ran} commands: did the parsing break?"
    );
}

#[test]
fn real_examples_readme_commands_run() {
    let ran = run_document("examples/real/README.md");
    assert!(
        ran >= 1,
        "examples/real/README.md shows no command: did the parsing break?"
    );
}

#[test]
fn docs_commands_run_and_print_what_they_show() {
    let mut ran = 0;
    for entry in fs::read_dir(repo().join("docs")).expect("docs/").flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "md") {
            let name = format!("docs/{}", entry.file_name().to_string_lossy());
            ran += run_document(&name);
        }
    }
    assert!(ran >= 1, "docs/ shows no command: did the parsing break?");
}

#[test]
fn every_document_with_commands_is_run() {
    for file in DOCUMENTS {
        assert!(
            repo().join(file).is_file(),
            "{file} is gone: update DOCUMENTS"
        );
    }
}

/// The harness itself: elision, order and whole-output rules.
mod harness {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn shown_lines_with_gaps_match_in_order() {
        let real = lines("a\nb\nc\nd\ne");
        assert!(matches(&lines("a\n...\nc\nd\n...\ne"), &real).is_ok());
        assert!(matches(&lines("...\nc\n..."), &real).is_ok());
        assert!(matches(&lines("a\nb\nc\nd\ne"), &real).is_ok());
    }

    #[test]
    fn shown_lines_out_of_order_or_changed_fail() {
        let real = lines("a\nb\nc\nd\ne");
        assert!(matches(&lines("a\n...\nd\nc\n..."), &real).is_err());
        assert!(matches(&lines("a\n...\nx\n..."), &real).is_err());
        assert!(matches(&lines("...\nc\n...\nb\n..."), &real).is_err());
    }

    #[test]
    fn without_a_gap_the_shown_lines_are_consecutive_and_whole() {
        let real = lines("a\nb\nc\nd\ne");
        assert!(
            matches(&lines("a\nc\n...\ne"), &real).is_err(),
            "a and c are not consecutive"
        );
        assert!(
            matches(&lines("a\nb\n...\nd"), &real).is_err(),
            "d is not the last line"
        );
        assert!(
            matches(&lines("b\n...\ne"), &real).is_err(),
            "b is not the first line"
        );
        assert!(
            matches(&lines("a\nb"), &real).is_err(),
            "the output goes on after b"
        );
    }

    #[test]
    fn commands_carry_their_exit_code_and_output() {
        let doc = "```sh\ncargo run -- check a.cxl   # exit 1: errors\ncargo bench --bench eval\n```\n\
                   text\n```text\nshown\n```\n```text\n$ cxl graph a.cxl\nflowchart\n$ cxl test a.cxl\n```\n";
        let (shown, skipped) = commands("doc.md", doc);
        assert_eq!(skipped.len(), 1);
        assert_eq!(shown.len(), 3);
        assert_eq!(
            (shown[0].exit, shown[0].output.as_deref()),
            (1, Some(&["shown".to_string()][..]))
        );
        assert_eq!(shown[0].place, "doc.md:2");
        assert_eq!(shown[1].command, "cxl graph a.cxl");
        assert_eq!(
            shown[1].output.as_deref(),
            Some(&["flowchart".to_string()][..])
        );
        assert_eq!(shown[2].output.as_deref(), Some(&[][..]));
    }

    #[test]
    fn quotes_pipes_redirections_and_comments_are_read() {
        let (tokens, comment) = tokens("cxl eval p.cxl - --map 'a b' | cxl x > out.ndjson # note");
        let words = |ws: &[&str]| {
            ws.iter()
                .map(|w| Token::Word(w.to_string()))
                .collect::<Vec<_>>()
        };
        let mut want = words(&["cxl", "eval", "p.cxl", "-", "--map", "a b"]);
        want.push(Token::Pipe);
        want.extend(words(&["cxl", "x"]));
        want.push(Token::Redirect);
        want.extend(words(&["out.ndjson"]));
        assert_eq!(tokens, want);
        assert_eq!(comment.as_deref(), Some("note"));
    }
}
