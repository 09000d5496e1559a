//! Reading one NDJSON input in shares: several readers each read the whole
//! input side by side, and each reads whole only the records of its own
//! customers ([`Share`]), telling the others' records apart at a glance.
//!
//! Every reader counts every record (a non-blank line), so readers agree on
//! where in the input each record is without talking to each other. A line
//! in the common shape — the customer field first, as a plain string, and no
//! `\` in the line — is placed by its raw id ([`Shared::Mine`] or
//! [`Shared::Elsewhere`]) before it is parsed; any other line is read whole by
//! every reader and given as [`Shared::Unsure`], for the caller to place by
//! the customer it names. The glance and the full read agree: with no `\`
//! the id is its text, and a line that names its customer twice is rejected
//! (by the reader of the first id's share).

use super::gzip::{read_buffered, GzipFault};
use super::ndjson::NdjsonReader;
use super::reader::decompressed;
use super::{EventReader, InputError, Names, ReadOptions, Record};
use std::collections::VecDeque;
use std::io::{self, BufRead, Read};
use std::num::NonZeroU32;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

/// One of `count` shares of an input's customers: a customer belongs to the
/// share [`Share::owner`] names, the same on every run and platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    index: u32,
    count: NonZeroU32,
}

impl Share {
    /// The `index`th of `count` shares; `None` when `index` is not below `count`.
    pub fn new(index: u32, count: NonZeroU32) -> Option<Share> {
        (index < count.get()).then_some(Share { index, count })
    }

    /// This share's index.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// How many shares there are.
    pub fn count(&self) -> NonZeroU32 {
        self.count
    }

    /// The share of the customer with this id: a stable hash (FNV-1a) of it.
    pub fn owner(id: &[u8], count: NonZeroU32) -> u32 {
        let hash = id.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        // The remainder is below `count`, a u32.
        (hash % u64::from(count.get())) as u32
    }

    /// True when the customer with this id is this share's.
    pub fn owns(&self, id: &str) -> bool {
        Share::owner(id.as_bytes(), self.count) == self.index
    }
}

/// A record as a shared reader gives it.
#[derive(Debug)]
pub enum Shared {
    /// A record of this share's customer (or its rejection).
    Mine(Record),
    /// A record of another share's customer, not read further.
    Elsewhere,
    /// A record read whole because its customer could not be told at a
    /// glance: the caller places it by its customer (every reader gets it).
    Unsure(Record),
}

/// How a line in the common shape starts.
pub(crate) struct Glance {
    /// `{"KEY":"`.
    prefix: Vec<u8>,
}

impl Glance {
    /// The glance for the customer field `key`; `None` when the key itself
    /// needs escaping in JSON (every line is then read whole).
    pub(crate) fn new(key: &str) -> Option<Glance> {
        if key.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            return None;
        }
        Some(Glance {
            prefix: format!("{{\"{key}\":\"").into_bytes(),
        })
    }

    /// The share of the line at the start of `pending` when it is in the
    /// common shape and ends in `pending` within `max` bytes: its text's
    /// length, where the next line starts, and its customer's share.
    #[inline]
    pub(crate) fn place(
        &self,
        pending: &[u8],
        max: usize,
        count: NonZeroU32,
    ) -> Option<(usize, usize, u32)> {
        let rest = pending.strip_prefix(self.prefix.as_slice())?;
        // The first `\` or line end: a line with no `\` before its end has no
        // escape anywhere.
        let end = self.prefix.len() + memchr::memchr2(b'\\', b'\n', rest)?;
        if pending[end] != b'\n' || end > max {
            return None;
        }
        let close = memchr::memchr(b'"', &rest[..end - self.prefix.len()])?;
        let text = match pending[..end].last() {
            Some(b'\r') => end - 1,
            _ => end,
        };
        Some((text, end + 1, Share::owner(&rest[..close], count)))
    }
}

