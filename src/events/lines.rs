//! Line reading with a cap: lines are found in one large buffer of our own,
//! filled straight from the input (`Read::read`), and handed out from there
//! without a copy; only the part of a line cut by the buffer's end is moved,
//! once per refill. Lines over the cap are skipped to their end (never held
//! whole) and reported as too long, with their head kept. A caller that can
//! find a line's end itself (the NDJSON scanner) reads the pending input and
//! takes the line it found, so the line is not searched twice.

use std::io::{self, Read};

/// How many bytes of an over-long line are kept for the reject file.
const HEAD: usize = 1024;

/// The buffer's size to begin with; it grows only for a line longer than
/// this (up to the cap).
const CHUNK: usize = 256 * 1024;

/// One line as read.
pub(crate) enum Line<'a> {
    /// A line within the cap, without its `\n` or `\r\n`.
    Text(&'a [u8]),
    /// A line over the cap: its full length and its first bytes.
    TooLong {
        /// The line's length in bytes (its `\n` included).
        len: u64,
        /// Its first bytes.
        head: &'a [u8],
    },
}

/// Reads lines of at most `max` bytes from a `Read`.
pub(crate) struct LineReader<R> {
    inner: R,
    /// Input read but not yet handed out is `buf[start..end]`.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// `buf[start..searched]` is known to hold no `\n`.
    searched: usize,
    /// True once the input has given its last byte.
    eof: bool,
    /// The head of the last over-long line.
    head: Vec<u8>,
    line: u64,
    max: usize,
    any_bytes: bool,
}

impl<R: Read> LineReader<R> {
    /// A reader of lines capped at `max` bytes.
    pub(crate) fn new(inner: R, max: usize) -> Self {
        Self::with_chunk(inner, max, CHUNK)
    }

    /// A reader whose buffer starts at `chunk` bytes (small ones test the
    /// refills).
    fn with_chunk(inner: R, max: usize, chunk: usize) -> Self {
        LineReader {
            inner,
            buf: vec![0; chunk.max(1)],
            start: 0,
            end: 0,
            searched: 0,
            eof: false,
            head: Vec::new(),
            line: 0,
            max,
            any_bytes: false,
        }
    }

    /// The 1-based number of the line last returned.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// True once any byte has been read.
    pub(crate) fn any_bytes(&self) -> bool {
        self.any_bytes
    }

    /// True when the next line can be had without waiting on the input: some
    /// of it is read already (a live stream's writer sends whole lines), or the
    /// input has ended.
    #[inline]
    pub(crate) fn buffered(&self) -> bool {
        self.start < self.end || self.eof
    }

    /// The input read but not yet handed out (a caller may find the next
    /// line in it itself, then take it with [`Self::take_found`]).
    #[inline]
    pub(crate) fn pending(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    /// Hands out the line the caller found at the start of [`Self::pending`]:
    /// its text is the first `text` bytes, and the next line starts `next`
    /// bytes in (just past its `\n`). The caller checked it is within the cap.
    #[inline]
    pub(crate) fn take_found(&mut self, text: usize, next: usize) -> (u64, &[u8]) {
        let start = self.start;
        self.start = (start + next).min(self.end);
        self.searched = self.start;
        self.any_bytes = true;
        self.line += 1;
        let text = self.buf.get(start..start + text).unwrap_or_default();
        (self.line, text)
    }

    /// The next line, or `None` at the end of input.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        loop {
            let pending = self.buf.get(self.searched..self.end).unwrap_or_default();
            if let Some(at) = memchr::memchr(b'\n', pending) {
                let newline = self.searched + at;
                return Ok(Some(self.take_line(newline, newline + 1)));
            }
            self.searched = self.end;
            if self.end - self.start > self.max {
                return self.skip_long().map(Some);
            }
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                // The last line, without a `\n`.
                return Ok(Some(self.take_line(self.end, self.end)));
            }
            self.refill()?;
        }
    }

    /// Hands out `buf[start..end_of_text]` (a `\r` before the end dropped)
    /// and moves past it to `next`.
    fn take_line(&mut self, end_of_text: usize, next: usize) -> (u64, Line<'_>) {
        let start = std::mem::replace(&mut self.start, next);
        self.searched = next;
        self.any_bytes = true;
        self.line += 1;
        let text = self.buf.get(start..end_of_text).unwrap_or_default();
        if text.len() > self.max {
            let len = u64::try_from(next - start).unwrap_or(u64::MAX);
            let head = text
                .get(..HEAD.min(self.max.saturating_add(1)))
                .unwrap_or(text);
            return (self.line, Line::TooLong { len, head });
        }
        let text = match text {
            [rest @ .., b'\r'] => rest,
            _ => text,
        };
        (self.line, Line::Text(text))
    }

    /// A line known to be over the cap, with no `\n` in the buffer: keeps
    /// its head, then reads and drops the rest up to just past its `\n`.
    fn skip_long(&mut self) -> io::Result<(u64, Line<'_>)> {
        let held = self.buf.get(self.start..self.end).unwrap_or_default();
        self.head.clear();
        self.head.extend_from_slice(
            held.get(..HEAD.min(self.max.saturating_add(1)))
                .unwrap_or(held),
        );
        let mut len = u64::try_from(held.len()).unwrap_or(u64::MAX);
        (self.start, self.end, self.searched) = (0, 0, 0);
        loop {
            if self.eof {
                break;
            }
            self.refill()?;
            let read = self.buf.get(..self.end).unwrap_or_default();
            if let Some(at) = memchr::memchr(b'\n', read) {
                len = len.saturating_add(u64::try_from(at + 1).unwrap_or(u64::MAX));
                (self.start, self.searched) = (at + 1, at + 1);
                break;
            }
            len = len.saturating_add(u64::try_from(read.len()).unwrap_or(u64::MAX));
            (self.end, self.searched) = (0, 0);
        }
        self.any_bytes = true;
        self.line += 1;
        Ok((
            self.line,
            Line::TooLong {
                len,
                head: &self.head,
            },
        ))
    }

    /// Reads more input after `end`: first moves the pending part of a line
    /// to the front, and grows the buffer when that part fills it.
    fn refill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.searched -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let grown = (self.buf.len() * 2).max(1);
            self.buf.resize(grown, 0);
        }
        loop {
            let free = self.buf.get_mut(self.end..).unwrap_or_default();
            match self.inner.read(free) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;
