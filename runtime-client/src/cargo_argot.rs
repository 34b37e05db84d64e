//! `cargo argot`: build a pipeline crate with cargo and run its binary's command, print a
//! Dockerfile for it, or start a new one.
//!
//! ```text
//! cargo argot compile [-p CRATE] [--bin BIN] [--release] [PIPELINE] [compile flags…] [-o FILE]
//! cargo argot validate|run|list [-p CRATE] [--bin BIN] [ARGS…]
//! cargo argot image [-p CRATE] [--bin BIN] [--dockerignore]
//! cargo argot new NAME [--path DIR] [--argot-path PATH]
//! ```
//!
//! Everything after the cargo flags goes to the pipeline binary unchanged; `--` ends the
//! cargo flags when a binary flag would read as one (`cargo argot run -- -p rows=10`).
//! Cargo and the binary are started directly (argv, never a shell), and the binary is the
//! one cargo reports having built (`--message-format=json`), not a guessed path, so
//! `CARGO_TARGET_DIR`, `--release` and workspace layouts work.
//!
//! # Exit codes
//! The pipeline binary's own code (see the `argot` CLI), or: `1` cargo could not be started
//! or a file not written, `2` a usage error (no such package or binary, several binaries and
//! no `--bin`, a bad `new` name, an existing folder), `101` the build failed (cargo's code;
//! its errors were printed).

pub mod image;
pub mod starter;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use clap::{Args, Parser, Subcommand};

/// The command line, as cargo passes it (`cargo-argot argot …`).
#[derive(Debug, Parser)]
#[command(name = "cargo", bin_name = "cargo")]
pub enum CargoCli {
    /// Build a pipeline crate and run its binary's commands; print its Dockerfile; start one.
    #[command(subcommand, version)]
    Argot(Command),
}

/// The subcommands of `cargo argot`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the pipeline crate, then print (or `-o FILE`) its Argo Workflow manifest.
    #[command(
        after_help = "Examples:\n  cargo argot compile --image registry.example.com/train:1.0 -o wf.yaml\n  \
                            cargo argot compile -p argot-examples --bin quickstart --format mermaid"
    )]
    Compile(Forward),
    /// Build the pipeline crate, then check the pipeline against every rule.
    Validate(Forward),
    /// Build the pipeline crate, then run the pipeline on this machine.
    #[command(after_help = "Example:\n  cargo argot run --bin quickstart -- -p rows=5000")]
    Run(Forward),
    /// Build the pipeline crate, then list the binary's pipelines and components.
    List(Forward),
    /// Print the Dockerfile that packages the pipeline binary (or, with --dockerignore, the
    /// .dockerignore for the workspace root).
    #[command(
        after_help = "Examples:\n  cargo argot image > Dockerfile && cargo argot image --dockerignore > .dockerignore\n  \
                            cargo argot image -p argot-examples --bin quickstart"
    )]
    Image(ImageArgs),
    /// Create a new pipeline crate that builds and runs as it is.
    #[command(
        after_help = "Example:\n  cargo argot new my-pipeline && cd my-pipeline && cargo run -- run"
    )]
    New(NewArgs),
}

/// Which binary of which package.
#[derive(Debug, Args, Clone, Default)]
pub struct Target {
    /// The package that holds the pipeline binary (default: the one cargo builds here).
    #[arg(short = 'p', long = "package", value_name = "CRATE")]
    pub package: Option<String>,
    /// The pipeline binary (needed when the package has several).
    #[arg(long, value_name = "BIN")]
    pub bin: Option<String>,
    /// The Cargo.toml to use (default: cargo's search from the current folder).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

/// A build, then the pipeline binary's command with the arguments that follow.
#[derive(Debug, Args)]
pub struct Forward {
    #[command(flatten)]
    target: Target,
    /// Build with the release profile.
    #[arg(long)]
    release: bool,
    /// Features of the package to turn on (as cargo takes them).
    #[arg(long, value_name = "FEATURES")]
    features: Vec<String>,
    /// What the pipeline binary's command takes (`PIPELINE`, `--image`, `-o FILE`, …).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    args: Vec<OsString>,
}

/// `cargo argot image`.
#[derive(Debug, Args)]
pub struct ImageArgs {
    #[command(flatten)]
    target: Target,
    /// Print the .dockerignore (for the workspace root, the build context) instead.
    #[arg(long)]
    dockerignore: bool,
}

/// `cargo argot new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The crate's name: its package, binary and pipeline (`-` becomes `_` in Rust).
    name: String,
    /// The folder to create (default: `./NAME`).
    #[arg(long, value_name = "DIR")]
    path: Option<PathBuf>,
    /// Depend on a local argot checkout (its `compiler/` folder) instead of crates.io.
    #[arg(long, value_name = "PATH")]
    argot_path: Option<PathBuf>,
}

