//! The command line every pipeline binary gets from `argot::main!(…)`.
//!
//! # Exit codes
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | success |
//! | 1 | I/O or internal error (cannot write the output file, …) |
//! | 2 | usage error (unknown pipeline or component, bad flag or value) |
//! | 3 | the pipeline is invalid (coded diagnostics were printed) |
//! | 4 | a component failed (its function returned an error or panicked) |
//! | 5 | the run finished but did not succeed (`run`, `submit --watch`, `watch`) |
//! | 6 | timed out waiting for the run |
//! | 7 | the cluster refused or could not be reached (permissions, missing CRDs, …) |
//! | 130 | `run` was interrupted by Ctrl-C (SIGINT): stopped, recorded `Interrupted`, resume command printed |
//! | 143 | `run` was stopped by SIGTERM (same as 130) |

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diagnostics::{Code, Diagnostics};
use crate::emit::argo::{self, Format};
use crate::entrypoint::{ComponentError, Invocation, NativeFn, Registry};
use crate::fsutil::stderr;
use crate::ir::ComponentSpec;
use crate::{CompileOptions, PipelineDef};

/// The `run` command: the local runner ([`crate::run`]) behind the CLI's flags and exit codes.
#[cfg(feature = "store")]
pub mod local_run;

pub use crate::protocol::{ExitCode, default_binary_path};

#[derive(Parser, Debug)]
#[command(
    about = "Compile, validate and run the pipelines of this binary",
    long_about = "Compile, validate and run the pipelines of this binary.\n\n\
                  Examples:\n  \
                  quickstart run -p rows=5000\n  \
                  quickstart compile | kubectl create -f -\n  \
                  quickstart compile -o quickstart.yaml\n  \
                  quickstart validate\n  \
                  quickstart component train --param learning_rate 0.1 --input data data.csv --output model model.json",
    after_help = "Exit codes: 0 ok, 1 I/O error, 2 usage error, 3 invalid pipeline, 4 component failed, \
                  5 run failed, 6 timed out, 7 cluster error, 130/143 run interrupted by SIGINT/SIGTERM."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compile a pipeline to an Argo manifest: a Workflow, or the kind of --kind or
    /// #[pipeline(kind = …)] (YAML on stdout unless -o is given).
    #[command(
        after_help = "Examples:\n  quickstart compile --image ghcr.io/acme/quickstart:0.2 | kubectl create -f -\n  \
                      quickstart compile -o wf.yaml --image ghcr.io/acme/quickstart:0.2\n  \
                      quickstart compile --service-account ml-runner --pod-gc OnPodSuccess --ttl 24h\n  \
                      quickstart compile --kind cron-workflow --schedule '0 3 * * *' --timezone Europe/Paris --argo-version 3.7\n\n\
                      Without --image, native tasks run the image of #[pipeline(image = …)]; a note on stderr names it."
    )]
    Compile {
        /// The pipeline to compile (optional when the binary has only one).
        pipeline: Option<String>,
        /// Write the manifest to this file instead of stdout: atomically, with the umask's mode
        /// (an existing file keeps its own); a FIFO or /dev/stdout is written through.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        build: Box<BuildArgs>,
        /// Output format: the Argo manifest as YAML or JSON, the argot IR as JSON, or a picture
        /// of the pipeline graph (Mermaid or Graphviz DOT).
        #[arg(long, value_enum, default_value_t = OutputFormat::Yaml)]
        format: OutputFormat,
        /// How diagnostics are printed (on stderr): for people, or one JSON object per line.
        #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
        message_format: MessageFormat,
    },
    /// Check a pipeline against every rule; print diagnostics.
    #[command(
        after_help = "Examples:\n  quickstart validate\n  quickstart validate quickstart --image ghcr.io/acme/quickstart:0.2\n  \
                      quickstart validate --deny warnings --allow A0020 --message-format json\n  \
                      quickstart validate --max-manifest-bytes 512KiB"
    )]
    Validate {
        /// The pipeline to validate (optional when the binary has only one).
        pipeline: Option<String>,
        #[command(flatten)]
        build: Box<BuildArgs>,
        /// How diagnostics are printed: for people (stderr), or one JSON object per line (stdout).
        #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
        message_format: MessageFormat,
    },
    /// List the pipelines and components of this binary.
    List,
    /// Compile a pipeline, then submit it to Argo on the current Kubernetes context.
    #[cfg(feature = "cluster")]
    #[command(
        after_help = "Examples:\n  quickstart submit --watch\n  quickstart submit -p rows=5000 -n ml --context prod --watch --timeout 2h\n  quickstart submit --dry-run"
    )]
    Submit {
        /// The pipeline to submit (optional when the binary has only one).
        #[arg(value_name = "PIPELINE", id = "pipeline_to_submit")]
        name: Option<String>,
        #[command(flatten)]
        build: Box<BuildArgs>,
        #[command(flatten)]
        submit: argot_client::cli::SubmitArgs,
    },
    #[cfg(feature = "cluster")]
    #[command(flatten)]
    Cluster(argot_client::cli::RunCommand),
    #[cfg(feature = "store")]
    #[command(flatten)]
    Store(argot_client::cli::StoreCommand),
    /// Run a pipeline on this machine, with the semantics Argo gives it; record it in the store.
    #[cfg(feature = "store")]
    #[command(after_help = local_run::AFTER_HELP)]
    Run(local_run::RunArgs),
    /// Manage the local run cache (`cache prune`).
    #[cfg(feature = "store")]
    #[command(subcommand)]
    Cache(crate::run::prune::CacheCommand),
    /// Explain a diagnostic code (`A0001`), or list every code.
    #[command(after_help = "Examples:\n  quickstart explain A0001\n  quickstart explain")]
    Explain {
        /// The code to explain.
        code: Option<String>,
    },
    /// Run one native component: the in-container entrypoint, also usable by hand.
    #[command(
        after_help = "Example:\n  quickstart component train --param learning_rate 0.1 --input data data.csv --output model model.json\n\n\
                            Output parameters with no --output-param path are printed as `name = value`."
    )]
    Component(ComponentArgs),
}

