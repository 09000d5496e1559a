//! Gzip input, checked to its end: every member is decoded through its
//! trailer, so a CRC or length mismatch is an error, and bytes after the last
//! member that do not start another one are an error too (`gzip -t` fails on
//! both). A reader that stops early (XES at `</log>`) must still read this to
//! its end for the check to happen; every reader does.
//!
//! A fault is handed up as an `io::Error` carrying a [`GzipFault`], which
//! [`super::InputError::from_io`] turns into [`super::InputError::Corrupt`]. A
//! stream that ends early stays an `UnexpectedEof` (truncated).
//!
//! Inflating costs about as much as reading what it gives, so [`inflating`]
//! runs it on a thread of its own: that thread hands the inflated bytes, in
//! large buffers, through a bounded channel to [`Inflated`] on the reader's
//! thread. The compressed input stays on the reader's thread (it need not be
//! `Send`): the inflater asks for the next compressed chunk as it takes one,
//! and the reader answers when it comes to the request among the buffers, so
//! a chunk is on its way while one is inflated. The inflater hands on what
//! each read gives before it reads again, so it never waits for input while
//! holding bytes the reader waits for. A fault, or an error of the
//! compressed input, crosses the channel as it is, after the data before it.
//! Dropping the reader, at the end or early, ends the thread and joins it.

use flate2::bufread::GzDecoder;
use std::io::{self, BufRead, Read};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

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

/// `Read::read` for a `BufRead` that has its own buffer: what it holds, copied.
pub(crate) fn read_buffered(input: &mut impl BufRead, out: &mut [u8]) -> io::Result<usize> {
    let available = input.fill_buf()?;
    let n = available.len().min(out.len());
    out.get_mut(..n)
        .unwrap_or_default()
        .copy_from_slice(available.get(..n).unwrap_or_default());
    input.consume(n);
    Ok(n)
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

/// How many bytes of compressed input are read at a time.
const CHUNK: usize = 64 * 1024;

/// The most inflated bytes handed over at a time.
const BUFFER: usize = 256 * 1024;

/// How many inflated buffers (or requests) may wait for the reader.
const WAITING: usize = 4;

/// What the inflater hands to the reader.
enum Inflating {
    /// Inflated bytes.
    Data(Vec<u8>),
    /// A request for the next compressed chunk, with the spent one to read
    /// it into (empty at first).
    Want(Vec<u8>),
    /// The input has ended cleanly and was checked whole.
    End,
    /// Reading stops here.
    Failed(io::Error),
}

/// What the reader hands to the inflater: a compressed chunk (empty at the
/// end of input), or the input's error.
type Chunk = io::Result<Vec<u8>>;

/// Gzip input (starting with a member) inflated on a thread of its own (see
/// the module docs), or on the caller's thread when no thread can be started.
pub(crate) fn inflating<R: Read + 'static>(input: R) -> Box<dyn BufRead> {
    let (to_reader, from_inflater) = mpsc::sync_channel(WAITING);
    let (to_inflater, from_reader) = mpsc::channel();
    let (to_spare, spare) = mpsc::channel();
    let started = std::thread::Builder::new()
        .name("cxl-inflate".into())
        .spawn(move || inflate(from_reader, to_reader, spare));
    match started {
        Ok(inflater) => Box::new(Inflated {
            input,
            to_inflater,
            from_inflater,
            to_spare,
            inflater: Some(inflater),
            buffer: Vec::new(),
            at: 0,
            done: false,
        }),
        Err(_) => Box::new(io::BufReader::with_capacity(
            BUFFER,
            GzipInput::new(io::BufReader::with_capacity(CHUNK, input)),
        )),
    }
}

/// The inflater thread: inflates the chunks it is sent and hands on what
/// each read gives, until the end or a fault (or until the reader is gone).
///
/// Buffers go round: the reader sends each read buffer back through `spare`,
/// and each spent chunk goes back with the next request, so a few of each are
/// allocated for the whole input (a buffer freed on the other thread than
/// the one that made it is slow to be reused, and the peak memory grew by
/// tens of MiB).
fn inflate(from_reader: Receiver<Chunk>, out: SyncSender<Inflating>, spare: Receiver<Vec<u8>>) {
    let channel = ChannelInput {
        from_reader,
        want: out.clone(),
        chunk: Vec::new(),
        at: 0,
        ended: false,
    };
    // The first request, answered while the header is read.
    if out.send(Inflating::Want(Vec::new())).is_err() {
        return;
    }
    let mut input = GzipInput::new(channel);
    loop {
        let mut buffer = spare.try_recv().unwrap_or_default();
        buffer.resize(BUFFER, 0);
        let next = match input.read(&mut buffer) {
            Ok(0) => Inflating::End,
            Ok(n) => {
                buffer.truncate(n);
                Inflating::Data(buffer)
            }
            Err(e) => Inflating::Failed(e),
        };
        let last = !matches!(next, Inflating::Data(_));
        if out.send(next).is_err() || last {
            return;
        }
    }
}