/// A failure, with the exit code it maps to; the message is printed on stderr.
#[derive(Debug)]
pub struct Failure {
    /// The process exit code.
    pub code: u8,
    /// What went wrong and what to do; empty when cargo or the binary already said it.
    pub message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: crate::ExitCode::Usage.code(),
            message: message.into(),
        }
    }
    fn internal(message: impl Into<String>) -> Self {
        Failure {
            code: crate::ExitCode::Internal.code(),
            message: message.into(),
        }
    }
}

/// Parses `args` (the process's, starting with the program name) and runs the command.
/// `cargo` is the cargo to start (`$CARGO` when cargo started us).
pub fn main_with(args: Vec<OsString>, cargo: &Path) -> std::process::ExitCode {
    let command = match parse(args) {
        Ok(command) => command,
        Err(e) => {
            let _ = e.print();
            return std::process::ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match execute(command, cargo) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(failure) => {
            if !failure.message.is_empty() {
                eprintln!("{}", failure.message);
            }
            std::process::ExitCode::from(failure.code)
        }
    }
}

/// `cargo argot x` runs `cargo-argot argot x`; `cargo-argot x` (run by hand) lacks the
/// `argot`, which is put back so both parse alike.
fn with_subcommand_name(mut args: Vec<OsString>) -> Vec<OsString> {
    if args.get(1).is_none_or(|a| a != "argot") {
        args.insert(1.min(args.len()), OsString::from("argot"));
    }
    args
}

/// Runs one command; `Ok` holds the exit code to end with.
pub fn execute(command: Command, cargo: &Path) -> Result<u8, Failure> {
    let (subcommand, forward) = match command {
        Command::Compile(f) => ("compile", f),
        Command::Validate(f) => ("validate", f),
        Command::Run(f) => ("run", f),
        Command::List(f) => ("list", f),
        Command::Image(args) => return image(&args, cargo),
        Command::New(args) => return new(&args),
    };
    let binary = build(cargo, &forward)?;
    run_binary(&binary, subcommand, &forward.args)
}

/// `cargo build` for `forward`'s target; returns the path of the pipeline binary cargo built.
fn build(cargo: &Path, forward: &Forward) -> Result<PathBuf, Failure> {
    let mut command = Process::new(cargo);
    command.args(["build", "--message-format=json-render-diagnostics"]);
    target_args(&mut command, &forward.target);
    if forward.release {
        command.arg("--release");
    }
    for features in &forward.features {
        command.args(["--features", features]);
    }
    // Progress and errors go to the user's terminal; the JSON messages come to us.
    command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let output = command.output().map_err(|e| {
        Failure::internal(format!("error: cannot start `{}`: {e}", cargo.display()))
    })?;
    if !output.status.success() {
        return Err(Failure {
            code: output.status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(101),
            message: "error: the build failed (cargo's errors are above); fix them and run the command again".into(),
        });
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    pick_binary(&built_binaries(&stdout), forward.target.bin.as_deref())
}

fn target_args(command: &mut Process, target: &Target) {
    if let Some(manifest) = &target.manifest_path {
        command.arg("--manifest-path").arg(manifest);
    }
    if let Some(package) = &target.package {
        command.args(["-p", package]);
    }
    if let Some(bin) = &target.bin {
        command.args(["--bin", bin]);
    }
}

/// A binary cargo reported having built: its target name and its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltBinary {
    /// The bin target's name.
    pub name: String,
    /// The executable's path.
    pub path: PathBuf,
}

/// The binaries among cargo's `--message-format=json` messages (one JSON object a line;
/// other lines are ignored), in the order cargo reported them.
pub fn built_binaries(messages: &str) -> Vec<BuiltBinary> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| {
            m["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"))
        })
        .filter_map(|m| {
            Some(BuiltBinary {
                name: m["target"]["name"].as_str()?.to_owned(),
                path: PathBuf::from(m["executable"].as_str()?),
            })
        })
        .collect()
}