/// What `component` takes: shared by the full CLI and [`ComponentOnlyCli`], so the two parse
/// exactly alike.
#[derive(clap::Args, Debug)]
struct ComponentArgs {
    /// The component's name (see `list`).
    name: String,
    /// An input parameter: its name, then its value in wire form (a `String` as itself).
    #[arg(long = "param", num_args = 2, value_names = ["NAME", "VALUE"], allow_hyphen_values = true, action = clap::ArgAction::Append)]
    params: Vec<String>,
    /// An input parameter: its name, then a file holding its value (how Argo passes it).
    #[arg(long = "param-file", num_args = 2, value_names = ["NAME", "PATH"], allow_hyphen_values = true, action = clap::ArgAction::Append)]
    param_files: Vec<String>,
    /// An input artifact: its name, then the path to read.
    #[arg(long = "input", num_args = 2, value_names = ["NAME", "PATH"], allow_hyphen_values = true, action = clap::ArgAction::Append)]
    inputs: Vec<String>,
    /// An output artifact: its name, then the path to write.
    #[arg(long = "output", num_args = 2, value_names = ["NAME", "PATH"], allow_hyphen_values = true, action = clap::ArgAction::Append)]
    outputs: Vec<String>,
    /// An output parameter: its name, then the file its value is written to.
    #[arg(long = "output-param", num_args = 2, value_names = ["NAME", "PATH"], allow_hyphen_values = true, action = clap::ArgAction::Append)]
    output_params: Vec<String>,
}

/// A command tree with `component` alone. Every task of a local run and every pod starts a
/// process that parses `component …`; building this tree instead of the full CLI's (every
/// command with all its flags) is most of the CLI's start-up saved. Whatever it refuses
/// (`--help`, a mistake) the full CLI parses again, so help and messages stay the full CLI's.
#[derive(Parser, Debug)]
struct ComponentOnlyCli {
    #[command(subcommand)]
    command: ComponentOnly,
}

#[derive(Subcommand, Debug)]
enum ComponentOnly {
    Component(ComponentArgs),
}

