//! Before a run writes anything: which file each output names, and the refusal of
//! an output that is the same file as an input or as another output.
//!
//! Files are compared as the OS sees them, by device and inode after following
//! links, so a hard link or a symlink to the log is caught as well as its own
//! name; an output that does not exist yet is compared by its resolved path.
//! Stdout is an output too (`cxl eval P LOG >> LOG` would read its own report),
//! and stdin an input when the log is `-`. Only regular files (and outputs still
//! to be created) can clash: two outputs on one terminal, pipe or `/dev/null`
//! harm nothing.

use std::fs::{File, Metadata};
use std::io;
use std::path::{Path, PathBuf};

/// An output file, resolved: where it is written and what is there now.
#[derive(Debug)]
pub struct Target {
    /// The path as the user gave it, for messages.
    pub given: String,
    /// The path after following symlinks, in a canonical directory: what is
    /// replaced at the end of the run.
    pub resolved: PathBuf,
    now: Now,
}

/// What a target's path holds before the run.
#[derive(Debug)]
enum Now {
    /// Nothing yet.
    Nothing,
    /// A regular file: replaced, with its permissions kept.
    File(Metadata),
    /// A FIFO, a device, a socket: written in place.
    Special,
}

impl Target {
    /// Whether the target is a FIFO, a device or a socket, written in place.
    pub fn is_special(&self) -> bool {
        matches!(self.now, Now::Special)
    }

    /// A new temporary file beside the target (a rename within one directory
    /// is atomic), with the permissions of the file it replaces, or those a new
    /// file gets (0666 less the umask), not a temporary file's 0600.
    pub fn temporary(&self) -> io::Result<tempfile::NamedTempFile> {
        let dir = self.resolved.parent().unwrap_or(Path::new("."));
        let name = self
            .resolved
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".cxl-tmp");
        #[cfg(unix)]
        {
            use std::{fs::Permissions, os::unix::fs::PermissionsExt};
            // The mode a new file asks for; the OS takes the umask off.
            builder.permissions(Permissions::from_mode(0o666));
        }
        let temp = builder.tempfile_in(dir)?;
        if let Now::File(metadata) = &self.now {
            temp.as_file().set_permissions(metadata.permissions())?;
        }
        Ok(temp)
    }
}

/// [`plan`] for a verb that reads policy files and writes only stdout (`check`,
/// `test`): stdout redirected onto one of them is refused.
pub fn plan_policies(files: &[String]) -> Result<(), String> {
    let inputs: Vec<_> = files
        .iter()
        .map(|f| ("the policy", Some(f.as_str())))
        .collect();
    plan(&inputs, []).map(|[]| ())
}

/// The outputs named, resolved, once none is the same file as an input or as
/// another output (stdout included). `inputs` and `outputs` are (what it is,
/// path) pairs such as `("the log", "claims.ndjson")`, `("--escalations",
/// "out.ndjson")`; a missing path is skipped, `-` as an input is stdin.
/// A clash is an error message, before anything is opened for writing.
pub fn plan<const N: usize>(
    inputs: &[(&str, Option<&str>)],
    outputs: [(&str, Option<&str>); N],
) -> Result<[Option<Target>; N], String> {
    let mut seen_in = Vec::new();
    for (what, path) in inputs {
        let Some(path) = path else { continue };
        if let Some(place) = input_place(path) {
            seen_in.push((format!("{what} `{path}`"), place));
        }
    }
    let mut seen_out: Vec<(String, Place)> = Vec::new();
    if let Some(place) = stdio_place(Stdio::Out) {
        clash("stdout", &place, &seen_in, &[])?;
        seen_out.push(("stdout".to_string(), place));
    }
    let mut error = None;
    let targets = outputs.map(|(what, path)| {
        let path = path.filter(|_| error.is_none())?;
        let checked = resolve(path)
            .map_err(|e| format!("{what}: cannot write `{path}`: {e}"))
            .and_then(|target| {
                let name = format!("{what} `{path}`");
                if let Some(place) = output_place(&target) {
                    clash(&name, &place, &seen_in, &seen_out)?;
                    seen_out.push((name, place));
                }
                Ok(target)
            });
        checked.map_err(|e| error = Some(e)).ok()
    });
    match error {
        Some(error) => Err(error),
        None => Ok(targets),
    }
}

