//! The policy text as miette reads it to render a diagnostic: lines found through a
//! [`LineIndex`] rather than by scanning the text from its start, and long lines cut
//! to a window around the label.
//!
//! miette's own `SourceCode` for a string walks the text from its first byte for every
//! label, so rendering one diagnostic per declaration of a large file took time
//! quadratic in its size (36 s for 20 000 declarations). And miette lays a label out
//! with a format width of its column, which panics past column 65 535, so a label on
//! a 100 KB line could not be shown at all. Here each read costs the few lines it
//! returns, and a label on a long line is shown with the text around it only.

use super::LineIndex;
use super::Span;
use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// A line longer than this (in bytes) is shown only around its labels.
const LONG_LINE: usize = 512;
/// How much of a long line is shown either side of a label, in bytes.
const PAD: usize = 40;
/// The longest label drawn on a long line, in bytes: the start of a longer one is
/// underlined, which is where the problem is.
const LONG_LINE_LABEL: usize = 80;
/// The widest span of a long line read at once. miette asks for one span covering
/// two labels to draw them together; farther apart than this they are drawn apart.
const WIDEST_WINDOW: usize = 1024;

/// A named policy text with its line index, shared by every diagnostic of a file.
#[derive(Debug)]
pub(crate) struct SourceText {
    name: String,
    text: String,
    lines: LineIndex,
}

impl SourceText {
    /// Index `text`, the file called `name`.
    pub(crate) fn new(name: &str, text: &str) -> Self {
        SourceText {
            name: name.to_string(),
            text: text.to_string(),
            lines: LineIndex::new(text),
        }
    }

    /// The length of the text in bytes.
    pub(crate) fn len(&self) -> usize {
        self.text.len()
    }

    /// `span` as it can be drawn: on a long line, at most [`LONG_LINE_LABEL`] bytes,
    /// and never past the end of its first line when the lines it covers include a
    /// long one (the start is where the problem is).
    pub(crate) fn fit_label(&self, span: Span) -> Span {
        let first = self.lines.index(span.start);
        let last = self.lines.index(span.end.saturating_sub(1).max(span.start));
        if !(first..=last).any(|l| self.is_long(l)) {
            return span;
        }
        let end = span.end.min(self.line_end(first));
        let end = if self.is_long(first) {
            end.min(span.start + LONG_LINE_LABEL)
        } else {
            end
        };
        Span::new(span.start, self.ceil_char(end.max(span.start)))
    }

    /// Where line `line` (0-based) ends, before its newline.
    fn line_end(&self, line: usize) -> usize {
        let next = self.lines.start(line + 1).unwrap_or(self.text.len() + 1);
        next.saturating_sub(1).min(self.text.len())
    }

    fn is_long(&self, line: usize) -> bool {
        let start = self.lines.start(line).unwrap_or(self.text.len());
        self.line_end(line).saturating_sub(start) > LONG_LINE
    }

    fn floor_char(&self, mut at: usize) -> usize {
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }

    fn ceil_char(&self, mut at: usize) -> usize {
        while !self.text.is_char_boundary(at) {
            at += 1;
        }
        at
    }

    /// A span on one long line: the text around it, as a context of its own.
    fn window<'a>(
        &'a self,
        line: usize,
        start: usize,
        end: usize,
        before: usize,
    ) -> Box<dyn SpanContents<'a> + 'a> {
        let line_start = self.lines.start(line).unwrap_or(0);
        // Without context miette reads a span from its first byte; the header's
        // column comes from that read.
        let from = if before == 0 {
            start
        } else {
            self.floor_char(start.saturating_sub(PAD).max(line_start))
        };
        let to = self.ceil_char((end + PAD).min(self.line_end(line)));
        Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            self.text.as_bytes().get(from..to).unwrap_or_default(),
            (from, to - from).into(),
            line,
            from - line_start,
            line,
        ))
    }

    /// How many of the `want` lines next to a span may be shown: stop at a long one.
    fn context(&self, want: usize, mut line: impl FnMut(usize) -> Option<usize>) -> usize {
        (1..=want)
            .take_while(|k| line(*k).is_some_and(|l| !self.is_long(l)))
            .count()
    }
}

