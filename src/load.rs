//! The front end's first step for a policy in several files: read the files
//! named, and every file they `use "..."` (a path relative to the using file's
//! directory), each once, parse each at its own offset
//! ([`syntax::parse_at`]), and join them into one [`ParsedFile`] that `check`
//! and `compile` take as they take one file. Spans then say which file they
//! are in through [`Sources`].
//!
//! The loader reads nothing itself: it is handed a function that reads a path
//! (the CLI's reads the file system; tests read a map), so the library stays
//! pure. A file is known by its path, made lexically normal (`a/./b/../c.cxl`
//! is `a/c.cxl`), so a file two others use (a diamond) is read once; a file
//! that comes back to itself is E0215 at the `use` that closes the cycle, and
//! a file that cannot be read is E0216 at the `use` naming it.

use crate::diagnostic::{self, Code, Diagnostic, Sources, Span};
use crate::syntax::{self, Decl, ParsedFile, PolicyFile};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// A policy read from its files: their texts and the declarations of all of
/// them, as one parsed file.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The files, in the order they were read (a file before the files it uses).
    pub sources: Sources,
    /// Every file's declarations, comments and syntax diagnostics, with the
    /// problems of reading the files (E0215, E0216), sorted by position.
    pub parsed: ParsedFile,
}

/// An entry file (one the user named) that cannot be read: not a diagnostic
/// of the policy but a usage error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read `{path}`: {reason}")]
pub struct EntryError {
    /// The path as given.
    pub path: String,
    /// Why not, as the reading function said.
    pub reason: String,
}

impl Loaded {
    /// A policy written in one text, named `name` (no file is read: its
    /// `use "..."` lines are E0216).
    pub fn single(name: &str, text: &str) -> Loaded {
        let sources = Sources::single(name, text);
        let mut parsed = syntax::parse(text);
        for decl in &parsed.file.decls {
            if let Some(file) = used_file(decl) {
                parsed.diagnostics.push(unreadable(
                    file.span,
                    &file.value,
                    "the policy was given as text, not read from a file",
                ));
            }
        }
        diagnostic::sort(&mut parsed.diagnostics);
        Loaded { sources, parsed }
    }

    /// The normal paths of the files read, in order (see [`normal`]).
    pub fn paths(&self) -> impl Iterator<Item = String> + '_ {
        self.sources.files().iter().map(|f| normal(&f.name))
    }
}

/// Read the files `entries` and every file they use, each once, with `read`
/// (a path to its text, or why it cannot be read).
pub fn load(
    entries: &[String],
    read: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<Loaded, EntryError> {
    let mut loader = Loader {
        read,
        sources: Sources::new(),
        parsed: ParsedFile {
            file: PolicyFile {
                decls: Vec::new(),
                broken: Vec::new(),
            },
            diagnostics: Vec::new(),
            comments: Vec::new(),
        },
        state: BTreeMap::new(),
        stack: Vec::new(),
    };
    for entry in entries {
        loader.visit(entry, None)?;
    }
    let mut parsed = loader.parsed;
    diagnostic::sort(&mut parsed.diagnostics);
    Ok(Loaded {
        sources: loader.sources,
        parsed,
    })
}

/// A path made lexically normal: `.` parts dropped, `x/..` taken out; what
/// tells two spellings of one file apart from two files.
pub fn normal(path: &str) -> String {
    let mut out = PathBuf::new();
    for part in Path::new(path).components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out.to_string_lossy().into_owned()
}

/// Where a file is, or was, in the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Being read: the files it uses are being read.
    Open,
    /// Read with everything it uses.
    Done,
}

struct Loader<'r> {
    read: &'r mut dyn FnMut(&str) -> Result<String, String>,
    sources: Sources,
    parsed: ParsedFile,
    state: BTreeMap<String, State>,
    /// The files open, outermost first, for naming a cycle.
    stack: Vec<String>,
}

