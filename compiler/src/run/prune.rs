//! `cache prune`: removes cache entries by age (time since last use) or to fit a size.
//!
//! Each entry is removed in one atomic step first (renamed to a trash name, see
//! [`Cache::discard`]), then deleted, so a concurrent run either finds it whole or not at all;
//! a run that was copying it when it went sees a damaged entry and runs the task. Trash and
//! abandoned temporary folders left by crashes are removed too.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::cache::{Cache, CacheCode, TMP_PREFIX, TRASH_PREFIX};
use super::folder::rfc3339;
use super::{DEFAULT_WORKDIR, default_cache_dir};
use crate::protocol::ExitCode;

/// A temporary entry younger than this may still be written by a running task.
const TMP_GRACE: Duration = Duration::from_secs(3600);

/// The `cache` command group.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum CacheCommand {
    /// Remove cache entries unused for a while, or the least recently used beyond a size.
    #[command(after_help = PRUNE_AFTER_HELP)]
    Prune(PruneArgs),
}

/// The flags of `cache prune` (at least one of `--older-than` and `--max-size`).
#[derive(clap::Args, Debug, Clone)]
#[command(group = clap::ArgGroup::new("bound").required(true).multiple(true).args(["older_than", "max_size"]))]
pub struct PruneArgs {
    /// Remove entries not used (stored or reused) for this long: `90s`, `30m`, `12h`, `7d`,
    /// or combined (`1h30m`); `0s` empties the cache.
    #[arg(long, value_name = "DURATION", value_parser = duration_arg)]
    pub older_than: Option<Duration>,
    /// Then remove the least recently used entries until the cache is at most this big:
    /// bytes, or K, M, G, T (powers of 1024: `500M`, `2G`).
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    pub max_size: Option<u64>,
    /// Only print what would be removed.
    #[arg(long)]
    pub dry_run: bool,
    /// The cache folder [default: .argot/cache, the one `run` uses by default].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

const PRUNE_AFTER_HELP: &str = "\
Examples:
  quickstart cache prune --older-than 30d
  quickstart cache prune --max-size 2G --dry-run
  quickstart cache prune --older-than 0s

Age is the time since an entry was last stored or reused. With both flags, old entries go
first, then the least recently used until the size fits.

Exit codes: 0 ok, 1 I/O error, 2 usage error.";

/// `--older-than`: the syntax `runs gc` reads (`90s`, `30m`, `12h`, `7d`, `1h30m`, seconds).
fn duration_arg(text: &str) -> Result<Duration, String> {
    argot_client::cli::parse_duration(text).map_err(|e| e.to_string())
}

/// `--max-size`: the syntax `runs gc` reads (`500M`, `2G`, `2GiB`, bytes).
fn size_arg(text: &str) -> Result<u64, String> {
    argot_client::cli::parse_size(text).map_err(|e| e.to_string())
}

/// What to remove.
#[derive(Clone, Debug, Default)]
pub struct PruneOptions {
    /// Remove entries last used longer ago than this.
    pub older_than: Option<Duration>,
    /// Then remove the least recently used until the total is at most this many bytes.
    pub max_size: Option<u64>,
    /// Decide, but remove nothing.
    pub dry_run: bool,
}

/// Why an entry was removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PruneReason {
    /// Unused for longer than `--older-than`.
    Old,
    /// The cache was over `--max-size`.
    OverSize,
    /// Its record cannot be read: it could never be reused.
    Damaged,
}

/// One entry of the cache.
#[derive(Clone, Debug)]
pub struct PrunedEntry {
    /// Its key (the folder's name).
    pub key: String,
    /// The component whose outputs it holds, when its record says.
    pub component: Option<String>,
    /// Bytes of its files.
    pub bytes: u64,
    /// When it was last stored or reused.
    pub last_used: SystemTime,
    /// Why it goes.
    pub reason: PruneReason,
}