/// A reader of one share of an NDJSON input (see the module's text); made by
/// [`super::EventReader::share`].
pub struct SharedReader {
    pub(crate) reader: Box<NdjsonReader<Box<dyn BufRead>>>,
    pub(crate) glance: Option<Glance>,
    pub(crate) share: Share,
}

impl SharedReader {
    /// The next record, `None` at the end, or an error that stops reading.
    /// Every reader of the input gets the same sequence of records, each
    /// placed the same way.
    pub fn next_record(&mut self, names: &mut Names) -> Result<Option<Shared>, InputError> {
        let mine = match &self.glance {
            Some(glance) => self.reader.glance(glance, self.share),
            None => None,
        };
        match mine {
            Some(false) => Ok(Some(Shared::Elsewhere)),
            Some(true) => Ok(self.reader.next_record(names)?.map(Shared::Mine)),
            None => Ok(self.reader.next_record(names)?.map(Shared::Unsure)),
        }
    }

    /// This reader's share.
    pub fn share(&self) -> Share {
        self.share
    }
}

/// How many bytes one hand-out of the input holds.
const CHUNK: usize = 256 * 1024;

/// How many hand-outs may wait for each reader.
const CHUNKS_AHEAD: usize = 16;

/// A hand-out of the input: bytes, or the fault that ended it.
type Chunk = Result<Arc<Vec<u8>>, Fault>;

/// An I/O fault, told to every reader as it was met.
#[derive(Clone)]
enum Fault {
    Gzip(GzipFault),
    Other(io::ErrorKind, String),
}

impl Fault {
    fn of(error: &io::Error) -> Fault {
        match GzipFault::of(error) {
            Some(fault) => Fault::Gzip(fault.clone()),
            None => Fault::Other(error.kind(), error.to_string()),
        }
    }

    fn to_io(&self) -> io::Error {
        match self {
            Fault::Gzip(fault) => fault.clone().into_io(),
            Fault::Other(kind, message) => io::Error::new(*kind, message.clone()),
        }
    }
}

/// One input read in `count` shares: the [`Tee`] that reads it (run it on
/// a thread of its own) and each share's [`ShareSource`].
pub(crate) fn split(
    input: Box<dyn Read + Send>,
    file: &str,
    options: &ReadOptions,
    count: NonZeroU32,
) -> (Tee, Vec<ShareSource>) {
    let mut to = Vec::new();
    let mut sources = Vec::new();
    for index in 0..count.get() {
        let (sender, receiver) = sync_channel(CHUNKS_AHEAD);
        to.push(sender);
        sources.push(ShareSource {
            from: receiver,
            file: file.to_string(),
            options: options.clone(),
            share: Share { index, count },
        });
    }
    let tee = Tee {
        input,
        file: file.to_string(),
        to,
    };
    (tee, sources)
}

/// Reads an input once (inflating gzip) and hands the same bytes to every
/// share's reader.
pub(crate) struct Tee {
    input: Box<dyn Read + Send>,
    file: String,
    to: Vec<SyncSender<Chunk>>,
}

impl Tee {
    /// Read to the end, or until every reader is gone. `opened` hears first
    /// whether the input could be opened (its first bytes read, gzip
    /// detected); a fault after that reaches every reader where it was met.
    pub(crate) fn run(self, opened: impl FnOnce(Result<(), InputError>)) {
        let mut input = match decompressed(self.input, &self.file) {
            Ok(input) => input,
            Err(error) => return opened(Err(error)),
        };
        opened(Ok(()));
        // Chunks every reader is done with are filled again: a fresh one
        // each time costs zeroed pages from the kernel.
        let mut sent: VecDeque<Arc<Vec<u8>>> = VecDeque::new();
        loop {
            let reused = sent.front_mut().and_then(Arc::get_mut).map(std::mem::take);
            if reused.is_some() {
                sent.pop_front();
            }
            let mut chunk = reused.unwrap_or_default();
            chunk.resize(CHUNK, 0);
            let (filled, fault) = fill(&mut input, &mut chunk);
            chunk.truncate(filled);
            if filled > 0 {
                let chunk = Arc::new(chunk);
                for to in &self.to {
                    if to.send(Ok(chunk.clone())).is_err() {
                        return;
                    }
                }
                sent.push_back(chunk);
                // Those still read are ahead in the channels (bounded): the
                // oldest beyond them is given up rather than waited for.
                if sent.len() > CHUNKS_AHEAD + 2 {
                    sent.pop_front();
                }
            }
            match fault {
                Some(Some(fault)) => {
                    for to in &self.to {
                        // A reader gone has nothing more to hear.
                        let _ = to.send(Err(fault.clone()));
                    }
                    return;
                }
                Some(None) => return,
                None => {}
            }
        }
    }
}