/// The compressed input as the inflater sees it: the chunks the reader sends.
struct ChannelInput {
    from_reader: Receiver<Chunk>,
    /// Where requests for chunks go (the reader's channel).
    want: SyncSender<Inflating>,
    /// The chunk being inflated, from `at`.
    chunk: Vec<u8>,
    at: usize,
    /// True once the input has ended.
    ended: bool,
}

impl Read for ChannelInput {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, out)
    }
}

impl BufRead for ChannelInput {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.at >= self.chunk.len() && !self.ended {
            // A reader gone is an end of input (the inflater then stops).
            let next = self.from_reader.recv().unwrap_or(Ok(Vec::new()))?;
            let spent = std::mem::replace(&mut self.chunk, next);
            self.at = 0;
            self.ended = self.chunk.is_empty();
            if !self.ended {
                // Asked for now, so that it comes while this one is inflated.
                let _ = self.want.send(Inflating::Want(spent));
            }
        }
        Ok(self.chunk.get(self.at..).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        self.at = (self.at + amt).min(self.chunk.len());
    }
}

/// The inflated input on the reader's thread: buffers from the inflater,
/// and the compressed chunks it asks for, read here.
struct Inflated<R> {
    input: R,
    to_inflater: Sender<Chunk>,
    from_inflater: Receiver<Inflating>,
    /// Where read buffers go back to the inflater.
    to_spare: Sender<Vec<u8>>,
    /// The inflater thread, joined when the reader is dropped.
    inflater: Option<JoinHandle<()>>,
    /// The buffer being read, from `at`.
    buffer: Vec<u8>,
    at: usize,
    /// True once the end or a fault has been handed out.
    done: bool,
}

impl<R> Drop for Inflated<R> {
    /// Ends the inflater with the reader, even when reading stopped early:
    /// with both channels closed it stops at its next send or receive (after
    /// at most one buffer's inflating), and it is joined, so no thread
    /// outlives the reader.
    fn drop(&mut self) {
        drop(std::mem::replace(&mut self.to_inflater, mpsc::channel().0));
        drop(std::mem::replace(
            &mut self.from_inflater,
            mpsc::sync_channel(0).1,
        ));
        if let Some(inflater) = self.inflater.take() {
            // A panic there has already ended its part; nothing is left to do.
            let _ = inflater.join();
        }
    }
}

