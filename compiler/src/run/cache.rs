//! Content-addressed caching of task outputs.
//!
//! A task's outputs depend on its component, the code that runs it and its input values; the
//! [`cache_key`] of those three names a cache entry `<cache>/<key>/` holding the outputs and
//! logs the task produced. The same key is meant for Argo's `memoize` (a ConfigMap cache keyed
//! by a string), so a task cached locally and one memoized in the cluster agree on identity.
//!
//! Entries are verified, never trusted: each stored item's digest is recorded in the entry
//! when it is stored, and a reuse copies the items into the task's folder and checks the copy
//! against those digests. A modified, truncated or deleted item makes the entry a miss: it is
//! discarded, the task runs and stores a fresh one. Items are copied both ways (never hard
//! linked), so a run's outputs and the cache never share an inode and editing one cannot
//! change the other.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::ir::ComponentSpec;
use crate::util::hex;

/// The version tag hashed into every key; bumped when the key's definition changes, so old
/// entries are never misread.
pub const CACHE_KEY_VERSION: &str = "argot-cache-v2";

/// The version of argot hashed into every key: a new argot may run or encode a component
/// differently, so entries of another version are not reused.
pub const ARGOT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What identifies a native component's code in its cache key (`run --cache-code`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CacheCode {
    /// The component's own code: the hash of its function's tokens that `#[component]` embeds
    /// (with its spec, argot's version and its inputs), as KFP keys a component. Editing one
    /// component re-runs only its tasks, and the binary is never hashed; a change in a helper
    /// function the component calls is not seen.
    #[default]
    Component,
    /// The whole pipeline binary's bytes: any change to the program re-runs every native task.
    Binary,
}

/// The code that runs a component, for [`cache_key`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeIdentity<'a> {
    /// A native component by its own code ([`ComponentSpec::code_hash`]).
    Component {
        /// Hex SHA-256 of the component function's tokens.
        code_hash: &'a str,
    },
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

/// The cache key of one task: hex SHA-256 of [`CACHE_KEY_VERSION`], [`ARGOT_VERSION`], the
/// component spec's [`ComponentSpec::content_hash`] (its interface, defaults, implementation
/// and code hash), the code identity, and every input's name and value (sorted by name;
/// parameters by wire value, artifacts by content digest). Every field is length-prefixed, so no two different inputs
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
    field(ARGOT_VERSION.as_bytes());
    field(spec.content_hash().as_bytes());
    match code {
        CodeIdentity::Component { code_hash } => {
            field(b"component");
            field(code_hash.as_bytes());
        }
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
        let _ = crate::fsutil::write_atomically(&memo, digest.as_bytes());
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

    /// Records the digest of `path`, known from the cache (verified on reuse, computed on
    /// store), so a consumer's key does not hash the same artifact again.
    pub(crate) fn remember(&self, path: PathBuf, digest: String) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path, digest);
    }
}

/// What a cache entry says about where it came from and what it holds (`<key>/entry.json`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct EntryInfo {
    pub key: String,
    pub component: String,
    pub run_id: String,
    pub task: String,
    pub created_at: String,
    /// When it was stored, in milliseconds since the Unix epoch, for a memoized task's max age
    /// (`None` in entries written before it was recorded: too old for any max age).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_unix_ms: Option<u64>,
    /// The digest ([`digest_path`]) of every stored item (`outputs/<name>`, `stdout.log`, …)
    /// as it was stored; an entry written before digests were recorded does not parse, so it
    /// is a miss and gets replaced.
    pub digests: BTreeMap<String, String>,
}

