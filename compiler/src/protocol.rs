//! The protocol between a pipeline binary and the processes that run its components: where
//! files are inside a container, how a native task's command line is built, what the kubelet
//! does to that command line ([`argv`]), which labels mark argot's objects, and the exit codes.
//!
//! The Argo emitter, the `component` entrypoint and the local runner all speak it, so it lives
//! below all of them: a path or a flag changed here changes for every side at once, and they
//! cannot drift.
//!
//! # How parameter values reach a native component
//! Each parameter input `x` of a native component is a file, [`PARAMS_DIR`]`/x`, and the argv
//! says `--param-file x /tmp/argot/params/x` ([`native_args`]): the value is never in argv, so
//! the kubelet's `$(VAR)` expansion and Linux's 128 KiB `MAX_ARG_STRLEN` do not apply to it. In
//! the cluster Argo writes the file from a `raw` input artifact (see [`crate::emit::argo`]); the
//! local runner writes it into the task's folder ([`native_args_with`] places the files).

use crate::ir::{CmdArg, ComponentSpec, IoKind, Piece};

pub mod argv;
pub mod template;

/// The folder holding every path argot places in a container.
pub const ARGOT_DIR: &str = "/tmp/argot";
/// Where input artifacts are placed in a container (Argo creates the files).
pub const INPUTS_DIR: &str = "/tmp/argot/inputs";
/// Where outputs (artifacts and parameter values) are written in a container. Output names are
/// unique per component, so one flat folder holds both. Every template with outputs (native
/// or container) gets an `emptyDir` volume here, so the folder exists in any image without a
/// `mkdir` (no shell) and is writable under `readOnlyRootFilesystem` and any user id.
pub const OUTPUTS_DIR: &str = "/tmp/argot/outputs";

/// The name of the `emptyDir` volume mounted at [`OUTPUTS_DIR`] in a pod.
pub const OUTPUTS_VOLUME: &str = "argot-outputs";
/// Where a native component's parameter values are placed, one file per input (Argo writes
/// them from `raw` input artifacts). Apart from [`INPUTS_DIR`] and [`OUTPUTS_DIR`], so an
/// input parameter and an input artifact never share a path.
pub const PARAMS_DIR: &str = "/tmp/argot/params";

/// Label recording which pipeline a workflow runs. The client reads it under the same name
/// (`argot_client::manifest::LABEL_PIPELINE`; a test keeps the two equal).
pub const PIPELINE_LABEL: &str = "argot.dev/pipeline";
/// The workflow annotation recording each artifact's kind, as compact JSON
/// `{"<template>": {"<artifact>": "<Kind>"}}` over the component templates' inputs and
/// outputs: Argo's node status names an artifact and its template but not its kind, so the
/// client reads the kind back from here to rebuild typed lineage of a finished run.
pub const ARTIFACT_KINDS_ANNOTATION: &str = "argot.dev/artifact-kinds";
/// Label recording which component a pod runs.
pub const COMPONENT_LABEL: &str = "argot.dev/component";

/// Where the pipeline binary is expected inside its image by default: `/usr/local/bin/<binary>`.
pub fn default_binary_path(binary: &str) -> String {
    format!("/usr/local/bin/{binary}")
}

/// The input artifact that carries the pipeline binary into a stock image
/// (`compile --deliver-binary`). Component inputs are Rust identifiers, so no `-`: it cannot
/// clash with one.
pub const DELIVERED_BINARY_ARTIFACT: &str = "argot-binary";

/// Where a delivered pipeline binary is put in the pod (`compile --deliver-binary`): under
/// argot's own folder, which Argo mounts the artifact into, so the image needs no
/// `/usr/local/bin` entry and may have a read-only root file system.
pub fn delivered_binary_path(binary: &str) -> String {
    format!("/tmp/argot/bin/{binary}")
}

/// The local path of input artifact `name`.
pub fn input_artifact_path(name: &str) -> String {
    format!("{INPUTS_DIR}/{name}")
}

/// The local path of the file holding input parameter `name` of a native component.
pub fn param_file_path(name: &str) -> String {
    format!("{PARAMS_DIR}/{name}")
}

/// The local path of output artifact `name`.
pub fn output_artifact_path(name: &str) -> String {
    format!("{OUTPUTS_DIR}/{name}")
}

/// The local path of output parameter `name`.
pub fn output_parameter_path(name: &str) -> String {
    format!("{OUTPUTS_DIR}/{name}")
}