impl<R: Read> Inflated<R> {
    /// The next compressed chunk, read into `chunk`: empty at the end of input.
    fn chunk(&mut self, mut chunk: Vec<u8>) -> Chunk {
        chunk.resize(CHUNK, 0);
        loop {
            match self.input.read(&mut chunk) {
                Ok(n) => {
                    chunk.truncate(n);
                    return Ok(chunk);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl<R: Read> Read for Inflated<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, out)
    }
}

impl<R: Read> BufRead for Inflated<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.at >= self.buffer.len() && !self.done {
            let message = self.from_inflater.recv().unwrap_or_else(|_| {
                Inflating::Failed(io::Error::other("the inflating thread stopped"))
            });
            match message {
                Inflating::Data(buffer) => {
                    let read = std::mem::replace(&mut self.buffer, buffer);
                    self.at = 0;
                    // The inflater gone needs no more buffers.
                    let _ = self.to_spare.send(read);
                }
                Inflating::Want(spent) => {
                    let chunk = self.chunk(spent);
                    // The inflater gone has said why, or will.
                    let _ = self.to_inflater.send(chunk);
                }
                Inflating::End => self.done = true,
                Inflating::Failed(e) => {
                    self.done = true;
                    return Err(e);
                }
            }
        }
        Ok(self.buffer.get(self.at..).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        self.at = (self.at + amt).min(self.buffer.len());
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

    /// Reads `bytes` through the inflater thread, `step` bytes a read.
    fn inflate_all(bytes: &[u8], step: usize) -> io::Result<Vec<u8>> {
        struct Trickle(Vec<u8>, usize, usize);
        impl Read for Trickle {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let rest = self.0.get(self.1..).unwrap_or_default();
                let n = rest.len().min(out.len()).min(self.2);
                out[..n].copy_from_slice(&rest[..n]);
                self.1 += n;
                Ok(n)
            }
        }
        let mut out = Vec::new();
        inflating(Trickle(bytes.to_vec(), 0, step)).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn the_inflater_thread_gives_the_same_bytes_and_faults() {
        let big: Vec<u8> = (0..3 * BUFFER as u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let mut members = gz(&big);
        members.extend(gz(b"two\n"));
        let mut crc = gz(b"some data\n");
        let at = crc.len() - 8;
        crc[at] ^= 1;
        let mut trailing = gz(b"some data\n");
        trailing.extend_from_slice(b"garbage");
        let cut = gz(b"some data that is long enough\n");
        let cut = cut[..cut.len() - 4].to_vec();
        for step in [1, 7, CHUNK, usize::MAX] {
            let mut whole = big.clone();
            whole.extend_from_slice(b"two\n");
            if step > 1 {
                assert_eq!(inflate_all(&members, step).expect("valid"), whole);
            }
            let error = inflate_all(&crc, step).expect_err("crc");
            assert!(matches!(GzipFault::of(&error), Some(GzipFault::Checksum)));
            let error = inflate_all(&trailing, step).expect_err("trailing");
            assert!(matches!(GzipFault::of(&error), Some(GzipFault::Trailing)));
            let error = inflate_all(&cut, step).expect_err("truncated");
            assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        }
    }

    /// Runs `f` on a thread of its own and waits for it at most a minute:
    /// a hang fails the test instead of stopping the suite.
    fn within_a_minute<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || done.send(f()));
        finished
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("finished in time, without a panic")
    }

    /// Gives `bytes` a chunk at a time, then fails with `error` (if any).
    struct Failing {
        bytes: Vec<u8>,
        at: usize,
        error: Option<io::ErrorKind>,
    }

    impl Read for Failing {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let rest = self.bytes.get(self.at..).unwrap_or_default();
            if rest.is_empty() {
                return match self.error {
                    Some(kind) => Err(io::Error::new(kind, "the disk went away")),
                    None => Ok(0),
                };
            }
            let n = rest.len().min(out.len()).min(1000);
            out[..n].copy_from_slice(&rest[..n]);
            self.at += n;
            Ok(n)
        }
    }

    /// Many megabytes inflated from a few kilobytes: more than the channel holds.
    fn large() -> Vec<u8> {
        gz(&vec![b'x'; 16 * BUFFER])
    }

    #[test]
    fn an_input_error_under_the_inflater_thread_is_an_error_not_a_hang() {
        let bytes = large();
        // Half the stream, then the input fails.
        let half = bytes[..bytes.len() / 2].to_vec();
        let got = within_a_minute(move || {
            let mut out = Vec::new();
            let input = Failing {
                bytes: half,
                at: 0,
                error: Some(io::ErrorKind::PermissionDenied),
            };
            let mut reader = inflating(input);
            let error = reader.read_to_end(&mut out).expect_err("the input failed");
            // Reading on after the error ends there.
            let after = reader.read(&mut [0; 16]).map_err(|e| e.kind());
            (out.len(), error.kind(), error.to_string(), after)
        });
        let (read, kind, message, after) = got;
        assert!(read > 0, "the bytes before the failure are handed on");
        assert_eq!(kind, io::ErrorKind::PermissionDenied);
        assert_eq!(message, "the disk went away");
        assert_eq!(after, Ok(0));
    }

    #[test]
    fn the_inflater_thread_ends_when_the_reader_is_dropped_early() {
        for stop_after in [0, 1, 3 * BUFFER] {
            let bytes = large();
            let dropped = within_a_minute(move || {
                let mut reader = inflating(Failing {
                    bytes,
                    at: 0,
                    error: None,
                });
                let mut some = vec![0; stop_after];
                reader.read_exact(&mut some).map_err(|e| e.kind())?;
                // The inflater is busy or waiting to hand on more: dropping
                // the reader joins it (see `Inflated`'s `Drop`).
                drop(reader);
                Ok::<_, io::ErrorKind>(some.iter().all(|&b| b == b'x'))
            });
            assert_eq!(dropped, Ok(true), "after {stop_after} bytes");
        }
    }

    #[test]
    fn a_cut_stream_is_an_early_end() {
        let bytes = gz(b"some data that is long enough\n");
        let error = decode(&bytes[..bytes.len() - 4]).expect_err("truncated");
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }
}