/// Milliseconds since the Unix epoch (0 before it), as [`EntryInfo::created_unix_ms`] keeps
/// them.
pub(crate) fn unix_millis(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl EntryInfo {
    /// True when the entry is older than `max_age_seconds` at `now`, as Argo judges a
    /// memoized entry (`GetOutputsWithMaxAge`: age from its creation); an entry written
    /// before creation times were recorded is too old for any max age.
    pub(crate) fn older_than(&self, max_age_seconds: f64, now: std::time::SystemTime) -> bool {
        self.created_unix_ms.is_none_or(|created| {
            unix_millis(now).saturating_sub(created) as f64 / 1000.0 > max_age_seconds
        })
    }
}

/// The cache folder.
#[derive(Debug, Clone)]
pub(crate) struct Cache {
    dir: PathBuf,
    code: CacheCode,
}

const ENTRY_INFO: &str = "entry.json";
/// Prefix of an entry being written (renamed to its key when complete).
pub(crate) const TMP_PREFIX: &str = ".tmp-";
/// Prefix of an entry being removed (renamed away first, so it is never half-usable).
pub(crate) const TRASH_PREFIX: &str = ".trash-";

impl Cache {
    pub(crate) fn new(dir: PathBuf, code: CacheCode) -> Cache {
        Cache { dir, code }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// What identifies native components' code in keys.
    pub(crate) fn code(&self) -> CacheCode {
        self.code
    }

    /// The entry for `key`, if it exists and its record parses (entries appear by rename, so
    /// one that exists was whole when stored; [`Cache::restore`] checks it still is).
    pub(crate) fn lookup(&self, key: &str) -> Option<(PathBuf, EntryInfo)> {
        let entry = self.dir.join(key);
        let info = fs::read(entry.join(ENTRY_INFO)).ok()?;
        let info: EntryInfo = serde_json::from_slice(&info).ok()?;
        Some((entry, info))
    }

    /// Copies the listed items of the entry (`outputs/<name>`, logs) into `dest` (a task
    /// folder) and checks each copy against the digest recorded when it was stored. On `Err`
    /// (what is wrong, for a warning) `dest` may hold part of the entry: the caller cleans it
    /// and runs the task.
    pub(crate) fn restore(
        &self,
        entry: &Path,
        info: &EntryInfo,
        items: &[String],
        dest: &Path,
    ) -> Result<(), String> {
        for item in items {
            let Some(recorded) = info.digests.get(item) else {
                return Err(format!("`{item}` is not recorded"));
            };
            let src = entry.join(item);
            if fs::symlink_metadata(&src).is_err() {
                return Err(format!("`{item}` is missing"));
            }
            let copy = dest.join(item);
            if let Some(parent) = copy.parent() {
                fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
            }
            copy_tree(&src, &copy).map_err(|e| format!("`{item}` cannot be copied: {e}"))?;
            match digest_path(&copy) {
                Ok(d) if d == *recorded => {}
                Ok(_) => return Err(format!("`{item}` differs from what was stored")),
                Err(e) => return Err(format!("`{item}` cannot be read: {e}")),
            }
        }
        // Best effort: the time of last use orders `cache prune`; a failure only makes the
        // entry look older.
        let _ = fs::File::options()
            .write(true)
            .open(entry.join(ENTRY_INFO))
            .and_then(|f| f.set_modified(std::time::SystemTime::now()));
        Ok(())
    }

    /// Stores copies of the listed items of a task folder (paths relative to it) under `key`,
    /// with their digests, which it returns (none when an entry was already there). Concurrent
    /// runs may store the same key: the first rename wins and the others drop their copy. A
    /// folder at `key` without a readable record (damaged) is replaced.
    pub(crate) fn store(
        &self,
        key: &str,
        task_dir: &Path,
        items: &[String],
        info: &EntryInfo,
    ) -> io::Result<BTreeMap<String, String>> {
        if self.lookup(key).is_some() {
            return Ok(BTreeMap::new());
        }
        fs::create_dir_all(&self.dir)?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!("{TMP_PREFIX}{key}-"))
            .tempdir_in(&self.dir)?;
        let mut info = info.clone();
        info.digests.clear();
        for item in items {
            let src = task_dir.join(item);
            if fs::symlink_metadata(&src).is_ok() {
                let copy = tmp.path().join(item);
                if let Some(parent) = copy.parent() {
                    fs::create_dir_all(parent)?;
                }
                copy_tree(&src, &copy)?;
                info.digests.insert(item.clone(), digest_path(&copy)?);
            }
        }
        fs::write(
            tmp.path().join(ENTRY_INFO),
            serde_json::to_vec_pretty(&info).map_err(io::Error::other)?,
        )?;
        let tmp = tmp.keep();
        let dest = self.dir.join(key);
        let mut result = fs::rename(&tmp, &dest);
        if result.is_err() && self.lookup(key).is_none() && fs::symlink_metadata(&dest).is_ok() {
            result = self.discard(&dest).and_then(|()| fs::rename(&tmp, &dest));
        }
        match result {
            Ok(()) => Ok(info.digests),
            Err(_) if self.lookup(key).is_some() => {
                let _ = fs::remove_dir_all(&tmp);
                Ok(BTreeMap::new())
            }
            Err(e) => {
                let _ = fs::remove_dir_all(&tmp);
                Err(e)
            }
        }
    }

    /// Removes an entry: renamed to a trash name first (one atomic step, after which no run
    /// can find it), then deleted. A trash folder left by a crash is removed by `cache prune`.
    pub(crate) fn discard(&self, entry: &Path) -> io::Result<()> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = entry
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let trash = self.dir.join(format!(
            "{TRASH_PREFIX}{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        match fs::rename(entry, &trash) {
            Ok(()) => fs::remove_dir_all(&trash),
            // Another run or a prune removed it first.
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Recreates `src` at `dst` as an independent copy: folders entry by entry, files copied
/// (never hard linked: the cache and a run must not share inodes), symbolic links as links.
pub(crate) fn copy_tree(src: &Path, dst: &Path) -> io::Result<()> {
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
            copy_tree(&src.join(&name), &dst.join(&name))?;
        }
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
                    schema: crate::schema::TypeSchema::Float,
                },
                default: default.map(str::to_owned),
                optional: false,
            }],
            outputs: vec![],
            implementation: Implementation::Native,
            code_hash: Some("c0de".into()),
            config: Default::default(),
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
        let cache = Cache::new(dir.path().join("cache"), CacheCode::Component);
        let info = info("k");
        assert!(cache.lookup("k").is_none());
        cache.store("k", &task, &items(), &info).unwrap();
        cache.store("k", &task, &items()[..2], &info).unwrap();
        let (entry, found) = cache.lookup("k").unwrap();
        assert_eq!(found.run_id, "r");
        let dest = dir.path().join("restored");
        fs::create_dir_all(&dest).unwrap();
        // No stderr.log was written: it is not recorded, and an entry without it is no hit.
        assert!(!found.digests.contains_key("stderr.log"));
        assert!(cache.restore(&entry, &found, &items(), &dest).is_err());
        cache.restore(&entry, &found, &items()[..3], &dest).unwrap();
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

    fn native(name: &str, code_hash: &str) -> ComponentSpec {
        ComponentSpec {
            name: name.into(),
            code_hash: Some(code_hash.into()),
            ..spec(None)
        }
    }

    fn key_with(spec: &ComponentSpec, code: CodeIdentity<'_>) -> String {
        cache_key(spec, code, [("lr", CacheInput::Parameter("0.1"))])
    }

    /// What a cache key takes as a native component's code: its own code hash by default, the
    /// whole binary with `--cache-code binary`.
    fn code_of(spec: &ComponentSpec, mode: CacheCode, binary: &'static str) -> String {
        let code = match (mode, spec.code_hash.as_deref()) {
            (CacheCode::Component, Some(code_hash)) => CodeIdentity::Component { code_hash },
            _ => CodeIdentity::Binary { sha256: binary },
        };
        key_with(spec, code)
    }

    #[test]
    fn editing_one_components_code_changes_only_its_key() {
        // Editing `train` rebuilds the binary (b1 → b2) and changes train's code hash only.
        let prepare = native("prepare", "p1");
        let (train, train_edited) = (native("train", "t1"), native("train", "t2"));
        let component = CacheCode::Component;
        assert_eq!(
            code_of(&prepare, component, "b1"),
            code_of(&prepare, component, "b2"),
            "an untouched component keeps its key across rebuilds"
        );
        assert_ne!(
            code_of(&train, component, "b1"),
            code_of(&train_edited, component, "b2"),
            "the edited component gets a new key"
        );
        // `--cache-code binary` keeps the strict identity: every native key follows the binary,
        // even when the component's own code did not change.
        let binary = CacheCode::Binary;
        assert_ne!(
            code_of(&prepare, binary, "b1"),
            code_of(&prepare, binary, "b2")
        );
        assert_eq!(
            code_of(&prepare, binary, "b1"),
            code_of(&prepare, binary, "b1")
        );
        // The two modes never share entries.
        assert_ne!(
            code_of(&prepare, component, "b1"),
            code_of(&prepare, binary, "b1")
        );
        // A code hash that happens to equal a binary digest is still another identity.
        assert_ne!(
            key_with(&prepare, CodeIdentity::Component { code_hash: "x" }),
            key_with(&prepare, CodeIdentity::Binary { sha256: "x" })
        );
    }

    /// A task folder with an artifact folder, an output parameter and logs.
    fn task_folder(root: &Path) -> PathBuf {
        let task = root.join("task");
        fs::create_dir_all(task.join("outputs/model")).unwrap();
        fs::write(task.join("outputs/model/w.json"), "[1, 2, 3]").unwrap();
        fs::write(task.join("outputs/output"), "0.9").unwrap();
        fs::write(task.join("stdout.log"), "hi").unwrap();
        fs::write(task.join("stderr.log"), "").unwrap();
        task
    }

    fn info(key: &str) -> EntryInfo {
        EntryInfo {
            key: key.into(),
            component: "train".into(),
            run_id: "r".into(),
            task: "train".into(),
            created_at: "now".into(),
            created_unix_ms: None,
            digests: BTreeMap::new(),
        }
    }

    fn items() -> Vec<String> {
        [
            "outputs/model",
            "outputs/output",
            "stdout.log",
            "stderr.log",
        ]
        .map(String::from)
        .to_vec()
    }

    fn writable(path: &Path) {
        let mut perms = fs::metadata(path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        fs::set_permissions(path, perms).unwrap();
    }

    #[test]
    fn a_modified_truncated_or_deleted_item_fails_verification_and_is_replaced() {
        type Tamper = fn(&Path);
        let tampers: [(&str, Tamper); 5] = [
            ("modified", |e| {
                let f = e.join("outputs/output");
                writable(&f);
                fs::write(f, "1.0").unwrap();
            }),
            ("truncated", |e| {
                let f = e.join("outputs/model/w.json");
                writable(&f);
                fs::File::options()
                    .write(true)
                    .open(f)
                    .unwrap()
                    .set_len(3)
                    .unwrap();
            }),
            ("deleted file", |e| {
                fs::remove_file(e.join("outputs/model/w.json")).unwrap()
            }),
            ("deleted log", |e| {
                fs::remove_file(e.join("stdout.log")).unwrap()
            }),
            ("added file", |e| {
                fs::write(e.join("outputs/model/extra"), "").unwrap()
            }),
        ];
        for (what, tamper) in tampers {
            let dir = tempfile::tempdir().unwrap();
            let task = task_folder(dir.path());
            let cache = Cache::new(dir.path().join("cache"), CacheCode::Component);
            let stored = cache.store("k", &task, &items(), &info("k")).unwrap();
            let (entry, found) = cache.lookup("k").unwrap();
            assert_eq!(found.digests.len(), 4, "{what}");
            // What store returns is what consumers' keys use instead of hashing again.
            assert_eq!(stored, found.digests);
            for item in items() {
                assert_eq!(stored[&item], digest_path(&task.join(&item)).unwrap());
            }
            assert!(
                cache
                    .store("k", &task, &items(), &info("k"))
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(
                found.digests["outputs/model"],
                digest_path(&task.join("outputs/model")).unwrap()
            );

            tamper(&entry);
            let dest = dir.path().join("restored");
            fs::create_dir_all(dest.join("outputs")).unwrap();
            let damage = cache.restore(&entry, &found, &items(), &dest).unwrap_err();
            assert!(
                damage.contains("differs from what was stored") || damage.contains("missing"),
                "{what}: {damage}"
            );

            // Repair: discard, store again, and the entry restores whole.
            cache.discard(&entry).unwrap();
            assert!(cache.lookup("k").is_none(), "{what}");
            cache.store("k", &task, &items(), &info("k")).unwrap();
            let (entry, found) = cache.lookup("k").unwrap();
            let again = dir.path().join("again");
            fs::create_dir_all(again.join("outputs")).unwrap();
            cache.restore(&entry, &found, &items(), &again).unwrap();
            assert_eq!(
                digest_path(&again.join("outputs")).unwrap(),
                digest_path(&task.join("outputs")).unwrap(),
                "{what}"
            );
            let names: Vec<_> = sorted_entries(cache.dir()).unwrap();
            assert_eq!(names, ["k"], "{what}: no trash or temporary folder is left");
        }
    }

    #[test]
    fn a_folder_without_a_readable_record_is_replaced_on_store() {
        let dir = tempfile::tempdir().unwrap();
        let task = task_folder(dir.path());
        let cache = Cache::new(dir.path().join("cache"), CacheCode::Component);
        // An entry of an older format (no digests) or a lost record.
        fs::create_dir_all(cache.dir().join("k/outputs")).unwrap();
        fs::write(cache.dir().join("k/entry.json"), r#"{"key":"k"}"#).unwrap();
        assert!(cache.lookup("k").is_none());
        cache.store("k", &task, &items(), &info("k")).unwrap();
        let (entry, found) = cache.lookup("k").unwrap();
        let dest = dir.path().join("restored");
        fs::create_dir_all(dest.join("outputs")).unwrap();
        cache.restore(&entry, &found, &items(), &dest).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_cache_and_a_runs_outputs_never_share_inodes() {
        use std::os::unix::fs::MetadataExt;
        let ino = |p: &Path| fs::metadata(p).unwrap().ino();
        let dir = tempfile::tempdir().unwrap();
        let task = task_folder(dir.path());
        let cache = Cache::new(dir.path().join("cache"), CacheCode::Component);
        cache.store("k", &task, &items(), &info("k")).unwrap();
        let (entry, found) = cache.lookup("k").unwrap();
        let dest = dir.path().join("restored");
        fs::create_dir_all(dest.join("outputs")).unwrap();
        cache.restore(&entry, &found, &items(), &dest).unwrap();
        for file in ["outputs/output", "outputs/model/w.json", "stdout.log"] {
            let stored = ino(&entry.join(file));
            assert_ne!(stored, ino(&task.join(file)), "stored {file}");
            assert_ne!(stored, ino(&dest.join(file)), "restored {file}");
            assert_eq!(fs::metadata(entry.join(file)).unwrap().nlink(), 1, "{file}");
        }
    }
}
