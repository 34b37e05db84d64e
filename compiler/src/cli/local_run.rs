//! The `run` command of every pipeline binary: flags, exit codes, and what it prints.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use argot_client::Phase;
use argot_client::store::{SqliteStore, default_store_path};

use super::App;
use crate::fsutil::stderr;
use crate::protocol::{ExitCode, default_binary_path};
use crate::run::folder::{MANIFEST, Manifest};
use crate::run::interrupt::Signal;
use crate::run::report::{self, Progress};
use crate::run::{
    CacheCode, ContainerRuntime, DEFAULT_WORKDIR, RunOptions, default_cache_dir,
    default_parallelism,
};
use crate::{CompileOptions, PipelineDef};

/// The flags of `run`.
#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// The pipeline to run (optional when the binary has only one, or with --resume).
    pub pipeline: Option<String>,
    /// Set a pipeline parameter (repeatable); the others keep their defaults.
    #[arg(short = 'p', long = "parameter", value_name = "NAME=VALUE")]
    pub parameters: Vec<String>,
    /// How many tasks may run at once [default: the number of cores].
    #[arg(long, value_name = "N")]
    pub parallelism: Option<usize>,
    /// The folder that holds run folders (one per run, named by its id).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_WORKDIR)]
    pub workdir: PathBuf,
    /// The cache folder [default: `cache` beside the workdir, so .argot/cache].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Run every task: reuse nothing from the cache and store nothing in it.
    #[arg(long)]
    pub no_cache: bool,
    /// What a native task's cache key takes as its code: `component` (its own function's code
    /// and argot's version; a changed helper it calls is not seen) or `binary` (this whole
    /// binary: any rebuild that changes it re-runs every task).
    #[arg(long, value_enum, value_name = "component|binary", default_value_t = CacheCode::Component)]
    pub cache_code: CacheCode,
    /// Continue a run that was interrupted or failed: tasks that succeeded are kept, the others
    /// run again, with the run's original parameters.
    #[arg(long, value_name = "RUN_ID")]
    pub resume: Option<String>,
    /// Where a Kubernetes secret's value is on this machine: `NAME/KEY=env:VARIABLE` or
    /// `NAME/KEY=file:PATH` (repeatable). The value is read when a task needs it, given to
    /// that task's environment only, and never written to the run folder or the store.
    #[arg(long = "secret", value_name = "NAME/KEY=SOURCE", value_parser = crate::run::SecretSource::parse_flag)]
    pub secrets: Vec<(String, crate::run::SecretSource)>,
    /// A copy on this machine of an artifact from outside the pipeline, by its address:
    /// `s3://BUCKET/KEY=PATH`, `gs://BUCKET/KEY=PATH`, `REPO@REVISION=PATH` (git) or
    /// `URL=PATH` (repeatable). An S3, GCS or git input needs one (this machine has no cloud
    /// credentials); a URL without one is downloaded.
    #[arg(long = "artifact-file", value_name = "URI=PATH", value_parser = crate::run::parse_artifact_file_flag)]
    pub artifact_files: Vec<(String, PathBuf)>,
    /// How many tasks holding a semaphore run at once here: `CONFIG_MAP/KEY=N` (repeatable).
    /// On a cluster the config map holds the limit; `run` cannot read it and allows one
    /// holder at a time for a semaphore not named here.
    #[arg(long = "semaphore", value_name = "CONFIG_MAP/KEY=N", value_parser = crate::run::parse_semaphore_flag)]
    pub semaphores: Vec<(String, usize)>,
    /// How much memory the tasks running at once may request, as a Kubernetes quantity
    /// (`16Gi`) [default: this machine's memory]. A task requesting more than that runs
    /// beside no other task that requests memory, and its report says so.
    #[arg(long, value_name = "QUANTITY", value_parser = crate::run::parse_memory_flag)]
    pub memory: Option<u64>,
    /// Metadata store file [default: $ARGOT_STORE, else .argot/metadata.db].
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
    /// The image native components use on a cluster (overrides #[pipeline(image = …)]).
    /// Locally they run this binary, so a pipeline without an image runs as it is.
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// Refuse a pipeline whose Argo manifest is larger than this as compact JSON, as `compile`
    /// does [default: no limit: Argo's size budget does not apply to a local run].
    #[arg(long, value_name = "SIZE", value_parser = crate::validate::parse_size)]
    pub max_manifest_bytes: Option<usize>,
}

