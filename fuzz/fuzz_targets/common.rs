//! What every reader target checks: any bytes are read to the end or to an
//! input error without a panic, and every record is counted
//! (`read = accepted + rejected`), each rejection naming a line.

use cxl::events::{EventReader, Names, ReadOptions, ReadStats, Record};
use std::io::Cursor;

/// The lines rejected, and the counts, of `data` read with `options`.
pub fn read_all(data: &[u8], options: &ReadOptions) -> (Vec<u64>, ReadStats) {
    let input = Cursor::new(data.to_vec());
    let Ok(mut reader) = EventReader::new(input, "fuzz", 0, options) else {
        return (Vec::new(), ReadStats::default());
    };
    let mut names = Names::new();
    let (mut rejected, mut events) = (Vec::new(), 0u64);
    while let Ok(Some(record)) = reader.next_record(&mut names) {
        match record {
            Record::Event(_) => events += 1,
            Record::Rejected(r) => rejected.push(r.line.unwrap_or(0)),
            Record::Customer(_) => {}
        }
    }
    let stats = reader.stats();
    assert_eq!(stats.read, stats.accepted + stats.rejected, "{stats:?}");
    assert_eq!(stats.accepted, events);
    assert_eq!(stats.rejected, rejected.len() as u64);
    (rejected, stats)
}
