//! The line reader as it was, over a `BufRead`: the reference the buffered
//! one is tested against.

use super::Line;
use std::io::{self, BufRead, Read};

/// How many bytes of an over-long line are kept for the reject file.
const HEAD: usize = 1024;

/// The line reader as it was (over a `BufRead`): the reference the new one is tested against.
pub(super) struct Reference<R> {
    inner: R,
    buf: Vec<u8>,
    line: u64,
    max: usize,
    any_bytes: bool,
    /// Bytes of the input's buffer handed out as the last line, consumed on the next call.
    pending: usize,
}

impl<R: BufRead> Reference<R> {
    /// A reader of lines capped at `max` bytes.
    pub(super) fn new(inner: R, max: usize) -> Self {
        Reference {
            inner,
            buf: Vec::with_capacity(256),
            line: 0,
            max,
            any_bytes: false,
            pending: 0,
        }
    }

    /// The 1-based number of the line last returned.
    pub(super) fn line(&self) -> u64 {
        self.line
    }

    /// True once any byte has been read.
    pub(super) fn any_bytes(&self) -> bool {
        self.any_bytes
    }

    /// The next line, or `None` at the end of input.
    pub(super) fn next_line(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        self.inner.consume(std::mem::take(&mut self.pending));
        // A whole line in the input's buffer (an error is left to the copying path).
        let found = match self.inner.fill_buf() {
            Ok(available) => memchr::memchr(b'\n', available).filter(|&at| at <= self.max),
            Err(_) => None,
        };
        if let Some(at) = found {
            let available = self.inner.fill_buf()?;
            let mut text = available.get(..at).unwrap_or(available);
            if let [rest @ .., b'\r'] = text {
                text = rest;
            }
            self.pending = at + 1;
            self.any_bytes = true;
            self.line += 1;
            return Ok(Some((self.line, Line::Text(text))));
        }
        self.buf.clear();
        let cap = u64::try_from(self.max)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let n = (&mut self.inner)
            .take(cap)
            .read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.any_bytes = true;
        self.line += 1;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        } else if self.buf.len() > self.max {
            let rest = self.skip_to_newline()?;
            self.buf.truncate(HEAD);
            let len = u64::try_from(n).unwrap_or(u64::MAX).saturating_add(rest);
            return Ok(Some((
                self.line,
                Line::TooLong {
                    len,
                    head: &self.buf,
                },
            )));
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(Some((self.line, Line::Text(&self.buf))))
    }

    /// Skips to just past the next `\n`; returns how many bytes were skipped.
    fn skip_to_newline(&mut self) -> io::Result<u64> {
        let mut skipped = 0u64;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Ok(skipped);
            }
            let (used, done) = match available.iter().position(|&b| b == b'\n') {
                Some(at) => (at + 1, true),
                None => (available.len(), false),
            };
            self.inner.consume(used);
            skipped += u64::try_from(used).unwrap_or(u64::MAX);
            if done {
                return Ok(skipped);
            }
        }
    }
}
