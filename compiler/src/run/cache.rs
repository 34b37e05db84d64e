//! Content-addressed caching of task outputs.
//!
//! A task's outputs depend on its component, the code that runs it and its input values; the
//! [`cache_key`] of those three names a cache entry `<cache>/<key>/` holding the outputs and
//! logs the task produced. The same key is meant for Argo's `memoize` (a ConfigMap cache keyed
//! by a string), so a task cached locally and one memoized in the cluster agree on identity.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::ir::ComponentSpec;

/// The version tag hashed into every key; bumped when the key's definition changes, so old
/// entries are never misread.
pub const CACHE_KEY_VERSION: &str = "argot-cache-v1";

/// The code that runs a component, for [`cache_key`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeIdentity<'a> {
    /// A native component run by a pipeline binary: the hex SHA-256 of the binary's bytes.
    Binary {
        /// Hex SHA-256 of the executable file.
        sha256: &'a str,
    },
    /// A container image reference as written (`python:3.12-alpine`, `repo@sha256:…`). For a
    /// native component in the cluster this is the pipeline's image. Only a digest-pinned
    /// reference makes the key exact; a tag can move.
    Image(&'a str),
}

/// The value one input of a task receives, for [`cache_key`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheInput<'a> {
    /// A parameter's wire-form value (see [`crate::value`]).
    Parameter(&'a str),
    /// An artifact, by the digest of its content ([`digest_path`]).
    Artifact {
        /// Hex digest from [`digest_path`].
        digest: &'a str,
    },
}

/// The cache key of one task: hex SHA-256 of [`CACHE_KEY_VERSION`], the component spec's
/// [`ComponentSpec::content_hash`] (its interface, defaults and implementation), the code
/// identity, and every input's name and value (sorted by name; parameters by wire value,
/// artifacts by content digest). Every field is length-prefixed, so no two different inputs
/// give the same byte stream.
///
/// Two tasks with the same key compute the same outputs if the component is deterministic:
/// the local runner reuses the outputs, and Argo's `memoize` will use the same key.
pub fn cache_key<'a>(
    spec: &ComponentSpec,
    code: CodeIdentity<'_>,
    inputs: impl IntoIterator<Item = (&'a str, CacheInput<'a>)>,
) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(CACHE_KEY_VERSION.as_bytes());
    field(spec.content_hash().as_bytes());
    match code {
        CodeIdentity::Binary { sha256 } => {
            field(b"binary");
            field(sha256.as_bytes());
        }
        CodeIdentity::Image(image) => {
            field(b"image");
            field(image.as_bytes());
        }
    }
    let sorted: BTreeMap<&str, CacheInput<'_>> = inputs.into_iter().collect();
    field(&(sorted.len() as u64).to_le_bytes());
    for (name, value) in sorted {
        field(name.as_bytes());
        match value {
            CacheInput::Parameter(v) => {
                field(b"parameter");
                field(v.as_bytes());
            }
            CacheInput::Artifact { digest } => {
                field(b"artifact");
                field(digest.as_bytes());
            }
        }
    }
    hex(&h.finalize())
}

/// The content digest of an artifact: hex SHA-256 of a file's bytes, or for a folder of every
/// entry's name, type and content in name order (symbolic links by their target). Paths and
/// timestamps do not count, so the same data anywhere has the same digest.
///
/// # Errors
/// When the path or something inside it cannot be read.
pub fn digest_path(path: &Path) -> io::Result<String> {
    let mut h = Sha256::new();
    digest_into(path, &mut h)?;
    Ok(hex(&h.finalize()))
}

fn digest_into(path: &Path, h: &mut Sha256) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        let target = fs::read_link(path)?;
        h.update(b"link\0");
        h.update(target.to_string_lossy().as_bytes());
        h.update(b"\0");
    } else if meta.is_dir() {
        h.update(b"dir\0");
        for entry in sorted_entries(path)? {
            h.update(entry.to_string_lossy().as_bytes());
            h.update(b"\0");
            digest_into(&path.join(&entry), h)?;
        }
        h.update(b"end\0");
    } else {
        h.update(b"file\0");
        h.update(meta.len().to_le_bytes());
        let mut file = fs::File::open(path)?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
    }
    Ok(())
}

fn sorted_entries(dir: &Path) -> io::Result<Vec<std::ffi::OsString>> {
    let mut names = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort();
    Ok(names)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hex SHA-256 of an executable, remembered in `<cache>/executables/` under a stamp of its
/// path, size, modification time (and inode) so an unchanged binary is hashed once, not on
/// every run.
pub(crate) fn executable_digest(exe: &Path, cache_dir: &Path) -> io::Result<String> {
    let meta = fs::metadata(exe)?;
    let mut stamp = Sha256::new();
    stamp.update(exe.to_string_lossy().as_bytes());
    stamp.update(meta.len().to_le_bytes());
    if let Ok(modified) = meta.modified()
        && let Ok(since) = modified.duration_since(std::time::UNIX_EPOCH)
    {
        stamp.update(since.as_nanos().to_le_bytes());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        stamp.update(meta.ino().to_le_bytes());
        stamp.update(meta.dev().to_le_bytes());
    }
    let memo = cache_dir.join("executables").join(hex(&stamp.finalize()));
    if let Ok(text) = fs::read_to_string(&memo)
        && text.len() == 64
        && text.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Ok(text);
    }
    let digest = digest_file(exe)?;
    // Best effort: a memo that cannot be written only costs a re-hash next time.
    if let Some(dir) = memo.parent()
        && fs::create_dir_all(dir).is_ok()
    {
        let _ = crate::cli::write_atomically(&memo, digest.as_bytes());
    }
    Ok(digest)
}