/// The flags that shape the manifest. Commands hold it boxed: it is large, and unboxed it
/// would make every `Command` variant as large (clippy's `large_enum_variant`).
#[derive(clap::Args, Debug)]
struct BuildArgs {
    /// The image native components run in (overrides #[pipeline(image = …)]).
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,
    /// Where the pipeline binary is inside the image.
    #[arg(long, value_name = "PATH")]
    binary_path: Option<String>,
    /// Ship the pipeline binary into a stock image (`--image`) as an input artifact instead of
    /// building an image with it: `https://…` or `key:PATH` in the artifact repository. It is
    /// put at /tmp/argot/bin/<binary> (or --binary-path), mode 0755.
    #[arg(long, value_name = "URL|key:PATH", value_parser = crate::ir::BinaryDelivery::parse)]
    deliver_binary: Option<crate::ir::BinaryDelivery>,
    /// Refuse a manifest larger than this as compact JSON (default 1MiB, Argo's MAX_WORKFLOW_SIZE).
    #[arg(long, value_name = "SIZE", value_parser = crate::validate::parse_size)]
    max_manifest_bytes: Option<usize>,
    /// Refuse a constant or default larger than this (default 256KiB); use an artifact instead.
    #[arg(long, value_name = "SIZE", value_parser = crate::validate::parse_size)]
    max_param_bytes: Option<usize>,
    /// Treat warnings as errors: `warnings` for all, or one code (repeatable).
    #[arg(long, value_name = "warnings|CODE")]
    deny: Vec<crate::validate::Deny>,
    /// Do not report this warning (repeatable; wins over --deny).
    #[arg(long, value_name = "CODE")]
    allow: Vec<crate::validate::Allow>,
    /// The service account the pods run as (overrides #[pipeline(service_account = …)]).
    #[arg(long, value_name = "NAME", value_parser = object_name)]
    service_account: Option<String>,
    /// The config map (and key in it) holding the artifact repository (overrides
    /// #[pipeline(artifact_repository_ref = …)]); without KEY, the config map's default key.
    #[arg(long, value_name = "CONFIGMAP[:KEY]", value_parser = artifact_repository_ref)]
    artifact_repository_ref: Option<crate::ir::ArtifactRepositoryRef>,
    /// A secret for pulling private images (repeatable; replaces #[pipeline(image_pull_secrets = …)]).
    #[arg(long = "image-pull-secret", value_name = "NAME", value_parser = object_name)]
    image_pull_secrets: Vec<String>,
    /// When Argo deletes finished pods (overrides #[pipeline(pod_gc = …)]).
    #[arg(long, value_name = "STRATEGY", value_parser = crate::rules::syntax::POD_GC_STRATEGIES)]
    pod_gc: Option<String>,
    /// How long a finished workflow is kept: seconds or e.g. `24h` (overrides #[pipeline(ttl = …)]).
    #[arg(long, value_name = "DURATION", value_parser = length_of_time)]
    ttl: Option<String>,
    /// How long the workflow may run before Argo fails it: seconds or e.g. `1h30m` (overrides
    /// #[pipeline(active_deadline = …)]).
    #[arg(long, value_name = "DURATION", value_parser = deadline)]
    active_deadline: Option<String>,
    /// The user id the pods run as (default 65532; overrides #[pipeline(run_as_user = …)]).
    #[arg(long, value_name = "UID", value_parser = clap::value_parser!(u32).range(0..=i64::from(i32::MAX)))]
    run_as_user: Option<u32>,
    /// Emit no `runAsNonRoot`, default user or `allowPrivilegeEscalation: false`, for images
    /// that must run as root (overrides #[pipeline(secure_defaults = …)]).
    #[arg(long)]
    no_secure_defaults: bool,
    /// The kind of Argo object to emit (overrides #[pipeline(kind = …)]; default: a
    /// CronWorkflow when the pipeline has a schedule, else a Workflow).
    #[arg(long, value_name = "KIND", value_parser = output_kind())]
    kind: Option<crate::ir::OutputKind>,
    /// A CronWorkflow schedule, such as "0 3 * * *" (repeatable; replaces
    /// #[pipeline(schedule = …)]).
    #[arg(long = "schedule", value_name = "CRON")]
    schedules: Vec<String>,
    /// The IANA time zone of the CronWorkflow's schedules, such as Europe/Paris (overrides
    /// #[pipeline(timezone = …)]).
    #[arg(long, value_name = "ZONE")]
    timezone: Option<String>,
    /// The Argo version the cluster runs: the manifest takes its form, and a field it lacks is
    /// refused (A0047).
    #[arg(long, value_name = "4.1|4.0|3.7|3.6", default_value = "4.1", value_parser = argo_version)]
    argo_version: argo::ArgoVersion,
}

/// `--kind`: one of [`crate::ir::OutputKind::ALL`], listed in `--help` and in the error.
fn output_kind() -> impl clap::builder::TypedValueParser<Value = crate::ir::OutputKind> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(crate::ir::OutputKind::ALL.map(|k| k.as_str())).map(
        |text| crate::ir::OutputKind::parse(&text).expect("clap accepted one of the listed kinds"),
    )
}

/// `--argo-version`: a supported minor version (`4.1`), optionally as a patch release.
fn argo_version(text: &str) -> Result<argo::ArgoVersion, String> {
    argo::ArgoVersion::parse(text).ok_or_else(|| {
        let list: Vec<&str> = argo::ArgoVersion::ALL.iter().rev().map(|v| v.as_str()).collect();
        format!(
            "argot emits for Argo {}; `{text}` is none of them (pick the newest one not newer than the cluster's `argo version`)",
            list.join(", ")
        )
    })
}

/// A service account, secret or config map name: a DNS-1123 subdomain (see A0023).
fn object_name(text: &str) -> Result<String, String> {
    if crate::rules::syntax::is_dns_subdomain(text) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "`{text}` cannot be the name of a Kubernetes object: use lowercase letters, digits, `-` and `.`, at most 253 characters, as `kubectl get` prints it"
        ))
    }
}

/// `CONFIGMAP[:KEY]` (see A0023, A0024).
fn artifact_repository_ref(text: &str) -> Result<crate::ir::ArtifactRepositoryRef, String> {
    let r = crate::ir::ArtifactRepositoryRef::from_spec(text);
    object_name(&r.config_map)?;
    match &r.key {
        Some(key) if !crate::rules::syntax::is_config_map_key(key) => Err(format!(
            "`{key}` cannot be a config map key: use letters, digits, `-`, `_` and `.`; write `CONFIGMAP` alone for the config map's default key"
        )),
        _ => Ok(r),
    }
}

/// Seconds or a duration such as `1h30m` (see A0026); kept as written.
fn length_of_time(text: &str) -> Result<String, String> {
    crate::rules::syntax::parse_seconds(text).map(|_| text.to_owned())
}

