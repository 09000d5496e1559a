//! What the `cxl` binary does to the files and streams it writes (issue 15,
//! items 1 and 5): an output that is the same file as an input, or as another
//! output, is refused before anything is written; output files appear whole at
//! the end of a run, never half written; stdout holds whole lines even after a
//! `kill -9`; a full disk is exit 2 with a message, a closed stdout a quiet
//! exit 0, for every verb, and nothing panics.

#![cfg(unix)]

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const POLICY: &str = "tests/fixtures/eval/claims.cxl";
const LOG: &str = "tests/fixtures/eval/claims.ndjson";
const CUSTOMERS: &str = "tests/fixtures/eval/customers.ndjson";
const BROKEN_POLICY: &str = "tests/fixtures/eval/broken.cxl";

/// `cxl` run from the crate root, as a user runs it.
fn cxl() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cxl"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.env("NO_COLOR", "1");
    cmd.stdin(Stdio::null());
    cmd
}

/// An empty scratch directory of its own for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_outputs")
        .join(test);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// A copy of a fixture in `dir`, to be put at risk.
fn copy(fixture: &str, dir: &Path) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
    let to = dir.join(from.file_name().expect("a file name"));
    fs::copy(&from, &to).expect("a copy of the fixture");
    to
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("cxl exits with a code")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `cxl eval` on the policy and log copied into `dir`, with `extra` flags.
fn eval_in(dir: &Path, extra: &[&Path]) -> Output {
    let policy = copy(POLICY, dir);
    let log = copy(LOG, dir);
    cxl()
        .arg("eval")
        .args(extra)
        .arg(policy)
        .arg(log)
        .output()
        .expect("cxl runs")
}

/// The run was refused before it wrote anything: exit 2 and `message` said.
fn assert_refused(output: &Output, message: &str) {
    assert_eq!(code(output), 2, "{}", stderr(output));
    assert!(stderr(output).contains(message), "{}", stderr(output));
    assert!(output.stdout.is_empty(), "no report of a refused run");
}

// ---- an output that is an input ----------------------------------------------------

#[test]
fn a_reject_file_naming_the_log_is_refused_and_the_log_kept() {
    let dir = scratch("reject_file_is_the_log");
    let before = read(&copy(LOG, &dir));
    let log = dir.join("claims.ndjson");
    let ran = eval_in(&dir, &[Path::new("--reject-file"), &log]);
    assert_refused(&ran, "is the same file as the log");
    assert_eq!(read(&log), before, "the log is untouched");
}

#[test]
fn escalations_naming_the_policy_are_refused_and_the_policy_kept() {
    let dir = scratch("escalations_is_the_policy");
    let before = read(&copy(POLICY, &dir));
    let policy = dir.join("claims.cxl");
    let ran = eval_in(&dir, &[Path::new("--escalations"), &policy]);
    assert_refused(&ran, "--escalations");
    assert!(stderr(&ran).contains("the same file as the policy"));
    assert_eq!(read(&policy), before, "the policy is untouched");
}

#[test]
fn a_hard_link_to_the_log_is_caught() {
    let dir = scratch("hard_link_to_the_log");
    let before = read(&copy(LOG, &dir));
    let link = dir.join("rejects.ndjson");
    fs::hard_link(dir.join("claims.ndjson"), &link).expect("a hard link");
    let ran = eval_in(&dir, &[Path::new("--reject-file"), &link]);
    assert_refused(&ran, "is the same file as the log");
    assert_eq!(read(&dir.join("claims.ndjson")), before);
}

#[test]
fn a_symlink_to_the_log_is_caught() {
    let dir = scratch("symlink_to_the_log");
    let before = read(&copy(LOG, &dir));
    let link = dir.join("escalations.ndjson");
    std::os::unix::fs::symlink("claims.ndjson", &link).expect("a symlink");
    let ran = eval_in(&dir, &[Path::new("--escalations"), &link]);
    assert_refused(&ran, "is the same file as the log");
    assert_eq!(read(&dir.join("claims.ndjson")), before);
}

#[test]
fn the_customers_file_is_an_input_too() {
    let dir = scratch("customers_is_an_input");
    let customers = copy(CUSTOMERS, &dir);
    let before = read(&customers);
    let ran = eval_in(
        &dir,
        &[
            Path::new("--customers"),
            &customers,
            Path::new("--reject-file"),
            &customers,
        ],
    );
    assert_refused(&ran, "is the same file as --customers");
    assert_eq!(read(&customers), before);
}

