//! The intermediate representation: what a pipeline *means*, as plain data.
//!
//! Tracing a `#[pipeline]` function produces a [`Pipeline`]; every later stage (validation,
//! Argo emission, graph export, the local runner) reads only this. It is serde-serialisable and
//! uses ordered containers only, so the same pipeline always serialises to the same bytes.
//!
//! # Meaning
//!
//! - A [`Pipeline`] has typed input parameters ([`PipelineParam`]), the distinct components its
//!   tasks use ([`ComponentSpec`], keyed by component name), and tasks ([`Task`]) in the order
//!   the pipeline body created them. A [`TaskId`] is an index into [`Pipeline::tasks`].
//! - A [`ComponentSpec`] is a function with typed inputs and outputs. An input or output is a
//!   *parameter* (a small serde value travelling as a string) or an *artifact* (a file or
//!   folder, of a kind such as `Dataset` or `Model`).
//! - A [`Task`] is one call of a component. Each of its arguments binds one input of the
//!   component to a constant, a pipeline parameter or an output of another task. A data edge
//!   implies an ordering edge; [`Task::after`] adds ordering-only edges.
//! - Parameter values are strings on the wire: a string is itself, every other value is its
//!   JSON text (see [`crate::value`]).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// A traced pipeline: the root of the IR.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    /// The pipeline's name as written (`fn quickstart` → `quickstart`, or `name = "…"`).
    pub name: String,
    /// The doc comment of the pipeline function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The image native components run in (`#[pipeline(image = "…")]` or `--image`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The path of the pipeline binary inside `image`; native tasks run it as their command.
    pub binary_path: String,
    /// Typed inputs of the whole pipeline, in declaration order.
    #[serde(default)]
    pub params: Vec<PipelineParam>,
    /// The distinct components used by the tasks, keyed by component name.
    #[serde(default)]
    pub components: IndexMap<String, ComponentSpec>,
    /// Tasks, in creation order; a [`TaskId`] indexes this vector.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// What the namespace the workflow runs in needs: service account, artifact repository,
    /// pull secrets, clean-up, deadlines and the pods' security context.
    #[serde(default, skip_serializing_if = "WorkflowSettings::is_default")]
    pub settings: WorkflowSettings,
}

/// Workflow-wide settings from `#[pipeline(…)]`, overridden by `compile` flags
/// ([`SettingsOverrides`]). Values are kept as the user wrote them; validation checks them
/// (A0023–A0027) and emission turns them into `spec` fields of the Argo workflow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowSettings {
    /// The service account the workflow's pods run as (`spec.serviceAccountName`); `None`
    /// leaves the namespace's `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// The config map (and key in it) holding the artifact repository
    /// (`spec.artifactRepositoryRef`); `None` uses the controller's default repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_repository_ref: Option<ArtifactRepositoryRef>,
    /// Secrets the kubelet uses to pull private images (`spec.imagePullSecrets`), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<String>,
    /// When Argo deletes finished pods (`spec.podGC.strategy`): one of
    /// [`crate::rules::syntax::POD_GC_STRATEGIES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_gc: Option<String>,
    /// How long a finished workflow is kept (`spec.ttlStrategy.secondsAfterCompletion`), as
    /// written: seconds (`86400`) or a duration of hours, minutes and seconds (`24h`, `1h30m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
    /// How long the workflow may run before Argo fails it (`spec.activeDeadlineSeconds`), in
    /// the same form as [`WorkflowSettings::ttl`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline: Option<String>,
    /// Whether pods get argot's secure defaults: `runAsNonRoot: true` and a non-root
    /// `runAsUser` for the pod, `allowPrivilegeEscalation: false` for each container.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub secure_defaults: bool,
    /// The user id the pods run as (`securityContext.runAsUser`); `None` means
    /// [`WorkflowSettings::DEFAULT_RUN_AS_USER`] under the secure defaults, the image's user
    /// without them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<u32>,
}

fn yes() -> bool {
    true
}

fn is_yes(b: &bool) -> bool {
    *b
}

impl Default for WorkflowSettings {
    fn default() -> Self {
        Self {
            service_account: None,
            artifact_repository_ref: None,
            image_pull_secrets: Vec::new(),
            pod_gc: None,
            ttl: None,
            active_deadline: None,
            secure_defaults: true,
            run_as_user: None,
        }
    }
}

