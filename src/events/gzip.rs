//! Gzip input, checked to its end: every member is decoded through its
//! trailer, so a CRC or length mismatch is an error, and bytes after the last
//! member that do not start another one are an error too (`gzip -t` fails on
//! both). A reader that stops early (XES at `</log>`) must still read this to
//! its end for the check to happen; every reader does.
//!
//! A fault is handed up as an `io::Error` carrying a [`GzipFault`], which
//! [`super::InputError::from_io`] turns into [`super::InputError::Corrupt`]. A
//! stream that ends early stays an `UnexpectedEof` (truncated).

use flate2::bufread::GzDecoder;
use std::io::{self, BufRead, Read};

/// The magic bytes that start a gzip member.
pub(crate) const MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Why a gzip stream is corrupt.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum GzipFault {
    /// A member's CRC-32 or length does not match its data.
    #[error("a CRC check fails: the data was changed")]
    Checksum,
    /// The compressed data or a member header cannot be decoded.
    #[error("{0}")]
    Data(String),
    /// Bytes after the last member that are not another member.
    #[error("bytes that are not gzip follow the compressed data")]
    Trailing,
}

impl GzipFault {
    /// The fault an error carries, if it is one.
    pub(crate) fn of(error: &io::Error) -> Option<&GzipFault> {
        error.get_ref()?.downcast_ref::<GzipFault>()
    }

    pub(crate) fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }
}

/// Decodes the gzip members of `R` one after another, checking each.
pub(crate) struct GzipInput<R: BufRead> {
    /// The member being decoded; `None` once the input has ended cleanly.
    decoder: Option<GzDecoder<R>>,
}

impl<R: BufRead> GzipInput<R> {
    /// A reader of `input`, which starts with a gzip member.
    pub(crate) fn new(input: R) -> Self {
        GzipInput {
            decoder: Some(GzDecoder::new(input)),
        }
    }
}

impl<R: BufRead> Read for GzipInput<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(decoder) = &mut self.decoder else {
                return Ok(0);
            };
            match decoder.read(out) {
                // The member ended and its trailer matched: what follows?
                Ok(0) => self.next_member()?,
                Ok(n) => return Ok(n),
                Err(e) => return Err(classify(e)),
            }
        }
    }
}

impl<R: BufRead> GzipInput<R> {
    /// After a member: the end of input, or the start of another member.
    fn next_member(&mut self) -> io::Result<()> {
        let Some(decoder) = self.decoder.take() else {
            return Ok(());
        };
        let mut input = decoder.into_inner();
        let rest = input.fill_buf()?;
        if rest.is_empty() {
            return Ok(());
        }
        // A buffer may hold just the first magic byte; the header parser
        // then checks the second.
        if rest.first() != MAGIC.first() || rest.get(1).is_some_and(|b| Some(b) != MAGIC.get(1)) {
            return Err(GzipFault::Trailing.into_io());
        }
        self.decoder = Some(GzDecoder::new(input));
        Ok(())
    }
}

/// flate2 reports bad data as `InvalidInput`; an early end stays as it is.
fn classify(error: io::Error) -> io::Error {
    if error.kind() != io::ErrorKind::InvalidInput {
        return error;
    }
    let text = error.to_string();
    let fault = if text.contains("checksum") {
        GzipFault::Checksum
    } else {
        GzipFault::Data(text)
    };
    fault.into_io()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).expect("in memory");
        encoder.finish().expect("in memory")
    }

    fn decode(bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        GzipInput::new(bytes).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn members_are_read_one_after_another() {
        let mut bytes = gz(b"one\n");
        bytes.extend(gz(b"two\n"));
        assert_eq!(decode(&bytes).expect("valid"), b"one\ntwo\n");
    }

    #[test]
    fn a_crc_mismatch_is_a_checksum_fault() {
        let mut bytes = gz(b"some data\n");
        let crc = bytes.len() - 8;
        bytes[crc] ^= 1;
        let error = decode(&bytes).expect_err("crc");
        assert!(matches!(GzipFault::of(&error), Some(GzipFault::Checksum)));
    }

    #[test]
    fn trailing_bytes_are_a_fault_however_few() {
        for tail in [&b"x"[..], b"garbage", b"\x1f", b"\x1fx"] {
            let mut bytes = gz(b"some data\n");
            bytes.extend_from_slice(tail);
            let error = decode(&bytes).expect_err("trailing");
            assert!(
                GzipFault::of(&error).is_some() || error.kind() == io::ErrorKind::UnexpectedEof
            );
        }
        let mut bytes = gz(b"some data\n");
        bytes.extend_from_slice(b"garbage");
        let error = decode(&bytes).expect_err("trailing");
        assert!(matches!(GzipFault::of(&error), Some(GzipFault::Trailing)));
    }

    #[test]
    fn a_cut_stream_is_an_early_end() {
        let bytes = gz(b"some data that is long enough\n");
        let error = decode(&bytes[..bytes.len() - 4]).expect_err("truncated");
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }
}