/// [`length_of_time`], at least one second: a deadline of 0 terminates the workflow at once.
fn deadline(text: &str) -> Result<String, String> {
    match crate::rules::syntax::parse_seconds(text)? {
        0 => Err("an active deadline of 0 would terminate the workflow as soon as it starts; give at least one second".to_owned()),
        _ => Ok(text.to_owned()),
    }
}

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum MessageFormat {
    /// Rendered for people, with the source line when it can be read.
    Human,
    /// One JSON object per diagnostic, one per line.
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OutputFormat {
    /// The Argo manifest as YAML.
    Yaml,
    /// The Argo manifest as JSON.
    Json,
    /// argot's IR as JSON (the pipeline as traced, before validation).
    Ir,
    /// A Mermaid flowchart of the validated pipeline (for Markdown).
    Mermaid,
    /// A Graphviz digraph of the validated pipeline (`dot -Tsvg`).
    Dot,
}

/// What the binary knows about itself.
pub struct App<'a> {
    /// The binary's name (`quickstart`); the default binary path is `/usr/local/bin/<name>`.
    pub binary: &'a str,
    /// The pipelines it serves.
    pub pipelines: &'a [PipelineDef],
}

/// Runs the CLI with the process's arguments and exits with its exit code.
pub fn run_and_exit(binary: &str, pipelines: &[PipelineDef]) -> ! {
    let code = run(&App { binary, pipelines }, std::env::args_os());
    std::process::exit(code as i32)
}

/// Runs the CLI with the given arguments (the first is the program name).
pub fn run<I, T>(app: &App<'_>, args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    if args.get(1).is_some_and(|a| a == "component")
        && let Ok(ComponentOnlyCli {
            command: ComponentOnly::Component(component),
        }) = ComponentOnlyCli::try_parse_from(&args)
    {
        return outcome(execute(app, Command::Component(component)));
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Ok
            };
        }
    };
    outcome(execute(app, cli.command))
}

/// The exit code of a command's result, its message (if any) printed on stderr.
fn outcome(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::Ok,
        Err(failure) => {
            if !failure.message.is_empty() {
                stderr::line(&failure.message);
            }
            failure.code
        }
    }
}

#[derive(Debug)]
struct Failure {
    code: ExitCode,
    message: String,
}

impl Failure {
    fn new(code: ExitCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Usage, format!("error: {}", message.into()))
    }

    fn invalid(d: &Diagnostics) -> Self {
        Self::new(ExitCode::Invalid, d.render(&source_line))
    }

    /// An invalid pipeline, its diagnostics printed as `format` asks: JSON lines go to stdout
    /// when `json_on_stdout` (validate), else to stderr like human-readable ones.
    fn invalid_as(d: &Diagnostics, format: MessageFormat, json_on_stdout: bool) -> Self {
        match format {
            MessageFormat::Human => Self::invalid(d),
            MessageFormat::Json if json_on_stdout => {
                let _ = print_stdout(&d.to_json_lines());
                Self::new(ExitCode::Invalid, "")
            }
            MessageFormat::Json => {
                Self::new(ExitCode::Invalid, d.to_json_lines().trim_end().to_owned())
            }
        }
    }
}