impl WorkflowSettings {
    /// The user id pods run as under the secure defaults: distroless `nonroot` (65532), the
    /// user `examples/Dockerfile` sets. Any image runs as it, including ones whose own user is
    /// root (such as `python:3.12-alpine`), which `runAsNonRoot` alone would refuse.
    pub const DEFAULT_RUN_AS_USER: u32 = 65532;

    /// True when nothing differs from the defaults (the IR then omits the settings).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Applies `overrides`: every flag given replaces the attribute's value.
    pub fn apply(&mut self, overrides: &SettingsOverrides) {
        let SettingsOverrides {
            service_account,
            artifact_repository_ref,
            image_pull_secrets,
            pod_gc,
            ttl,
            active_deadline,
            no_secure_defaults,
            run_as_user,
        } = overrides;
        if let Some(v) = service_account {
            self.service_account = Some(v.clone());
        }
        if let Some(v) = artifact_repository_ref {
            self.artifact_repository_ref = Some(v.clone());
        }
        if !image_pull_secrets.is_empty() {
            self.image_pull_secrets = image_pull_secrets.clone();
        }
        if let Some(v) = pod_gc {
            self.pod_gc = Some(v.clone());
        }
        if let Some(v) = ttl {
            self.ttl = Some(v.clone());
        }
        if let Some(v) = active_deadline {
            self.active_deadline = Some(v.clone());
        }
        if *no_secure_defaults {
            self.secure_defaults = false;
        }
        if let Some(v) = run_as_user {
            self.run_as_user = Some(*v);
        }
    }
}

/// The `compile` flags that override [`WorkflowSettings`] (`--service-account`, …); an unset
/// field keeps the pipeline's attribute.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsOverrides {
    /// `--service-account`.
    pub service_account: Option<String>,
    /// `--artifact-repository-ref`.
    pub artifact_repository_ref: Option<ArtifactRepositoryRef>,
    /// `--image-pull-secret` (repeatable); when given, replaces the attribute's list.
    pub image_pull_secrets: Vec<String>,
    /// `--pod-gc`.
    pub pod_gc: Option<String>,
    /// `--ttl`.
    pub ttl: Option<String>,
    /// `--active-deadline`.
    pub active_deadline: Option<String>,
    /// `--no-secure-defaults`.
    pub no_secure_defaults: bool,
    /// `--run-as-user`.
    pub run_as_user: Option<u32>,
}

/// Where the artifact repository is configured: a config map and, optionally, the key in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactRepositoryRef {
    /// The config map's name.
    pub config_map: String,
    /// The key in the config map; `None` uses the key the config map's
    /// `workflows.argoproj.io/default-artifact-repository` annotation names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl ArtifactRepositoryRef {
    /// Splits `CONFIGMAP[:KEY]` at the first `:`. Never fails: validation checks both parts
    /// (a config map name cannot hold `:`, so the split is unambiguous).
    pub fn from_spec(spec: &str) -> Self {
        match spec.split_once(':') {
            Some((config_map, key)) => Self {
                config_map: config_map.to_owned(),
                key: Some(key.to_owned()),
            },
            None => Self {
                config_map: spec.to_owned(),
                key: None,
            },
        }
    }
}

impl std::fmt::Display for ArtifactRepositoryRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.key {
            Some(key) => write!(f, "{}:{key}", self.config_map),
            None => f.write_str(&self.config_map),
        }
    }
}

/// A typed input of a pipeline; becomes an entry of `spec.arguments.parameters`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelineParam {
    /// The parameter's name (the pipeline function's argument name).
    pub name: String,
    /// The Rust type, for documentation and error messages (`u32`, `Vec<f64>`).
    pub rust_type: String,
    /// The default value in wire form, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// Index of a task in [`Pipeline::tasks`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskId(pub u32);

impl TaskId {
    /// The index as a `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where in the user's source a task was created (the component call in the pipeline body).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLocation {
    /// File path as rustc knows it (relative to the workspace root).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl std::fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One call of a component in the pipeline body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The task name: derived from the component name, made unique, or set with `.name(…)`.
    pub name: String,
    /// Whether the name was set explicitly with `.name(…)` (then it is never renamed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub named_by_user: bool,
    /// The component this task calls: a key of [`Pipeline::components`].
    pub component: String,
    /// Input bindings, keyed by input name, in the component's input order.
    #[serde(default)]
    pub arguments: IndexMap<String, Argument>,
    /// Ordering-only dependencies added with `.after(&task)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<TaskRef>,
    /// Where the task was created, for diagnostics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
}