/// What a prune did (or would do, with `dry_run`).
#[derive(Clone, Debug, Default)]
pub struct PruneReport {
    /// The entries removed, oldest first.
    pub removed: Vec<PrunedEntry>,
    /// Entries left, and their bytes.
    pub kept: usize,
    /// Bytes of the entries left.
    pub kept_bytes: u64,
    /// Trash and abandoned temporary folders removed.
    pub leftovers: usize,
}

impl PruneReport {
    /// Bytes freed by the removed entries.
    pub fn freed(&self) -> u64 {
        self.removed.iter().map(|e| e.bytes).sum()
    }
}

/// Prunes the cache in `dir` as `options` say, with `now` as the present.
///
/// # Errors
/// When the folder or an entry cannot be read or removed.
pub fn prune(dir: &Path, options: &PruneOptions, now: SystemTime) -> io::Result<PruneReport> {
    let mut report = PruneReport::default();
    let names = match fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<io::Result<Vec<_>>>()?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(report),
        Err(e) => return Err(e),
    };
    let cache = Cache::new(dir.to_owned(), CacheCode::default());
    let mut entries = Vec::new();
    for name in names {
        let path = dir.join(&name);
        if name.starts_with(TRASH_PREFIX)
            || (name.starts_with(TMP_PREFIX) && age(&path, now) > TMP_GRACE)
        {
            if !options.dry_run {
                fs::remove_dir_all(&path)?;
            }
            report.leftovers += 1;
            continue;
        }
        if !is_key(&name) || !path.is_dir() {
            continue;
        }
        let (component, last_used) = match cache.lookup(&name) {
            Some((entry, info)) => {
                let used = fs::metadata(entry.join("entry.json"))
                    .and_then(|m| m.modified())
                    .unwrap_or(SystemTime::UNIX_EPOCH);
                (Some(info.component), used)
            }
            None => (None, SystemTime::UNIX_EPOCH),
        };
        entries.push(PrunedEntry {
            bytes: size_of(&path)?,
            reason: if component.is_some() {
                PruneReason::Old
            } else {
                PruneReason::Damaged
            },
            key: name,
            component,
            last_used,
        });
    }
    // Least recently used first; the key breaks ties so the choice is deterministic.
    entries.sort_by(|a, b| a.last_used.cmp(&b.last_used).then(a.key.cmp(&b.key)));

    let mut total: u64 = entries.iter().map(|e| e.bytes).sum();
    let mut doomed = Vec::new();
    let mut kept = Vec::new();
    for entry in entries {
        let old = options
            .older_than
            .is_some_and(|limit| now.duration_since(entry.last_used).unwrap_or_default() > limit);
        if entry.reason == PruneReason::Damaged || old {
            total -= entry.bytes;
            doomed.push(entry);
        } else {
            kept.push(entry);
        }
    }
    if let Some(max) = options.max_size {
        let mut rest = kept.into_iter();
        kept = Vec::new();
        for mut entry in rest.by_ref() {
            if total <= max {
                kept.push(entry);
                break;
            }
            total -= entry.bytes;
            entry.reason = PruneReason::OverSize;
            doomed.push(entry);
        }
        kept.extend(rest);
    }
    for entry in &doomed {
        if !options.dry_run {
            cache.discard(&dir.join(&entry.key))?;
        }
    }
    report.kept = kept.len();
    report.kept_bytes = kept.iter().map(|e| e.bytes).sum();
    report.removed = doomed;
    Ok(report)
}

