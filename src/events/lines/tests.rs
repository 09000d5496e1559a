//! Tests of the line reader: fixed cases, and random inputs read with small
//! buffers and short reads against the reference reader.

use super::reference::Reference;
use super::*;
use proptest::prelude::*;

/// Each line as text, or `long LEN HEADLEN` for an over-long one, with its number.
fn show(number: u64, line: Line<'_>) -> String {
    match line {
        Line::Text(t) => format!("{number} {}", String::from_utf8_lossy(t)),
        Line::TooLong { len, head } => {
            format!("{number} long {len} {}", String::from_utf8_lossy(head))
        }
    }
}

fn collect(input: &[u8], max: usize) -> Vec<String> {
    collect_from(LineReader::new(input, max))
}

fn collect_from(mut reader: LineReader<impl Read>) -> Vec<String> {
    let mut out = Vec::new();
    while let Some((n, line)) = reader.next_line().expect("in memory") {
        out.push(show(n, line));
    }
    out.push(format!("any {} line {}", reader.any_bytes(), reader.line()));
    out
}

fn reference(input: &[u8], max: usize) -> Vec<String> {
    let mut reader = Reference::new(input, max);
    let mut out = Vec::new();
    while let Some((n, line)) = reader.next_line().expect("in memory") {
        out.push(show(n, line));
    }
    out.push(format!("any {} line {}", reader.any_bytes(), reader.line()));
    out
}

/// A reader that gives at most a few bytes per read, and is sometimes
/// interrupted.
struct Trickle<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    turn: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.turn += 1;
        let size = self.sizes.get(self.turn % self.sizes.len().max(1)).copied();
        let Some(size) = size else {
            return io::Read::read(&mut self.data, out);
        };
        // A zero size is an interruption, once: the retry reads a byte.
        if size == 0 && self.turn % 2 == 1 {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let size = size.max(1);
        let n = size.min(out.len()).min(self.data.len());
        let (now, rest) = self.data.split_at(n);
        out.get_mut(..n).unwrap_or_default().copy_from_slice(now);
        self.data = rest;
        Ok(n)
    }
}

#[test]
fn splits_lines_and_caps_long_ones() {
    let lines = |input: &[u8], max| {
        let mut out = collect(input, max);
        out.pop();
        out.into_iter()
            .map(|l| {
                let (_, rest) = l.split_once(' ').unwrap_or_default();
                match rest.strip_prefix("long ") {
                    Some(long) => {
                        let (len, head) = long.split_once(' ').unwrap_or_default();
                        format!("long {len} {}", head.len())
                    }
                    None => rest.to_string(),
                }
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(lines(b"a\r\nbb\n\nc", 10), vec!["a", "bb", "", "c"]);
    let mut long = vec![b'x'; 3000];
    long.extend_from_slice(b"\nok\n");
    assert_eq!(lines(&long, 2000), vec!["long 3001 1024", "ok"]);
    assert_eq!(lines(b"0123456789\n", 10), vec!["0123456789"]);
}

#[test]
fn empty_input_has_no_lines_and_no_bytes() {
    assert_eq!(collect(b"", 10), vec!["any false line 0"]);
    assert_eq!(collect(b"\n", 10), vec!["1 ", "any true line 1"]);
}

#[test]
fn lines_across_the_buffer_read_like_the_reference() {
    let mut input = Vec::new();
    for i in 0..200 {
        input.extend_from_slice(format!("line {i} {}\r\n", "y".repeat(i % 23)).as_bytes());
    }
    input.extend_from_slice(&[b'z'; 40]);
    input.extend_from_slice(b"\nlast");
    let whole = reference(&input, 30);
    assert_eq!(whole.len(), 203);
    assert_eq!(collect(&input, 30), whole);
    for chunk in [1, 3, 7, 16, 64] {
        let small = LineReader::with_chunk(input.as_slice(), 30, chunk);
        assert_eq!(collect_from(small), whole, "buffer of {chunk}");
    }
}

fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => "[a-z ]{0,12}".prop_map(String::into_bytes),
        2 => Just(b"\n".to_vec()),
        1 => Just(b"\r\n".to_vec()),
        1 => Just(b"\r".to_vec()),
        1 => (1usize..80).prop_map(|n| vec![b'x'; n]),
        1 => (1000usize..1100).prop_map(|n| vec![b'h'; n]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Any input, any cap, any buffer size and any read sizes: the same
    /// lines, numbers, lengths and heads as the reference.
    #[test]
    fn reads_like_the_reference(
        pieces in prop::collection::vec(piece(), 0..40),
        max in prop_oneof![0usize..40, Just(1030), Just(DEFAULT_MAX)],
        chunk in prop_oneof![1usize..20, Just(64), Just(CHUNK)],
        sizes in prop::collection::vec(0usize..50, 0..5),
    ) {
        let input = pieces.concat();
        let expected = reference(&input, max);
        let trickle = Trickle { data: &input, sizes, turn: 0 };
        prop_assert_eq!(collect_from(LineReader::with_chunk(trickle, max, chunk)), expected);
    }
}

/// The cap the readers use by default.
const DEFAULT_MAX: usize = crate::events::DEFAULT_MAX_LINE;
