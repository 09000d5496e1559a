//! Line reading with a cap: one reused buffer, lines over the cap are skipped to
//! their end (never held whole) and reported as too long, with their head kept.
//! A line that lies whole in the input's buffer is handed out from there,
//! without a copy.

use std::io::{self, BufRead, Read};

/// How many bytes of an over-long line are kept for the reject file.
const HEAD: usize = 1024;

/// One line as read.
pub(crate) enum Line<'a> {
    /// A line within the cap, without its `\n` or `\r\n`.
    Text(&'a [u8]),
    /// A line over the cap: its full length and its first bytes.
    TooLong {
        /// The line's length in bytes.
        len: u64,
        /// Its first bytes.
        head: &'a [u8],
    },
}

/// Reads lines of at most `max` bytes from a `BufRead`.
pub(crate) struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    line: u64,
    max: usize,
    any_bytes: bool,
    /// Bytes of the input's buffer handed out as the last line, consumed on the next call.
    pending: usize,
}

impl<R: BufRead> LineReader<R> {
    /// A reader of lines capped at `max` bytes.
    pub(crate) fn new(inner: R, max: usize) -> Self {
        LineReader {
            inner,
            buf: Vec::with_capacity(256),
            line: 0,
            max,
            any_bytes: false,
            pending: 0,
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

    /// The next line, or `None` at the end of input.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8], max: usize) -> Vec<String> {
        collect_from(input, max)
    }

    fn collect_from(input: impl BufRead, max: usize) -> Vec<String> {
        let mut reader = LineReader::new(input, max);
        let mut out = Vec::new();
        while let Some((_, line)) = reader.next_line().expect("in memory") {
            out.push(match line {
                Line::Text(t) => String::from_utf8_lossy(t).into_owned(),
                Line::TooLong { len, head } => format!("long {len} {}", head.len()),
            });
        }
        out
    }

    #[test]
    fn splits_lines_and_caps_long_ones() {
        assert_eq!(collect(b"a\r\nbb\n\nc", 10), vec!["a", "bb", "", "c"]);
        let mut long = vec![b'x'; 3000];
        long.extend_from_slice(b"\nok\n");
        assert_eq!(collect(&long, 2000), vec!["long 3001 1024", "ok"]);
        assert_eq!(collect(b"0123456789\n", 10), vec!["0123456789"]);
    }

    #[test]
    fn lines_across_the_input_buffer_read_the_same() {
        let mut input = Vec::new();
        for i in 0..200 {
            input.extend_from_slice(format!("line {i} {}\r\n", "y".repeat(i % 23)).as_bytes());
        }
        input.extend_from_slice(&[b'z'; 40]);
        input.extend_from_slice(b"\nlast");
        let whole = collect(&input, 30);
        assert_eq!(whole.len(), 202);
        assert_eq!(whole[201], "last");
        assert!(whole[200].starts_with("long 41"), "{}", whole[200]);
        for capacity in [1, 3, 7, 16, 64] {
            let small = std::io::BufReader::with_capacity(capacity, input.as_slice());
            assert_eq!(collect_from(small, 30), whole, "buffer of {capacity}");
        }
    }
}
