//! The local cache and scratch files, end to end through the `argot-fixtures` binary: cache
//! entries are verified and repaired, never shared with a run by inode, keyed on a component's
//! own code (or the whole binary with `--cache-code binary`), and pruned by age or size; output
//! parameters of a hand-run component never go through a predictable path in `/tmp`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use argot_tests::cli_output::{code, run_id, stderr, stdout, task};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_argot-fixtures");

/// A folder to run in, with its own store, cache and (optionally) its own copy of the binary.
struct Sandbox {
    dir: tempfile::TempDir,
    program: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
            program: PathBuf::from(BIN),
        }
    }

    /// A sandbox running a private copy of the fixtures binary, which the test may "rebuild".
    fn with_own_binary() -> Sandbox {
        let mut sb = Sandbox::new();
        let copy = sb.file("argot-fixtures-copy");
        std::fs::copy(BIN, &copy).unwrap();
        sb.program = copy;
        sb
    }

    /// Changes the binary's bytes as a rebuild would, leaving every component's code as it was
    /// (bytes after the end of an ELF file are not loaded).
    fn rebuild(&self) {
        use std::io::Write;
        let mut f = std::fs::File::options()
            .append(true)
            .open(&self.program)
            .unwrap();
        f.write_all(b"rebuilt").unwrap();
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.program);
        c.args(args)
            .current_dir(self.path())
            .env("ARGOT_STORE", self.file("metadata.db"))
            .env_remove("ARGOT_CONTAINER_RUNTIME");
        c
    }

    /// Runs `args` to the end. The program may be this test's own copy of the binary, just
    /// written: while another test thread forks a child that still holds that write handle
    /// (until the child's exec closes it), exec fails with ETXTBSY, which is retried.
    fn output(&self, args: &[&str]) -> Output {
        const TEXT_FILE_BUSY: i32 = 26; // ETXTBSY on Linux
        for _ in 0..100 {
            match self.command(args).output() {
                Err(e) if e.raw_os_error() == Some(TEXT_FILE_BUSY) => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => return other.unwrap(),
            }
        }
        panic!("{} stayed busy for 2 s", self.program.display())
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["run"];
        all.extend_from_slice(args);
        let out = self.output(&all);
        assert_eq!(code(&out), 0, "run {args:?}: {}", stderr(&out));
        out
    }

    /// `cache prune ARGS…`, as it exited.
    fn prune(&self, args: &[&str]) -> Output {
        let mut all = vec!["cache", "prune"];
        all.extend_from_slice(args);
        self.output(&all)
    }

    fn show(&self, run_id: &str) -> Value {
        let out = self.output(&["runs", "show", run_id, "--json"]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn lines(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.file(name))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn cache(&self) -> PathBuf {
        self.file(".argot/cache")
    }

    /// The cache entry of task `task` whose output parameter `output` is `value`.
    fn entry(&self, task: &str, value: &str) -> PathBuf {
        let mut found = Vec::new();
        for e in std::fs::read_dir(self.cache()).unwrap() {
            let path = e.unwrap().path();
            let Ok(info) = std::fs::read(path.join("entry.json")) else {
                continue;
            };
            let info: Value = serde_json::from_slice(&info).unwrap();
            if info["task"] == task
                && std::fs::read_to_string(path.join("outputs/output"))
                    .ok()
                    .as_deref()
                    == Some(value)
            {
                found.push(path);
            }
        }
        assert_eq!(found.len(), 1, "entries of {task} = {value}: {found:?}");
        found.pop().unwrap()
    }

    fn task_output(&self, run_id: &str, task: &str) -> PathBuf {
        self.file(".argot/runs")
            .join(run_id)
            .join(task)
            .join("outputs/output")
    }
}

fn cached(sb: &Sandbox, out: &Output, name: &str) -> bool {
    task(&sb.show(&run_id(out)), name)["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("cached"))
}

fn output_param(sb: &Sandbox, out: &Output, task: &str) -> String {
    sb.show(&run_id(out))["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["task"] == task && p["direction"] == "output" && p["name"] == "output")
        .and_then(|p| p["value"].as_str())
        .unwrap_or_else(|| panic!("no output {task}.output"))
        .to_owned()
}

fn make_writable(path: &Path) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).unwrap();
}

#[test]
fn a_modified_truncated_or_deleted_cache_entry_is_rerun_and_repaired() {
    type Tamper = fn(&Path);
    let tampers: [(&str, Tamper); 3] = [
        ("m", |f| {
            make_writable(f);
            std::fs::write(f, "forged").unwrap();
        }),
        ("t", |f| {
            make_writable(f);
            std::fs::File::options()
                .write(true)
                .open(f)
                .unwrap()
                .set_len(0)
                .unwrap();
        }),
        ("d", |f| std::fs::remove_file(f).unwrap()),
    ];
    let sb = Sandbox::new();
    let log_file = sb.file("count.log");
    let log = format!("log={}", log_file.display());
    for (line, tamper) in tampers {
        let param = format!("line={line}");
        let upper = line.to_uppercase();
        sb.run(&["counted", "-p", &log, "-p", &param]);
        let ran = sb.lines("count.log").len();

        let entry = sb.entry("tally", line);
        tamper(&entry.join("outputs/output"));

        let again = sb.run(&["counted", "-p", &log, "-p", &param]);
        assert_eq!(
            sb.lines("count.log")[ran..],
            [line.to_owned()],
            "{line}: tally ran again; shout, whose input is unchanged, came from the cache"
        );
        assert!(!cached(&sb, &again, "tally") && cached(&sb, &again, "shout"));
        assert_eq!(
            output_param(&sb, &again, "tally"),
            line,
            "never the forged value"
        );
        assert_eq!(output_param(&sb, &again, "shout"), upper);
        let warning = stderr(&again)
            .lines()
            .find(|l| l.contains("tally warning: cache entry"))
            .unwrap_or_else(|| panic!("{line}: no warning in {}", stderr(&again)))
            .to_owned();
        assert!(
            warning.contains(&entry.display().to_string()) && warning.contains("`outputs/output`"),
            "{warning}"
        );

        // Repaired: the next run reuses a whole entry and runs nothing.
        let third = sb.run(&["counted", "-p", &log, "-p", &param]);
        assert_eq!(sb.lines("count.log").len(), ran + 1, "{line}");
        assert!(cached(&sb, &third, "tally") && cached(&sb, &third, "shout"));
        assert_eq!(output_param(&sb, &third, "tally"), line);
        assert!(!stderr(&third).contains("warning"), "{}", stderr(&third));
    }
}

#[cfg(unix)]
#[test]
fn a_runs_outputs_and_the_cache_do_not_share_inodes() {
    use std::os::unix::fs::MetadataExt;
    let meta = |p: &Path| std::fs::metadata(p).unwrap();
    let sb = Sandbox::new();
    let first = sb.run(&["counted"]);
    let second = sb.run(&["counted"]);
    assert!(cached(&sb, &second, "tally"));
    let stored = sb.entry("tally", "a").join("outputs/output");
    for out in [&first, &second] {
        let produced = sb.task_output(&run_id(out), "tally");
        assert_eq!(std::fs::read_to_string(&produced).unwrap(), "a");
        assert_ne!(meta(&produced).ino(), meta(&stored).ino());
        assert_eq!(meta(&produced).nlink(), 1);
    }
    assert_eq!(meta(&stored).nlink(), 1);
}

#[test]
fn component_identity_survives_a_rebuild_and_binary_identity_does_not() {
    let sb = Sandbox::with_own_binary();
    let log = format!("log={}", sb.file("count.log").display());
    sb.run(&["counted", "-p", &log]);
    assert_eq!(sb.lines("count.log"), ["a", "A"]);

    // Default (`component`): a rebuilt binary whose components did not change runs nothing.
    sb.rebuild();
    let out = sb.run(&["counted", "-p", &log]);
    assert_eq!(sb.lines("count.log").len(), 2);
    assert!(cached(&sb, &out, "tally") && cached(&sb, &out, "shout"));

    // `binary`: the whole binary is the identity; same bytes hit, new bytes miss.
    let binary = ["counted", "-p", &log, "--cache-code", "binary"];
    sb.run(&binary);
    assert_eq!(sb.lines("count.log").len(), 4, "another identity: a miss");
    let out = sb.run(&binary);
    assert_eq!(sb.lines("count.log").len(), 4);
    assert!(cached(&sb, &out, "tally"));
    sb.rebuild();
    let out = sb.run(&binary);
    assert_eq!(
        sb.lines("count.log").len(),
        6,
        "a rebuilt binary re-runs every task"
    );
    assert!(!cached(&sb, &out, "tally") && !cached(&sb, &out, "shout"));

    let bad = sb.output(&["run", "counted", "--cache-code", "source"]);
    assert_eq!(code(&bad), 2, "{}", stderr(&bad));
}

#[test]
fn cache_prune_by_age_and_by_size_removes_whole_entries() {
    let sb = Sandbox::new();
    let log = format!("log={}", sb.file("count.log").display());
    sb.run(&["counted", "-p", &log]);
    let entries = || {
        std::fs::read_dir(sb.cache())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().join("entry.json").exists())
            .count()
    };
    assert_eq!(entries(), 2);

    let none = sb.prune(&[]);
    assert_eq!(code(&none), 2);
    assert!(stderr(&none).contains("--older-than"), "{}", stderr(&none));
    let bad = sb.prune(&["--older-than", "soon"]);
    assert_eq!(code(&bad), 2);
    assert!(
        stderr(&bad).contains("invalid duration"),
        "{}",
        stderr(&bad)
    );

    // Nothing is a week old; a dry run at size 0 names both and removes neither.
    let young = sb.prune(&["--older-than", "7d"]);
    assert_eq!(code(&young), 0, "{}", stderr(&young));
    assert!(
        stdout(&young).contains("removed 0 cache entries"),
        "{}",
        stdout(&young)
    );
    let dry = sb.prune(&["--max-size", "0", "--dry-run"]);
    assert_eq!(code(&dry), 0, "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("would remove 2 cache entries"),
        "{}",
        stdout(&dry)
    );
    assert_eq!(entries(), 2);

    // A size that holds one entry: the least recently used goes. Both were stored within
    // milliseconds, so tally's last use is set an hour back rather than left to the clock.
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(sb.entry("tally", "a").join("entry.json"))
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    let old = sb.prune(&["--older-than", "30m", "--dry-run"]);
    assert_eq!(code(&old), 0, "{}", stderr(&old));
    assert!(
        stdout(&old).contains("would remove 1 cache entry") && stdout(&old).contains("tally"),
        "{}",
        stdout(&old)
    );
    let budget = format!("{}", entry_bytes(&sb.entry("shout", "A")));
    let sized = sb.prune(&["--max-size", &budget]);
    assert_eq!(code(&sized), 0, "{}", stderr(&sized));
    assert!(
        stdout(&sized).contains("removed 1 cache entry"),
        "{}",
        stdout(&sized)
    );
    assert!(stdout(&sized).contains("tally"), "{}", stdout(&sized));
    assert_eq!(entries(), 1);
    let out = sb.run(&["counted", "-p", &log]);
    assert!(!cached(&sb, &out, "tally") && cached(&sb, &out, "shout"));

    let all = sb.prune(&["--older-than", "0s"]);
    assert_eq!(code(&all), 0, "{}", stderr(&all));
    assert!(
        stdout(&all).contains("removed 2 cache entries"),
        "{}",
        stdout(&all)
    );
    assert_eq!(entries(), 0);
    let names: Vec<String> = std::fs::read_dir(sb.cache())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "no trash left: {names:?}"
    );
    let out = sb.run(&["counted", "-p", &log]);
    assert!(!cached(&sb, &out, "tally") && !cached(&sb, &out, "shout"));
}

