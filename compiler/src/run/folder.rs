//! The run folder: its id, its `run.json`, its lock, and the task folders inside it.

use std::collections::BTreeMap;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::RunError;
use crate::ir::Pipeline;

/// What a run folder remembers about its run, so `--resume` continues the same run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Manifest {
    /// Format of this file.
    pub format: u32,
    pub run_id: String,
    /// The pipeline's name as the binary knows it (what `run PIPELINE` takes).
    pub pipeline: String,
    pub started_at: String,
    /// Every pipeline parameter's wire value.
    pub parameters: BTreeMap<String, String>,
    /// The validated IR the run executes.
    pub ir: Pipeline,
}

pub(crate) const MANIFEST: &str = "run.json";
const LOCK: &str = ".lock";

/// An open run folder, locked for this process until dropped.
#[derive(Debug)]
pub(crate) struct RunFolder {
    pub dir: PathBuf,
    _lock: fs::File,
}

impl RunFolder {
    /// Creates a new run folder `<workdir>/<stem>-<yyyymmdd-hhmmss>-<4 hex>`.
    pub(crate) fn create(workdir: &Path, stem: &str) -> Result<(String, RunFolder), RunError> {
        fs::create_dir_all(workdir).map_err(RunError::io("create the workdir", workdir))?;
        let stamp = stamp(SystemTime::now());
        for _ in 0..16 {
            let id = format!("{stem}-{stamp}-{:04x}", random_u16());
            let dir = workdir.join(&id);
            match fs::create_dir(&dir) {
                Ok(()) => {
                    let folder = RunFolder::lock(&id, dir)?;
                    return Ok((id, folder));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(RunError::io("create the run folder", &dir)(e)),
            }
        }
        Err(RunError::Io {
            what: "find a free run id in",
            path: workdir.to_owned(),
            source: std::io::Error::other("16 random ids were all taken"),
        })
    }

    /// Opens the folder of an existing run.
    pub(crate) fn open(workdir: &Path, run_id: &str) -> Result<(Manifest, RunFolder), RunError> {
        let dir = workdir.join(run_id);
        let path = dir.join(MANIFEST);
        let text = match fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(RunError::CannotResume {
                    run_id: run_id.to_owned(),
                    reason: format!("`{}` does not exist", path.display()),
                    help: "pass the --workdir the run used; `runs list` shows recorded runs"
                        .to_owned(),
                });
            }
            Err(e) => return Err(RunError::io("read", &path)(e)),
        };
        let manifest: Manifest =
            serde_json::from_slice(&text).map_err(|e| RunError::CannotResume {
                run_id: run_id.to_owned(),
                reason: format!("`{}` cannot be read: {e}", path.display()),
                help: "start a new run (its cached tasks are reused)".to_owned(),
            })?;
        let folder = RunFolder::lock(run_id, dir)?;
        Ok((manifest, folder))
    }

    fn lock(run_id: &str, dir: PathBuf) -> Result<RunFolder, RunError> {
        let path = dir.join(LOCK);
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(RunError::io("open the lock", &path))?;
        match file.try_lock() {
            Ok(()) => Ok(RunFolder { dir, _lock: file }),
            Err(fs::TryLockError::WouldBlock) => Err(RunError::Busy(run_id.to_owned())),
            Err(fs::TryLockError::Error(e)) => Err(RunError::io("lock", &path)(e)),
        }
    }

    pub(crate) fn write_manifest(&self, manifest: &Manifest) -> Result<(), RunError> {
        let path = self.dir.join(MANIFEST);
        let mut text = serde_json::to_vec_pretty(manifest).map_err(|e| RunError::Io {
            what: "serialise",
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        text.push(b'\n');
        crate::fsutil::write_atomically(&path, &text).map_err(RunError::io("write", &path))
    }

    /// The folder of a task that succeeded.
    pub(crate) fn task_dir(&self, task: &str) -> PathBuf {
        self.dir.join(folder_name(task).as_ref())
    }

    /// Where a running task writes.
    pub(crate) fn tmp_dir(&self, task: &str) -> PathBuf {
        self.dir.join(format!("{}.tmp", folder_name(task)))
    }

    /// Where a failed task's files are kept.
    pub(crate) fn failed_dir(&self, task: &str) -> PathBuf {
        self.dir.join(format!("{}.failed", folder_name(task)))
    }

    /// Removes whatever an earlier attempt left of a task.
    pub(crate) fn clean_task(&self, task: &str) -> Result<(), RunError> {
        for dir in [
            self.task_dir(task),
            self.tmp_dir(task),
            self.failed_dir(task),
        ] {
            remove_dir_if_present(&dir)?;
        }
        Ok(())
    }
}

pub(crate) fn remove_dir_if_present(dir: &Path) -> Result<(), RunError> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(RunError::io("remove", dir)(e)),
    }
}

