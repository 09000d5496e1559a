//! The reject file: one NDJSON line `{file, line, element?, reason, raw}` per
//! rejected record, so nothing that could not be read is lost.

use super::Rejection;
use std::io::{self, Write};

/// Writes rejections as NDJSON to any `Write`.
pub struct RejectWriter<W: Write> {
    out: W,
    written: u64,
}

impl<W: Write> RejectWriter<W> {
    /// A writer to `out`.
    pub fn new(out: W) -> Self {
        RejectWriter { out, written: 0 }
    }

    /// Writes one rejection as a line.
    pub fn write(&mut self, rejection: &Rejection) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, rejection)?;
        self.out.write_all(b"\n")?;
        self.written += 1;
        Ok(())
    }

    /// How many rejections have been written.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_one_json_line_per_rejection() {
        let mut writer = RejectWriter::new(Vec::new());
        let rejection = Rejection {
            file: "log.csv".into(),
            line: Some(3),
            element: None,
            reason: "missing time".into(),
            raw: "a,b".into(),
        };
        writer.write(&rejection).expect("in memory");
        assert_eq!(writer.written(), 1);
        let out = String::from_utf8(writer.finish().expect("flush")).expect("utf8");
        assert_eq!(
            out,
            "{\"file\":\"log.csv\",\"line\":3,\"reason\":\"missing time\",\"raw\":\"a,b\"}\n"
        );
    }
}
