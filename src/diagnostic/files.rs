//! The files of one policy, laid end to end in one space of byte offsets: a
//! policy split across files by `use "..."` is parsed file by file, each at its
//! own base offset ([`crate::syntax::parse_at`]), so a [`super::Span`] needs no
//! file id to say which file it is in. [`Sources`] is the position map back:
//! from a span to its file, its name and the span within it, for every
//! rendering of a place (miette, JSON, SARIF, GitHub, JUnit, the text report).
//!
//! The joined text (each file followed by a newline) is what the later stages
//! read slices and lines of, exactly as they read a single file's text.

use super::{LineIndex, Span};

/// One policy file: its name as the user gave it (or as joined to the path of
/// the file that `use`s it) and where its text starts in the joined text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The path, as shown in diagnostics.
    pub name: String,
    /// The offset of its first byte in [`Sources::text`].
    pub base: usize,
    /// Its length in bytes.
    pub len: usize,
}

/// The files of one policy and their text, joined.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
    text: String,
}

impl Sources {
    /// No files yet.
    pub fn new() -> Self {
        Sources::default()
    }

    /// One file, at offset 0: a policy written in one file.
    pub fn single(name: &str, text: &str) -> Self {
        let mut sources = Sources::new();
        sources.add(name, text);
        sources
    }

    /// Add a file after the others; returns its base offset, the offset its
    /// spans start at.
    pub fn add(&mut self, name: &str, text: &str) -> usize {
        let base = self.text.len();
        self.text.push_str(text);
        // One byte between files, so that a span at the very end of one file
        // (an error at end of input) is never the first byte of the next.
        self.text.push('\n');
        self.files.push(SourceFile {
            name: name.to_string(),
            base,
            len: text.len(),
        });
        base
    }

    /// The files, in the order they were added.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The text of every file, each followed by a newline: what spans index.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text of the `index`th file.
    pub fn file_text(&self, index: usize) -> &str {
        self.files
            .get(index)
            .and_then(|f| self.text.get(f.base..f.base + f.len))
            .unwrap_or("")
    }

    /// The index of the file byte `offset` is in (its end and the newline after
    /// it count as its own); the last file for an offset past every file.
    pub fn index_of(&self, offset: usize) -> usize {
        self.files
            .partition_point(|f| f.base <= offset)
            .saturating_sub(1)
    }

    /// The file `span` starts in and the span within that file, pulled back
    /// inside it when it runs past its end.
    pub fn locate(&self, span: Span) -> Option<(&SourceFile, Span)> {
        let file = self.files.get(self.index_of(span.start))?;
        let start = span.start.saturating_sub(file.base).min(file.len);
        let end = span.end.saturating_sub(file.base).min(file.len).max(start);
        Some((file, Span::new(start, end)))
    }

    /// The file's name and the 1-based line of byte `offset`, through `lines`,
    /// an index of [`Sources::text`].
    pub fn line(&self, lines: &LineIndex, offset: usize) -> (&str, usize) {
        match self.files.get(self.index_of(offset)) {
            Some(file) => {
                let first = lines.line(file.base);
                (file.name.as_str(), lines.line(offset) + 1 - first)
            }
            None => ("", lines.line(offset)),
        }
    }
}

/// Lines of a policy's files, for the places a compiled rule records: the
/// line within its own file, and that file's name when there are several.
#[derive(Debug)]
pub struct Lines<'a> {
    sources: &'a Sources,
    index: LineIndex,
}

impl<'a> Lines<'a> {
    /// Index the lines of every file of `sources` at once.
    pub fn new(sources: &'a Sources) -> Self {
        Lines {
            sources,
            index: LineIndex::new(sources.text()),
        }
    }

    /// The 1-based line of byte `offset` within its file.
    pub fn line(&self, offset: usize) -> usize {
        self.sources.line(&self.index, offset).1
    }

    /// The name of the file byte `offset` is in, when the policy has several
    /// files (a one-file policy's places need no file name).
    pub fn file(&self, offset: usize) -> Option<String> {
        (self.sources.files().len() > 1)
            .then(|| self.sources.line(&self.index, offset).0.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_is_found_in_its_file() {
        let mut sources = Sources::new();
        assert_eq!(sources.add("a.cxl", "one\ntwo"), 0);
        let b = sources.add("b.cxl", "three\n");
        assert_eq!(b, 8);
        assert_eq!(sources.text(), "one\ntwo\nthree\n\n");
        assert_eq!(sources.file_text(1), "three\n");
        let (file, span) = sources.locate(Span::new(b + 1, b + 3)).expect("in b");
        assert_eq!((file.name.as_str(), span), ("b.cxl", Span::new(1, 3)));
        // The end of a file is its own, not the next one's.
        let (file, span) = sources.locate(Span::new(7, 7)).expect("end of a");
        assert_eq!((file.name.as_str(), span), ("a.cxl", Span::new(7, 7)));
        let lines = LineIndex::new(sources.text());
        assert_eq!(sources.line(&lines, 5), ("a.cxl", 2));
        assert_eq!(sources.line(&lines, b + 2), ("b.cxl", 1));
    }
}