/// A reference to a task, which may belong to another pipeline (an error validation reports).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskRef {
    /// A task of this pipeline.
    Local(TaskId),
    /// A task created while tracing another pipeline.
    Foreign {
        /// The pipeline the task belongs to.
        pipeline: String,
        /// That task's name.
        task: String,
    },
}

/// The value bound to one input of a task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Argument {
    /// A constant, in wire form.
    Constant(String),
    /// A pipeline parameter, by name.
    PipelineParam(String),
    /// An output (parameter or artifact) of another task.
    TaskOutput {
        /// The producing task.
        task: TaskRef,
        /// The output's name on the producing component.
        output: String,
    },
}

impl Argument {
    /// The task this argument reads from, if any.
    pub fn task(&self) -> Option<&TaskRef> {
        match self {
            Argument::TaskOutput { task, .. } => Some(task),
            _ => None,
        }
    }
}

/// A component: a typed function, native (this binary) or a container.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentSpec {
    /// The component's name (`fn train` → `train`, or `name = "…"`).
    pub name: String,
    /// The doc comment of the component function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Inputs in declaration order.
    #[serde(default)]
    pub inputs: Vec<InputSpec>,
    /// Outputs in declaration order (the return value, if any, is named `output` and last).
    #[serde(default)]
    pub outputs: Vec<OutputSpec>,
    /// How the component runs.
    pub implementation: Implementation,
    /// Hex SHA-256 of the component function's tokens as written (signature and body), which
    /// `#[component]` embeds: the local cache keys a native component on its own code by
    /// default, so editing one component does not invalidate the others. `None` for container
    /// components (their spec is their identity) and for specs built by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_hash: Option<String>,
}

impl ComponentSpec {
    /// The input called `name`, if any.
    pub fn input(&self, name: &str) -> Option<&InputSpec> {
        self.inputs.iter().find(|i| i.name == name)
    }

    /// The output called `name`, if any.
    pub fn output(&self, name: &str) -> Option<&OutputSpec> {
        self.outputs.iter().find(|o| o.name == name)
    }

    /// A stable content hash of the spec (hex SHA-256 of its canonical JSON): two components
    /// with the same hash are the same template.
    pub fn content_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let json = serde_json::to_vec(self).expect("a ComponentSpec always serialises");
        crate::util::hex(&Sha256::digest(&json))
    }
}

/// One input of a component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    /// The input's name (the function argument's name).
    pub name: String,
    /// Parameter or artifact.
    pub kind: IoKind,
    /// The default value in wire form (parameters only); an input with a default is optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// One output of a component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputSpec {
    /// The output's name (`output` for the return value).
    pub name: String,
    /// Parameter or artifact.
    pub kind: IoKind,
}

/// Whether a value travels as a parameter or as an artifact, and its type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IoKind {
    /// A small serde value, passed as a string.
    Parameter {
        /// The Rust type (`f64`, `Vec<String>`, …).
        rust_type: String,
    },
    /// A file or folder.
    Artifact {
        /// The artifact kind (`Dataset`, `Model`, `Metrics`, `Artifact`, …).
        kind: String,
    },
}

impl IoKind {
    /// True for artifacts.
    pub fn is_artifact(&self) -> bool {
        matches!(self, IoKind::Artifact { .. })
    }
}

/// How a component runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Implementation {
    /// A Rust function in the pipeline binary, run as `<binary> component <name> …`.
    Native,
    /// Any image and command; inputs and outputs are placed into the argv by placeholders.
    Container(ContainerImpl),
}

/// The container of a container component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContainerImpl {
    /// The image to run.
    pub image: String,
    /// The entrypoint override; empty keeps the image's.
    #[serde(default)]
    pub command: Vec<CmdArg>,
    /// The arguments.
    #[serde(default)]
    pub args: Vec<CmdArg>,
}

/// One argv element of a container component: pieces concatenated into one string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CmdArg(pub Vec<Piece>);

/// A piece of an argv element.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Piece {
    /// Literal text.
    Literal(String),
    /// The value of an input parameter.
    InputValue(String),
    /// The local path of an input artifact.
    InputPath(String),
    /// The local path where an output artifact must be written.
    OutputPath(String),
    /// The local path where an output parameter's value must be written.
    OutputParamPath(String),
}
