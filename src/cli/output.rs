//! Where a run's output goes, and how it gets there without harm: whole records
//! only, on stdout and in files; output files written beside their target and
//! renamed into place when the run ends; no output that is also an input.
//!
//! - [`RecordWriter`] hands records to the OS whole: it buffers whole records and
//!   writes them in one `write` of at most [`PIPE_BUF`] bytes (a pipe takes such a
//!   write whole or not at all), so a run killed at any point leaves stdout ending
//!   at a record's end, never mid-line. A record longer than that goes out alone.
//! - [`OutputFile`] (`--reject-file`, `--escalations`) writes a temporary file in
//!   the target's directory and renames it over the target at the end of a run that
//!   got that far: a run that is killed, or stops on an error, leaves the previous
//!   file (or none). A live run, one whose log is a stream, cannot wait for an end
//!   that may never come: it writes the file in place, in whole records, flushed as
//!   the input pauses. A FIFO or a device is always written in place.
//! - [`plan`] refuses, before anything is opened for writing, an output that is the
//!   same file as an input or as another output (stdout included).
//! - Errors are [`WriteError`]: a closed stdout (the reader went away, as in
//!   `cxl eval … | head -1`) ends the run quietly with exit 0, as ripgrep does;
//!   any other failure (a full disk) is exit 2 with a message.

mod same_file;

pub use same_file::{is_stream, plan, plan_policies, Target};

use super::common::{EXIT_OK, EXIT_USAGE};
use std::fs::File;
use std::io::{self, Write};
use std::ops::{Deref, DerefMut};
use tempfile::TempPath;

/// The largest write a pipe takes whole (POSIX `PIPE_BUF` on Linux): records are
/// handed to the OS in writes of at most this size, cut only between records.
pub const PIPE_BUF: usize = 4096;

/// Why output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Stdout's reader went away (a closed pipe): not a failure of the run.
    #[error("stdout was closed")]
    Closed,
    /// Anything else: a full disk, a file that cannot be created or renamed.
    #[error("cannot write {name}: {source}")]
    Failed {
        /// `stdout`, or the file's name in backticks.
        name: String,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
}

impl WriteError {
    /// The exit code of a run that stopped on this error, after saying why on
    /// stderr when it is a failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            WriteError::Closed => EXIT_OK,
            WriteError::Failed { .. } => {
                to_stderr!("error: {self}");
                EXIT_USAGE
            }
        }
    }
}

/// Writes a whole text (a report, a document) to stdout, each line a record.
pub fn print(text: &str) -> Result<(), WriteError> {
    let mut stdout = RecordWriter::stdout();
    stdout.text(text)?;
    stdout.flush()
}

/// Writes records whole: see the module documentation.
pub struct RecordWriter<W: Write> {
    inner: W,
    /// `stdout`, or the file's name in backticks, for messages.
    name: String,
    /// Whether a closed pipe is [`WriteError::Closed`] (stdout) or a failure.
    is_stdout: bool,
    /// Whole records not yet written: at most [`PIPE_BUF`] bytes, or one record.
    buffer: Vec<u8>,
}

impl RecordWriter<io::StdoutLock<'static>> {
    /// The process's stdout. Every verb writes its stdout through one of these.
    pub fn stdout() -> Self {
        RecordWriter::new(io::stdout().lock(), "stdout".to_string(), true)
    }
}

impl<W: Write> RecordWriter<W> {
    fn new(inner: W, name: String, is_stdout: bool) -> Self {
        RecordWriter {
            inner,
            name,
            is_stdout,
            buffer: Vec::with_capacity(2 * PIPE_BUF),
        }
    }

    /// Adds one record: what `write` puts in the buffer goes to the OS whole, in
    /// one write with the records before it or on its own.
    pub fn record(
        &mut self,
        write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
    ) -> Result<(), WriteError> {
        let start = self.buffer.len();
        if let Err(error) = write(&mut self.buffer) {
            self.buffer.truncate(start);
            return Err(self.failed(error));
        }
        if self.buffer.len() > PIPE_BUF {
            // The records before this one fit in one write: they go, it stays.
            if start > 0 {
                self.write_out(start)?;
            }
            if self.buffer.len() > PIPE_BUF {
                self.write_out(self.buffer.len())?;
            }
        }
        Ok(())
    }

    /// Adds `line` and a newline as one record.
    pub fn line(&mut self, line: &str) -> Result<(), WriteError> {
        self.record(|buffer| {
            buffer.extend_from_slice(line.as_bytes());
            buffer.push(b'\n');
            Ok(())
        })
    }

    /// Adds a whole text (a report, a document), each line a record.
    pub fn text(&mut self, text: &str) -> Result<(), WriteError> {
        text.split_inclusive('\n').try_for_each(|line| {
            self.record(|buffer| {
                buffer.extend_from_slice(line.as_bytes());
                Ok(())
            })
        })
    }