fn digest_file(path: &Path) -> io::Result<String> {
    let mut h = Sha256::new();
    let mut file = fs::File::open(path)?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// Remembers artifact digests for the length of a run (an artifact read by several tasks is
/// hashed once).
#[derive(Debug, Default)]
pub(crate) struct Digests(Mutex<HashMap<PathBuf, String>>);

impl Digests {
    pub(crate) fn of(&self, path: &Path) -> io::Result<String> {
        if let Some(d) = self.0.lock().unwrap_or_else(|e| e.into_inner()).get(path) {
            return Ok(d.clone());
        }
        let d = digest_path(path)?;
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_owned(), d.clone());
        Ok(d)
    }
}

/// What a cache entry says about where it came from (`<key>/entry.json`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct EntryInfo {
    pub key: String,
    pub component: String,
    pub run_id: String,
    pub task: String,
    pub created_at: String,
}

/// The cache folder.
#[derive(Debug, Clone)]
pub(crate) struct Cache {
    dir: PathBuf,
}

const ENTRY_INFO: &str = "entry.json";

impl Cache {
    pub(crate) fn new(dir: PathBuf) -> Cache {
        Cache { dir }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The entry for `key`, if complete (entries appear by rename, so one that exists is whole).
    pub(crate) fn lookup(&self, key: &str) -> Option<(PathBuf, EntryInfo)> {
        let entry = self.dir.join(key);
        let info = fs::read(entry.join(ENTRY_INFO)).ok()?;
        let info: EntryInfo = serde_json::from_slice(&info).ok()?;
        Some((entry, info))
    }

    /// Copies (hard links where possible) everything in entry into `dest` (a task folder).
    pub(crate) fn restore(&self, entry: &Path, dest: &Path) -> io::Result<()> {
        for name in sorted_entries(entry)? {
            if name == ENTRY_INFO {
                continue;
            }
            link_or_copy(&entry.join(&name), &dest.join(&name))?;
        }
        Ok(())
    }

    /// Stores the listed items of a task folder under `key`. Concurrent runs may store the same
    /// key: the first rename wins and the others drop their copy.
    pub(crate) fn store(
        &self,
        key: &str,
        task_dir: &Path,
        items: &[&str],
        info: &EntryInfo,
    ) -> io::Result<()> {
        if self.lookup(key).is_some() {
            return Ok(());
        }
        fs::create_dir_all(&self.dir)?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".tmp-{key}-"))
            .tempdir_in(&self.dir)?;
        for item in items {
            let src = task_dir.join(item);
            if fs::symlink_metadata(&src).is_ok() {
                link_or_copy(&src, &tmp.path().join(item))?;
            }
        }
        fs::write(
            tmp.path().join(ENTRY_INFO),
            serde_json::to_vec_pretty(info).map_err(io::Error::other)?,
        )?;
        let tmp = tmp.keep();
        match fs::rename(&tmp, self.dir.join(key)) {
            Ok(()) => Ok(()),
            Err(_) if self.lookup(key).is_some() => {
                let _ = fs::remove_dir_all(&tmp);
                Ok(())
            }
            Err(e) => {
                let _ = fs::remove_dir_all(&tmp);
                Err(e)
            }
        }
    }
}

/// Recreates `src` at `dst`: folders entry by entry, files as hard links (copies across file
/// systems), symbolic links as links.
pub(crate) fn link_or_copy(src: &Path, dst: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(src)?;
    if meta.file_type().is_symlink() {
        let target = fs::read_link(src)?;
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(target, dst)
        }
        #[cfg(not(unix))]
        {
            let _ = target;
            fs::copy(src, dst).map(|_| ())
        }
    } else if meta.is_dir() {
        fs::create_dir_all(dst)?;
        for name in sorted_entries(src)? {
            link_or_copy(&src.join(&name), &dst.join(&name))?;
        }
        Ok(())
    } else if fs::hard_link(src, dst).is_ok() {
        Ok(())
    } else {
        fs::copy(src, dst).map(|_| ())
    }
}

