//! Container components on one machine: finding docker or podman, and the `run` command line
//! that gives the container the same paths the Argo template does.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::ir::ContainerImpl;
use crate::protocol::{INPUTS_DIR, OUTPUTS_DIR};

/// Environment variable choosing the container runtime: unset or empty to detect (`docker`,
/// then `podman`), `none` to run no containers, or a program (`podman`, `/usr/bin/docker`).
pub const CONTAINER_RUNTIME_ENV: &str = "ARGOT_CONTAINER_RUNTIME";

/// How the runner runs container components.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerRuntime {
    /// Use the first of `docker` and `podman` whose `info` succeeds.
    Detect,
    /// Use this docker-compatible program.
    Program(String),
    /// Run no containers: container tasks fail with an explanation.
    Disabled,
}

impl ContainerRuntime {
    /// The choice [`CONTAINER_RUNTIME_ENV`] makes.
    pub fn from_env() -> ContainerRuntime {
        match std::env::var(CONTAINER_RUNTIME_ENV) {
            Ok(v) if v == "none" => ContainerRuntime::Disabled,
            Ok(v) if !v.trim().is_empty() => ContainerRuntime::Program(v),
            _ => ContainerRuntime::Detect,
        }
    }

    /// Finds a working runtime, or explains why there is none.
    pub(crate) fn resolve(&self) -> Result<String, String> {
        let candidates: Vec<String> = match self {
            ContainerRuntime::Disabled => {
                return Err(format!(
                    "container runtimes are turned off ({CONTAINER_RUNTIME_ENV}=none)"
                ));
            }
            ContainerRuntime::Program(p) => vec![p.clone()],
            ContainerRuntime::Detect => vec!["docker".to_owned(), "podman".to_owned()],
        };
        let mut reasons = Vec::new();
        for program in candidates {
            let out = Command::new(&program)
                .arg("info")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output();
            match out {
                Ok(out) if out.status.success() => return Ok(program),
                Ok(out) => {
                    let err = String::from_utf8_lossy(&out.stderr);
                    let line = err
                        .lines()
                        .map(str::trim)
                        .rfind(|l| !l.is_empty())
                        .unwrap_or("no message");
                    reasons.push(format!("`{program} info` failed ({line})"));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    reasons.push(format!("`{program}` is not installed"));
                }
                Err(e) => reasons.push(format!("`{program}` cannot be started ({e})")),
            }
        }
        Err(reasons.join("; "))
    }
}

/// A folder of this machine bound where the task's pod mounts a volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Mount {
    /// The folder here (a volume's stand-in, `subPath` joined).
    pub(crate) host: std::path::PathBuf,
    /// Where the container sees it (`volumeMounts[].mountPath`).
    pub(crate) at: String,
    /// `volumeMounts[].readOnly`.
    pub(crate) read_only: bool,
}

/// What a container component's container runs: its command and arguments, as the process
/// receives them, and the working directory an edit set.
pub(crate) struct Argv<'a> {
    /// The command (the first is the entrypoint).
    pub command: &'a [String],
    /// The arguments.
    pub args: &'a [String],
    /// The working directory in the container (`edit_template`'s `workingDir`).
    pub working_dir: Option<&'a str>,
}

/// The argv (after the runtime program) that runs a container task in `image`, its command
/// and arguments as the process receives them (values inserted as Argo and the kubelet would,
/// see [`super::rewrite::container_arg`]): inputs mounted read-only at
/// `/tmp/argot/inputs/<name>`, the task's output folder at `/tmp/argot/outputs`, the task's
/// volumes at their mount paths, the image's entrypoint replaced by `command` when it is
/// given, as Argo does, and the working directory an edit set (`--workdir`; the runtime
/// creates it, as the kubelet's does).
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_args(
    name: &str,
    keep: bool,
    image: &str,
    argv_of: Argv<'_>,
    inputs: &[(String, &Path)],
    outputs: Option<&Path>,
    mounts: &[Mount],
    env: &[&str],
) -> Vec<String> {
    let mut argv = vec!["run".to_owned()];
    if !keep {
        argv.push("--rm".to_owned());
    }
    argv.extend(["--name".to_owned(), name.to_owned()]);
    for (input, host) in inputs {
        argv.push("--volume".to_owned());
        argv.push(format!("{}:{INPUTS_DIR}/{input}:ro", host.display()));
    }
    if let Some(dir) = outputs {
        argv.push("--volume".to_owned());
        argv.push(format!("{}:{OUTPUTS_DIR}", dir.display()));
    }
    for m in mounts {
        argv.push("--volume".to_owned());
        let ro = if m.read_only { ":ro" } else { "" };
        argv.push(format!("{}:{}{ro}", m.host.display(), m.at));
    }
    for name in env {
        argv.push("--env".to_owned());
        argv.push((*name).to_owned());
    }
    if let Some(dir) = argv_of.working_dir {
        argv.push("--workdir".to_owned());
        argv.push(dir.to_owned());
    }
    let mut command = argv_of.command.iter().cloned();
    if let Some(entrypoint) = command.next() {
        argv.push("--entrypoint".to_owned());
        argv.push(entrypoint);
    }
    argv.push(image.to_owned());
    argv.extend(command);
    argv.extend(argv_of.args.iter().cloned());
    argv
}