/// The binary to run: the one named by `--bin`, or the only one built.
pub fn pick_binary(built: &[BuiltBinary], bin: Option<&str>) -> Result<PathBuf, Failure> {
    let mut names: Vec<&str> = built.iter().map(|b| b.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    match bin {
        Some(bin) => built
            .iter()
            .find(|b| b.name == bin)
            .map(|b| b.path.clone())
            .ok_or_else(|| Failure::usage(format!("error: cargo built no binary `{bin}` (built: {}); check the name with `cargo argot list` or -p", names.join(", ")))),
        None => match built {
            [] => Err(Failure::usage(
                "error: cargo built no binary: point at a pipeline crate with -p CRATE or --manifest-path",
            )),
            [only] => Ok(only.path.clone()),
            _ if names.len() == 1 => Ok(built[0].path.clone()),
            _ => Err(Failure::usage(format!(
                "error: cargo built several binaries ({}): pick the pipeline binary with --bin NAME",
                names.join(", ")
            ))),
        },
    }
}

/// Runs `binary subcommand args…` with our standard streams; returns its exit code.
fn run_binary(binary: &Path, subcommand: &str, args: &[OsString]) -> Result<u8, Failure> {
    let status = Process::new(binary)
        .arg(subcommand)
        .args(args)
        .status()
        .map_err(|e| {
            Failure::internal(format!("error: cannot start `{}`: {e}", binary.display()))
        })?;
    Ok(exit_code_of(status))
}

/// The code to end with for a child's status: its own, or 128 + the signal that ended it,
/// as a shell reports it.
fn exit_code_of(status: std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code).unwrap_or(1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(1);
        }
    }
    1
}

/// `cargo argot image`.
fn image(args: &ImageArgs, cargo: &Path) -> Result<u8, Failure> {
    let text = if args.dockerignore {
        image::DOCKERIGNORE.to_owned()
    } else {
        let here = std::env::current_dir().map_err(|e| {
            Failure::internal(format!("error: cannot read the current folder: {e}"))
        })?;
        dockerfile_for(cargo, &args.target, &here)?
    };
    print_stdout(&text)
}

/// The Dockerfile for `target`, its package and binary found with `cargo metadata` (no
/// build) as if run in folder `here`.
pub fn dockerfile_for(cargo: &Path, target: &Target, here: &Path) -> Result<String, Failure> {
    let metadata = metadata(cargo, target.manifest_path.as_deref())?;
    let (package, bin) = pick_package_binary(&metadata, target, here)?;
    Ok(image::dockerfile(&package, &bin))
}

/// Parses `cargo argot` arguments (starting with the program name; the `argot` after it may
/// be left out).
pub fn parse(args: Vec<OsString>) -> Result<Command, clap::Error> {
    let CargoCli::Argot(command) = CargoCli::try_parse_from(with_subcommand_name(args))?;
    Ok(command)
}

fn print_stdout(text: &str) -> Result<u8, Failure> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(0),
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(Failure::internal(format!(
            "error: cannot write to stdout: {e}"
        ))),
    }
}