/// Fill `chunk` from `input`: the bytes read, and `Some` when the input
/// ended (with the fault that ended it, if any).
fn fill(input: &mut dyn BufRead, chunk: &mut [u8]) -> (usize, Option<Option<Fault>>) {
    let mut filled = 0;
    while filled < chunk.len() {
        match input.read(&mut chunk[filled..]) {
            Ok(0) => return (filled, Some(None)),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (filled, Some(Some(Fault::of(&e)))),
        }
    }
    (filled, None)
}

/// One share's end of a [`Tee`]: sent to the share's thread, opened there.
pub(crate) struct ShareSource {
    from: Receiver<Chunk>,
    file: String,
    options: ReadOptions,
    share: Share,
}

impl ShareSource {
    /// This share's reader; `None` when the input is not NDJSON.
    pub(crate) fn open(self) -> Option<SharedReader> {
        let input = Box::new(TeeInput {
            from: self.from,
            chunk: Arc::new(Vec::new()),
            at: 0,
            fault: None,
        });
        EventReader::from_decoded(input, &self.file, 0, &self.options)
            .ok()?
            .share(self.share)
            .ok()
    }
}

/// The bytes a [`Tee`] hands one reader, as a `BufRead`.
struct TeeInput {
    from: Receiver<Chunk>,
    chunk: Arc<Vec<u8>>,
    at: usize,
    fault: Option<Fault>,
}

impl Read for TeeInput {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, out)
    }
}