/// Whether reading `log` may wait for more to come (a pipe, a FIFO, a
/// terminal) rather than reach the end of a file. A live run writes its output
/// files in place, as records come.
pub fn is_stream(log: &str) -> bool {
    let metadata = if log == "-" {
        stdio_file(Stdio::In).and_then(|f| f.metadata().ok())
    } else {
        std::fs::metadata(log).ok()
    };
    metadata.is_some_and(|m| !m.is_file())
}

fn clash(
    name: &str,
    place: &Place,
    inputs: &[(String, Place)],
    outputs: &[(String, Place)],
) -> Result<(), String> {
    if let Some((input, _)) = inputs.iter().find(|(_, p)| p == place) {
        return Err(format!(
            "{name} is the same file as {input}: cxl does not write over its input"
        ));
    }
    if let Some((other, _)) = outputs.iter().find(|(_, p)| p == place) {
        return Err(format!(
            "{other} and {name} are the same file: give each output its own"
        ));
    }
    Ok(())
}

/// A file as the OS knows it, or the path of one still to be created.
#[derive(Debug, PartialEq, Eq)]
enum Place {
    Inode(u64, u64),
    New(PathBuf),
}

/// Only regular files can be harmed by being both read and written.
fn regular(metadata: &Metadata) -> Option<Place> {
    metadata.is_file().then(|| inode(metadata)).flatten()
}

#[cfg(unix)]
fn inode(metadata: &Metadata) -> Option<Place> {
    use std::os::unix::fs::MetadataExt;
    Some(Place::Inode(metadata.dev(), metadata.ino()))
}

/// Elsewhere files have no inode to compare: only outputs still to be created
/// are compared, by path.
#[cfg(not(unix))]
fn inode(_: &Metadata) -> Option<Place> {
    None
}

fn input_place(path: &str) -> Option<Place> {
    if path == "-" {
        return stdio_place(Stdio::In);
    }
    // A missing input is reported when it is read.
    std::fs::metadata(path).ok().as_ref().and_then(regular)
}

fn output_place(target: &Target) -> Option<Place> {
    match &target.now {
        Now::Nothing => Some(Place::New(target.resolved.clone())),
        Now::File(metadata) => regular(metadata),
        Now::Special => None,
    }
}

#[derive(Clone, Copy)]
enum Stdio {
    In,
    Out,
}

fn stdio_place(which: Stdio) -> Option<Place> {
    regular(&stdio_file(which)?.metadata().ok()?)
}

/// A handle on stdin or stdout, to ask the OS what it is.
#[cfg(unix)]
fn stdio_file(which: Stdio) -> Option<File> {
    use std::os::fd::AsFd;
    let fd = match which {
        Stdio::In => io::stdin().as_fd().try_clone_to_owned(),
        Stdio::Out => io::stdout().as_fd().try_clone_to_owned(),
    };
    fd.ok().map(File::from)
}

#[cfg(not(unix))]
fn stdio_file(_: Stdio) -> Option<File> {
    None
}

/// Where `given` writes: an existing file by its canonical path (through any
/// symlink); a FIFO or a device as given (`/dev/stderr` stays itself); a new file
/// where its symlink points, if it is a dangling one, in a canonical directory.
fn resolve(given: &str) -> io::Result<Target> {
    let target = |resolved, now| Target {
        given: given.to_string(),
        resolved,
        now,
    };
    match std::fs::metadata(given) {
        Ok(m) if m.is_dir() => Err(io::Error::other("it is a directory")),
        Ok(m) if m.is_file() => Ok(target(std::fs::canonicalize(given)?, Now::File(m))),
        Ok(_) => Ok(target(PathBuf::from(given), Now::Special)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let path = follow_links(PathBuf::from(given))?;
            let dir = match path.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.canonicalize()?,
                _ => std::env::current_dir()?,
            };
            let name = path
                .file_name()
                .ok_or_else(|| io::Error::other("it names no file"))?;
            Ok(target(dir.join(name), Now::Nothing))
        }
        Err(e) => Err(e),
    }
}

/// The end of a chain of symlinks that leads nowhere yet.
fn follow_links(mut path: PathBuf) -> io::Result<PathBuf> {
    // As many links as Linux follows before it says ELOOP.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&path)?;
                path = match path.parent() {
                    Some(dir) => dir.join(to),
                    None => to,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}
