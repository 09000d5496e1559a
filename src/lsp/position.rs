//! Byte offsets (the AST's spans) to LSP positions and back. LSP counts columns in
//! UTF-16 code units by default, so a line with `é` or an emoji shifts every column
//! after it; this is the one place that knows.

use crate::syntax::Span;
use lsp_types::{Position, Range};

/// The start of every line of a text, to turn offsets into positions.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset of the start of each line; the first is 0.
    starts: Vec<usize>,
    /// The text's length in bytes.
    len: usize,
}

impl LineIndex {
    /// Index the lines of `text`.
    pub fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// The position of byte `offset` of `text` (the text this index was built on).
    /// An offset past the end, or inside a character, is pulled back to a boundary.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(self.len).min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0).min(offset);
        let column: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(to_u32(line), to_u32(column))
    }

    /// The range of `span` in `text`.
    pub fn range(&self, text: &str, span: Span) -> Range {
        Range::new(
            self.position(text, span.start),
            self.position(text, span.end.max(span.start)),
        )
    }

    /// The byte offset of `position` in `text`. A line past the end gives the end of
    /// the text; a column past the end of its line gives the end of that line; a
    /// column inside a surrogate pair gives the start of that character.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let line = position.line as usize;
        let Some(&start) = self.starts.get(line) else {
            return text.len();
        };
        let end = self.starts.get(line + 1).map_or(text.len(), |&s| s - 1);
        let line_text = text.get(start..end).unwrap_or("");
        let mut units = 0usize;
        for (i, c) in line_text.char_indices() {
            if units >= position.character as usize || c == '\r' {
                return start + i;
            }
            units += c.len_utf16();
            if units > position.character as usize {
                return start + i;
            }
        }
        start + line_text.len()
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        // `é` is 2 bytes and 1 UTF-16 unit; `😀` is 4 bytes and 2 units.
        let text = "ab\nsegment é😀 x\n";
        let index = LineIndex::new(text);
        let x = text.find(" x").map(|i| i + 1).unwrap_or(0);
        assert_eq!(index.position(text, x), Position::new(1, 12));
        assert_eq!(index.offset(text, Position::new(1, 12)), x);
        assert_eq!(index.position(text, 0), Position::new(0, 0));
        assert_eq!(index.position(text, 3), Position::new(1, 0));
    }

    #[test]
    fn out_of_range_is_clamped() {
        let text = "a😀\nb";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, Position::new(9, 0)), text.len());
        assert_eq!(index.offset(text, Position::new(0, 99)), 5);
        // Inside the surrogate pair: the start of the emoji.
        assert_eq!(index.offset(text, Position::new(0, 2)), 1);
        assert_eq!(index.position(text, 2), Position::new(0, 1));
        assert_eq!(index.position(text, 999), Position::new(1, 1));
    }
}