/// 16 random bits (std's hasher keys are random per process).
fn random_u16() -> u16 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    (h.finish() & 0xffff) as u16
}

fn parts(t: SystemTime) -> (i64, u32, u32, u32, u32, u32) {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (y, mo, d) = argot_client::civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400) as u32;
    (y, mo, d, s / 3600, s / 60 % 60, s % 60)
}

/// `2024-05-01T10:00:00Z`, as the store writes times.
pub(crate) use argot_client::rfc3339_utc as rfc3339;

/// `2024-05-01T10:00:00.123Z`: tasks of one run often start within the same second, and
/// the store orders them by this text.
pub(crate) fn rfc3339_millis(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = parts(t);
    let ms = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_millis());
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
}

/// `20240501-100000`.
fn stamp(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = parts(t);
    format!("{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_are_utc_and_well_formed() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_709_210_096); // leap day 2024
        assert_eq!(rfc3339(t), "2024-02-29T12:34:56Z");
        assert_eq!(stamp(t), "20240229-123456");
        let t = t + Duration::from_millis(7);
        assert_eq!(rfc3339_millis(t), "2024-02-29T12:34:56.007Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(t), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn run_ids_are_unique_and_the_folder_is_locked() {
        let dir = tempfile::tempdir().unwrap();
        let (a, fa) = RunFolder::create(dir.path(), "p").unwrap();
        let (b, _fb) = RunFolder::create(dir.path(), "p").unwrap();
        assert_ne!(a, b);
        assert!(
            a.starts_with("p-") && a.len() == "p-yyyymmdd-hhmmss-abcd".len(),
            "{a}"
        );
        let manifest = Manifest {
            format: 1,
            run_id: a.clone(),
            pipeline: "p".into(),
            started_at: rfc3339(SystemTime::now()),
            parameters: BTreeMap::new(),
            ir: serde_json::from_value(serde_json::json!({"name": "p", "binary_path": "/b"}))
                .unwrap(),
        };
        fa.write_manifest(&manifest).unwrap();
        assert!(matches!(
            RunFolder::open(dir.path(), &a),
            Err(RunError::Busy(_))
        ));
        drop(fa);
        let (m, _f) = RunFolder::open(dir.path(), &a).unwrap();
        assert_eq!(m.run_id, a);
        assert!(matches!(
            RunFolder::open(dir.path(), "nope"),
            Err(RunError::CannotResume { .. })
        ));
    }
}

/// The most bytes a task's folder name may take, leaving room for `.failed` within the 255
/// bytes a file name may have on Linux and macOS file systems.
const MAX_FOLDER_NAME: usize = 240;

/// The name of task `task`'s folder: the task's name, or for a name too long to be a file
/// name (a task deep in a recursion: `train-rounds.train-rounds.….train-epoch`) a hash of the
/// whole name, then `~`, then as much of its end as fits — unique, and still readable.
pub(crate) fn folder_name(task: &str) -> std::borrow::Cow<'_, str> {
    if task.len() <= MAX_FOLDER_NAME {
        return task.into();
    }
    use sha2::{Digest, Sha256};
    let hash = crate::util::hex(&Sha256::digest(task.as_bytes()));
    let keep = MAX_FOLDER_NAME - 17;
    let mut start = task.len() - keep;
    while !task.is_char_boundary(start) {
        start += 1;
    }
    format!("{}~{}", &hash[..16], &task[start..]).into()
}

#[cfg(test)]
mod folder_name_tests {
    use super::folder_name;

    #[test]
    fn a_name_too_long_for_a_file_is_shortened_uniquely() {
        assert_eq!(
            folder_name("train-rounds.train-epoch"),
            "train-rounds.train-epoch"
        );
        let deep = |n: usize| format!("{}train-epoch", "train-rounds.".repeat(n));
        let (thirty, thirty_one) = (deep(30), deep(31));
        let (a, b) = (folder_name(&thirty), folder_name(&thirty_one));
        assert!(a.len() <= 240 && b.len() <= 240, "{a}");
        assert_ne!(a, b);
        assert!(a.ends_with(".train-rounds.train-epoch"), "{a}");
        assert_eq!(a, folder_name(&deep(30)));
    }
}