/// The help shown after `run --help`.
pub const AFTER_HELP: &str = "\
Examples:
  quickstart run
  quickstart run -p rows=5000 -p learning_rate=0.1
  quickstart run --parallelism 1 --no-cache
  quickstart run --cache-code binary
  quickstart run --resume quickstart-20250101-120000-3f9a
  quickstart runs show quickstart-20250101-120000-3f9a

Native components run as child processes of this binary (`component NAME …`, as in the
cluster); container components need docker or podman (ARGOT_CONTAINER_RUNTIME=PROGRAM picks
one). Files go to <workdir>/<run-id>/<task>/; the run is recorded in the metadata store.

Ctrl-C or SIGTERM stops the running tasks (SIGTERM, then SIGKILL after 10s; a second signal
kills them at once), records the run as Interrupted and prints the command that resumes it.
Argo's manifest size budget applies only with --max-manifest-bytes.

Exit codes: 0 the run succeeded, 1 internal or I/O error, 2 usage error (unknown pipeline,
bad -p name or value, run that cannot be resumed), 3 invalid pipeline, 5 the run failed
(the failed task's stderr tail is printed), 130 interrupted by Ctrl-C (SIGINT), 143 stopped
by SIGTERM.";

/// A `run` that did not succeed: the exit code and what to print (already formatted).
#[derive(Debug)]
pub struct RunFailure {
    /// The process exit code.
    pub code: ExitCode,
    /// The message for stderr.
    pub message: String,
}

impl RunFailure {
    fn new(code: ExitCode, message: impl Into<String>) -> Self {
        RunFailure {
            code,
            message: message.into(),
        }
    }

    fn usage(message: impl std::fmt::Display) -> Self {
        Self::new(ExitCode::Usage, format!("error: {message}"))
    }
}

/// Runs the `run` command: picks and validates the pipeline, runs it, prints the summary.
///
/// # Errors
/// A [`RunFailure`] with the exit code the CLI documents.
pub fn execute(app: &App<'_>, args: &RunArgs) -> Result<(), RunFailure> {
    let overrides = parse_parameters(&args.parameters)?;
    let workdir = args.workdir.clone();
    let previous = match &args.resume {
        Some(id) => Some(read_manifest(&workdir, id)?),
        None => None,
    };
    let wanted = match (&args.pipeline, &previous) {
        (Some(name), Some(m)) if *name != m.pipeline => {
            return Err(RunFailure::usage(format!(
                "run `{}` is a run of pipeline `{}`, not `{name}`\nhelp: leave the pipeline out when resuming",
                m.run_id, m.pipeline
            )));
        }
        (Some(name), _) => Some(name.as_str()),
        (None, Some(m)) => Some(m.pipeline.as_str()),
        (None, None) => None,
    };
    let def = pick(app, wanted)?;

    // A resumed run keeps its image, so the pipeline compares equal to the one it started
    // with. Locally the image is never used: native components run as processes of this
    // binary, and only the Argo backend checks images.
    let image = args
        .image
        .clone()
        .or_else(|| previous.as_ref().and_then(|m| m.ir.image.clone()));
    let valid = def
        .validate(&CompileOptions {
            image,
            binary_path: default_binary_path(app.binary),
            ..CompileOptions::default()
        })
        .map_err(|crate::CompileError::Invalid(d)| {
            RunFailure::new(ExitCode::Invalid, d.to_string())
        })?;
    let mut warnings: Vec<crate::Diagnostic> = valid.warnings().iter().cloned().collect();
    // The budget is etcd's and Argo's; nothing on this machine stores the manifest, so it is
    // checked only when asked for.
    if let Some(max_manifest_bytes) = args.max_manifest_bytes {
        let limits = crate::Limits {
            max_manifest_bytes,
            ..crate::Limits::default()
        };
        warnings.extend(crate::emit::argo::check_budget(&valid, &limits));
        let all = crate::Diagnostics::new(std::mem::take(&mut warnings));
        if all.error_count() > 0 {
            return Err(RunFailure::new(ExitCode::Invalid, all.to_string()));
        }
        warnings = all.iter().cloned().collect();
    }
    for w in &warnings {
        stderr::line(&format!("{w}\n"));
    }
    // Each `-p` value checked against its declared type and put in wire form.
    let wire = (def.header)().wire;
    let mut parameters = BTreeMap::new();
    for (name, text) in &overrides {
        let exact = wire.iter().find(|w| w.name == name).copied();
        let value = crate::run::override_to_wire_checked(valid.pipeline(), name, text, exact)
            .map_err(RunFailure::usage)?;
        parameters.insert(name.clone(), value);
    }

    let store_path = args.store.clone().unwrap_or_else(default_store_path);
    let store = SqliteStore::open(&store_path)
        .map_err(|e| RunFailure::new(ExitCode::Internal, with_causes(&e)))?;
    let executable = std::env::current_exe().map_err(|e| {
        RunFailure::new(
            ExitCode::Internal,
            format!("error: cannot find this program's own executable to run components with: {e}"),
        )
    })?;
    let options = RunOptions {
        parameters,
        parallelism: args.parallelism.unwrap_or_else(default_parallelism),
        cache_dir: (!args.no_cache).then(|| {
            args.cache_dir
                .clone()
                .unwrap_or_else(|| default_cache_dir(&workdir))
        }),
        cache_code: args.cache_code,
        workdir,
        resume: args.resume.clone(),
        executable,
        containers: ContainerRuntime::from_env(),
        secrets: args.secrets.iter().cloned().collect(),
        artifact_files: args.artifact_files.iter().cloned().collect(),
        semaphores: args.semaphores.iter().cloned().collect(),
        memory: args.memory.or_else(crate::run::machine_memory),
    };

    let live = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("TERM").is_some_and(|t| t != "dumb");
    let mut progress = Progress::new(live);
    let mut events = |e: crate::run::Event<'_>| stderr::write(&progress.update(&e));
    // From here on Ctrl-C and SIGTERM stop the run cleanly instead of killing this process.
    crate::run::interrupt::install().map_err(|e| {
        RunFailure::new(
            ExitCode::Internal,
            format!("error: cannot handle Ctrl-C and SIGTERM: {e}"),
        )
    })?;
    let outcome = crate::run::run(&valid, &store, &options, &mut events);
    stderr::write(progress.finish());
    let report = outcome.map_err(|e| {
        let code = if e.is_usage() {
            ExitCode::Usage
        } else if matches!(e, crate::run::RunError::Unsupported(_)) {
            ExitCode::Invalid
        } else {
            ExitCode::Internal
        };
        RunFailure::new(code, with_causes(&e))
    })?;
    print_stdout(&report::summary(&report));
    let resume = resume_command(args, &report.run_id, &store_path);
    match (&report.phase, report.interrupted) {
        (Phase::Succeeded, _) => Ok(()),
        (_, Some(signal)) => Err(RunFailure::new(
            match signal {
                Signal::Interrupt => ExitCode::Interrupted,
                Signal::Terminate => ExitCode::Terminated,
            },
            format!(
                "run {} interrupted by {}: its running tasks were stopped\nto resume: {resume}",
                report.run_id,
                signal.name()
            ),
        )),
        _ => Err(RunFailure::new(
            ExitCode::RunFailed,
            report::failure(&report, &resume),
        )),
    }
}

/// `error: …` with each cause of `e` that its message does not already say, one per line.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut message = format!("error: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        let cause = s.to_string();
        if !message.contains(&cause) {
            message.push_str(&format!("\n  caused by: {cause}"));
        }
        source = s.source();
    }
    message
}

