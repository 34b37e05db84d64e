//! Writing files the way a user expects of `-o FILE`, and writing to stderr without panicking.
//!
//! [`write_atomically`] decides by what the path names:
//!
//! | the path names | what happens |
//! | --- | --- |
//! | nothing yet | a temporary file beside it, created with mode `0666` so the kernel applies the umask (`0644` under `022`), fsynced, renamed into place |
//! | a regular file | the same, and the new file keeps the old one's mode |
//! | a symlink | followed to the file it names (even a missing one), which is replaced as above; the link itself stays a link |
//! | a file descriptor (`/dev/stdout`, `/dev/fd/N`, `/proc/…`), a FIFO, a device, a socket | opened and written through, never replaced: a reader or a shell redirection is on the other end |
//! | a folder | an error |
//!
//! Errors are plain I/O errors: they never mention the temporary file, so the caller's message
//! names the user's path only.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Symlinks followed before giving up, as Linux's `MAXSYMLINKS`.
const MAX_SYMLINKS: usize = 40;

/// Writes `bytes` to `path` so that a failure never leaves a partial file behind (see the
/// module docs for symlinks, FIFOs and devices, which are written through).
///
/// # Errors
/// The I/O error of the step that failed; the temporary file is removed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match resolve(path)? {
        Target::Replace { file, permissions } => replace(&file, bytes, permissions),
        Target::WriteThrough(target) => {
            // Append, not truncate: a shell's `>>` gave us this descriptor, and `>` already
            // emptied it; a FIFO or a device ignores both.
            let mut f = OpenOptions::new().append(true).open(target)?;
            f.write_all(bytes)?;
            f.flush()
        }
    }
}

enum Target {
    /// A regular file (or a name with no file yet): replaced by rename.
    Replace {
        file: PathBuf,
        permissions: Option<fs::Permissions>,
    },
    /// Something that must be opened and written, never replaced.
    WriteThrough(PathBuf),
}

/// What `path` names once symlinks are followed.
fn resolve(path: &Path) -> io::Result<Target> {
    let mut current = path.to_owned();
    for _ in 0..MAX_SYMLINKS {
        // `/dev/stdout` is a link to `/proc/self/fd/1`: a descriptor the shell opened (maybe
        // with `>>`), not a file name to rename onto.
        if is_descriptor_path(&current) {
            return Ok(Target::WriteThrough(path.to_owned()));
        }
        let meta = match fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Target::Replace {
                    file: current,
                    permissions: None,
                });
            }
            Err(e) => return Err(e),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            let target = fs::read_link(&current)?;
            current = if target.is_absolute() {
                target
            } else {
                folder_of(&current).join(target)
            };
        } else if kind.is_file() {
            return Ok(Target::Replace {
                file: current,
                permissions: Some(meta.permissions()),
            });
        } else if kind.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a folder; name a file in it",
            ));
        } else {
            return Ok(Target::WriteThrough(path.to_owned()));
        }
    }
    Err(io::Error::other(format!(
        "more than {MAX_SYMLINKS} symbolic links to follow"
    )))
}

fn is_descriptor_path(path: &Path) -> bool {
    path.starts_with("/proc") || path.starts_with("/dev/fd")
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Writes a temporary file beside `file`, then renames it onto `file`.
fn replace(file: &Path, bytes: &[u8], permissions: Option<fs::Permissions>) -> io::Result<()> {
    let dir = folder_of(file);
    let name = file
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let (tmp_path, mut tmp) = create_temporary(dir, name)?;
    let written = (|| {
        tmp.write_all(bytes)?;
        if let Some(permissions) = permissions {
            tmp.set_permissions(permissions)?;
        }
        tmp.sync_all()?;
        drop(tmp);
        fs::rename(&tmp_path, file)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
    written?;
    // The rename is durable once the folder is; a folder that cannot be synced is no error.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A new file `.<name>.<pid>-<n>.tmp` in `dir`, created with mode 0666 less the umask: what a
/// plain `File::create` of the target would get (tempfile's 0600 would leak onto the target).
fn create_temporary(dir: &Path, name: &std::ffi::OsStr) -> io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut last = None;
    for _ in 0..100 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{}-{n}.tmp", std::process::id()));
        let tmp_path = dir.join(tmp_name);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o666);
        match options.open(&tmp_path) {
            Ok(f) => return Ok((tmp_path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temporary file name")))
}

/// Writes to stderr without panicking: `eprintln!` panics when stderr is a full disk or a
/// closed descriptor, which turned a finished run into a panic's exit code 101. The first
/// failure is reported once on stdout (the only other channel there is); later writes are
/// dropped, and the command's exit code is what its work decided.
pub mod stderr {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};

    static FAILED: AtomicBool = AtomicBool::new(false);

    /// Writes `text` to stderr and flushes; reports a failure once (see the module docs).
    pub fn write(text: &str) {
        if text.is_empty() || FAILED.load(Ordering::Relaxed) {
            return;
        }
        let mut err = std::io::stderr().lock();
        if let Err(e) = err.write_all(text.as_bytes()).and_then(|()| err.flush())
            && !FAILED.swap(true, Ordering::Relaxed)
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "warning: cannot write to stderr ({e}); messages and progress are not shown"
            );
            let _ = out.flush();
        }
    }

    /// Writes `text` and a newline to stderr (see [`write`]).
    pub fn line(text: &str) {
        write(&format!("{text}\n"));
    }

    /// Whether a write to stderr has failed in this process.
    pub fn failed() -> bool {
        FAILED.load(Ordering::Relaxed)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_existing_file_keeps_its_mode_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wf.yaml");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(mode(&path), 0o640);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_symlink_stays_a_link_and_its_target_gets_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.yaml");
        fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink("real.yaml", &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");

        // A dangling link: its target is created.
        let dangling = dir.path().join("dangling.yaml");
        std::os::unix::fs::symlink("later.yaml", &dangling).unwrap();
        write_atomically(&dangling, b"x").unwrap();
        assert!(
            fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("later.yaml")).unwrap(),
            "x"
        );
    }

    #[test]
    fn a_device_is_written_through_and_a_folder_is_refused() {
        write_atomically(Path::new("/dev/null"), b"anything").unwrap();
        assert!(
            fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
        let dir = tempfile::tempdir().unwrap();
        let e = write_atomically(dir.path(), b"x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::IsADirectory);
    }

    #[test]
    fn errors_do_not_mention_the_temporary_file() {
        let e = write_atomically(Path::new("/nonexistent-argot-dir/wf.yaml"), b"x").unwrap_err();
        assert!(!e.to_string().contains(".tmp"), "{e}");
    }
}