#[test]
fn two_outputs_naming_one_file_are_refused() {
    let dir = scratch("two_outputs_one_file");
    let plain = dir.join("out.ndjson");
    let roundabout = dir.join(".").join("out.ndjson");
    let ran = eval_in(
        &dir,
        &[
            Path::new("--reject-file"),
            &plain,
            Path::new("--escalations"),
            &roundabout,
        ],
    );
    assert_refused(&ran, "are the same file");
    assert!(!plain.exists(), "nothing written");
}

#[test]
fn stdout_appending_to_the_log_is_refused() {
    let dir = scratch("stdout_is_the_log");
    let policy = copy(POLICY, &dir);
    let log = copy(LOG, &dir);
    let before = read(&log);
    let append = File::options().append(true).open(&log).expect("the log");
    let ran = cxl()
        .arg("eval")
        .arg(&policy)
        .arg(&log)
        .stdout(append)
        .output()
        .expect("cxl runs");
    assert_eq!(code(&ran), 2, "{}", stderr(&ran));
    assert!(
        stderr(&ran).contains("stdout is the same file as the log"),
        "{}",
        stderr(&ran)
    );
    assert_eq!(read(&log), before, "no report appended to the log");
}

#[test]
fn simulate_appending_to_its_policy_is_refused() {
    let dir = scratch("simulate_into_the_policy");
    let policy = copy(POLICY, &dir);
    let before = read(&policy);
    let append = File::options().append(true).open(&policy).expect("policy");
    let ran = cxl()
        .arg("simulate")
        .arg(&policy)
        .stdout(append)
        .output()
        .expect("cxl runs");
    assert_eq!(code(&ran), 2, "{}", stderr(&ran));
    assert!(stderr(&ran).contains("stdout is the same file as the policy"));
    assert_eq!(read(&policy), before);
}

/// `check` and `test` read several policies and write only stdout: stdout
/// appended to the second policy is refused, and that policy kept.
#[test]
fn check_and_test_appending_to_a_policy_they_read_are_refused() {
    for verb in ["check", "test"] {
        let dir = scratch(&format!("{verb}_into_a_policy"));
        let policy = copy(POLICY, &dir);
        let before = read(&policy);
        let append = File::options().append(true).open(&policy).expect("policy");
        let ran = cxl()
            .args([verb, POLICY])
            .arg(&policy)
            .stdout(append)
            .output()
            .expect("cxl runs");
        assert_eq!(code(&ran), 2, "{verb}: {}", stderr(&ran));
        assert!(stderr(&ran).contains("stdout is the same file as the policy"));
        assert_eq!(read(&policy), before, "{verb}");
    }
}

/// An output named through a symlink is written where the link points; the link
/// stays a link (a rename over its name would have replaced it).
#[test]
fn an_output_through_a_symlink_writes_its_target() {
    let dir = scratch("output_through_a_symlink");
    let link = dir.join("escalations.ndjson");
    std::os::unix::fs::symlink("routed.ndjson", &link).expect("a symlink");
    let ran = eval_in(&dir, &[Path::new("--escalations"), &link]);
    assert_eq!(code(&ran), 1, "a red finding: {}", stderr(&ran));
    assert!(fs::symlink_metadata(&link)
        .expect("the link")
        .file_type()
        .is_symlink());
    assert!(read(&dir.join("routed.ndjson")).contains("vip_off_path"));
}

/// A device is written in place, as itself: `/dev/stderr` (here a pipe) gets the
/// escalations, and the same command with a FIFO routes them to its reader.
#[test]
fn a_device_or_a_fifo_output_is_written_in_place() {
    let ran = cxl()
        .args(["eval", "--escalations", "/dev/stderr", POLICY, LOG])
        .output()
        .expect("cxl runs");
    assert_eq!(code(&ran), 1, "{}", stderr(&ran));
    assert!(stderr(&ran).contains("\"escalation\":\"vip_off_path\""));

    let dir = scratch("fifo_output");
    let fifo = dir.join("escalations.ndjson");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let reading = {
        let fifo = fifo.clone();
        std::thread::spawn(move || read(&fifo))
    };
    let ran = cxl()
        .args(["eval", "--escalations"])
        .arg(&fifo)
        .args([POLICY, LOG])
        .output()
        .expect("cxl runs");
    assert_eq!(code(&ran), 1, "{}", stderr(&ran));
    let routed = reading.join().expect("the FIFO's reader");
    assert!(routed.contains("vip_off_path"), "{routed}");
}

// ---- output files appear whole ---------------------------------------------------