fn execute(app: &App<'_>, command: Command) -> Result<(), Failure> {
    match command {
        Command::Compile {
            pipeline,
            output,
            build,
            format,
            message_format,
        } => {
            let def = pick(app, pipeline.as_deref())?;
            let options = options(app, &build);
            let text = if let OutputFormat::Ir = format {
                let traced = def
                    .trace(&options.binary_path)
                    .map_err(|d| Failure::invalid_as(&d, message_format, false))?;
                let mut s = serde_json::to_string_pretty(&traced.pipeline)
                    .map_err(|e| Failure::new(ExitCode::Internal, e.to_string()))?;
                s.push('\n');
                s
            } else {
                let compiled =
                    def.compile(&options)
                        .map_err(|crate::CompileError::Invalid(d)| {
                            Failure::invalid_as(&d, message_format, false)
                        })?;
                report_warnings(&compiled.warnings, message_format, false)?;
                match format {
                    OutputFormat::Mermaid => crate::emit::graph::mermaid(&compiled.valid),
                    OutputFormat::Dot => crate::emit::graph::dot(&compiled.valid),
                    _ => {
                        if message_format == MessageFormat::Human && build.image.is_none() {
                            note_attribute_image(compiled.valid.pipeline());
                        }
                        let format = if matches!(format, OutputFormat::Json) {
                            Format::Json
                        } else {
                            Format::Yaml
                        };
                        argo::render_object(&compiled.manifest, format)
                            .map_err(|e| Failure::new(ExitCode::Internal, format!("error: {e}")))?
                    }
                }
            };
            match output {
                Some(path) => write_atomically(&path, text.as_bytes()).map_err(|e| {
                    Failure::new(
                        ExitCode::Internal,
                        format!("error: cannot write `{}`: {e}", path.display()),
                    )
                }),
                None => print_stdout(&text),
            }
        }
        Command::Validate {
            pipeline,
            build,
            message_format,
        } => {
            let def = pick(app, pipeline.as_deref())?;
            let options = options(app, &build);
            // `validate` answers "will `compile` accept this?", so it runs the Argo backend's
            // checks (images, size budget, metadata) as well as the target-neutral rules.
            let compiled = def
                .compile(&options)
                .map_err(|crate::CompileError::Invalid(d)| {
                    Failure::invalid_as(&d, message_format, true)
                })?;
            report_warnings(&compiled.warnings, message_format, true)?;
            if message_format == MessageFormat::Human {
                stderr::line(&format!("pipeline `{}` is valid", def.name));
            }
            Ok(())
        }
        Command::List => {
            let mut out = String::new();
            for def in app.pipelines {
                out.push_str(&format!("pipeline {}\n", def.name));
                match def.trace(&default_binary_path(app.binary)) {
                    Ok(traced) => {
                        for name in traced.pipeline.components.keys() {
                            let kind = if traced.natives.contains(name) {
                                "native"
                            } else {
                                "container"
                            };
                            out.push_str(&format!("  component {name} ({kind})\n"));
                        }
                    }
                    Err(d) => out.push_str(&format!(
                        "  (cannot be traced: {} error(s); run `validate`)\n",
                        d.error_count()
                    )),
                }
            }
            print_stdout(&out)
        }
        Command::Explain { code } => match code {
            Some(text) => {
                let code = Code::parse(&text).ok_or_else(|| Failure::usage(format!("`{text}` is not a diagnostic code; run `explain` with no argument to list them")))?;
                print_stdout(&format!(
                    "{code} ({}): {}\n\n{}\n\nSource: {}\n",
                    code.default_severity().as_str(),
                    code.title(),
                    code.explain(),
                    code.source()
                ))
            }
            None => {
                let list: String = Code::ALL
                    .iter()
                    .map(|c| format!("{c}  {:<7}  {}\n", c.default_severity().as_str(), c.title()))
                    .collect();
                print_stdout(&list)
            }
        },
        #[cfg(feature = "cluster")]
        Command::Submit {
            name,
            build,
            mut submit,
        } => {
            let def = pick(app, name.as_deref())?;
            let compiled = def
                .compile(&options(app, &build))
                .map_err(|crate::CompileError::Invalid(d)| Failure::invalid(&d))?;
            // Checked and encoded like `run -p`, before anything reaches the API server.
            submit.parameters = submit_parameters(
                compiled.valid.pipeline(),
                &(def.header)().wire,
                &submit.parameters,
            )?;
            print_warnings(&compiled.warnings);
            let yaml = argo::render_object(&compiled.manifest, Format::Yaml)
                .map_err(|e| Failure::new(ExitCode::Internal, format!("error: {e}")))?;
            // A template or a CronWorkflow is created (or updated), not run.
            let result = match compiled.valid.pipeline().publish.kind() {
                crate::ir::OutputKind::Workflow => submit.run_manifest(&yaml),
                _ => submit.publish_manifest(&yaml),
            };
            client_outcome(argot_client::cli::report_code(result))
        }
        #[cfg(feature = "cluster")]
        Command::Cluster(command) => client_outcome(argot_client::cli::report_code(command.run())),
        #[cfg(feature = "store")]
        Command::Store(command) => client_outcome(argot_client::cli::report_code(command.run())),
        #[cfg(feature = "store")]
        Command::Run(args) => local_run::execute(app, &args)
            .map_err(|failure| Failure::new(failure.code, failure.message)),
        #[cfg(feature = "store")]
        Command::Cache(command) => match crate::run::prune::execute(&command) {
            Ok(text) => print_stdout(&text),
            Err((code, message)) => Err(Failure::new(code, message)),
        },
        Command::Component(ComponentArgs {
            name,
            params,
            param_files,
            inputs,
            outputs,
            output_params,
        }) => run_component(
            app,
            &name,
            [params, param_files, inputs, outputs, output_params],
        ),
    }
}

/// `submit -p NAME=VALUE` flags, checked against the pipeline's parameters (unknown names and
/// values that are not of the declared type are refused) and rewritten into the wire form, so
/// that what Argo substitutes is exactly what a constant would be.
#[cfg(feature = "cluster")]
fn submit_parameters(
    pipeline: &crate::ir::Pipeline,
    wire: &[crate::value::ParamWire],
    flags: &[String],
) -> Result<Vec<String>, Failure> {
    // The shape (`NAME=VALUE`, each name once) is checked as `run -p` checks it; the values
    // keep the order they were given in.
    local_run::parse_parameters(flags)
        .map_err(|failure| Failure::new(failure.code, failure.message))?;
    flags
        .iter()
        .filter_map(|flag| flag.split_once('='))
        .map(|(name, text)| {
            let exact = wire.iter().find(|w| w.name == name).copied();
            let wire = crate::run::override_to_wire_checked(pipeline, name, text, exact)
                .map_err(|e| Failure::usage(e.to_string()))?;
            Ok(format!("{name}={wire}"))
        })
        .collect()
}

/// The client already printed its error; only the exit code remains.
#[cfg(feature = "store")]
fn client_outcome(code: argot_client::ExitCode) -> Result<(), Failure> {
    match ExitCode::from(code) {
        ExitCode::Ok => Ok(()),
        code => Err(Failure::new(code, "")),
    }
}