/// `cargo metadata --no-deps` of the workspace: its packages and their targets.
fn metadata(cargo: &Path, manifest: Option<&Path>) -> Result<serde_json::Value, Failure> {
    let mut command = Process::new(cargo);
    command.args(["metadata", "--format-version", "1", "--no-deps"]);
    if let Some(manifest) = manifest {
        command.arg("--manifest-path").arg(manifest);
    }
    command.stderr(Stdio::inherit());
    let output = command.output().map_err(|e| {
        Failure::internal(format!("error: cannot start `{}`: {e}", cargo.display()))
    })?;
    if !output.status.success() {
        return Err(Failure::usage(
            "error: `cargo metadata` failed (see above): run in a pipeline crate or pass --manifest-path",
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| {
        Failure::internal(format!("error: cannot read `cargo metadata`'s output: {e}"))
    })
}

/// The package and binary `target` names in `metadata` (`cargo metadata` JSON). Without
/// `-p`, the package whose folder holds `here`, else the workspace's only package with a
/// binary; without `--bin`, the package's only binary.
pub fn pick_package_binary(
    metadata: &serde_json::Value,
    target: &Target,
    here: &Path,
) -> Result<(String, String), Failure> {
    let members: Vec<&serde_json::Value> = metadata["packages"]
        .as_array()
        .map(|p| p.iter().collect())
        .unwrap_or_default();
    let bins_of = |package: &serde_json::Value| -> Vec<String> {
        package["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bin"))
            })
            .filter_map(|t| t["name"].as_str().map(str::to_owned))
            .collect()
    };
    let name_of = |package: &serde_json::Value| package["name"].as_str().unwrap_or("").to_owned();
    let package = match &target.package {
        Some(wanted) => members
            .iter()
            .copied()
            .find(|p| p["name"] == wanted.as_str())
            .ok_or_else(|| {
                let names: Vec<String> = members.iter().map(|p| name_of(p)).collect();
                Failure::usage(format!(
                    "error: the workspace has no package `{wanted}` (it has: {})",
                    names.join(", ")
                ))
            })?,
        None => {
            // The innermost package whose folder holds the current one, as cargo picks it.
            let containing = members
                .iter()
                .copied()
                .filter_map(|p| {
                    let dir = Path::new(p["manifest_path"].as_str()?).parent()?;
                    here.starts_with(dir)
                        .then_some((dir.components().count(), p))
                })
                .max_by_key(|(depth, _)| *depth)
                .map(|(_, p)| p);
            let with_bin: Vec<&serde_json::Value> = members
                .iter()
                .copied()
                .filter(|p| match &target.bin {
                    Some(bin) => bins_of(p).contains(bin),
                    None => !bins_of(p).is_empty(),
                })
                .collect();
            match (containing, with_bin.as_slice()) {
                (Some(p), _) if !bins_of(p).is_empty() => p,
                (_, [only]) => only,
                (_, []) => {
                    return Err(Failure::usage(
                        "error: no package of the workspace has a binary: pass -p CRATE (a package with `fn main() { argot::main!(…) }`)",
                    ));
                }
                (_, several) => {
                    let names: Vec<String> = several.iter().map(|p| name_of(p)).collect();
                    return Err(Failure::usage(format!(
                        "error: several packages have binaries ({}): pick one with -p CRATE",
                        names.join(", ")
                    )));
                }
            }
        }
    };
    let package_name = name_of(package);
    let bins = bins_of(package);
    let bin = match &target.bin {
        Some(bin) if bins.contains(bin) => bin.clone(),
        Some(bin) => {
            return Err(Failure::usage(format!(
                "error: package `{package_name}` has no binary `{bin}` (it has: {})",
                bins.join(", ")
            )));
        }
        None => match bins.as_slice() {
            [only] => only.clone(),
            [] => {
                return Err(Failure::usage(format!(
                    "error: package `{package_name}` has no binary: add `src/main.rs` with `argot::main!(…)`"
                )));
            }
            several => {
                return Err(Failure::usage(format!(
                    "error: package `{package_name}` has several binaries ({}): pick one with --bin NAME",
                    several.join(", ")
                )));
            }
        },
    };
    for name in [&package_name, &bin] {
        if !image::is_plain_name(name) {
            return Err(Failure::usage(format!(
                "error: `{name}` has characters a Dockerfile cannot take as they are: name the package and binary with letters, digits, `-` and `_`"
            )));
        }
    }
    Ok((package_name, bin))
}