/// The command that resumes `run_id`, as it can be pasted into a shell in the folder the run
/// was started from: this program by the name the shell found it under (its full path unless
/// it was found on `PATH`, so `cargo run` and `./target/…` work too), and the flags that say
/// where the run lives and how it runs.
pub(crate) fn resume_command(args: &RunArgs, run_id: &str, store: &Path) -> String {
    let mut words: Vec<String> = vec![program(), "run".into(), "--resume".into(), run_id.into()];
    let mut flag = |name: &str, value: &dyn std::fmt::Display| {
        words.push(name.to_owned());
        words.push(value.to_string());
    };
    if args.workdir != Path::new(DEFAULT_WORKDIR) {
        flag("--workdir", &args.workdir.display());
    }
    // Also when it came from ARGOT_STORE: the variable may have been set for this command only.
    if store != Path::new(argot_client::store::DEFAULT_STORE_FILE) {
        flag("--store", &store.display());
    }
    if let Some(dir) = &args.cache_dir {
        flag("--cache-dir", &dir.display());
    }
    if let Some(n) = args.parallelism {
        flag("--parallelism", &n);
    }
    if let Some(bytes) = args.memory {
        flag("--memory", &bytes);
    }
    if let Some(bytes) = args.max_manifest_bytes {
        flag("--max-manifest-bytes", &bytes);
    }
    // The resumed tasks must store and find entries under the same identity.
    if args.cache_code == CacheCode::Binary {
        flag("--cache-code", &"binary");
    }
    if args.no_cache {
        words.push("--no-cache".into());
    }
    words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// This program as a shell would find it again.
fn program() -> String {
    let exe = std::env::current_exe().ok();
    let argv0 = std::env::args_os().next();
    if let (Some(exe), Some(name)) = (&exe, argv0.as_ref().and_then(|a| a.to_str()))
        && !name.contains('/')
        && found_on_path(name).is_some_and(|p| same_file(&p, exe))
    {
        return name.to_owned();
    }
    match exe {
        Some(exe) => exe.display().to_string(),
        None => argot_client::program_name(),
    }
}

fn found_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// `word` as one POSIX shell word: as it is when only safe characters, else single-quoted.
fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn print_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error; the run itself is done and recorded.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// `-p NAME=VALUE` flags as a map, each name once (`run` and `submit` alike).
pub(crate) fn parse_parameters(flags: &[String]) -> Result<BTreeMap<String, String>, RunFailure> {
    let mut out = BTreeMap::new();
    for flag in flags {
        let Some((name, value)) = flag.split_once('=') else {
            return Err(RunFailure::usage(format!(
                "-p {flag}: expected NAME=VALUE\nhelp: e.g. -p rows=5000"
            )));
        };
        if out.insert(name.to_owned(), value.to_owned()).is_some() {
            return Err(RunFailure::usage(format!(
                "parameter `{name}` is given twice\nhelp: pass each -p NAME=VALUE once"
            )));
        }
    }
    Ok(out)
}

fn read_manifest(workdir: &std::path::Path, run_id: &str) -> Result<Manifest, RunFailure> {
    let path = workdir.join(run_id).join(MANIFEST);
    let text = std::fs::read(&path).map_err(|e| {
        RunFailure::usage(format!(
            "cannot resume run `{run_id}`: cannot read `{}`: {e}\nhelp: pass the --workdir the run used; `runs list` shows recorded runs",
            path.display()
        ))
    })?;
    serde_json::from_slice(&text).map_err(|e| {
        RunFailure::usage(format!(
            "cannot resume run `{run_id}`: `{}` cannot be read: {e}\nhelp: start a new run (tasks that did not change come from the cache)",
            path.display()
        ))
    })
}

fn pick<'a>(app: &'a App<'_>, name: Option<&str>) -> Result<&'a PipelineDef, RunFailure> {
    super::find_pipeline(app.pipelines, name).map_err(RunFailure::usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_name_value_pairs_given_once() {
        let ok = parse_parameters(&["rows=5".into(), "expr=a=b".into(), "empty=".into()]).unwrap();
        assert_eq!(ok["rows"], "5");
        assert_eq!(ok["expr"], "a=b");
        assert_eq!(ok["empty"], "");
        let bad = parse_parameters(&["rows".into()]).unwrap_err();
        assert_eq!(bad.code, ExitCode::Usage);
        let twice = parse_parameters(&["a=1".into(), "a=2".into()]).unwrap_err();
        assert!(twice.message.contains("given twice"));
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_quote("runs/x-1.db"), "runs/x-1.db");
        assert_eq!(shell_quote("my runs"), "'my runs'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
    }

    #[test]
    fn a_cause_the_message_already_says_is_not_repeated() {
        let io = std::io::Error::other("disk on fire");
        let e = crate::run::RunError::Io {
            what: "write",
            path: "x".into(),
            source: io,
        };
        assert_eq!(with_causes(&e).matches("disk on fire").count(), 1);
    }
}