fn options(app: &App<'_>, build: &BuildArgs) -> CompileOptions {
    CompileOptions {
        image: build.image.clone(),
        binary_path: build.binary_path.clone().unwrap_or_else(|| {
            if build.deliver_binary.is_some() {
                crate::protocol::delivered_binary_path(app.binary)
            } else {
                default_binary_path(app.binary)
            }
        }),
        binary_delivery: build.deliver_binary.clone(),
        limits: crate::Limits {
            max_manifest_bytes: build
                .max_manifest_bytes
                .unwrap_or(crate::Limits::DEFAULT_MAX_MANIFEST_BYTES),
            max_param_bytes: build
                .max_param_bytes
                .unwrap_or(crate::Limits::DEFAULT_MAX_PARAM_BYTES),
        },
        levels: crate::Levels::from_flags(&build.deny, &build.allow),
        settings: crate::ir::SettingsOverrides {
            service_account: build.service_account.clone(),
            artifact_repository_ref: build.artifact_repository_ref.clone(),
            image_pull_secrets: build.image_pull_secrets.clone(),
            pod_gc: build.pod_gc.clone(),
            ttl: build.ttl.clone(),
            active_deadline: build.active_deadline.clone(),
            no_secure_defaults: build.no_secure_defaults,
            run_as_user: build.run_as_user,
        },
        publish: crate::ir::PublishOverrides {
            kind: build.kind,
            schedules: build.schedules.clone(),
            timezone: build.timezone.clone(),
        },
        argo_version: build.argo_version,
    }
}

/// Says on stderr which image native tasks will run when it comes from the attribute, not
/// from `--image`: an attribute names an image nobody may have built yet (the examples' do),
/// and a manifest naming a missing image fails only when the pod cannot pull it.
fn note_attribute_image(pipeline: &crate::ir::Pipeline) {
    let runs_natively = pipeline
        .components
        .values()
        .any(|c| c.implementation == crate::ir::Implementation::Native);
    if let (true, Some(image)) = (runs_natively, &pipeline.image) {
        // Through `stderr::line`, like every other message: a full stderr is no panic.
        stderr::line(&format!(
            "note: native tasks run `{}` in image `{image}` (from #[pipeline(image = …)]); build and push that image, or pass `--image IMAGE` to name the one you built",
            pipeline.binary_path
        ));
    }
}

fn pick<'a>(app: &'a App<'_>, name: Option<&str>) -> Result<&'a PipelineDef, Failure> {
    find_pipeline(app.pipelines, name).map_err(Failure::usage)
}

/// The pipeline called `name`, or the only one when no name is given; otherwise a usage
/// message naming the choices.
pub(crate) fn find_pipeline<'a>(
    pipelines: &'a [PipelineDef],
    name: Option<&str>,
) -> Result<&'a PipelineDef, String> {
    let names = || {
        pipelines
            .iter()
            .map(|p| format!("`{}`", p.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (name, pipelines) {
        (Some(name), _) => pipelines.iter().find(|p| p.name == name).ok_or_else(|| {
            format!(
                "no pipeline named `{name}`\nhelp: this binary has: {}",
                names()
            )
        }),
        (None, [one]) => Ok(one),
        (None, _) => Err(format!(
            "this binary has several pipelines\nhelp: name one of: {}",
            names()
        )),
    }
}

fn print_warnings(warnings: &Diagnostics) {
    for w in warnings.iter() {
        stderr::line(&format!("{}\n", w.render(&source_line)));
    }
}

/// Prints warnings as `format` asks; JSON lines go to stdout when `json_on_stdout`.
fn report_warnings(
    warnings: &Diagnostics,
    format: MessageFormat,
    json_on_stdout: bool,
) -> Result<(), Failure> {
    match format {
        MessageFormat::Human => print_warnings(warnings),
        MessageFormat::Json if json_on_stdout => print_stdout(&warnings.to_json_lines())?,
        MessageFormat::Json => stderr::write(&warnings.to_json_lines()),
    }
    Ok(())
}

/// Line `line` of `file` (a path as rustc wrote it, relative to the workspace root), when the
/// binary runs where it can read it: diagnostics then show the user's code.
fn source_line(file: &str, line: u32) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines()
        .nth(line.checked_sub(1)? as usize)
        .map(str::to_owned)
}

fn print_stdout(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::new(
            ExitCode::Internal,
            format!("error: cannot write to stdout: {e}"),
        )),
    }
}

pub use crate::fsutil::write_atomically;

fn pairs(flat: Vec<String>) -> Vec<(String, String)> {
    let mut it = flat.into_iter();
    let mut out = Vec::new();
    while let (Some(a), Some(b)) = (it.next(), it.next()) {
        out.push((a, b));
    }
    out
}

/// Finds native component `name` in the registry `#[component]` fills at start-up: no
/// pipeline function runs, so nothing a pipeline body does (read a file, check the
/// environment, panic) happens in a pod.
fn find_component(app: &App<'_>, name: &str) -> Result<(NativeFn, ComponentSpec), Failure> {
    let registry = Registry::load();
    match registry.get(name) {
        Ok(Some(found)) => Ok((found.run, (found.spec)())),
        Err(duplicate) => Err(Failure::new(
            ExitCode::Invalid,
            format!(
                "error[{code}]: {duplicate}\n(`{binary} explain {code}` says more)",
                code = Code::NameCollision,
                binary = app.binary
            ),
        )),
        Ok(None) => {
            let known: Vec<String> = registry.names().map(|k| format!("`{k}`")).collect();
            let suggestion = registry
                .suggest(name)
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            let known = if known.is_empty() {
                "this binary has none".to_owned()
            } else {
                format!("this binary has: {}", known.join(", "))
            };
            Err(Failure::usage(format!(
                "no native component named `{name}`; {suggestion}{known} (`{} list` shows each pipeline's)",
                app.binary
            )))
        }
    }
}