/// A file of a task that an argv element points at. The cluster and the local runner place
/// these files differently; everything else about the argv is shared, so the two cannot drift.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoPath<'a> {
    /// The file holding the value of input parameter `name` (read).
    ParamFile(&'a str),
    /// Input artifact `name` (read).
    Input(&'a str),
    /// Output artifact `name` (written).
    Output(&'a str),
    /// The file output parameter `name`'s value is written to.
    OutputParam(&'a str),
}

impl IoPath<'_> {
    /// The path inside an Argo container ([`INPUTS_DIR`], [`PARAMS_DIR`] or [`OUTPUTS_DIR`]).
    pub fn in_container(self) -> String {
        match self {
            IoPath::ParamFile(name) => param_file_path(name),
            IoPath::Input(name) => input_artifact_path(name),
            IoPath::Output(name) => output_artifact_path(name),
            IoPath::OutputParam(name) => output_parameter_path(name),
        }
    }
}

/// The argv (after the binary) that runs native component `spec` through the `component`
/// entrypoint. It holds names and paths only: values travel in files ([`IoPath::ParamFile`]).
pub fn native_args(spec: &ComponentSpec) -> Vec<String> {
    native_args_with(spec, |io| io.in_container())
}

/// [`native_args`] with the files placed by `path`: the local runner passes the run folder's
/// paths, Argo the container's.
pub fn native_args_with(spec: &ComponentSpec, path: impl Fn(IoPath<'_>) -> String) -> Vec<String> {
    let mut args = vec!["component".to_owned(), spec.name.clone()];
    for input in &spec.inputs {
        match input.kind {
            IoKind::Parameter { .. } => args.extend([
                "--param-file".to_owned(),
                input.name.clone(),
                path(IoPath::ParamFile(&input.name)),
            ]),
            IoKind::Artifact { .. } => {
                args.extend([
                    "--input".to_owned(),
                    input.name.clone(),
                    path(IoPath::Input(&input.name)),
                ]);
                // A collection's folder, then its entries in item order (a JSON list of names
                // in the folder), in the file a parameter of the same name would have.
                if input.kind.collection_of().is_some() {
                    args.extend([
                        "--param-file".to_owned(),
                        input.name.clone(),
                        path(IoPath::ParamFile(&input.name)),
                    ]);
                }
            }
        }
    }
    for output in &spec.outputs {
        match output.kind {
            IoKind::Parameter { .. } => args.extend([
                "--output-param".to_owned(),
                output.name.clone(),
                path(IoPath::OutputParam(&output.name)),
            ]),
            IoKind::Artifact { .. } => args.extend([
                "--output".to_owned(),
                output.name.clone(),
                path(IoPath::Output(&output.name)),
            ]),
        }
    }
    args
}

/// One argv element of a container component, with paths inside the container and `value`
/// rendering input parameters (Argo: a `{{inputs.parameters.…}}` placeholder; the local
/// runner: the value itself, as Argo would substitute it).
pub fn render_cmd_arg(arg: &CmdArg, value: impl Fn(&str) -> String) -> String {
    arg.0
        .iter()
        .map(|piece| match piece {
            Piece::Literal(s) => s.clone(),
            Piece::InputValue(name) => value(name),
            Piece::InputPath(name) => IoPath::Input(name).in_container(),
            Piece::OutputPath(name) => IoPath::Output(name).in_container(),
            Piece::OutputParamPath(name) => IoPath::OutputParam(name).in_container(),
        })
        .collect()
}

/// Process exit codes of a pipeline binary: the CLI's, the local runner's and the in-container
/// entrypoint's (Argo records a pod's code).
///
/// The client's commands return `argot_client::ExitCode`, the same numbers 0–7 (argot-client
/// cannot depend on this crate, and a compile-only build of argot does not depend on the
/// client); `cli` converts, and a test keeps the numbers equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    /// Success.
    Ok = 0,
    /// I/O or internal error.
    Internal = 1,
    /// Usage error.
    Usage = 2,
    /// Invalid pipeline.
    Invalid = 3,
    /// A component failed.
    ComponentFailed = 4,
    /// The run finished but did not succeed.
    RunFailed = 5,
    /// Timed out waiting for the run.
    Timeout = 6,
    /// The cluster refused or could not be reached.
    Cluster = 7,
    /// A local run was interrupted by Ctrl-C (SIGINT): 128 + 2, as a shell reports it.
    Interrupted = 130,
    /// A local run was stopped by SIGTERM: 128 + 15.
    Terminated = 143,
}

#[cfg(feature = "store")]
impl From<argot_client::ExitCode> for ExitCode {
    fn from(code: argot_client::ExitCode) -> Self {
        use argot_client::ExitCode as C;
        match code {
            C::Ok => ExitCode::Ok,
            C::Internal => ExitCode::Internal,
            C::Usage => ExitCode::Usage,
            C::InvalidPipeline => ExitCode::Invalid,
            C::ComponentFailed => ExitCode::ComponentFailed,
            C::RunFailed => ExitCode::RunFailed,
            C::Timeout => ExitCode::Timeout,
            C::Cluster => ExitCode::Cluster,
        }
    }
}

/// argot-client cannot depend on this crate, so the label and the exit codes both sides use
/// are defined on each side; these tests keep them equal.
#[cfg(all(test, feature = "store"))]
mod agrees_with_the_client {
    use super::*;

    #[test]
    fn the_pipeline_label_is_the_clients() {
        assert_eq!(PIPELINE_LABEL, argot_client::manifest::LABEL_PIPELINE);
        assert_eq!(PIPELINE_LABEL, argot_client::store::PIPELINE_LABEL);
        assert_eq!(
            ARTIFACT_KINDS_ANNOTATION,
            argot_client::manifest::ANNOTATION_ARTIFACT_KINDS
        );
    }

    #[test]
    fn exit_codes_keep_the_clients_numbers() {
        use argot_client::ExitCode as Client;
        for code in [
            Client::Ok,
            Client::Internal,
            Client::Usage,
            Client::InvalidPipeline,
            Client::ComponentFailed,
            Client::RunFailed,
            Client::Timeout,
            Client::Cluster,
        ] {
            assert_eq!(ExitCode::from(code) as u8, code.code(), "{code:?}");
        }
    }
}

/// The environment variable through which a component finds where volume `name` is mounted
/// (`ARGOT_VOLUME_CHECKPOINTS` for `checkpoints`): the mount path on Argo, a local folder when
/// `run` runs it. Read by [`crate::dsl::volume_path`].
pub fn volume_env(name: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect();
    format!("ARGOT_VOLUME_{upper}")
}