impl SourceCode for SourceText {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let (start, end) = (span.offset(), span.offset() + span.len());
        if end > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first = self.lines.index(start);
        let last = self.lines.index(end.saturating_sub(1).max(start));
        if (first..=last).any(|l| self.is_long(l)) {
            // Labels are fitted to one line (`fit_label`); a wider span is miette
            // asking to draw two labels together, which it then draws apart.
            if first != last || span.len() > WIDEST_WINDOW {
                return Err(MietteError::OutOfBounds);
            }
            return Ok(self.window(first, start, end, before));
        }
        let lines = self.lines.count();
        let shown_before = self.context(before, |k| first.checked_sub(k));
        let shown_after = self.context(after, |k| Some(last + k).filter(|l| *l < lines));
        // miette's own reading, on the few lines concerned: the same contents as
        // over the whole text, with offsets and line numbers moved back in place.
        // One line more above, unless it is a long one: miette's scan of an empty
        // span at the start of a line stops at the end of the line before.
        let top = first - shown_before;
        let top = if shown_before == before {
            top.saturating_sub(1)
        } else {
            top
        };
        let from = self.lines.start(top).unwrap_or(0);
        let bottom = last + shown_after + if shown_after < after { 1 } else { 2 };
        let to = self.lines.start(bottom).unwrap_or(self.text.len());
        let part = self.text.get(from..to).ok_or(MietteError::OutOfBounds)?;
        let inner = (start - from, span.len()).into();
        let read = <str as SourceCode>::read_span(part, &inner, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            read.data(),
            (read.span().offset() + from, read.span().len()).into(),
            read.line() + top,
            read.column(),
            read.line_count() + top,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contents miette reads from the whole text, to compare with ours.
    fn miette_read(
        text: &str,
        span: (usize, usize),
        ctx: usize,
    ) -> (Vec<u8>, usize, usize, usize, usize, usize) {
        let r = <str as SourceCode>::read_span(text, &span.into(), ctx, ctx).expect("in bounds");
        fields(r.as_ref())
    }

    fn our_read(
        text: &str,
        span: (usize, usize),
        ctx: usize,
    ) -> (Vec<u8>, usize, usize, usize, usize, usize) {
        let source = SourceText::new("t.cxl", text);
        let r = source.read_span(&span.into(), ctx, ctx).expect("in bounds");
        fields(r.as_ref())
    }

    /// What a read gives: its bytes, span, line, column and line count.
    fn fields(r: &dyn SpanContents<'_>) -> (Vec<u8>, usize, usize, usize, usize, usize) {
        (
            r.data().to_vec(),
            r.span().offset(),
            r.span().len(),
            r.line(),
            r.column(),
            r.line_count(),
        )
    }

    #[test]
    fn short_lines_read_as_miette_reads_them() {
        let texts = [
            "segment gold { when tier == \"gold\" }\n\njourney j {\n  step a\n  path a\n}\n",
            "a\nbb\n\nccc\r\ndddd\ne",
            "one line, no newline",
            "\n\n\n",
        ];
        for text in texts {
            for start in 0..=text.len() {
                for len in 0..=(text.len() - start).min(12) {
                    for ctx in 0..=2 {
                        assert_eq!(
                            our_read(text, (start, len), ctx),
                            miette_read(text, (start, len), ctx),
                            "{text:?} at {start}+{len}, context {ctx}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_long_line_is_read_around_the_span() {
        let text = format!("segment s {{ when {} }}\nnext\n", "x or ".repeat(20_000));
        let source = SourceText::new("t.cxl", &text);
        let at = text.len() - 10;
        let read = source.read_span(&(at, 1).into(), 1, 1).expect("in bounds");
        assert!(read.data().len() <= 2 * PAD + 1, "{}", read.data().len());
        assert_eq!((read.line(), read.column()), (0, at - PAD));
        let header = source.read_span(&(at, 1).into(), 0, 0).expect("in bounds");
        assert_eq!((header.line(), header.column()), (0, at));
        assert!(source.read_span(&(10, at - 10).into(), 1, 1).is_err());
        assert_eq!(
            source.fit_label(Span::new(10, at)),
            Span::new(10, 10 + LONG_LINE_LABEL)
        );
    }

    /// Each read costs the lines it returns, wherever the span is: what keeps
    /// rendering linear in the number of diagnostics.
    #[test]
    fn a_read_at_the_end_of_a_large_text_returns_only_its_lines() {
        let text = "segment s { when tier == \"x\" }\n".repeat(100_000);
        let source = SourceText::new("t.cxl", &text);
        let at = text.len() - 10;
        let read = source.read_span(&(at, 3).into(), 1, 1).expect("in bounds");
        assert_eq!(read.data(), &text.as_bytes()[text.len() - 62..]);
        assert_eq!(read.line(), 99_998);
    }
}