fn run_component(app: &App<'_>, name: &str, flags: [Vec<String>; 5]) -> Result<(), Failure> {
    let (run, spec) = find_component(app, name)?;
    let [params, param_files, inputs, outputs, output_params] = flags;
    let mut inv = Invocation::new(spec.clone());
    let unknown = |what: &str, key: &str| {
        Failure::usage(format!(
            "component `{name}` has no {what} called `{key}`; run `list` or see its signature"
        ))
    };
    // A name given twice is a mistake, never "last wins": the two values may differ.
    let twice = |flag: &str, earlier: &str, key: &str| {
        Failure::usage(format!(
            "component `{name}`: `{flag} {key}` is given twice (already given with `{earlier} {key}`)\nhelp: pass each input and output once"
        ))
    };
    let mut param_flag: std::collections::BTreeMap<String, &str> = Default::default();
    let input_is = |key: &str, artifact: bool| {
        spec.input(key)
            .is_some_and(|i| i.kind.is_artifact() == artifact)
    };
    // A collection input takes its entries' list as a parameter of its own name too.
    let takes_param = |key: &str| {
        input_is(key, false)
            || spec
                .input(key)
                .is_some_and(|i| i.kind.collection_of().is_some())
    };
    let output_is = |key: &str, artifact: bool| {
        spec.output(key)
            .is_some_and(|o| o.kind.is_artifact() == artifact)
    };
    for (key, value) in pairs(params) {
        if !takes_param(&key) {
            return Err(unknown("param", &key));
        }
        if let Some(earlier) = param_flag.insert(key.clone(), "--param") {
            return Err(twice("--param", earlier, &key));
        }
        inv.params.insert(key, value);
    }
    for (key, path) in pairs(param_files) {
        if !takes_param(&key) {
            return Err(unknown("param", &key));
        }
        if let Some(earlier) = param_flag.insert(key.clone(), "--param-file") {
            return Err(twice("--param-file", earlier, &key));
        }
        let text = std::fs::read(&path).map_err(|e| {
            Failure::usage(format!(
                "component `{name}`: cannot read `--param-file {key} {path}`: {e}\nhelp: name a readable file, or pass the value itself with `--param {key} VALUE`"
            ))
        })?;
        let text = String::from_utf8(text).map_err(|_| {
            Failure::usage(format!(
                "component `{name}`: `--param-file {key} {path}` is not UTF-8 text; parameter values are text (pass binary data as an artifact)"
            ))
        })?;
        inv.params.insert(key, text);
    }
    // Artifact inputs, artifact outputs and output parameters: each a path per name.
    for (flag, what, flat, is_input, artifact) in [
        ("--input", "input", inputs, true, true),
        ("--output", "output", outputs, false, true),
        (
            "--output-param",
            "output-param",
            output_params,
            false,
            false,
        ),
    ] {
        for (key, path) in pairs(flat) {
            let declared = if is_input {
                input_is(&key, artifact)
            } else {
                output_is(&key, artifact)
            };
            if !declared {
                return Err(unknown(what, &key));
            }
            let paths = match flag {
                "--input" => &mut inv.inputs,
                "--output" => &mut inv.outputs,
                _ => &mut inv.output_params,
            };
            if paths.insert(key.clone(), PathBuf::from(path)).is_some() {
                return Err(twice(flag, flag, &key));
            }
        }
    }
    let given: std::collections::BTreeSet<String> = inv.output_params.keys().cloned().collect();
    // Started by the local runner: stop if it dies (see `run::lifeline`).
    #[cfg(feature = "store")]
    crate::run::lifeline::watch();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run(&mut inv)?;
        inv.check_outputs()
    }));
    let result = match result {
        Ok(r) => r,
        Err(panic) => {
            let message =
                crate::util::panic_message(&*panic).unwrap_or_else(|| "panicked".to_owned());
            Err(ComponentError::Failed {
                component: name.to_owned(),
                message: format!("panicked: {message}"),
            })
        }
    };
    match result {
        Ok(()) => {
            // Output parameters run by hand without a path are printed, then their scratch files removed.
            let mut printed = String::new();
            for (key, path) in &inv.output_params {
                if !given.contains(key) {
                    let value = std::fs::read_to_string(path).unwrap_or_default();
                    printed.push_str(&format!("{key} = {value}\n"));
                    let _ = std::fs::remove_file(path);
                    if let Some(dir) = path.parent() {
                        let _ = std::fs::remove_dir(dir);
                    }
                }
            }
            print_stdout(&printed)
        }
        Err(e @ ComponentError::Usage(_)) => Err(Failure::usage(e.to_string())),
        Err(e @ ComponentError::Failed { .. }) => Err(Failure::new(
            ExitCode::ComponentFailed,
            format!("error: {e}"),
        )),
        Err(e @ ComponentError::Io { .. }) => {
            Err(Failure::new(ExitCode::Internal, format!("error: {e}")))
        }
    }
}

