//! A small Wadler-style pretty printer: a document is text, line breaks that
//! are a space when their group fits on the line, groups, and alignment.
//!
//! Only leaf constructs that can grow long (paths, conditions, lists) are laid
//! out through it; the block structure of a file (one item per line, braces)
//! is written directly by [`super::print`].
//!
//! Each line break knows the gap of source it stands for (between the two
//! operands it separates), so that an item with comments inside is laid out by
//! [`render_kept`] with the source's own line breaks, each comment where it was.

use crate::syntax::{Comment, Span};

/// A document to lay out.
#[derive(Debug, Clone)]
pub(crate) enum Doc {
    /// Text with no newline in it.
    Text(String),
    /// A space when its group is laid flat, else a newline to the current indent.
    /// The span is the source between the operands it separates.
    Line(Span),
    /// A space, but in [`render_kept`] a newline when a comment is in its gap:
    /// where a comment may stand but the layout never breaks for width.
    Space(Span),
    /// Documents one after the other.
    Concat(Vec<Doc>),
    /// Laid flat when the whole group fits in the rest of the line, else broken.
    Group(Box<Doc>),
    /// Lines inside break to the column where this document starts.
    Align(Box<Doc>),
}

impl Doc {
    /// Text.
    pub(crate) fn text(text: impl Into<String>) -> Doc {
        Doc::Text(text.into())
    }

    /// A group.
    pub(crate) fn group(doc: Doc) -> Doc {
        Doc::Group(Box::new(doc))
    }