/// A run that stops on an error leaves the previous output files as they were:
/// before, `--strict` left the escalations file truncated to what was written
/// before the bad record.
#[test]
fn a_run_that_stops_leaves_the_previous_output_files() {
    let dir = scratch("stopped_run_keeps_outputs");
    let escalations = dir.join("escalations.ndjson");
    let rejects = dir.join("rejects.ndjson");
    fs::write(&escalations, "previous escalations\n").expect("written");
    fs::write(&rejects, "previous rejects\n").expect("written");
    let ran = eval_in(
        &dir,
        &[
            Path::new("--strict"),
            Path::new("--escalations"),
            &escalations,
            Path::new("--reject-file"),
            &rejects,
        ],
    );
    assert_eq!(code(&ran), 2, "{}", stderr(&ran));
    assert!(stderr(&ran).contains("--strict"), "{}", stderr(&ran));
    assert_eq!(read(&escalations), "previous escalations\n");
    assert_eq!(read(&rejects), "previous rejects\n");
    assert_eq!(leftovers(&dir), Vec::<String>::new());
}

/// A finished run replaces the file whole, keeps its permissions, and leaves no
/// temporary file behind.
#[test]
fn a_finished_run_replaces_the_output_and_keeps_its_mode() {
    let dir = scratch("finished_run_replaces");
    let escalations = dir.join("escalations.ndjson");
    fs::write(&escalations, "previous\n").expect("written");
    fs::set_permissions(&escalations, fs::Permissions::from_mode(0o640)).expect("chmod");
    let ran = eval_in(&dir, &[Path::new("--escalations"), &escalations]);
    assert_eq!(code(&ran), 1, "{}", stderr(&ran));
    let routed = read(&escalations);
    assert!(routed.starts_with("{\"") && routed.contains("vip_off_path"));
    let mode = fs::metadata(&escalations).expect("the file").permissions();
    assert_eq!(mode.mode() & 0o777, 0o640);
    assert_eq!(leftovers(&dir), Vec::<String>::new());
}

/// Files of `dir` other than the ones the tests put there.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("the directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| {
            ![
                "claims.cxl",
                "claims.ndjson",
                "escalations.ndjson",
                "rejects.ndjson",
            ]
            .contains(&n.as_str())
        })
        .collect();
    names.sort();
    names
}

/// A log long enough that a run is still going when it is killed: gold
/// customers who skip `acknowledge` (a finding and an escalation each), and
/// every tenth line not JSON (a rejected record).
fn long_log(dir: &Path, customers: usize) -> PathBuf {
    let path = dir.join("long.ndjson");
    let mut out = std::io::BufWriter::new(File::create(&path).expect("the log"));
    for c in 0..customers {
        // Two seconds a customer from 2026-03-01: every time in March.
        let (day, s) = (1 + c * 2 / 86_400, c * 2 % 86_400);
        let time = |plus: usize| {
            let s = s + plus;
            format!(
                "2026-03-{day:02}T{:02}:{:02}:{:02}Z",
                s / 3600,
                s / 60 % 60,
                s % 60
            )
        };
        writeln!(
            out,
            "{{\"customer\":\"c{c}\",\"step\":\"Claim reported\",\"time\":\"{}\",\"channel\":\"phone\",\"tier\":\"gold\"}}\n\
             {{\"customer\":\"c{c}\",\"step\":\"decide\",\"time\":\"{}\"}}",
            time(0),
            time(1)
        )
        .expect("written");
        if c % 5 == 0 {
            writeln!(out, "not json {c}").expect("written");
        }
    }
    out.flush().expect("written");
    path
}

/// Lets `child` fill its stdout pipe, which no one reads, until it is stuck
/// writing; then `kill -9` and all it wrote. A write of more than the pipe has
/// room for goes in part, so whatever `cxl` writes at once shows here cut.
fn kill_when_stuck(mut child: Child) -> String {
    let mut stdout = child.stdout.take().expect("a pipe");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().expect("cxl").is_none(),
        "cxl ended before it was killed: give it more to do"
    );
    child.kill().expect("kill -9");
    child.wait().expect("cxl ends");
    let mut written = String::new();
    stdout.read_to_string(&mut written).expect("what cxl wrote");
    written
}

/// `kill -9` in the middle of an evaluation: the output files are as they were,
/// and stdout ends at the end of a line.
#[test]
fn a_killed_eval_leaves_previous_files_and_whole_lines() {
    let dir = scratch("killed_eval");
    let log = long_log(&dir, 100_000);
    let escalations = dir.join("escalations.ndjson");
    let rejects = dir.join("rejects.ndjson");
    fs::write(&escalations, "previous escalations\n").expect("written");
    fs::write(&rejects, "previous rejects\n").expect("written");
    let child = cxl()
        .args(["eval", "--format", "ndjson", "--lateness", "0s"])
        .arg("--escalations")
        .arg(&escalations)
        .arg("--reject-file")
        .arg(&rejects)
        .arg(POLICY)
        .arg(&log)
        .stdout(Stdio::piped())
        .spawn()
        .expect("cxl runs");
    let written = kill_when_stuck(child);
    assert!(written.len() > 10_000, "findings came before the kill");
    assert!(
        written.ends_with('\n'),
        "ends mid-line: {:?}",
        tail(&written)
    );
    let kept = |path: &Path, previous: &str| read(path) == previous;
    assert!(
        kept(&escalations, "previous escalations\n"),
        "escalations file changed"
    );
    assert!(kept(&rejects, "previous rejects\n"), "reject file changed");
}