    /// Writes out every record added so far.
    pub fn flush(&mut self) -> Result<(), WriteError> {
        self.write_out(self.buffer.len())?;
        self.inner.flush().map_err(|e| self.failed(e))
    }

    /// The first `end` bytes of the buffer (whole records) in one write.
    fn write_out(&mut self, end: usize) -> Result<(), WriteError> {
        if end == 0 {
            return Ok(());
        }
        let result = self.inner.write_all(&self.buffer[..end]);
        self.buffer.drain(..end);
        result.map_err(|e| self.failed(e))
    }

    fn failed(&self, source: io::Error) -> WriteError {
        if self.is_stdout && source.kind() == io::ErrorKind::BrokenPipe {
            WriteError::Closed
        } else {
            WriteError::Failed {
                name: self.name.clone(),
                source,
            }
        }
    }
}

impl<W: Write> Drop for RecordWriter<W> {
    /// A run that stops early still hands over the whole records it made (stdout
    /// keeps the findings a `--strict` run printed before its error); errors have
    /// no one left to be told to.
    fn drop(&mut self) {
        let _ = self.inner.write_all(&self.buffer);
        let _ = self.inner.flush();
    }
}

/// An output file (`--reject-file`, `--escalations`): records written as by
/// [`RecordWriter`], to a temporary file renamed over the target by
/// [`OutputFile::finish`], or in place (see the module documentation).
pub struct OutputFile {
    writer: RecordWriter<File>,
    /// The temporary file and where it goes; `None` when written in place. A
    /// run that ends without [`OutputFile::finish`] drops it, which removes it.
    pending: Option<(TempPath, std::path::PathBuf)>,
}

impl OutputFile {
    /// Opens `target` for writing: in place when `live` or when the target is not
    /// a regular file, else as a temporary file beside it.
    pub fn create(target: &Target, live: bool) -> Result<OutputFile, WriteError> {
        let name = format!("`{}`", target.given);
        let failed = |source| WriteError::Failed {
            name: name.clone(),
            source,
        };
        if live || target.is_special() {
            let file = File::create(&target.resolved).map_err(failed)?;
            return Ok(OutputFile {
                writer: RecordWriter::new(file, name, false),
                pending: None,
            });
        }
        let (file, temp) = target.temporary().map_err(failed)?.into_parts();
        Ok(OutputFile {
            writer: RecordWriter::new(file, name, false),
            pending: Some((temp, target.resolved.clone())),
        })
    }

    /// Writes out what is left and puts the file in place.
    pub fn finish(mut self) -> Result<(), WriteError> {
        self.writer.flush()?;
        if let Some((temp, target)) = self.pending.take() {
            temp.persist(&target)
                .map_err(|e| self.writer.failed(e.error))?;
        }
        Ok(())
    }
}

impl Deref for OutputFile {
    type Target = RecordWriter<File>;

    fn deref(&self) -> &Self::Target {
        &self.writer
    }
}

impl DerefMut for OutputFile {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.writer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink that remembers each write call apart.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>);

    impl Write for Writes {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn writes(records: &[String]) -> Vec<Vec<u8>> {
        let mut sink = Writes::default();
        {
            let mut writer = RecordWriter::new(&mut sink, "test".into(), false);
            for r in records {
                writer.line(r).expect("in memory");
            }
            writer.flush().expect("in memory");
        }
        sink.0
    }

    #[test]
    fn every_write_is_whole_records_of_at_most_pipe_buf() {
        let records: Vec<String> = (0..2000).map(|i| "x".repeat(i % 97)).collect();
        let out = writes(&records);
        assert!(out.len() > 1);
        for w in &out {
            assert!(w.len() <= PIPE_BUF, "{} bytes", w.len());
            assert_eq!(w.last(), Some(&b'\n'));
        }
        let all: Vec<u8> = out.concat();
        let expected: String = records.iter().map(|r| format!("{r}\n")).collect();
        assert_eq!(all, expected.as_bytes());
    }

    #[test]
    fn a_record_longer_than_pipe_buf_goes_alone() {
        let records = vec!["a".to_string(), "b".repeat(3 * PIPE_BUF), "c".to_string()];
        let out = writes(&records);
        assert_eq!(out.len(), 3, "before, the long one, after");
        assert_eq!(out[1].len(), 3 * PIPE_BUF + 1);
    }

    #[test]
    fn a_broken_pipe_on_stdout_is_closed_elsewhere_a_failure() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut stdout = RecordWriter::new(Broken, "stdout".into(), true);
        stdout.line("x").expect("buffered");
        assert!(matches!(stdout.flush(), Err(WriteError::Closed)));
        let mut file = RecordWriter::new(Broken, "`fifo`".into(), false);
        file.line("x").expect("buffered");
        assert!(matches!(file.flush(), Err(WriteError::Failed { .. })));
    }
}