#[cfg(all(test, feature = "cluster"))]
mod tests {
    use super::*;

    fn pipeline() -> crate::ir::Pipeline {
        serde_json::from_value(serde_json::json!({
            "name": "p", "binary_path": "/b",
            "params": [
                {"name": "text", "rust_type": "Name"},
                {"name": "rows", "rust_type": "u32", "default": "10"},
                {"name": "maybe", "rust_type": "Option<String>"}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn submitted_values_are_encoded_so_argo_and_the_kubelet_leave_them_alone() {
        // `text` is declared with an alias of `String`: the macro's record says it is text.
        let flags = [
            "text={{workflow.uid}} $(HOME) $$".to_owned(),
            "rows=5".to_owned(),
            "maybe=\"null\"".to_owned(),
        ];
        type Name = String;
        let checks = vec![
            crate::value::ParamWire::of::<Name>("text"),
            crate::value::ParamWire::of::<u32>("rows"),
            crate::value::ParamWire::of::<Option<String>>("maybe"),
        ];
        let out = submit_parameters(&pipeline(), &checks, &flags).unwrap();
        assert_eq!(
            out,
            [
                r#"text="\u007b\u007bworkflow.uid\u007d\u007d \u0024(HOME) \u0024\u0024""#,
                "rows=5",
                r#"maybe="null""#,
            ]
        );
        let refused = |flag: &str| {
            submit_parameters(&pipeline(), &checks, &[flag.to_owned()])
                .err()
                .map(|f| (f.code, f.message))
        };
        let (code, message) = refused("nope=1").unwrap();
        assert_eq!(code, ExitCode::Usage);
        assert!(message.contains("has no parameter `nope`"), "{message}");
        assert!(refused("rows=300000000000").is_some());
        assert!(refused("maybe=bare").is_some());
    }
}

#[cfg(test)]
mod component_only_tests {
    use super::*;

    /// What the full CLI makes of `argv`: the `component` arguments, or its error's kind.
    fn full(argv: &[&str]) -> Result<String, clap::error::ErrorKind> {
        match Cli::try_parse_from(argv) {
            Ok(Cli {
                command: Command::Component(c),
            }) => Ok(format!("{c:?}")),
            Ok(other) => panic!("not `component`: {other:?}"),
            Err(e) => Err(e.kind()),
        }
    }

    fn fast(argv: &[&str]) -> Option<String> {
        ComponentOnlyCli::try_parse_from(argv).ok().map(
            |ComponentOnlyCli { command }| match command {
                ComponentOnly::Component(c) => format!("{c:?}"),
            },
        )
    }

    #[test]
    fn the_component_only_tree_parses_as_the_full_cli_or_defers_to_it() {
        let cases: &[&[&str]] = &[
            &[
                "b",
                "component",
                "noop",
                "--param",
                "x",
                "1",
                "--output-param",
                "output",
                "o",
            ],
            &[
                "b",
                "component",
                "t",
                "--param",
                "x",
                "--help",
                "--input",
                "d",
                "-",
            ],
            &[
                "b",
                "component",
                "t",
                "--param",
                "x",
                "-5",
                "--param",
                "y",
                "--",
            ],
            &[
                "b",
                "component",
                "t",
                "--param-file",
                "x",
                "p",
                "--output",
                "m",
                "m.json",
            ],
            &["b", "component", "--param", "x", "1", "t"],
            &["b", "component", "t", "--param=x", "1"],
            &["b", "component", "t", "--", "--param"],
            &["b", "component", "t", "--param", "x"],
            &["b", "component", "t", "--bogus"],
            &["b", "component", "t", "u"],
            &["b", "component", "--help"],
            &["b", "component", "-h"],
            &["b", "component"],
        ];
        for argv in cases {
            match (fast(argv), full(argv)) {
                (Some(fast), Ok(full)) => assert_eq!(fast, full, "{argv:?}"),
                // Refused by the small tree: the full CLI parses it again, so anything goes.
                (None, _) => {}
                (Some(fast), Err(kind)) => {
                    panic!(
                        "{argv:?}: the fast path accepts ({fast}), the full CLI refuses ({kind:?})"
                    )
                }
            }
        }
        // Help is the full CLI's: the small tree never answers it.
        assert_eq!(fast(&["b", "component", "--help"]), None);
        assert_eq!(
            full(&["b", "component", "--help"]),
            Err(clap::error::ErrorKind::DisplayHelp)
        );
    }

    #[test]
    fn a_task_process_parses_with_the_component_only_tree() {
        // The runner's command line takes the fast path (no fallback to the full CLI).
        let argv = [
            "b",
            "component",
            "noop",
            "--param-file",
            "x",
            "/w/params/x",
            "--output-param",
            "output",
            "/w/outputs/output",
        ];
        assert_eq!(fast(&argv), full(&argv).ok());
        assert!(fast(&argv).is_some());
    }
}