/// Copies each output the image wrote at its own path (`output_at`) out of the stopped
/// container `name` into `outputs/<output>`, as Argo's executor collects it from the main
/// container's filesystem; a path the image did not write leaves the output missing, which the
/// runner reports as Argo does.
pub(crate) fn collect_own_paths(
    program: &str,
    name: &str,
    c: &ContainerImpl,
    outputs: &Path,
) -> Result<(), String> {
    for (output, path) in &c.output_paths {
        let out = Command::new(program)
            .args(["cp", &format!("{name}:{path}")])
            .arg(outputs.join(output))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot start `{program} cp`: {e}"))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            // Not written: `attempt` names the missing output and its path.
            let lower = err.to_ascii_lowercase();
            if ["no such", "could not find", "not found"]
                .iter()
                .any(|m| lower.contains(m))
            {
                continue;
            }
            return Err(format!(
                "cannot copy output `{output}` from `{path}` in the container: {}",
                err.trim()
            ));
        }
    }
    Ok(())
}

/// A container name for a task of a run (run ids and task names are already DNS labels).
pub(crate) fn container_name(run_id: &str, task: &str) -> String {
    format!("argot-{run_id}-{task}")
}

/// Removes a leftover container of an interrupted run (best effort).
pub(crate) fn remove_leftover(program: &str, name: &str) {
    let _ = Command::new(program)
        .args(["rm", "--force", name])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{CmdArg, Piece};

    #[test]
    fn the_container_sees_argo_paths_and_substituted_values() {
        let c = ContainerImpl {
            image: "python:3.12-alpine".into(),
            command: vec![
                CmdArg(vec![Piece::Literal("python3".into())]),
                CmdArg(vec![Piece::Literal("-c".into())]),
            ],
            args: vec![
                CmdArg(vec![Piece::InputPath("corpus".into())]),
                CmdArg(vec![
                    Piece::Literal("--min=".into()),
                    Piece::InputValue("min_len".into()),
                ]),
                CmdArg(vec![Piece::OutputParamPath("count".into())]),
            ],
            output_paths: Default::default(),
        };
        let render = |a: &CmdArg| crate::protocol::render_cmd_arg(a, |n| format!("<{n}>"));
        let command: Vec<String> = c.command.iter().map(render).collect();
        let args: Vec<String> = c.args.iter().map(render).collect();
        let argv = run_args(
            "argot-r-word-count",
            false,
            &c.image,
            Argv {
                command: &command,
                args: &args,
                working_dir: None,
            },
            &[(
                "corpus".into(),
                Path::new("/runs/r/write-corpus/outputs/corpus"),
            )],
            Some(Path::new("/runs/r/word-count.tmp/outputs")),
            &[
                Mount {
                    host: "/w/.argot/volumes/ckpt/epochs".into(),
                    at: "/mnt/ckpt".into(),
                    read_only: false,
                },
                Mount {
                    host: "/tmp/argot-secret-x".into(),
                    at: "/etc/creds".into(),
                    read_only: true,
                },
            ],
            &["MODE"],
        );
        assert_eq!(
            argv,
            [
                "run",
                "--rm",
                "--name",
                "argot-r-word-count",
                "--volume",
                "/runs/r/write-corpus/outputs/corpus:/tmp/argot/inputs/corpus:ro",
                "--volume",
                "/runs/r/word-count.tmp/outputs:/tmp/argot/outputs",
                "--volume",
                "/w/.argot/volumes/ckpt/epochs:/mnt/ckpt",
                "--volume",
                "/tmp/argot-secret-x:/etc/creds:ro",
                "--env",
                "MODE",
                "--entrypoint",
                "python3",
                "python:3.12-alpine",
                "-c",
                "/tmp/argot/inputs/corpus",
                "--min=<min_len>",
                "/tmp/argot/outputs/count",
            ]
        );
    }

    #[test]
    fn a_missing_program_is_explained() {
        let err = ContainerRuntime::Program("argot-no-such-runtime".into())
            .resolve()
            .unwrap_err();
        assert!(
            err.contains("`argot-no-such-runtime` is not installed"),
            "{err}"
        );
        let off = ContainerRuntime::Disabled.resolve().unwrap_err();
        assert!(off.contains(CONTAINER_RUNTIME_ENV), "{off}");
    }
}