/// Makes every file under `path` read-only (best effort: files another user owns, such as a
/// rootful container's, are left as they are).
pub(crate) fn make_read_only(path: &Path) {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return;
    };
    if meta.file_type().is_symlink() {
        return;
    }
    if meta.is_dir() {
        if let Ok(entries) = sorted_entries(path) {
            for name in entries {
                make_read_only(&path.join(name));
            }
        }
    } else if !meta.permissions().readonly() {
        let mut perms = meta.permissions();
        perms.set_readonly(true);
        let _ = fs::set_permissions(path, perms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Implementation, InputSpec, IoKind};

    fn spec(default: Option<&str>) -> ComponentSpec {
        ComponentSpec {
            name: "train".into(),
            description: None,
            inputs: vec![InputSpec {
                name: "lr".into(),
                kind: IoKind::Parameter {
                    rust_type: "f64".into(),
                },
                default: default.map(str::to_owned),
            }],
            outputs: vec![],
            implementation: Implementation::Native,
        }
    }

    #[test]
    fn the_key_changes_with_each_of_its_parts_and_not_with_input_order() {
        let s = spec(None);
        let bin = CodeIdentity::Binary { sha256: "aa" };
        let base = cache_key(
            &s,
            bin,
            [
                ("lr", CacheInput::Parameter("0.1")),
                ("data", CacheInput::Artifact { digest: "d1" }),
            ],
        );
        assert_eq!(base.len(), 64);
        let reordered = cache_key(
            &s,
            bin,
            [
                ("data", CacheInput::Artifact { digest: "d1" }),
                ("lr", CacheInput::Parameter("0.1")),
            ],
        );
        assert_eq!(base, reordered);
        let variants = [
            cache_key(
                &s,
                bin,
                [
                    ("lr", CacheInput::Parameter("0.2")),
                    ("data", CacheInput::Artifact { digest: "d1" }),
                ],
            ),
            cache_key(
                &s,
                bin,
                [
                    ("lr", CacheInput::Parameter("0.1")),
                    ("data", CacheInput::Artifact { digest: "d2" }),
                ],
            ),
            cache_key(
                &s,
                CodeIdentity::Binary { sha256: "ab" },
                [
                    ("lr", CacheInput::Parameter("0.1")),
                    ("data", CacheInput::Artifact { digest: "d1" }),
                ],
            ),
            cache_key(
                &s,
                CodeIdentity::Image("aa"),
                [
                    ("lr", CacheInput::Parameter("0.1")),
                    ("data", CacheInput::Artifact { digest: "d1" }),
                ],
            ),
            cache_key(
                &spec(Some("0.5")),
                bin,
                [
                    ("lr", CacheInput::Parameter("0.1")),
                    ("data", CacheInput::Artifact { digest: "d1" }),
                ],
            ),
            // A parameter whose value equals an artifact's digest is still a different input.
            cache_key(
                &s,
                bin,
                [
                    ("lr", CacheInput::Parameter("0.1")),
                    ("data", CacheInput::Parameter("d1")),
                ],
            ),
        ];
        for v in variants {
            assert_ne!(v, base);
        }
    }

    #[test]
    fn digests_follow_content_not_location_or_time() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        for d in [&a, &b] {
            fs::create_dir_all(d.join("sub")).unwrap();
            fs::write(d.join("x.txt"), "hello").unwrap();
            fs::write(d.join("sub/y.txt"), "world").unwrap();
        }
        assert_eq!(digest_path(&a).unwrap(), digest_path(&b).unwrap());
        fs::write(b.join("sub/y.txt"), "World").unwrap();
        assert_ne!(digest_path(&a).unwrap(), digest_path(&b).unwrap());
        fs::write(b.join("sub/y.txt"), "world").unwrap();
        fs::rename(b.join("x.txt"), b.join("z.txt")).unwrap();
        assert_ne!(digest_path(&a).unwrap(), digest_path(&b).unwrap());
        assert_ne!(
            digest_path(&a.join("x.txt")).unwrap(),
            digest_path(&a).unwrap()
        );
    }

    #[test]
    fn entries_store_once_and_restore_whole() {
        let dir = tempfile::tempdir().unwrap();
        let task = dir.path().join("task");
        fs::create_dir_all(task.join("outputs/model")).unwrap();
        fs::write(task.join("outputs/model/w.json"), "[1]").unwrap();
        fs::write(task.join("outputs/output"), "0.9").unwrap();
        fs::write(task.join("stdout.log"), "hi").unwrap();
        let cache = Cache::new(dir.path().join("cache"));
        let info = EntryInfo {
            key: "k".into(),
            component: "train".into(),
            run_id: "r".into(),
            task: "train".into(),
            created_at: "now".into(),
        };
        assert!(cache.lookup("k").is_none());
        cache
            .store("k", &task, &["outputs", "stdout.log", "stderr.log"], &info)
            .unwrap();
        cache
            .store("k", &task, &["outputs", "stdout.log"], &info)
            .unwrap();
        let (entry, found) = cache.lookup("k").unwrap();
        assert_eq!(found.run_id, "r");
        let dest = dir.path().join("restored");
        fs::create_dir_all(&dest).unwrap();
        cache.restore(&entry, &dest).unwrap();
        assert_eq!(
            fs::read_to_string(dest.join("outputs/model/w.json")).unwrap(),
            "[1]"
        );
        assert_eq!(
            fs::read_to_string(dest.join("outputs/output")).unwrap(),
            "0.9"
        );
        assert!(!dest.join("entry.json").exists());
        let leftovers = fs::read_dir(cache.dir())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0);
    }
}
