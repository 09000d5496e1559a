//! A small Wadler-style pretty printer: a document is text, line breaks that
//! are a space when their group fits on the line, groups, and alignment.
//!
//! Only leaf constructs that can grow long (paths, conditions, lists) are laid
//! out through it; the block structure of a file (one item per line, braces)
//! is written directly by [`super::print`].

/// A document to lay out.
#[derive(Debug, Clone)]
pub(crate) enum Doc {
    /// Text with no newline in it.
    Text(String),
    /// A space when its group is laid flat, else a newline to the current indent.
    Line,
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
            Doc::Line => match mode {
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
            Doc::Line => match mode {
                Mode::Flat if room == 0 => return false,
                Mode::Flat => room -= 1,
                Mode::Break => return true,
            },
            Doc::Concat(parts) => stack.extend(parts.iter().rev().map(|d| (mode, d))),
            Doc::Align(inner) | Doc::Group(inner) => stack.push((mode, inner)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: usize) -> Doc {
        let mut parts = vec![Doc::text("w0")];
        for i in 1..n {
            parts.push(Doc::Line);
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