impl BufRead for TeeInput {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Some(fault) = &self.fault {
            return Err(fault.to_io());
        }
        if self.at == self.chunk.len() {
            match self.from.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Ok(Err(fault)) => {
                    let error = fault.to_io();
                    self.fault = Some(fault);
                    return Err(error);
                }
                // The tee has read everything.
                Err(_) => return Ok(&[]),
            }
        }
        Ok(&self.chunk[self.at..])
    }

    fn consume(&mut self, amount: usize) {
        self.at = (self.at + amount).min(self.chunk.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two() -> NonZeroU32 {
        NonZeroU32::new(2).expect("not zero")
    }

    #[test]
    fn a_plain_first_customer_is_placed_by_its_id() {
        let glance = Glance::new("customer").expect("a plain key");
        let line = b"{\"customer\":\"c1\",\"step\":\"a\"}\r\nnext";
        let (text, next, owner) = glance.place(line, 1 << 20, two()).expect("placed");
        assert_eq!(&line[..text], b"{\"customer\":\"c1\",\"step\":\"a\"}");
        assert_eq!(&line[next..], b"next");
        assert_eq!(owner, Share::owner(b"c1", two()));
    }

    #[test]
    fn lines_the_glance_could_misread_are_left_to_the_full_read() {
        let glance = Glance::new("customer").expect("a plain key");
        for line in [
            // An escape anywhere.
            &b"{\"customer\":\"c\\u0031\"}\n"[..],
            b"{\"customer\":\"c1\",\"cust\\u006fmer\":\"c2\"}\n",
            // Not first, not a string, not ended in the buffer, too long.
            b"{\"step\":\"a\",\"customer\":\"c1\"}\n",
            b"{\"customer\":17}\n",
            b"{\"customer\":\"c1\"}",
            b"{\"customer\":\"c1\n\"}\n",
        ] {
            assert_eq!(glance.place(line, 1 << 20, two()), None, "{line:?}");
        }
        assert_eq!(glance.place(b"{\"customer\":\"c1\"}\n", 5, two()), None);
        assert!(Glance::new("a\"b").is_none());
    }

    #[test]
    fn shares_split_customers_the_same_way_everywhere() {
        let three = NonZeroU32::new(3).expect("not zero");
        let shares: Vec<Share> = (0..3).filter_map(|i| Share::new(i, three)).collect();
        for id in ["c1", "c2", "customer-000123", ""] {
            let owners = shares.iter().filter(|s| s.owns(id)).count();
            assert_eq!(owners, 1, "{id}");
        }
        assert!(Share::new(3, three).is_none());
    }
}

#[cfg(test)]
mod reading {
    use super::*;
    use crate::events::InputFormat;

    /// What each of `count` shares reads of `log`: per share, per record,
    /// 'm' (an event of its own), 'r' (a rejection it reports), 'e'
    /// (elsewhere), 'u' (read whole, undecided).
    fn read_in_shares(log: &str, count: u32) -> Vec<String> {
        let options = ReadOptions::new(InputFormat::Ndjson);
        let count = NonZeroU32::new(count).expect("not zero");
        let input = Box::new(std::io::Cursor::new(log.to_string()));
        let (tee, sources) = split(input, "log.ndjson", &options, count);
        std::thread::scope(|scope| {
            scope.spawn(move || tee.run(|opened| assert!(opened.is_ok())));
            let readers = sources.into_iter().map(|source| {
                scope.spawn(move || {
                    let mut reader = source.open().expect("NDJSON");
                    let mut names = Names::new();
                    let mut seen = String::new();
                    while let Some(shared) = reader.next_record(&mut names).expect("read") {
                        seen.push(match shared {
                            Shared::Mine(Record::Rejected(_)) => 'r',
                            Shared::Mine(_) => 'm',
                            Shared::Elsewhere => 'e',
                            Shared::Unsure(_) => 'u',
                        });
                    }
                    seen
                })
            });
            readers
                .collect::<Vec<_>>()
                .into_iter()
                .map(|r| r.join().expect("a reader ends"))
                .collect()
        })
    }

    #[test]
    fn every_share_sees_every_record_and_one_reads_each_whole() {
        let log = "{\"customer\":\"c1\",\"step\":\"a\",\"time\":\"2026-03-01T10:00:00Z\"}\n\
                   {\"customer\":\"c1\",\"step\":\"a\",\"time\":\"2026-03-01T10:00:00Z\"}\n\
                   \n\
                   {\"customer\":\"c2\",\"step\":\"a\",\"time\":\"2026-03-01T10:00:00Z\"}\n\
                   {\"step\":\"a\",\"customer\":\"c2\",\"time\":\"2026-03-01T10:00:00Z\"}\n\
                   {\"customer\":\"c1\",\"step\":\"a\",\"customer\":\"c2\",\"time\":\"2026-03-01T10:00:00Z\"}\n";
        let seen = read_in_shares(log, 2);
        let c1 = Share::owner(b"c1", NonZeroU32::new(2).expect("not zero")) as usize;
        let c2 = Share::owner(b"c2", NonZeroU32::new(2).expect("not zero")) as usize;
        assert_ne!(c1, c2, "the test needs the two customers apart");
        // Read whole by all: the first record (its checks are the line
        // path's), the one after a blank line (no record), the one with its
        // customer second. The customer named twice is rejected by the first
        // id's share.
        assert_eq!(seen[c1], "umuur");
        assert_eq!(seen[c2], "ueuue");
    }
}