fn entry_bytes(path: &Path) -> u64 {
    let meta = std::fs::symlink_metadata(path).unwrap();
    if meta.is_dir() {
        std::fs::read_dir(path)
            .unwrap()
            .map(|e| entry_bytes(&e.unwrap().path()))
            .sum()
    } else {
        meta.len()
    }
}

/// The old scratch folder of an output parameter given no path was
/// `$TMPDIR/argot-<component>-<pid>`: anyone could plant a symbolic link there first and have
/// the value written where the link points.
#[cfg(unix)]
#[test]
fn an_output_parameter_without_a_path_is_never_written_through_a_planted_link() {
    use argot::entrypoint::Invocation;
    use argot_tests::fixtures::tally;

    let victim = tempfile::tempdir().unwrap();
    let planted = std::env::temp_dir().join(format!("argot-tally-{}", std::process::id()));
    let _ = std::fs::remove_file(&planted);
    std::os::unix::fs::symlink(victim.path(), &planted).unwrap();

    let mut inv = Invocation::new(tally::spec());
    let result = inv.set_output("output", &"secret".to_owned());
    let written = inv.output_params.get("output").cloned();
    let victim_files = std::fs::read_dir(victim.path()).unwrap().count();
    std::fs::remove_file(&planted).unwrap();

    result.unwrap();
    let written = written.unwrap();
    assert_eq!(victim_files, 0, "nothing went through the planted link");
    assert!(!written.starts_with(&planted), "{}", written.display());
    assert_eq!(std::fs::read_to_string(&written).unwrap(), "secret");
    let scratch = written.parent().unwrap().to_owned();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&scratch).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "private to its owner: {mode:o}");
    drop(inv);
    assert!(!scratch.exists(), "removed with the invocation");
}