    /// Aligned at its start column.
    pub(crate) fn align(doc: Doc) -> Doc {
        Doc::Align(Box::new(doc))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flat,
    Break,
}

/// Lays `doc` out starting at column `start`, within `width` columns where
/// it can; the lines after the first are indented with spaces.
pub(crate) fn render(doc: &Doc, start: usize, width: usize) -> String {
    let mut out = String::new();
    let mut col = start;
    let mut stack: Vec<(usize, Mode, &Doc)> = vec![(start, Mode::Break, doc)];
    while let Some((indent, mode, doc)) = stack.pop() {
        match doc {
            Doc::Text(text) => {
                out.push_str(text);
                col += text.chars().count();
            }
            Doc::Space(_) => {
                out.push(' ');
                col += 1;
            }
            Doc::Line(_) => match mode {
                Mode::Flat => {
                    out.push(' ');
                    col += 1;
                }
                Mode::Break => {
                    out.push('\n');
                    out.extend(std::iter::repeat_n(' ', indent));
                    col = indent;
                }
            },
            Doc::Concat(parts) => stack.extend(parts.iter().rev().map(|d| (indent, mode, d))),
            Doc::Align(inner) => stack.push((col, mode, inner)),
            Doc::Group(inner) => {
                let mode = match mode {
                    Mode::Flat => Mode::Flat,
                    Mode::Break if fits(width.saturating_sub(col), inner, &stack) => Mode::Flat,
                    Mode::Break => Mode::Break,
                };
                stack.push((indent, mode, inner));
            }
        }
    }
    out
}

/// Whether `doc` laid flat, and what follows it up to its next line break,
/// fit in `room` columns.
fn fits(mut room: usize, doc: &Doc, rest: &[(usize, Mode, &Doc)]) -> bool {
    let mut stack: Vec<(Mode, &Doc)> = vec![(Mode::Flat, doc)];
    let mut rest = rest.iter().rev();
    loop {
        let (mode, doc) = match stack.pop() {
            Some(next) => next,
            None => match rest.next() {
                Some((_, mode, doc)) => (*mode, *doc),
                None => return true,
            },
        };
        match doc {
            Doc::Text(text) => {
                let len = text.chars().count();
                if len > room {
                    return false;
                }
                room -= len;
            }
            Doc::Space(_) if room == 0 => return false,
            Doc::Space(_) => room -= 1,
            Doc::Line(_) => match mode {
                Mode::Flat if room == 0 => return false,
                Mode::Flat => room -= 1,
                Mode::Break => return true,
            },
            Doc::Concat(parts) => stack.extend(parts.iter().rev().map(|d| (mode, d))),
            Doc::Align(inner) | Doc::Group(inner) => stack.push((mode, inner)),
        }
    }
}

/// An item laid out with its comments: the text, where in it each comment that
/// ends a line with code on it starts, and whether its last line ends with one.
pub(crate) struct Kept {
    pub text: String,
    pub trailing: Vec<usize>,
    pub ends_with_comment: bool,
}

/// Lays `doc` out at column `start` keeping the `comments` inside it (in
/// order) where they are: a line break is a newline where the source has one
/// in its gap, or a comment before its end, and a space elsewhere; no line is
/// broken for width. A comment at the end of a source line ends the output line
/// that holds the code before it; a comment on a line of its own stays on one, at
/// the indent of what follows. A comment with no break after it inside the item
/// (after `not`, inside parentheses) ends the next line that is broken, or the
/// item's last line; a [`Doc::Space`] breaks only for a comment. Formatting the result again gives the same text: every
/// newline written stands in a gap that then holds a newline.
pub(crate) fn render_kept(doc: &Doc, start: usize, src: &str, comments: &[Comment]) -> Kept {
    let mut kept = Kept {
        text: String::new(),
        trailing: Vec::new(),
        ends_with_comment: false,
    };
    let mut col = start;
    let mut next = 0;
    // The output line so far ends with a comment.
    let mut commented = false;
    let mut stack: Vec<(usize, &Doc)> = vec![(start, doc)];
    while let Some((indent, doc)) = stack.pop() {
        match doc {
            Doc::Text(text) => {
                kept.text.push_str(text);
                col += text.chars().count();
            }
            Doc::Line(gap) | Doc::Space(gap) => {
                let due = comments[next..]
                    .iter()
                    .take_while(|c| c.span.start < gap.end)
                    .count();
                let newline = matches!(doc, Doc::Line(_))
                    && src
                        .get(gap.start..gap.end)
                        .is_some_and(|g| g.contains('\n'));
                if due == 0 && !newline {
                    kept.text.push(' ');
                    col += 1;
                    continue;
                }
                for c in &comments[next..next + due] {
                    write_comment(&mut kept, src, c, indent, &mut commented, false);
                }
                next += due;
                kept.text.push('\n');
                kept.text.extend(std::iter::repeat_n(' ', indent));
                col = indent;
                commented = false;
            }
            Doc::Concat(parts) => stack.extend(parts.iter().rev().map(|d| (indent, d))),
            Doc::Align(inner) => stack.push((col, inner)),
            Doc::Group(inner) => stack.push((indent, inner)),
        }
    }
    // Comments after the last break: the first ends the last line, whatever it
    // was in the source (after the item it is a comment at the end of its line);
    // any other goes on a line of its own at the item's indent.
    for c in &comments[next..] {
        write_comment(&mut kept, src, c, start, &mut commented, true);
        kept.ends_with_comment = true;
    }
    kept
}

/// Writes comment `c` at the end of the output line, or on a line of its own at
/// `indent` when it stood on one in the source (unless `at_end`) or the line
/// already ends with a comment.
fn write_comment(
    kept: &mut Kept,
    src: &str,
    c: &Comment,
    indent: usize,
    commented: &mut bool,
    at_end: bool,
) {
    let before = src.get(..c.span.start).unwrap_or("");
    let own_line = before.trim_end_matches([' ', '\t']).ends_with('\n');
    if *commented || (own_line && !at_end) {
        kept.text.push('\n');
        kept.text.extend(std::iter::repeat_n(' ', indent));
    } else {
        kept.trailing.push(kept.text.len());
    }
    kept.text.push('#');
    kept.text.push_str(c.text.trim_end());
    *commented = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: usize) -> Doc {
        let mut parts = vec![Doc::text("w0")];
        for i in 1..n {
            parts.push(Doc::Line(Span::new(0, 0)));
            parts.push(Doc::text(format!("-> w{i}")));
        }
        Doc::group(Doc::align(Doc::Concat(parts)))
    }

    #[test]
    fn a_group_that_fits_stays_on_one_line() {
        assert_eq!(render(&words(3), 0, 80), "w0 -> w1 -> w2");
    }

    #[test]
    fn a_group_too_long_breaks_every_line_at_its_column() {
        assert_eq!(render(&words(3), 4, 10), "w0\n    -> w1\n    -> w2");
    }
}