/// `cargo argot new`.
fn new(args: &NewArgs) -> Result<u8, Failure> {
    let dir = args
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    let source = match &args.argot_path {
        Some(path) => starter::ArgotSource::Path(path.clone()),
        None => starter::ArgotSource::Registry(registry_requirement()),
    };
    starter::write(&dir, &args.name, &source).map_err(|e| match e {
        starter::StarterError::Io { .. } => Failure::internal(format!("error: {e}")),
        _ => Failure::usage(format!("error: {e}")),
    })?;
    print_stdout(&format!(
        "created `{}`: `cd {} && cargo run -- run` runs its pipeline here\n",
        args.name,
        dir.display()
    ))
}

/// `"0.1"` for version 0.1.x of this crate: argot's crates are released together, so the
/// starter asks for the facade of the same series.
fn registry_requirement() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut parts = version.split('.');
    match (parts.next(), parts.next()) {
        (Some(major), Some(minor)) => format!("{major}.{minor}"),
        _ => version.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Command {
        super::parse(args.iter().map(OsString::from).collect()).unwrap()
    }

    #[test]
    fn cargo_flags_come_first_and_the_rest_goes_to_the_binary() {
        let Command::Compile(f) = parse(&[
            "cargo-argot",
            "argot",
            "compile",
            "-p",
            "ex",
            "--bin",
            "qs",
            "quickstart",
            "--image",
            "r/x:1",
            "-o",
            "wf.yaml",
        ]) else {
            panic!("compile")
        };
        assert_eq!(f.target.package.as_deref(), Some("ex"));
        assert_eq!(f.target.bin.as_deref(), Some("qs"));
        assert_eq!(f.args, ["quickstart", "--image", "r/x:1", "-o", "wf.yaml"]);
        // A flag of the binary's that is not one of ours starts the forwarded part.
        let Command::Compile(f) = parse(&["cargo-argot", "compile", "--image", "r/x:1", "-p", "p"])
        else {
            panic!("compile")
        };
        assert_eq!(f.target.package, None);
        assert_eq!(f.args, ["--image", "r/x:1", "-p", "p"]);
        // `--` hands the binary a flag cargo-argot also has.
        let Command::Run(f) = parse(&[
            "cargo-argot",
            "argot",
            "run",
            "--bin",
            "qs",
            "--",
            "-p",
            "rows=5",
        ]) else {
            panic!("run")
        };
        assert_eq!(f.args, ["-p", "rows=5"]);
    }

    const MESSAGES: &str = r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"ex"},"executable":null}
not json: cargo prints only JSON here, but a stray line must not break us
{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"quickstart"},"executable":"/t/debug/quickstart"}
{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"sweep"},"executable":"/t/debug/sweep"}
{"reason":"build-finished","success":true}"#;

    #[test]
    fn the_binary_is_the_one_cargo_reports_having_built() {
        let built = built_binaries(MESSAGES);
        assert_eq!(built.len(), 2);
        assert_eq!(
            pick_binary(&built, Some("sweep")).unwrap(),
            PathBuf::from("/t/debug/sweep")
        );
        let several = pick_binary(&built, None).unwrap_err();
        assert_eq!(several.code, 2);
        assert!(
            several.message.contains("quickstart, sweep") && several.message.contains("--bin"),
            "{}",
            several.message
        );
        let unknown = pick_binary(&built, Some("nope")).unwrap_err();
        assert!(
            unknown.message.contains("no binary `nope`"),
            "{}",
            unknown.message
        );
        assert_eq!(
            pick_binary(&built[..1], None).unwrap(),
            PathBuf::from("/t/debug/quickstart")
        );
    }

    #[test]
    fn the_version_requirement_is_this_release_series() {
        assert_eq!(
            registry_requirement(),
            format!(
                "{}.{}",
                env!("CARGO_PKG_VERSION_MAJOR"),
                env!("CARGO_PKG_VERSION_MINOR")
            )
        );
    }
}