impl Loader<'_> {
    /// Read `path` and what it uses; `from` is the `use` naming it (`None`
    /// for an entry).
    fn visit(&mut self, path: &str, from: Option<Span>) -> Result<(), EntryError> {
        let key = normal(path);
        match (self.state.get(&key), from) {
            (Some(State::Done), _) => return Ok(()),
            (Some(State::Open), Some(at)) => {
                self.parsed.diagnostics.push(self.cycle(&key, at));
                return Ok(());
            }
            // An entry named again while it is open cannot happen: entries are
            // visited one after the other.
            (Some(State::Open), None) => return Ok(()),
            (None, _) => {}
        }
        let text = match (self.read)(path) {
            Ok(text) => text,
            Err(reason) => match from {
                Some(at) => {
                    self.state.insert(key, State::Done);
                    self.parsed.diagnostics.push(unreadable(at, path, &reason));
                    return Ok(());
                }
                None => {
                    return Err(EntryError {
                        path: path.to_string(),
                        reason,
                    })
                }
            },
        };
        self.state.insert(key.clone(), State::Open);
        self.stack.push(key.clone());
        let base = self.sources.add(path, &text);
        let parsed = syntax::parse_at(&text, base);
        let uses: Vec<(String, Span)> = parsed
            .file
            .decls
            .iter()
            .filter_map(used_file)
            .map(|file| (beside(path, &file.value), file.span))
            .collect();
        self.parsed.file.decls.extend(parsed.file.decls);
        self.parsed.file.broken.extend(parsed.file.broken);
        self.parsed.diagnostics.extend(parsed.diagnostics);
        self.parsed.comments.extend(parsed.comments);
        for (used, at) in uses {
            self.visit(&used, Some(at))?;
        }
        self.stack.pop();
        self.state.insert(key, State::Done);
        Ok(())
    }

    /// E0215 at the `use` at `at`, which names `key`, a file still open.
    fn cycle(&self, key: &str, at: Span) -> Diagnostic {
        let from = self.stack.iter().position(|k| k == key).unwrap_or(0);
        let mut ring: Vec<&str> = self.stack.iter().skip(from).map(String::as_str).collect();
        ring.push(key);
        let ring: Vec<String> = ring.iter().map(|f| format!("`{f}`")).collect();
        Diagnostic::new(Code::UseCycle, format!("`{key}` uses itself"))
            .with_label(at, "this `use` closes the cycle")
            .with_help(format!(
                "{}; move what the files share into a file that uses none of them",
                ring.join(" uses ")
            ))
    }
}

/// The file a declaration `use`s, if it is a `use "file.cxl"`.
fn used_file(decl: &Decl) -> Option<&syntax::Text> {
    match decl {
        Decl::Use(u) => u.file.as_ref(),
        _ => None,
    }
}

/// `used`, a path relative to the directory of the file `from`.
fn beside(from: &str, used: &str) -> String {
    let dir = Path::new(from).parent().unwrap_or(Path::new(""));
    dir.join(used).to_string_lossy().into_owned()
}

/// E0216 at the `use` at `at`, naming `path`.
fn unreadable(at: Span, path: &str, reason: &str) -> Diagnostic {
    Diagnostic::new(Code::UnreadableFile, format!("cannot read `{path}`"))
        .with_label(at, reason.to_string())
        .with_help("the path is relative to the directory of the file that uses it")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loader over files held in memory, counting the reads.
    fn load_from(files: &[(&str, &str)], entries: &[&str]) -> (Loaded, Vec<String>) {
        let mut reads = Vec::new();
        let mut read = |path: &str| -> Result<String, String> {
            reads.push(path.to_string());
            files
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, t)| t.to_string())
                .ok_or_else(|| "no such file".to_string())
        };
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        let loaded = load(&entries, &mut read).expect("the entries exist");
        (loaded, reads)
    }

    #[test]
    fn paths_are_made_normal() {
        assert_eq!(normal("./a/b/../c.cxl"), "a/c.cxl");
        assert_eq!(normal("../x.cxl"), "../x.cxl");
        assert_eq!(normal("a/../../x.cxl"), "../x.cxl");
    }

    #[test]
    fn a_diamond_is_read_once() {
        let files = [
            ("p/main.cxl", "use \"a.cxl\"\nuse \"sub/b.cxl\"\n"),
            ("p/a.cxl", "use \"common.cxl\"\n"),
            ("p/sub/b.cxl", "use \"../common.cxl\"\n"),
            ("p/common.cxl", "segment gold { when tier == \"gold\" }\n"),
        ];
        let (loaded, reads) = load_from(&files, &["p/main.cxl"]);
        assert_eq!(
            reads,
            ["p/main.cxl", "p/a.cxl", "p/common.cxl", "p/sub/b.cxl"]
        );
        assert!(loaded.parsed.diagnostics.is_empty());
        let paths: Vec<String> = loaded.paths().collect();
        assert_eq!(
            paths,
            ["p/main.cxl", "p/a.cxl", "p/common.cxl", "p/sub/b.cxl"]
        );
    }

    #[test]
    fn a_cycle_and_a_missing_file_are_diagnosed_at_their_use() {
        let files = [
            ("a.cxl", "use \"b.cxl\"\n"),
            ("b.cxl", "use \"a.cxl\"\nuse \"gone.cxl\"\n"),
        ];
        let (loaded, _) = load_from(&files, &["a.cxl"]);
        let found: Vec<(Code, &str)> = loaded
            .parsed
            .diagnostics
            .iter()
            .map(|d| (d.code, d.message.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (Code::UseCycle, "`a.cxl` uses itself"),
                (Code::UnreadableFile, "cannot read `gone.cxl`")
            ]
        );
        let at = loaded.parsed.diagnostics[0]
            .primary_span()
            .expect("a label");
        let (file, span) = loaded.sources.locate(at).expect("in a file");
        assert_eq!((file.name.as_str(), span), ("b.cxl", Span::new(4, 11)));
    }

    #[test]
    fn an_entry_that_cannot_be_read_is_an_error() {
        let mut read = |_: &str| -> Result<String, String> { Err("denied".into()) };
        let error = load(&["x.cxl".to_string()], &mut read).expect_err("unreadable");
        assert_eq!(error.to_string(), "cannot read `x.cxl`: denied");
    }
}