/// The same through the `component` command: values are printed, nothing is left behind.
#[test]
fn a_hand_run_component_prints_its_output_parameter() {
    let sb = Sandbox::new();
    let out = sb
        .command(&[
            "component",
            "tally",
            "--param",
            "log",
            "",
            "--param",
            "line",
            "hi",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "output = hi\n");
}

/// A run cannot be resumed by a binary whose component code differs from the one that started
/// it (outputs of two versions of a component would mix); a new run reuses what is unchanged.
#[test]
fn a_run_does_not_resume_with_changed_component_code() {
    let sb = Sandbox::new();
    let first = sb.run(&["counted"]);
    let id = run_id(&first);
    // What the run recorded, as if the binary running now had been built from an edited `tally`.
    let manifest = sb.file(".argot/runs").join(&id).join("run.json");
    let mut recorded: Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    let code_hash = &mut recorded["ir"]["components"]["tally"]["code_hash"];
    assert_eq!(code_hash.as_str().map(str::len), Some(64), "{recorded:#}");
    *code_hash = Value::from("0".repeat(64));
    std::fs::write(&manifest, serde_json::to_vec(&recorded).unwrap()).unwrap();
    let resumed = sb.output(&["run", "--resume", &id]);
    assert_eq!(code(&resumed), 2, "{}", stderr(&resumed));
    assert!(
        stderr(&resumed).contains("changed since the run started"),
        "{}",
        stderr(&resumed)
    );
}

/// The command printed to resume a failed run keeps `--cache-code binary`, so the resumed
/// tasks find and store entries under the identity the run started with.
#[test]
fn the_resume_command_keeps_the_cache_identity() {
    let sb = Sandbox::new();
    for (flags, expected) in [(&["--cache-code", "binary"][..], true), (&[][..], false)] {
        let mut args = vec!["run", "fails_one_branch"];
        args.extend_from_slice(flags);
        let out = sb.output(&args);
        assert_eq!(code(&out), 5, "{}", stderr(&out));
        let resume = stderr(&out)
            .lines()
            .find_map(|l| l.strip_prefix("to resume: "))
            .unwrap_or_else(|| panic!("no `to resume:` line in {}", stderr(&out)))
            .to_owned();
        assert_eq!(resume.contains("--cache-code binary"), expected, "{resume}");
        assert!(!resume.contains("--cache-code component"), "{resume}");
    }
}