fn is_key(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

fn age(path: &Path, now: SystemTime) -> Duration {
    fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .map(|t| now.duration_since(t).unwrap_or_default())
        .unwrap_or_default()
}

fn size_of(path: &Path) -> io::Result<u64> {
    let meta = fs::symlink_metadata(path)?;
    if meta.is_dir() {
        let mut total = 0;
        for entry in fs::read_dir(path)? {
            total += size_of(&entry?.path())?;
        }
        Ok(total)
    } else {
        Ok(meta.len())
    }
}

/// Runs `cache prune`: prints one line per removed entry and a summary on stdout.
///
/// # Errors
/// The exit code and message for the CLI.
pub fn execute(command: &CacheCommand) -> Result<String, (ExitCode, String)> {
    let CacheCommand::Prune(args) = command;
    let dir = args
        .cache_dir
        .clone()
        .unwrap_or_else(|| default_cache_dir(Path::new(DEFAULT_WORKDIR)));
    let options = PruneOptions {
        older_than: args.older_than,
        max_size: args.max_size,
        dry_run: args.dry_run,
    };
    let report = prune(&dir, &options, SystemTime::now()).map_err(|e| {
        (
            ExitCode::Internal,
            format!(
                "error: cannot prune the cache `{}`: {e}\nhelp: check that you may read and write that folder, or name the cache with --cache-dir",
                dir.display()
            ),
        )
    })?;
    let verb = if args.dry_run {
        "would remove"
    } else {
        "removed"
    };
    let mut out = String::new();
    for e in &report.removed {
        let why = match e.reason {
            PruneReason::Old => "unused too long",
            PruneReason::OverSize => "over the size limit",
            PruneReason::Damaged => "damaged record",
        };
        let last = if e.last_used == SystemTime::UNIX_EPOCH {
            "never reused".to_owned()
        } else {
            format!("last used {}", rfc3339(e.last_used))
        };
        out.push_str(&format!(
            "{verb} {}  {}  {}  {last}  ({why})\n",
            &e.key[..12],
            e.component.as_deref().unwrap_or("?"),
            argot_client::cli::human_size(e.bytes),
        ));
    }
    out.push_str(&format!(
        "{verb} {} cache entr{} ({}) from `{}`; {} entr{} ({}) remain\n",
        report.removed.len(),
        if report.removed.len() == 1 {
            "y"
        } else {
            "ies"
        },
        argot_client::cli::human_size(report.freed()),
        dir.display(),
        report.kept,
        if report.kept == 1 { "y" } else { "ies" },
        argot_client::cli::human_size(report.kept_bytes),
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_what_runs_gc_reads() {
        assert_eq!(duration_arg("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(duration_arg("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(duration_arg("0s"), Ok(Duration::ZERO));
        assert!(
            duration_arg("soon")
                .unwrap_err()
                .contains("invalid duration")
        );
        assert_eq!(size_arg("0"), Ok(0));
        assert_eq!(size_arg("2G"), Ok(2 << 30));
        assert_eq!(size_arg("2GiB"), Ok(2 << 30));
        assert!(size_arg("lots").unwrap_err().contains("invalid size"));
    }

    #[test]
    fn sizes_read_for_people() {
        assert_eq!(argot_client::cli::human_size(12), "12 B");
        assert_eq!(argot_client::cli::human_size(1536), "1.5 KiB");
        assert_eq!(argot_client::cli::human_size(3 << 20), "3.0 MiB");
    }

    use std::collections::BTreeMap;

    use super::super::cache::EntryInfo;

    const DAY: Duration = Duration::from_secs(86_400);

    /// A cache with entries `a…` of `bytes` each, last used `days_ago` days before `now`.
    fn cache_with(root: &Path, now: SystemTime, entries: &[(char, u64, u64)]) -> PathBuf {
        let dir = root.join("cache");
        let cache = Cache::new(dir.clone(), CacheCode::default());
        for &(letter, days_ago, bytes) in entries {
            let key: String = std::iter::repeat_n(letter, 64).collect();
            let task = root.join(format!("task-{letter}"));
            fs::create_dir_all(task.join("outputs")).unwrap();
            fs::write(task.join("outputs/data"), vec![b'x'; bytes as usize]).unwrap();
            let info = EntryInfo {
                key: key.clone(),
                component: format!("step-{letter}"),
                run_id: "r".into(),
                task: "t".into(),
                created_at: "then".into(),
                created_unix_ms: None,
                digests: BTreeMap::new(),
            };
            cache
                .store(&key, &task, &["outputs/data".to_owned()], &info)
                .unwrap();
            fs::File::options()
                .write(true)
                .open(dir.join(&key).join("entry.json"))
                .unwrap()
                .set_modified(now - DAY * days_ago as u32)
                .unwrap();
        }
        dir
    }

    fn keys_left(dir: &Path) -> Vec<char> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names.iter().map(|n| n.chars().next().unwrap()).collect()
    }

    fn removed(report: &PruneReport) -> Vec<(char, PruneReason)> {
        report
            .removed
            .iter()
            .map(|e| (e.key.chars().next().unwrap(), e.reason))
            .collect()
    }

    #[test]
    fn older_than_removes_entries_unused_for_longer() {
        let root = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let dir = cache_with(
            root.path(),
            now,
            &[('a', 40, 10), ('b', 5, 20), ('c', 31, 30)],
        );
        let options = PruneOptions {
            older_than: Some(30 * DAY),
            ..PruneOptions::default()
        };
        let report = prune(&dir, &options, now).unwrap();
        assert_eq!(
            removed(&report),
            [('a', PruneReason::Old), ('c', PruneReason::Old)]
        );
        assert!(report.freed() >= 40, "{}", report.freed());
        assert_eq!(report.kept, 1);
        assert_eq!(keys_left(&dir), ['b']);
    }

    #[test]
    fn max_size_removes_the_least_recently_used_first() {
        let root = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let entries = [
            ('a', 1, 1000),
            ('b', 3, 1000),
            ('c', 2, 1000),
            ('d', 0, 1000),
        ];
        let dir = cache_with(root.path(), now, &entries);
        let total = prune(
            &dir,
            &PruneOptions {
                dry_run: true,
                ..PruneOptions::default()
            },
            now,
        )
        .unwrap()
        .kept_bytes;
        let one = total / 4;
        // Room for two entries: the two used longest ago go, oldest first.
        let options = PruneOptions {
            max_size: Some(2 * one),
            ..PruneOptions::default()
        };
        let report = prune(&dir, &options, now).unwrap();
        assert_eq!(
            removed(&report),
            [('b', PruneReason::OverSize), ('c', PruneReason::OverSize)]
        );
        assert_eq!(report.kept_bytes, 2 * one);
        assert_eq!(keys_left(&dir), ['a', 'd']);
        // Both flags: age first, then size.
        let options = PruneOptions {
            older_than: Some(DAY / 2),
            max_size: Some(0),
            ..PruneOptions::default()
        };
        let report = prune(&dir, &options, now).unwrap();
        assert_eq!(
            removed(&report),
            [('a', PruneReason::Old), ('d', PruneReason::OverSize)]
        );
        assert!(keys_left(&dir).is_empty());
    }

    #[test]
    fn a_dry_run_removes_nothing_and_leftovers_and_damaged_entries_go() {
        let root = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let dir = cache_with(root.path(), now, &[('a', 10, 10), ('b', 0, 10)]);
        let damaged: String = std::iter::repeat_n('e', 64).collect();
        fs::create_dir_all(dir.join(&damaged).join("outputs")).unwrap();
        fs::create_dir_all(dir.join(".trash-x-1-0/outputs")).unwrap();
        fs::create_dir_all(dir.join(".tmp-fresh")).unwrap();
        fs::create_dir_all(dir.join("executables")).unwrap();
        let options = PruneOptions {
            older_than: Some(DAY),
            dry_run: true,
            ..PruneOptions::default()
        };
        let dry = prune(&dir, &options, now).unwrap();
        assert_eq!(
            removed(&dry),
            [('e', PruneReason::Damaged), ('a', PruneReason::Old)]
        );
        assert_eq!(dry.leftovers, 1);
        assert_eq!(keys_left(&dir), ['.', '.', 'a', 'b', 'e', 'e']);
        let real = prune(
            &dir,
            &PruneOptions {
                dry_run: false,
                ..options
            },
            now,
        )
        .unwrap();
        assert_eq!(removed(&real), removed(&dry));
        // The fresh temporary folder may belong to a running task: it stays; `executables`
        // (the binary-hash memo) is not an entry.
        assert_eq!(keys_left(&dir), ['.', 'b', 'e']);
        assert!(dir.join(".tmp-fresh").exists() && dir.join("executables").exists());
        // A missing cache is nothing to prune.
        let none = prune(&root.path().join("nowhere"), &options, now).unwrap();
        assert!(none.removed.is_empty());
    }
}