/// `kill -9` in the middle of a simulation: stdout ends at the end of a line.
#[test]
fn a_killed_simulation_leaves_whole_lines() {
    let child = cxl()
        .args(["simulate", "--customers", "100000000", POLICY])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cxl runs");
    let written = kill_when_stuck(child);
    assert!(written.len() > 10_000, "records came before the kill");
    assert!(
        written.ends_with('\n'),
        "ends mid-line: {:?}",
        tail(&written)
    );
}

fn tail(text: &str) -> &str {
    let start = text.len().saturating_sub(80);
    text.get(start..).unwrap_or(text)
}

// ---- a full disk, a closed pipe --------------------------------------------------

/// One command per verb, each with output on stdout.
fn every_verb() -> Vec<Vec<&'static str>> {
    vec![
        vec!["check", "--format", "json", POLICY],
        vec!["check", "--format", "json", BROKEN_POLICY],
        vec!["eval", POLICY, LOG],
        vec!["eval", "--format", "json", POLICY, LOG],
        vec!["eval", "--format", "ndjson", POLICY, LOG],
        vec!["eval", "--threads", "3", "--format", "ndjson", POLICY, LOG],
        vec!["eval", "--threads", "1", "--format", "ndjson", POLICY, LOG],
        vec!["graph", POLICY],
        vec!["graph", "--format", "json", POLICY],
        vec!["profile", LOG],
        vec!["profile", "--format", "json", LOG],
        vec!["simulate", "--customers", "1000", POLICY],
        vec!["test", POLICY],
        vec!["test", "--format", "junit", POLICY],
        vec!["test", "--format", "json", POLICY],
        vec!["check", "--format", "sarif", BROKEN_POLICY],
        vec!["check", "--format", "github", BROKEN_POLICY],
        vec!["eval", "--format", "sarif", POLICY, LOG],
        vec!["eval", "--format", "github", POLICY, LOG],
    ]
}

#[test]
fn every_verb_on_a_full_disk_is_exit_2_with_a_message() {
    for args in every_verb() {
        let full = File::options()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let ran = cxl().args(&args).stdout(full).output().expect("cxl runs");
        let said = stderr(&ran);
        assert_eq!(code(&ran), 2, "{args:?}: {said}");
        assert!(
            said.contains("error: cannot write stdout: No space left on device"),
            "{args:?}: {said}"
        );
        assert!(!said.contains("panicked"), "{args:?}: {said}");
    }
}

/// A pipe whose reader is gone: `true` read nothing and ended.
fn closed_pipe() -> Stdio {
    let mut reader = Command::new("true")
        .stdin(Stdio::piped())
        .spawn()
        .expect("`true` runs");
    let pipe = reader.stdin.take().expect("a pipe");
    reader.wait().expect("`true` ends");
    Stdio::from(pipe)
}

#[test]
fn every_verb_on_a_closed_pipe_ends_quietly_with_exit_0() {
    for args in every_verb() {
        let ran = cxl()
            .args(&args)
            .stdout(closed_pipe())
            .output()
            .expect("cxl runs");
        let said = stderr(&ran);
        assert_eq!(code(&ran), 0, "{args:?}: {said}");
        assert!(!said.contains("error"), "{args:?}: {said}");
        assert!(!said.contains("panicked"), "{args:?}: {said}");
    }
}

#[test]
fn an_output_file_on_a_full_disk_is_exit_2() {
    let ran = cxl()
        .args(["eval", "--escalations", "/dev/full", POLICY, LOG])
        .output()
        .expect("cxl runs");
    assert_eq!(code(&ran), 2, "{}", stderr(&ran));
    assert!(
        stderr(&ran).contains("cannot write `/dev/full`: No space left on device"),
        "{}",
        stderr(&ran)
    );
}

/// Diagnostics go to stderr: a full one does not turn exit 1 into a panic.
#[test]
fn a_full_stderr_does_not_panic() {
    let full = File::options()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let ran = cxl()
        .args(["check", BROKEN_POLICY])
        .stderr(full)
        .output()
        .expect("cxl runs");
    assert_eq!(code(&ran), 1, "the policy has errors; nothing panicked");
}
