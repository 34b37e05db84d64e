//! The intermediate representation: what a pipeline *means*, as plain data.
//!
//! Tracing a `#[pipeline]` function produces a [`Pipeline`]; every later stage (validation,
//! Argo emission, graph export, the local runner) reads only this. It is serde-serialisable and
//! uses ordered containers only, so the same pipeline always serialises to the same bytes.
//!
//! # Shape
//!
//! ```text
//! Pipeline
//! ├── params: [PipelineParam]              typed inputs of the whole run
//! ├── components: {name → ComponentSpec}   typed functions (native or container) + defaults
//! ├── regions: [Region]                    a tree: Root, Branch, Loop, ExitHandler, Call, Hook
//! ├── tasks: [Task]                        calls: component, region, arguments, depends, config
//! ├── defaults: TaskConfig                 settings every task starts from
//! └── settings: WorkflowSettings           namespace-level settings of the run
//! ```
//!
//! - A [`ComponentSpec`] is a function with typed inputs and outputs. An input or output is a
//!   *parameter* (a small serde value travelling as a string) or an *artifact* (a file or
//!   folder, of a kind such as `Dataset` or `Model`).
//! - A [`Task`] is one call of a component. Each of its arguments binds one input of the
//!   component to a constant, a pipeline parameter or an output of another task.
//! - A [`Region`] is a scope of the body: the root, a conditional branch ([`Condition`]), a
//!   loop body ([`LoopItems`]), the exit handler, a call of another pipeline. Every task
//!   belongs to exactly one region.
//! - A task's [`Depends`] is an expression over other tasks' results (`Succeeded`, `Failed`,
//!   …, `&&`, `||`, `!`), the tree Argo's `depends` string is rendered from and the local
//!   runner evaluates.
//! - A task's [`TaskConfig`] (retries, time limits, caching, pod settings held as
//!   Kubernetes' own `k8s-openapi` types) is merged over its component's and the pipeline's:
//!   task over component over pipeline ([`TaskConfig::merged_over`]).
//!
//! # Invariants
//!
//! Tracing establishes these; [`crate::validate()`] checks them on any IR (a hand-built or
//! deserialised one too) and the backends rely on them only through a `ValidPipeline`.
//!
//! 1. **Indices.** A [`TaskId`] indexes [`Pipeline::tasks`]; a [`RegionId`] indexes
//!    [`Pipeline::regions`]; `regions[0]` is the root and the only region without a parent; a
//!    region's parent has a smaller index, so regions form a tree in creation order.
//! 2. **Components.** Every [`Task::component`] is a key of [`Pipeline::components`]; the key
//!    is the spec's own name. Two different specs never share a name (A0008).
//! 3. **Bindings.** A task's arguments are keyed by input names of its component, in the
//!    component's order; an unbound input has a default (A0002, A0007, A0011). After them
//!    come the values of its settings (`argot-setting-N`, [`is_setting_input`]), each named
//!    by a [`setting_placeholder`] in the task's settings (A0042).
//! 4. **Scopes.** A task reads outputs of, and names in its `depends`, only tasks of its own
//!    region or of a region enclosing it (A0028). Values leave a region only through its
//!    construct.
//! 5. **Dependencies.** A task's full dependency expression is `Done(p)` for every task `p`
//!    whose outputs it reads (a data edge implies an ordering edge), and its own
//!    [`Task::depends`]. The graph of all dependencies is acyclic (A0001). A task starts
//!    once every task its expression names has finished, and is `Omitted` when the
//!    expression is then false.
//! 6. **Values.** Parameter values (constants, defaults, loop items) are in wire form: a
//!    `String` is itself when safe, everything else compact JSON (see [`crate::value`]).
//! 7. **Templates.** Tasks whose component and merged [`TaskConfig`] are equal share one
//!    Argo template; the template's identity is that content, never the task's position.
//! 8. **Determinism.** Every map is ordered (`IndexMap` in insertion order, `BTreeMap`
//!    sorted); serialising the same pipeline twice gives the same bytes.
//!
//! Constructs the IR can hold but no backend runs yet (sub-pipeline calls) are refused
//! by validation (A0029) until the emitter and the local runner both handle them. A loop body
//! is a DAG template called once per item on Argo and unrolled by the local runner once its
//! items are known; its tasks read the item through [`Argument::LoopItem`], and tasks after
//! it read an output of every iteration through [`Argument::Collected`]. Conditional
//! branches run (each a DAG template on Argo, decided once what it reads has finished). The
//! exit handler runs: one region, directly in the root, whose tasks see only each other (it is
//! Argo's `spec.onExit` template) and alone may read [`Argument::Run`]. A recursion (a
//! pipeline calling itself from a branch of its body) is held unrolled: a call region per
//! level up to the bound, each level's branch guarded by [`Condition::WithinDepth`]; Argo runs
//! the first level's template, which calls itself, and the runner runs the levels as written.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

pub mod repo_key;

pub use repo_key::{KeyPart, RepoKey, TimePart};

/// Where a pod fetches the pipeline binary from when its image is a stock one (a CUDA or
/// Python base) rather than one built with the binary: an input artifact of every native
/// template, so a code change needs a new binary uploaded, not a new image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinaryDelivery {
    /// An `http://` or `https://` URL Argo downloads the binary from (Argo's `http` artifact).
    Url(String),
    /// A key in the workflow's artifact repository (Argo's key-only artifact: bucket,
    /// endpoint and credentials come from the repository).
    Key(String),
}

impl BinaryDelivery {
    /// Parses `https://…`, `http://…` or `key:PATH` (a key in the artifact repository).
    pub fn parse(text: &str) -> Result<Self, String> {
        let plain = |s: &str| {
            !s.is_empty()
                && !s.contains("{{")
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        };
        if let Some(key) = text.strip_prefix("key:") {
            let key = key.trim_start_matches('/');
            if plain(key) {
                return Ok(Self::Key(key.to_owned()));
            }
        } else if (text.starts_with("https://") || text.starts_with("http://"))
            && plain(text.split_once("://").map_or("", |(_, rest)| rest))
        {
            return Ok(Self::Url(text.to_owned()));
        }
        Err(format!(
            "`{text}` is not a binary source: give `https://host/path/to/binary` or `key:path/in/the/artifact/repository` (no spaces, no `{{{{`)"
        ))
    }
}

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
    /// Where native tasks fetch the pipeline binary from when `image` does not hold it
    /// (`compile --deliver-binary`); it is put at `binary_path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_delivery: Option<BinaryDelivery>,
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
    /// The regions tasks belong to; a [`RegionId`] indexes this vector and `regions[0]` is
    /// the root. Omitted from the serialised form when the root is the only region.
    #[serde(
        default = "Region::root_only",
        skip_serializing_if = "Region::is_root_only"
    )]
    pub regions: Vec<Region>,
    /// Settings every task gets unless its component or the task itself says otherwise.
    #[serde(default, skip_serializing_if = "TaskConfig::is_default")]
    pub defaults: TaskConfig,
    /// What the pipeline returns, by output name: outputs of its tasks (Argo: the entrypoint
    /// template's outputs, which become the workflow's `status.outputs`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub outputs: IndexMap<String, Argument>,
    /// The kind of Argo object the pipeline compiles to, and a `CronWorkflow`'s schedule.
    #[serde(default, skip_serializing_if = "Publish::is_default")]
    pub publish: Publish,
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
    /// When Argo deletes the run's output artifacts from the repository
    /// (`spec.artifactGC.strategy`): one of [`crate::rules::syntax::ARTIFACT_GC_STRATEGIES`];
    /// `None` keeps them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_gc: Option<String>,
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
    /// At most this many pods run at once in the whole run (Argo `spec.parallelism`;
    /// `#[pipeline(parallelism = N)]`); `run` runs at most this many tasks at once too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    /// Whether the workflow and its templates emit argot's Prometheus metrics (run and task
    /// duration, status, attempts); `#[pipeline(telemetry = false)]` opts out.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub telemetry: bool,
    /// Once a task has failed, start no other (`#[pipeline(fail_fast = true)]`: Argo's
    /// template `failFast` on every DAG template of the body). The failure stops its own
    /// condition, loop iteration, call or hook at once, and the rest once the tasks that
    /// template started itself have finished. Tasks already running finish; the exit handler
    /// runs.
    #[serde(default, skip_serializing_if = "is_no")]
    pub fail_fast: bool,
}

fn is_no(b: &bool) -> bool {
    !*b
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
            artifact_gc: None,
            ttl: None,
            active_deadline: None,
            secure_defaults: true,
            run_as_user: None,
            parallelism: None,
            telemetry: true,
            fail_fast: false,
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
    /// What its values look like, recorded from the type (not its spelling): what `run -p`,
    /// `submit -p` and the runner check values against. `any` when absent.
    #[serde(default)]
    pub schema: crate::schema::TypeSchema,
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
    /// The region the task belongs to ([`RegionId::ROOT`] unless a scoped construct made it).
    #[serde(default, skip_serializing_if = "RegionId::is_root")]
    pub region: RegionId,
    /// Dependencies beyond the data edges: `.after(&task)` adds [`Depends::Done`], result-based
    /// methods add the other forms. `None` when only data edges order the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends: Option<Depends>,
    /// The task's own settings (retries, timeouts, caching, pod settings); merged over the
    /// component's and the pipeline's defaults (see [`TaskConfig::merged_over`]).
    #[serde(default, skip_serializing_if = "TaskSettings::is_default")]
    pub config: TaskSettings,
    /// Where the task was created, for diagnostics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
    /// The published template the cluster runs for this task instead of the component's own
    /// (`.template_ref(…)`); `None` for a task that runs its component here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_ref: Option<TemplateRef>,
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
    /// What the exit handler learns about the run (a `String` parameter).
    Run(RunValue),
    /// The output of whichever of these tasks ran: each is in a different conditional
    /// branch directly inside the reading task's region, at most one of which runs
    /// (KFP's `OneOf`). Output parameters only.
    OneOf(Vec<(TaskRef, String)>),
    /// The current item of loop `region` (a [`RegionKind::Loop`] around the reading task), or
    /// one field of it (Argo `{{item}}`, `{{item.field}}`), as Argo substitutes it
    /// ([`crate::value::argo_item_text`]).
    LoopItem {
        /// The loop.
        region: RegionId,
        /// The field of a struct item; `None` is the whole item.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
    },
    /// Every successful iteration's value of output parameter `output` of `task`, a task
    /// directly in a loop body, as the JSON list Argo aggregates (in iteration order; see
    /// [`crate::value::aggregate`]). Read from outside that loop.
    Collected {
        /// The producing task, in a loop body.
        task: TaskRef,
        /// The output's name.
        output: String,
    },
    /// A `String` assembled from text and values when the task starts (`format_arg!`), for a
    /// `String` input of a native component; see [`crate::value::format_text`] for how it
    /// travels.
    Format(Vec<FormatPart>),
    /// An artifact from outside the pipeline (`Dataset::from_url(…)`, `Artifact::raw(…)`):
    /// Argo fetches it into the pod itself (an argument artifact with a location).
    External {
        /// The artifact kind it is declared as (`Dataset`, …), checked like a task's output.
        kind: String,
        /// Where it comes from.
        source: ExternalSource,
    },
}

/// Where an artifact from outside the pipeline comes from: one of Argo's artifact locations
/// (`inputs.artifacts[].raw|http|s3|gcs|git`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExternalSource {
    /// A constant text, written into the file as it is.
    Raw {
        /// The file's content.
        data: String,
    },
    /// An `http://` or `https://` URL, downloaded with a GET.
    Http {
        /// The URL.
        url: String,
    },
    /// The URL a `String` parameter of the pipeline holds when the run starts.
    HttpFromParam {
        /// The pipeline parameter (of the root pipeline: not inside a sub-pipeline call).
        param: String,
    },
    /// An object of an S3-compatible store.
    S3 {
        /// The store's endpoint (`s3.amazonaws.com`, `minio.example.com:9000`).
        endpoint: String,
        /// The bucket.
        bucket: String,
        /// The object's key.
        key: String,
    },
    /// An object of Google Cloud Storage.
    Gcs {
        /// The bucket.
        bucket: String,
        /// The object's key.
        key: String,
    },
    /// A git repository, checked out at a revision.
    Git {
        /// The repository's URL.
        repo: String,
        /// A commit, tag or branch; `None` is the default branch's head.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        revision: Option<String>,
    },
}

impl ExternalSource {
    /// A short description for messages: `the URL https://…`, `s3://bucket/key`.
    pub fn describe(&self) -> String {
        match self {
            ExternalSource::Raw { .. } => "a constant text".to_owned(),
            ExternalSource::Http { url } => format!("the URL `{url}`"),
            ExternalSource::HttpFromParam { param } => {
                format!("the URL in pipeline parameter `{param}`")
            }
            ExternalSource::S3 {
                endpoint,
                bucket,
                key,
            } => format!("the S3 object `s3://{bucket}/{key}` (endpoint `{endpoint}`)"),
            ExternalSource::Gcs { bucket, key } => format!("the GCS object `gs://{bucket}/{key}`"),
            ExternalSource::Git { repo, revision } => match revision {
                Some(r) => format!("the git repository `{repo}` at `{r}`"),
                None => format!("the git repository `{repo}`"),
            },
        }
    }
}

/// One piece of a formatted string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormatPart {
    /// Text known when the pipeline is compiled (constants are shown when traced).
    Text(String),
    /// A pipeline parameter, shown as its declared type is.
    PipelineParam {
        /// The parameter's name.
        name: String,
        /// How its value is shown.
        display: crate::value::DisplayAs,
    },
    /// An output parameter of another task, shown as its declared type is.
    TaskOutput {
        /// The producing task.
        task: TaskRef,
        /// The output's name on the producing component.
        output: String,
        /// How its value is shown.
        display: crate::value::DisplayAs,
    },
}

/// A value about the whole run, known once its body has finished: only the exit handler's
/// tasks read them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunValue {
    /// `Succeeded`, `Failed` or `Error` (Argo `{{workflow.status}}`).
    Status,
    /// The failed and errored steps as JSON text, quoted as Argo quotes it (Argo
    /// `{{workflow.failures}}`).
    Failures,
}

impl Argument {
    /// Every task this argument reads from.
    pub fn tasks(&self) -> impl Iterator<Item = &TaskRef> {
        self.outputs().map(|(t, _)| t)
    }

    /// Every `(task, output)` this argument reads.
    pub fn outputs(&self) -> impl Iterator<Item = (&TaskRef, &str)> {
        let (one, many, parts) = match self {
            Argument::TaskOutput { task, output } | Argument::Collected { task, output } => {
                (Some((task, output.as_str())), &[][..], &[][..])
            }
            Argument::OneOf(options) => (None, &options[..], &[][..]),
            Argument::Format(parts) => (None, &[][..], &parts[..]),
            _ => (None, &[][..], &[][..]),
        };
        let parts = parts.iter().filter_map(|p| match p {
            FormatPart::TaskOutput { task, output, .. } => Some((task, output.as_str())),
            _ => None,
        });
        one.into_iter()
            .chain(many.iter().map(|(t, o)| (t, o.as_str())))
            .chain(parts)
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
    /// Settings every task of this component gets unless the task says otherwise; they
    /// override the pipeline's [`Pipeline::defaults`].
    #[serde(default, skip_serializing_if = "TaskConfig::is_default")]
    pub config: TaskConfig,
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
    /// An artifact input a task may leave unbound (`Option<Input<K>>`, Argo `optional: true`):
    /// the component then receives `None`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
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
        /// The Rust type (`f64`, `Vec<String>`, …), for messages.
        rust_type: String,
        /// What its values look like, recorded from the type; `any` when absent.
        #[serde(default)]
        schema: crate::schema::TypeSchema,
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

    /// The element kind of a collection (`Input<Collection<K>>`: `K`'s name), `None` for
    /// anything else.
    pub fn collection_of(&self) -> Option<&str> {
        match self {
            IoKind::Artifact { kind } => collection_element(kind),
            IoKind::Parameter { .. } => None,
        }
    }
}

/// The IR's name of a collection of `element` artifacts (`Collection<Model>`).
pub fn collection_kind(element: &str) -> String {
    format!("Collection<{element}>")
}

/// The element kind of collection kind `kind` (`Collection<Model>` → `Model`), or `None`.
pub fn collection_element(kind: &str) -> Option<&str> {
    kind.strip_prefix("Collection<")?.strip_suffix('>')
}

/// The output parameter under which a task whose output artifact `output` is collected
/// reports the name it saved that artifact under (on Argo the pod's name; the `-` keeps it
/// apart from every output name, which are Rust identifiers).
pub fn collected_entry_output(output: &str) -> String {
    format!("{output}-entry")
}

/// The input parameter of a component's template holding the entries of its collection
/// input `input`, in item order (a JSON list of names).
pub fn collection_entries_input(input: &str) -> String {
    format!("{input}-entries")
}

/// One input of a task that reads an output *artifact* of a loop's task collected after the
/// loop (`Argument::Collected` of an artifact output).
pub struct CollectedArtifactRead<'a> {
    /// The reading task.
    pub reader: TaskId,
    /// The reader's input.
    pub input: &'a str,
    /// The task in the loop body that produces it.
    pub producer: TaskId,
    /// The producer's output.
    pub output: &'a str,
}

/// Every input of `p`'s tasks that reads a collected output artifact, in task order.
pub fn collected_artifact_reads(p: &Pipeline) -> impl Iterator<Item = CollectedArtifactRead<'_>> {
    p.tasks.iter().enumerate().flat_map(move |(i, task)| {
        task.arguments.iter().filter_map(move |(input, argument)| {
            let Argument::Collected {
                task: TaskRef::Local(x),
                output,
            } = argument
            else {
                return None;
            };
            let producer = p.tasks.get(x.index())?;
            p.components
                .get(&producer.component)?
                .output(output)?
                .kind
                .is_artifact()
                .then_some(CollectedArtifactRead {
                    reader: TaskId(i as u32),
                    input,
                    producer: *x,
                    output,
                })
        })
    })
}

/// How a component runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Implementation {
    /// A Rust function in the pipeline binary, run as `<binary> component <name> …`.
    Native,
    /// Any image and command; inputs and outputs are placed into the argv by placeholders.
    Container(ContainerImpl),
    /// A Kubernetes object created, applied, patched or deleted by Argo itself (a `resource`
    /// template), awaited until a success or failure condition holds. Its outputs are
    /// [`IoKind::Parameter`] strings read from the object ([`ResourceImpl::outputs`]).
    Resource(ResourceImpl),
}

/// What a resource step does with its object (Argo `resource.action`, run by `kubectl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceAction {
    /// `kubectl create`: fails if the object exists.
    Create,
    /// `kubectl apply`: creates or updates.
    Apply,
    /// `kubectl patch` with [`ResourceImpl::merge_strategy`].
    Patch,
    /// `kubectl replace`.
    Replace,
    /// `kubectl delete`.
    Delete,
    /// `kubectl get`: reads an existing object (for its outputs or to await a condition).
    Get,
}

impl ResourceAction {
    /// Argo's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceAction::Create => "create",
            ResourceAction::Apply => "apply",
            ResourceAction::Patch => "patch",
            ResourceAction::Replace => "replace",
            ResourceAction::Delete => "delete",
            ResourceAction::Get => "get",
        }
    }
}

/// How a patch is merged (Argo `resource.mergeStrategy`; `strategic` when unset, which custom
/// resources do not support).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeStrategy {
    /// Kubernetes' strategic merge patch (built-in kinds only).
    Strategic,
    /// JSON merge patch (RFC 7386).
    Merge,
    /// JSON patch (RFC 6902).
    Json,
}

impl MergeStrategy {
    /// Argo's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MergeStrategy::Strategic => "strategic",
            MergeStrategy::Merge => "merge",
            MergeStrategy::Json => "json",
        }
    }
}

/// The resource step of a [`Implementation::Resource`] component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceImpl {
    /// What is done with the object.
    pub action: ResourceAction,
    /// The object as YAML (Argo substitutes `{{…}}` in it before `kubectl` sees it).
    pub manifest: String,
    /// The patch strategy (patch only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_strategy: Option<MergeStrategy>,
    /// Makes the workflow the object's owner, so deleting the workflow deletes the object.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub set_owner_reference: bool,
    /// The step succeeds once every requirement holds; empty: as soon as the action is done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub success: Vec<SelectorRequirement>,
    /// The step fails once every requirement holds; empty: never fails by a condition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failure: Vec<SelectorRequirement>,
    /// Where each output parameter is read from in the object, in output order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<ResourceOutput>,
    /// Pipeline values placed in the object when the step runs, each at a position of it
    /// ([`ResourceValue`]); `manifest` holds the object as written, with whatever it had there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<ResourceValue>,
}

/// A value of the run placed in a resource step's object: input parameter `input` of the
/// step's component, written at JSON pointer `at` (RFC 6901: `/spec/replicas`,
/// `/spec/containers/0/image`, `~1` for `/` and `~0` for `~` in a key). Argo substitutes it
/// into the manifest before `kubectl` reads it (`SubstituteParams` in
/// `workflow/common/util.go` substitutes the whole template, `resource.manifest` included),
/// as an `expr` expression that writes the value as a JSON literal, so any value keeps the
/// manifest valid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceValue {
    /// Where in the object (a JSON pointer).
    pub at: String,
    /// The component input whose value goes there.
    pub input: String,
}

/// The reference tokens of JSON pointer `at` (RFC 6901), unescaped; `Err` says why `at` is
/// not a JSON pointer to a field.
pub fn pointer_tokens(at: &str) -> Result<Vec<String>, String> {
    let Some(rest) = at.strip_prefix('/') else {
        return Err("it must start with `/`".to_owned());
    };
    rest.split('/')
        .map(|token| {
            let mut out = String::new();
            let mut chars = token.chars();
            while let Some(c) = chars.next() {
                if c != '~' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('0') => out.push('~'),
                    Some('1') => out.push('/'),
                    _ => {
                        return Err(
                            "a `~` is not followed by `0` or `1` (write `~0` for `~`, `~1` for `/`)"
                                .to_owned(),
                        );
                    }
                }
            }
            Ok(out)
        })
        .collect()
}

/// One output parameter of a resource step and where Argo reads it from the object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceOutput {
    /// The output's name (an [`OutputSpec`] of the component).
    pub name: String,
    /// The query.
    pub from: ResourceQuery,
}

/// A query over the object a resource step manages (Argo `valueFrom.jsonPath` / `jqFilter`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceQuery {
    /// A `kubectl -o jsonpath=` template, such as `{.metadata.name}`.
    JsonPath(String),
    /// A `jq` filter, such as `.status.phase`.
    JqFilter(String),
}

/// One requirement of a resource step's success or failure condition: Argo parses a
/// condition as a Kubernetes label selector whose keys are paths into the object
/// (`status.succeeded > 0`), requirements separated by commas all having to hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectorRequirement {
    /// A dotted path into the object (`status.phase`).
    pub path: String,
    /// The comparison.
    pub op: SelectorOp,
    /// The operands: one for `==`, `!=`, `>`, `<`; one or more for `in`, `notin`; none for
    /// `exists` and `!`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// The operators of a label selector, as Argo evaluates them against the object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectorOp {
    /// `path == value`.
    Equals,
    /// `path != value` (also true when the path is absent).
    NotEquals,
    /// `path > n`, integers only.
    GreaterThan,
    /// `path < n`, integers only.
    LessThan,
    /// `path in (a, b)`.
    In,
    /// `path notin (a, b)`.
    NotIn,
    /// `path`: the path exists.
    Exists,
    /// `!path`: the path does not exist.
    DoesNotExist,
}

impl std::fmt::Display for SelectorRequirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = &self.path;
        let first = self.values.first().map(String::as_str).unwrap_or("");
        match self.op {
            SelectorOp::Equals => write!(f, "{path} == {first}"),
            SelectorOp::NotEquals => write!(f, "{path} != {first}"),
            SelectorOp::GreaterThan => write!(f, "{path} > {first}"),
            SelectorOp::LessThan => write!(f, "{path} < {first}"),
            SelectorOp::In => write!(f, "{path} in ({})", self.values.join(",")),
            SelectorOp::NotIn => write!(f, "{path} notin ({})", self.values.join(",")),
            SelectorOp::Exists => write!(f, "{path}"),
            SelectorOp::DoesNotExist => write!(f, "!{path}"),
        }
    }
}

/// A whole condition as Argo reads it: the requirements joined by commas (all must hold).
pub fn selector_text(requirements: &[SelectorRequirement]) -> String {
    requirements
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
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
    /// Outputs the image writes at a path of its own choosing (`/tmp/results.txt`) instead of
    /// argot's, by output name: Argo collects them from there (`outputs.artifacts[].path`,
    /// `outputs.parameters[].valueFrom.path`), for images that cannot be changed.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub output_paths: IndexMap<String, String>,
}

impl ContainerImpl {
    /// Where the image writes output `name`: its own path, or `None` for argot's.
    pub fn output_path(&self, name: &str) -> Option<&str> {
        self.output_paths.get(name).map(String::as_str)
    }
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

/// Index of a region in [`Pipeline::regions`].
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct RegionId(pub u32);

impl RegionId {
    /// The pipeline body itself.
    pub const ROOT: RegionId = RegionId(0);

    /// The index as a `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// True for [`RegionId::ROOT`].
    pub fn is_root(&self) -> bool {
        *self == Self::ROOT
    }
}

/// A scope of the pipeline body: the root, or a construct nested in another region.
///
/// A task sees the outputs of the tasks in its own region and in every enclosing region;
/// what a nested region produces leaves it only through that region's own construct (a
/// branch selection, a loop's collection, a sub-pipeline's outputs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// What the region is.
    pub kind: RegionKind,
    /// The enclosing region; `None` only for the root. Always a smaller index than the
    /// region's own, so the regions form a tree in creation order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<RegionId>,
    /// Where the construct was written, for diagnostics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
}

impl Region {
    /// The root region.
    pub fn root() -> Self {
        Region {
            kind: RegionKind::Root,
            parent: None,
            location: None,
        }
    }

    /// A pipeline's region list before any construct nests one: the root alone.
    pub fn root_only() -> Vec<Region> {
        vec![Region::root()]
    }

    /// True when `regions` is [`Region::root_only`] (the IR then omits it).
    pub fn is_root_only(regions: &[Region]) -> bool {
        matches!(regions, [r] if *r == Region::root())
    }
}

/// The construct a [`Region`] stands for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    /// The pipeline body (Argo: the entrypoint DAG template).
    Root,
    /// Tasks that run only when `condition` holds (Argo: `when` on the tasks, or on a nested
    /// DAG task).
    Branch {
        /// The condition, evaluated once the operands it reads are available.
        condition: Condition,
    },
    /// Tasks run once per item (Argo: a nested DAG template called with `withItems` or
    /// `withParam`).
    Loop {
        /// Where the items come from.
        items: LoopItems,
        /// How many iterations may run at once; `None` is no limit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parallelism: Option<u32>,
    },
    /// Tasks that run after everything else, whatever happened (Argo: `spec.onExit`).
    ExitHandler,
    /// Tasks that run when one task of the parent region ends with a result (Argo: a
    /// lifecycle hook on that task's DAG task, `hooks`).
    Hook {
        /// The task the hook is on (in the parent region).
        task: TaskId,
        /// When the hook runs.
        on: HookEvent,
    },
    /// A call of another pipeline as a reusable DAG template with its own inputs and outputs.
    ///
    /// Its tasks are the called pipeline's, traced again for each call; their names are
    /// qualified by the call's (`prepare.download`), the path Argo gives their nodes. Inside
    /// it, [`Argument::PipelineParam`] names a parameter of the called pipeline: the argument
    /// the call binds to it.
    Call {
        /// The called pipeline's name (its DAG template's, shared by every call).
        pipeline: String,
        /// The call's name in its parent: the DAG task that runs it.
        name: String,
        /// The called pipeline's parameters, bound like a task's inputs, in the parent's
        /// terms.
        #[serde(default)]
        arguments: IndexMap<String, Argument>,
        /// What the called pipeline returns, by output name: outputs of its tasks.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        outputs: IndexMap<String, Argument>,
    },
}

/// When a task's hook runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HookEvent {
    /// The task succeeded.
    Success,
    /// The task failed or errored.
    Failure,
    /// The task ran to an end, well or not (succeeded, failed or errored); not when it was
    /// skipped or omitted.
    Exit,
}

impl HookEvent {
    /// The DSL method that adds the hook.
    pub fn method(self) -> &'static str {
        match self {
            HookEvent::Success => "on_success",
            HookEvent::Failure => "on_failure",
            HookEvent::Exit => "on_exit",
        }
    }

    /// Whether a task that ended with `result` triggers the hook.
    pub fn fires_on(self, result: TaskResult) -> bool {
        match self {
            HookEvent::Success => result == TaskResult::Succeeded,
            HookEvent::Failure => matches!(result, TaskResult::Failed | TaskResult::Errored),
            HookEvent::Exit => matches!(
                result,
                TaskResult::Succeeded | TaskResult::Failed | TaskResult::Errored
            ),
        }
    }
}

/// A task's result as Argo's `depends` names it (`DAGTask.depends`, evaluated by
/// `evaluateDependsLogic` in `workflow/controller/dag.go`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaskResult {
    /// The task succeeded.
    Succeeded,
    /// The task's main container failed.
    Failed,
    /// The task could not run (a controller-side error).
    Errored,
    /// The task's `when` was false.
    Skipped,
    /// The task never ran because its own `depends` was false.
    Omitted,
    /// The task is a daemon that has started.
    Daemoned,
}

impl TaskResult {
    /// Every result, in Argo's order.
    pub const ALL: [TaskResult; 6] = [
        TaskResult::Succeeded,
        TaskResult::Failed,
        TaskResult::Errored,
        TaskResult::Skipped,
        TaskResult::Omitted,
        TaskResult::Daemoned,
    ];

    /// The name Argo's expression uses (`A.Failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            TaskResult::Succeeded => "Succeeded",
            TaskResult::Failed => "Failed",
            TaskResult::Errored => "Errored",
            TaskResult::Skipped => "Skipped",
            TaskResult::Omitted => "Omitted",
            TaskResult::Daemoned => "Daemoned",
        }
    }
}

/// A `depends` expression: when a task may start, in terms of other tasks' results.
///
/// A task's full expression is the conjunction of [`Depends::Done`] for each task whose
/// outputs it reads and its own [`Task::depends`]; a task starts once every task the
/// expression names has finished, and is `Omitted` if the expression is then false.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Depends {
    /// The task finished well: Succeeded, Skipped or Daemoned — what a bare task name means
    /// to Argo (`A` resolves to `(A.Succeeded || A.Skipped || A.Daemoned)`: `dagContext.dependsLogic`
    /// in `workflow/controller/dag.go`).
    Done(TaskRef),
    /// The task ended with this result (`A.Failed`).
    Result {
        /// The task.
        task: TaskRef,
        /// The result.
        result: TaskResult,
    },
    /// At least one iteration of a looped task succeeded (`A.AnySucceeded`).
    AnySucceeded(TaskRef),
    /// Every iteration of a looped task failed (`A.AllFailed`).
    AllFailed(TaskRef),
    /// All of them hold (`&&`).
    And(Vec<Depends>),
    /// Any of them holds (`||`).
    Or(Vec<Depends>),
    /// It does not hold (`!`).
    Not(Box<Depends>),
}

impl Depends {
    /// `self && other`, flattening nested conjunctions.
    pub fn and(self, other: Depends) -> Depends {
        let mut terms = match self {
            Depends::And(v) => v,
            d => vec![d],
        };
        match other {
            Depends::And(v) => terms.extend(v),
            d => terms.push(d),
        }
        Depends::And(terms)
    }

    /// True when `pred` holds for a task the expression names (without collecting them).
    pub fn any_task(&self, pred: &dyn Fn(&TaskRef) -> bool) -> bool {
        match self {
            Depends::Done(t)
            | Depends::Result { task: t, .. }
            | Depends::AnySucceeded(t)
            | Depends::AllFailed(t) => pred(t),
            Depends::And(v) | Depends::Or(v) => v.iter().any(|d| d.any_task(pred)),
            Depends::Not(d) => d.any_task(pred),
        }
    }

    /// Every task the expression names, in the order written (with repeats).
    pub fn tasks(&self) -> Vec<&TaskRef> {
        let mut out = Vec::new();
        self.collect_tasks(&mut out);
        out
    }

    fn collect_tasks<'a>(&'a self, out: &mut Vec<&'a TaskRef>) {
        match self {
            Depends::Done(t)
            | Depends::Result { task: t, .. }
            | Depends::AnySucceeded(t)
            | Depends::AllFailed(t) => out.push(t),
            Depends::And(v) | Depends::Or(v) => v.iter().for_each(|d| d.collect_tasks(out)),
            Depends::Not(d) => d.collect_tasks(out),
        }
    }
}

/// A run-time condition over pipeline parameters and task outputs (Argo `when`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// `left op right`; both operands have the same declared type (rustc checked it).
    Compare {
        /// Left operand.
        left: Operand,
        /// The comparison.
        op: CompareOp,
        /// Right operand.
        right: Operand,
        /// How the operands' wire forms compare.
        kind: CompareKind,
    },
    /// All hold.
    And(Vec<Condition>),
    /// Any holds.
    Or(Vec<Condition>),
    /// It does not hold.
    Not(Box<Condition>),
    /// The recursion bound of a pipeline that calls itself: holds while the depth of the
    /// sub-pipeline call around the condition is below `max_depth` (the first call is depth
    /// 1), so a call at depth `max_depth` does not recurse. Tracing conjoins it to the
    /// condition of the branch that holds the recursive call (`#[pipeline(max_depth = N)]`);
    /// see [`call_depth`].
    WithinDepth {
        /// The most levels the recursion runs, the first call included.
        max_depth: u32,
    },
}

/// How a comparison reads its operands' wire forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareKind {
    /// As text, equal or not (strings, booleans): equal values have equal wire forms.
    Text,
    /// As 64-bit integers.
    Integer,
    /// As 64-bit floats.
    Float,
}

impl Condition {
    /// Every operand, in the order written.
    pub fn operands(&self) -> Vec<&Operand> {
        fn walk<'a>(c: &'a Condition, out: &mut Vec<&'a Operand>) {
            match c {
                Condition::Compare { left, right, .. } => {
                    out.push(left);
                    out.push(right);
                }
                Condition::And(v) | Condition::Or(v) => v.iter().for_each(|c| walk(c, out)),
                Condition::Not(c) => walk(c, out),
                Condition::WithinDepth { .. } => {}
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// A short, readable form for messages and pictures (`output of train >= 0.9`), naming
    /// tasks with `task_name`.
    pub fn describe(&self, task_name: &dyn Fn(TaskId) -> String) -> String {
        let operand = |o: &Operand| match o {
            Operand::Constant(text) => text.clone(),
            Operand::PipelineParam(name) => format!("parameter {name}"),
            Operand::TaskOutput {
                task: TaskRef::Local(t),
                output,
            } => format!("{output} of {}", task_name(*t)),
            Operand::TaskOutput {
                task: TaskRef::Foreign { pipeline, task },
                output,
            } => format!("{output} of {task} of pipeline {pipeline}"),
            Operand::LoopItem { field: None, .. } => "the item".to_owned(),
            Operand::LoopItem {
                field: Some(field), ..
            } => format!("field {field} of the item"),
        };
        match self {
            Condition::Compare {
                left, op, right, ..
            } => format!("{} {} {}", operand(left), op.symbol(), operand(right)),
            Condition::And(v) | Condition::Or(v) => {
                let sep = if matches!(self, Condition::And(_)) {
                    " and "
                } else {
                    " or "
                };
                v.iter()
                    .map(|c| format!("({})", c.describe(task_name)))
                    .collect::<Vec<_>>()
                    .join(sep)
            }
            Condition::Not(c) => format!("not ({})", c.describe(task_name)),
            Condition::WithinDepth { max_depth } => format!("depth < {max_depth}"),
        }
    }

    /// The recursion bound this condition carries ([`Condition::WithinDepth`]), if any.
    pub fn max_depth(&self) -> Option<u32> {
        match self {
            Condition::WithinDepth { max_depth } => Some(*max_depth),
            Condition::And(v) | Condition::Or(v) => v.iter().find_map(Condition::max_depth),
            Condition::Not(c) => c.max_depth(),
            Condition::Compare { .. } => None,
        }
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    /// The operator as written in `expr` and in messages (`==`, `<=`, …).
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// An operand of a [`Condition`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operand {
    /// A constant, in wire form.
    Constant(String),
    /// A pipeline parameter, by name.
    PipelineParam(String),
    /// An output parameter of a task.
    TaskOutput {
        /// The producing task.
        task: TaskRef,
        /// The output's name.
        output: String,
    },
    /// The current item of loop `region` around the branch, or a field of it (as
    /// [`Argument::LoopItem`]).
    LoopItem {
        /// The loop.
        region: RegionId,
        /// The field of a struct item; `None` is the whole item.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
    },
}

/// Where a loop's items come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoopItems {
    /// A list known when compiling, each item in wire form (Argo `withItems`).
    Static(Vec<String>),
    /// A list-typed pipeline parameter (Argo `withParam`).
    PipelineParam(String),
    /// A list-typed output of a task (Argo `withParam`).
    TaskOutput {
        /// The producing task.
        task: TaskRef,
        /// The output's name.
        output: String,
    },
}

/// Per-task settings. Argo keeps these on the *template*, so tasks whose merged settings
/// differ get distinct templates (see [`crate::validate::Names`]). Pod-level fields use
/// Kubernetes' own types, serialised exactly as the API server expects them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskConfig {
    /// Retrying a failed task (Argo `retryStrategy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryPolicy>,
    /// Argo's template `timeout`: a duration (`30m`) counted from when the pod is created,
    /// Pending time included, enforced by the controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Argo's template `activeDeadlineSeconds`: seconds the pod may run once started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    /// `Some(false)`: never reuse a cached result of this task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<bool>,
    /// CPU, memory and extended resources of the main container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<k8s_openapi::api::core::v1::ResourceRequirements>,
    /// Node labels the pod must be scheduled on.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Taints the pod tolerates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<k8s_openapi::api::core::v1::Toleration>,
    /// Environment variables of the main container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<k8s_openapi::api::core::v1::EnvVar>,
    /// Volumes of the pod.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<k8s_openapi::api::core::v1::Volume>,
    /// Where the main container mounts them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volume_mounts: Vec<k8s_openapi::api::core::v1::VolumeMount>,
    /// Reusing a result on the cluster (Argo `memoize`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memoize: Option<Memoize>,
    /// Labels of the pod.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations of the pod.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// When the kubelet pulls the image (`Always`, `IfNotPresent`, `Never`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    /// The pod's service account, instead of the workflow's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// The pod's priority class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class: Option<String>,
    /// The scheduler that places the pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,
    /// Mutexes the task holds while it runs (Argo `synchronization.mutexes`): no two tasks
    /// holding one run at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mutexes: Vec<String>,
    /// Semaphores the task holds a slot of while it runs (Argo `synchronization.semaphores`):
    /// at most the limit a config map key holds run at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub semaphores: Vec<SemaphoreRef>,
    /// How each output artifact, by name, is packed and collected on the cluster.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, OutputOptions>,
    /// The image the task runs in, instead of the pipeline's (native components) or the
    /// component's own (container components); may hold [`setting_placeholder`]s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The main container's security context, over argot's secure default
    /// (`allowPrivilegeEscalation: false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<k8s_openapi::api::core::v1::SecurityContext>,
    /// The pod's security context (the template's `securityContext`), over the workflow's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_security_context: Option<k8s_openapi::api::core::v1::PodSecurityContext>,
    /// Where the pod may be scheduled, next to which pods (the template's `affinity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<k8s_openapi::api::core::v1::Affinity>,
    /// Volumes created for the run and shared by the tasks that mount them (Argo's
    /// `spec.volumeClaimTemplates`); each is mounted by an entry of `volume_mounts` with its
    /// name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub run_volumes: Vec<RunVolume>,
    /// Containers running beside the main one for the pod's life (Argo `sidecars`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sidecars: Vec<k8s_openapi::api::core::v1::Container>,
    /// Containers run to completion, in order, before the main one (Argo `initContainers`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<k8s_openapi::api::core::v1::Container>,
    /// Typed edits of the generated template (`edit_template`), applied in order after
    /// everything above: the pipeline's defaults' first, then the task's. The IR records
    /// where each was written, not the closure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<TemplateEditFn>,
}

/// What an `edit_template` closure receives and changes: the template argot generated for
/// a task, as Kubernetes' own types. Every field it sets is emitted (the main container
/// whole, the pod fields as Argo's `podSpecPatch`) and, where it means something on one
/// machine, honoured by `run`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TemplateEdit {
    /// The main container as argot generated it (named `main`, as Argo names it: its image,
    /// command, arguments, environment, resources, mounts and security context). Set any
    /// field of it; the name stays `main`.
    pub container: k8s_openapi::api::core::v1::Container,
    /// Pod fields argot does not model (`hostAliases`, `dnsConfig`, `runtimeClassName`,
    /// `terminationGracePeriodSeconds`, …), empty at first: emitted as the template's
    /// `podSpecPatch`, a strategic merge patch Argo lays over the pod it made. Its
    /// `containers` and `initContainers` stay empty (edit `container`, or use `add_sidecar`
    /// and `add_init_container`).
    pub pod: k8s_openapi::api::core::v1::PodSpec,
    /// The labels of the template's pods (`metadata.labels`), argot's own included.
    pub labels: BTreeMap<String, String>,
    /// The annotations of the template's pods (`metadata.annotations`).
    pub annotations: BTreeMap<String, String>,
}

/// The closure of an `edit_template` call.
pub type EditClosure = dyn Fn(&mut TemplateEdit) + Send + Sync;

/// One `edit_template` call: the closure, beside the IR (serde skips it), and what the IR
/// records of it — where it was written and its number in the trace, so that tasks edited
/// by different calls get different templates, and the IR stays the same from run to run.
#[derive(Clone)]
pub struct TemplateEditFn {
    /// `file:line:column` of the call.
    pub at: String,
    /// The call's number among the trace's `edit_template` calls.
    pub n: u32,
    edit: Option<std::sync::Arc<EditClosure>>,
}

impl TemplateEditFn {
    /// The edit `edit`, written at `at`, the trace's `n`-th.
    pub fn new(at: String, n: u32, edit: std::sync::Arc<EditClosure>) -> TemplateEditFn {
        TemplateEditFn {
            at,
            n,
            edit: Some(edit),
        }
    }

    /// Applies the closure to `template`; `None` when this edit was read back from
    /// serialised IR, which cannot hold a closure.
    pub fn apply(&self, template: &mut TemplateEdit) -> Option<()> {
        let edit = self.edit.as_ref()?;
        edit(template);
        Some(())
    }
}

impl std::fmt::Debug for TemplateEditFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateEditFn")
            .field("at", &self.at)
            .field("n", &self.n)
            .field("closure", &self.edit.is_some())
            .finish()
    }
}

/// Two edits are the same call of the same trace: the number tells calls apart, the place
/// says where it was written (equal closures made by one call in a loop share a number).
impl PartialEq for TemplateEditFn {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at && self.n == other.n
    }
}

#[derive(Serialize, Deserialize)]
struct EditRecord {
    at: String,
    n: u32,
}

impl Serialize for TemplateEditFn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EditRecord {
            at: self.at.clone(),
            n: self.n,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for TemplateEditFn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let record = EditRecord::deserialize(d)?;
        Ok(TemplateEditFn {
            at: record.at,
            n: record.n,
            edit: None,
        })
    }
}

/// A persistent volume claim created when the run starts and deleted with it (one of Argo's
/// `spec.volumeClaimTemplates`): tasks that mount it share its files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunVolume {
    /// The claim template's name, which the mounts name (Argo names the claim
    /// `<workflow>-<name>`).
    pub name: String,
    /// How much storage it requests (a quantity: `10Gi`).
    pub size: String,
    /// The storage class; `None` is the cluster's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
}

/// How one output artifact is packed before upload and when Argo deletes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputOptions {
    /// The archive format (`outputs.artifacts[].archive`); `None`: the component kind's
    /// default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<Archive>,
    /// When Argo deletes it (`outputs.artifacts[].artifactGC.strategy`); `None`: the
    /// workflow's `artifact_gc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gc: Option<ArtifactGc>,
    /// Set by validation, never by the DSL: the output is collected after its loop, and each
    /// iteration saves it under this key prefix of the artifact repository, in an entry of
    /// its own (see `emit::argo`). A template with it is a variant of its own, so tasks whose
    /// output is not collected emit what they always did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collect: Option<String>,
    /// Where it is stored in the workflow's artifact repository (a key-only
    /// `outputs.artifacts[].s3.key`); `None`: where the repository's `keyFormat` puts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<RepoKey>,
}

impl OutputOptions {
    /// Each field from `self` where set, else from `base`.
    pub fn merged_over(&self, base: &OutputOptions) -> OutputOptions {
        OutputOptions {
            archive: self.archive.or(base.archive),
            gc: self.gc.or(base.gc),
            collect: self.collect.clone().or_else(|| base.collect.clone()),
            key: self.key.clone().or_else(|| base.key.clone()),
        }
    }
}

/// How Argo packs an output artifact before it uploads it (`ArchiveStrategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Archive {
    /// As it is: a single file stays readable in the repository and Argo's UI.
    None,
    /// A gzipped tarball (Argo's default).
    Tar,
    /// A zip file.
    Zip,
}

/// When Argo deletes an output artifact from the repository (`ArtifactGCStrategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArtifactGc {
    /// When the workflow completes.
    OnWorkflowCompletion,
    /// When the workflow object is deleted.
    OnWorkflowDeletion,
    /// Never (overrides a workflow-level strategy).
    Never,
}

impl ArtifactGc {
    /// The name Argo uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactGc::OnWorkflowCompletion => "OnWorkflowCompletion",
            ArtifactGc::OnWorkflowDeletion => "OnWorkflowDeletion",
            ArtifactGc::Never => "Never",
        }
    }
}

/// A semaphore whose limit is key `key` of config map `config_map` (Argo's
/// `configMapKeyRef`); the controller reads the limit when it starts a holder.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SemaphoreRef {
    /// The config map holding the limit.
    pub config_map: String,
    /// The key whose value is the limit (a whole number).
    pub key: String,
}

impl SemaphoreRef {
    /// `CONFIG_MAP/KEY`: how `run --semaphore` names it.
    pub fn id(&self) -> String {
        format!("{}/{}", self.config_map, self.key)
    }
}

/// What an argument bound to a setting's value is called: `argot-setting-N`. A `-` keeps it
/// apart from every component input (a Rust identifier), and Argo takes it as a parameter
/// name (`isValidParamOrArtifactName`: `^[-a-zA-Z0-9_]+$`).
pub const SETTING_INPUT_PREFIX: &str = "argot-setting-";

/// True when `input` (a key of [`Task::arguments`]) is a setting's value, not a component
/// input.
pub fn is_setting_input(input: &str) -> bool {
    input.starts_with(SETTING_INPUT_PREFIX)
}

/// What a setting's text holds where a run-time value goes: the placeholder Argo replaces
/// with input parameter `input` of the template (`SubstituteParams` in
/// `workflow/common/util.go` substitutes the whole template, env values, image and
/// `metadata` included), and the local runner with the same value.
pub fn setting_placeholder(input: &str) -> String {
    format!("{{{{inputs.parameters.{input}}}}}")
}

/// The `{{…}}` tags of a setting's text, in order, with their byte ranges (the tag's inside
/// trimmed as fasttemplate leaves it: Argo trims spaces inside a tag).
pub fn setting_tags(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut tags = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let Some(close) = text[open + 2..].find("}}").map(|i| open + 2 + i) else {
            break;
        };
        tags.push((open..close + 2, text[open + 2..close].trim()));
        from = close + 2;
    }
    tags
}

/// The setting input a tag of [`setting_tags`] names, if it is a setting placeholder.
pub fn setting_tag_input(tag: &str) -> Option<&str> {
    tag.strip_prefix("inputs.parameters.")
        .filter(|input| is_setting_input(input))
}

/// Argo's `memoize`: a template's outputs are kept in a config map under a key built from the
/// component's code and the task's input parameters, and reused while younger than
/// `max_age`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memoize {
    /// The config map holding the cache (it needs the label
    /// `workflows.argoproj.io/configmap-type: Cache`).
    pub config_map: String,
    /// How long an entry is reused (a Go duration: `10m`, `24h`); `None` is for ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<String>,
}

impl TaskConfig {
    /// True when nothing is set (the IR then omits it, and the task shares its component's
    /// plain template).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// `self` laid over `base`: a field `self` sets wins (a security context or an affinity
    /// whole); maps merge key by key; lists keyed by name (env, volumes, mounts by path)
    /// replace `base`'s entry of the same name and otherwise append; tolerations append.
    pub fn merged_over(&self, base: &TaskConfig) -> TaskConfig {
        fn keyed<T: Clone>(base: &[T], top: &[T], key: impl Fn(&T) -> &str) -> Vec<T> {
            let mut out: Vec<T> = base
                .iter()
                .filter(|b| !top.iter().any(|t| key(t) == key(b)))
                .cloned()
                .collect();
            out.extend(top.iter().cloned());
            out
        }
        let mut node_selector = base.node_selector.clone();
        node_selector.extend(self.node_selector.clone());
        let mut tolerations = base.tolerations.clone();
        tolerations.extend(
            self.tolerations
                .iter()
                .filter(|t| !base.tolerations.contains(t))
                .cloned(),
        );
        TaskConfig {
            retry: match (&self.retry, &base.retry) {
                (Some(top), Some(base)) => Some(top.merged_over(base)),
                (top, base) => top.clone().or_else(|| base.clone()),
            },
            timeout: self.timeout.clone().or_else(|| base.timeout.clone()),
            active_deadline_seconds: self
                .active_deadline_seconds
                .or(base.active_deadline_seconds),
            cache: self.cache.or(base.cache),
            resources: merged_resources(self.resources.as_ref(), base.resources.as_ref()),
            node_selector,
            tolerations,
            env: keyed(&base.env, &self.env, |e| &e.name),
            volumes: keyed(&base.volumes, &self.volumes, |v| &v.name),
            volume_mounts: keyed(&base.volume_mounts, &self.volume_mounts, |m| &m.mount_path),
            memoize: self.memoize.clone().or_else(|| base.memoize.clone()),
            labels: base
                .labels
                .clone()
                .into_iter()
                .chain(self.labels.clone())
                .collect(),
            annotations: base
                .annotations
                .clone()
                .into_iter()
                .chain(self.annotations.clone())
                .collect(),
            image_pull_policy: self
                .image_pull_policy
                .clone()
                .or_else(|| base.image_pull_policy.clone()),
            service_account: self
                .service_account
                .clone()
                .or_else(|| base.service_account.clone()),
            priority_class: self
                .priority_class
                .clone()
                .or_else(|| base.priority_class.clone()),
            scheduler_name: self
                .scheduler_name
                .clone()
                .or_else(|| base.scheduler_name.clone()),
            mutexes: {
                let mut all = base.mutexes.clone();
                all.extend(
                    self.mutexes
                        .iter()
                        .filter(|m| !base.mutexes.contains(m))
                        .cloned(),
                );
                all
            },
            outputs: {
                let mut all = base.outputs.clone();
                for (name, own) in &self.outputs {
                    let merged = all
                        .get(name)
                        .map_or_else(|| own.clone(), |b| own.merged_over(b));
                    all.insert(name.clone(), merged);
                }
                all
            },
            semaphores: {
                let mut all = base.semaphores.clone();
                all.extend(
                    self.semaphores
                        .iter()
                        .filter(|s| !base.semaphores.contains(s))
                        .cloned(),
                );
                all
            },
            image: self.image.clone().or_else(|| base.image.clone()),
            security_context: self
                .security_context
                .clone()
                .or_else(|| base.security_context.clone()),
            pod_security_context: self
                .pod_security_context
                .clone()
                .or_else(|| base.pod_security_context.clone()),
            affinity: self.affinity.clone().or_else(|| base.affinity.clone()),
            run_volumes: keyed(&base.run_volumes, &self.run_volumes, |v| &v.name),
            sidecars: keyed(&base.sidecars, &self.sidecars, |c| &c.name),
            init_containers: keyed(&base.init_containers, &self.init_containers, |c| &c.name),
            edits: base
                .edits
                .iter()
                .chain(self.edits.iter().filter(|e| !base.edits.contains(e)))
                .cloned()
                .collect(),
        }
    }

    /// Every text of these settings a run-time value may be part of, with what it is for
    /// messages: environment values, pod label and annotation values, the image.
    pub fn templated_texts(&self) -> Vec<(String, &str)> {
        let mut texts: Vec<(String, &str)> = Vec::new();
        for env in &self.env {
            if let Some(value) = &env.value {
                texts.push((format!("environment variable `{}`", env.name), value));
            }
        }
        for (key, value) in &self.labels {
            texts.push((format!("pod label `{key}`"), value));
        }
        for (key, value) in &self.annotations {
            texts.push((format!("pod annotation `{key}`"), value));
        }
        if let Some(image) = &self.image {
            texts.push(("the image".to_owned(), image));
        }
        texts
    }

    /// These settings with every setting placeholder replaced by its value in `values`
    /// (input name → wire text); a placeholder without a value is left as it is.
    pub fn with_setting_values(&self, values: &[(String, String)]) -> TaskConfig {
        let fill = |text: &str| -> String {
            let mut out = String::with_capacity(text.len());
            let mut last = 0;
            for (range, tag) in setting_tags(text) {
                let value = setting_tag_input(tag)
                    .and_then(|input| values.iter().find(|(n, _)| n == input))
                    .map(|(_, v)| v.as_str());
                if let Some(value) = value {
                    out.push_str(&text[last..range.start]);
                    out.push_str(value);
                    last = range.end;
                }
            }
            out.push_str(&text[last..]);
            out
        };
        let mut config = self.clone();
        for env in &mut config.env {
            if let Some(value) = &mut env.value {
                *value = fill(value);
            }
        }
        for value in config
            .labels
            .values_mut()
            .chain(config.annotations.values_mut())
        {
            *value = fill(value);
        }
        if let Some(image) = &mut config.image {
            *image = fill(image);
        }
        for options in config.outputs.values_mut() {
            if let Some(key) = &mut options.key {
                *key = key.with_setting_values(values);
            }
        }
        config
    }

    /// A short stable hash of the settings (hex, 8 digits), naming a configured template.
    pub fn short_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let json = serde_json::to_vec(self).expect("a TaskConfig always serialises");
        Sha256::digest(&json)[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// `top`'s resources laid over `base`'s, resource by resource: a task asking for more CPUs
/// keeps its component's GPU.
fn merged_resources(
    top: Option<&k8s_openapi::api::core::v1::ResourceRequirements>,
    base: Option<&k8s_openapi::api::core::v1::ResourceRequirements>,
) -> Option<k8s_openapi::api::core::v1::ResourceRequirements> {
    let (top, base) = match (top, base) {
        (None, None) => return None,
        (Some(r), None) | (None, Some(r)) => return Some(r.clone()),
        (Some(top), Some(base)) => (top, base),
    };
    let merge = |t: &Option<
        BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    >,
                 b: &Option<
        BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    >| {
        match (t, b) {
            (None, None) => None,
            (t, b) => {
                let mut out = b.clone().unwrap_or_default();
                out.extend(t.clone().unwrap_or_default());
                Some(out)
            }
        }
    };
    Some(k8s_openapi::api::core::v1::ResourceRequirements {
        limits: merge(&top.limits, &base.limits),
        requests: merge(&top.requests, &base.requests),
        claims: top.claims.clone().or_else(|| base.claims.clone()),
    })
}

/// A task's own [`TaskConfig`], read and written as one (`task.config.timeout = …`). Most
/// tasks set nothing; they then hold no allocation, and a [`Task`] stays small (tracing and
/// validating thousands of tasks copies them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskSettings(Option<Box<TaskConfig>>);

/// What an unset [`TaskSettings`] reads as.
static NO_SETTINGS: TaskConfig = TaskConfig {
    retry: None,
    timeout: None,
    active_deadline_seconds: None,
    cache: None,
    resources: None,
    node_selector: BTreeMap::new(),
    tolerations: Vec::new(),
    env: Vec::new(),
    volumes: Vec::new(),
    volume_mounts: Vec::new(),
    memoize: None,
    labels: BTreeMap::new(),
    annotations: BTreeMap::new(),
    image_pull_policy: None,
    service_account: None,
    priority_class: None,
    scheduler_name: None,
    mutexes: Vec::new(),
    semaphores: Vec::new(),
    outputs: BTreeMap::new(),
    image: None,
    security_context: None,
    pod_security_context: None,
    affinity: None,
    run_volumes: Vec::new(),
    sidecars: Vec::new(),
    init_containers: Vec::new(),
    edits: Vec::new(),
};

impl TaskSettings {
    /// True when nothing is set.
    pub fn is_default(&self) -> bool {
        self.0.as_deref().is_none_or(TaskConfig::is_default)
    }
}

impl std::ops::Deref for TaskSettings {
    type Target = TaskConfig;
    fn deref(&self) -> &TaskConfig {
        self.0.as_deref().unwrap_or(&NO_SETTINGS)
    }
}

impl std::ops::DerefMut for TaskSettings {
    fn deref_mut(&mut self) -> &mut TaskConfig {
        self.0.get_or_insert_with(Box::default)
    }
}

impl From<TaskConfig> for TaskSettings {
    fn from(config: TaskConfig) -> Self {
        TaskSettings((!config.is_default()).then(|| Box::new(config)))
    }
}

impl Serialize for TaskSettings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for TaskSettings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        TaskConfig::deserialize(d).map(TaskSettings::from)
    }
}

/// When and how often a failed task is tried again (Argo `retryStrategy`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Retries after the first attempt; `None`: not said here (a task's setting falls back to
    /// its component's and the pipeline's, and 1 when none says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Which failures are retried; `None` is Argo's default (`OnFailure`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<RetryOn>,
    /// Waiting between attempts; `None` retries at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
    /// A further condition on the last attempt (Argo's `retryStrategy.expression`): a retry
    /// the policy and limit allow starts only when it holds. With a condition and no policy,
    /// Argo retries failures and errors alike (`RetryPolicyActual`: `Always`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<RetryCondition>,
}

impl RetryPolicy {
    /// Retries after the first attempt: the limit set, else 1.
    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(1)
    }

    /// Each field from `self` where it says something, else from `base`: a task that only
    /// adds a retry expression keeps the pipeline's limit and backoff.
    pub fn merged_over(&self, base: &RetryPolicy) -> RetryPolicy {
        RetryPolicy {
            limit: self.limit.or(base.limit),
            on: self.on.or(base.on),
            backoff: self.backoff.clone().or_else(|| base.backoff.clone()),
            condition: self.condition.clone().or_else(|| base.condition.clone()),
        }
    }

    /// The policy Argo applies (`RetryPolicyActual` in
    /// `pkg/apis/workflow/v1alpha1/workflow_types.go`): the one given; else `Always` when
    /// there is a condition, `OnFailure` when there is none.
    pub fn policy(&self) -> RetryOn {
        match (self.on, &self.condition) {
            (Some(on), _) => on,
            (None, Some(_)) => RetryOn::Always,
            (None, None) => RetryOn::OnFailure,
        }
    }
}

/// A condition on a task's last attempt that decides whether it is tried again: the typed
/// form of Argo's retry `expression`, which Argo evaluates with the variables
/// `lastRetry.exitCode`, `lastRetry.status`, `lastRetry.duration` and `lastRetry.message`
/// (`buildRetryStrategyLocalScope` in `workflow/controller/operator.go`). Only what the local
/// runner can evaluate the same way is expressible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryCondition {
    /// A number of the last attempt compared with a constant.
    Compare {
        /// Which number.
        value: RetryValue,
        /// How it is compared.
        op: Comparison,
        /// The constant.
        than: i64,
    },
    /// The last attempt ended in this phase.
    Status(RetryStatus),
    /// The last attempt's message contains this text.
    MessageContains(String),
    /// The condition does not hold.
    Not(Box<RetryCondition>),
    /// Every condition holds.
    All(Vec<RetryCondition>),
    /// At least one condition holds.
    Any(Vec<RetryCondition>),
}

/// A number describing the last attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryValue {
    /// The main container's exit code (`lastRetry.exitCode`; `-1` when it never ran).
    ExitCode,
    /// How long the attempt ran, in seconds (`lastRetry.duration`).
    DurationSeconds,
}

/// How a [`RetryValue`] is compared with its constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
}

impl Comparison {
    /// The operator as expr (and Rust) writes it.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Equal => "==",
            Comparison::NotEqual => "!=",
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
        }
    }

    /// Whether `left` compares so with `right`.
    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Comparison::Equal => left == right,
            Comparison::NotEqual => left != right,
            Comparison::Less => left < right,
            Comparison::LessOrEqual => left <= right,
            Comparison::Greater => left > right,
            Comparison::GreaterOrEqual => left >= right,
        }
    }
}

/// How an attempt that is not a success ended (`lastRetry.status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetryStatus {
    /// The main container exited non-zero (Argo `Failed`).
    Failed,
    /// The attempt could not run properly (Argo `Error`).
    Error,
}

impl RetryStatus {
    /// The phase name Argo uses.
    pub fn as_str(self) -> &'static str {
        match self {
            RetryStatus::Failed => "Failed",
            RetryStatus::Error => "Error",
        }
    }
}

impl RetryCondition {
    /// The condition as Argo's `retryStrategy.expression` (expr-lang). Text is written as a
    /// JSON string literal, which expr reads the same way, with `{` escaped so that Argo's
    /// template substitution, which runs over the whole template, finds nothing to replace.
    pub fn expression(&self) -> String {
        match self {
            RetryCondition::Compare { value, op, than } => {
                let value = match value {
                    RetryValue::ExitCode => "asInt(lastRetry.exitCode)",
                    RetryValue::DurationSeconds => "asFloat(lastRetry.duration)",
                };
                format!("{value} {} {than}", op.symbol())
            }
            RetryCondition::Status(status) => {
                format!("lastRetry.status == \"{}\"", status.as_str())
            }
            RetryCondition::MessageContains(text) => {
                let literal = serde_json::to_string(text)
                    .unwrap_or_default()
                    .replace('{', "\\u007b");
                format!("lastRetry.message contains {literal}")
            }
            RetryCondition::Not(inner) => format!("!({})", inner.expression()),
            RetryCondition::All(all) => Self::join(all, " && ", "true"),
            RetryCondition::Any(any) => Self::join(any, " || ", "false"),
        }
    }

    fn join(parts: &[RetryCondition], op: &str, empty: &str) -> String {
        if parts.is_empty() {
            return empty.to_owned();
        }
        parts
            .iter()
            .map(|p| format!("({})", p.expression()))
            .collect::<Vec<_>>()
            .join(op)
    }

    /// Whether the condition holds for a last attempt that ended with `status` after
    /// `duration_seconds`, with main-container exit code `exit_code` (`-1` when it never
    /// ran) and message `message`.
    pub fn holds(
        &self,
        status: RetryStatus,
        exit_code: i64,
        duration_seconds: f64,
        message: &str,
    ) -> bool {
        match self {
            RetryCondition::Compare { value, op, than } => {
                let left = match value {
                    RetryValue::ExitCode => exit_code as f64,
                    RetryValue::DurationSeconds => duration_seconds,
                };
                op.holds(left, *than as f64)
            }
            RetryCondition::Status(s) => *s == status,
            RetryCondition::MessageContains(text) => message.contains(text.as_str()),
            RetryCondition::Not(inner) => {
                !inner.holds(status, exit_code, duration_seconds, message)
            }
            RetryCondition::All(all) => all
                .iter()
                .all(|c| c.holds(status, exit_code, duration_seconds, message)),
            RetryCondition::Any(any) => any
                .iter()
                .any(|c| c.holds(status, exit_code, duration_seconds, message)),
        }
    }
}

/// Argo's `retryPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetryOn {
    /// Failed and errored attempts.
    Always,
    /// Attempts whose main container failed.
    OnFailure,
    /// Attempts that errored (controller-side problems).
    OnError,
    /// Errors Argo considers transient (network, API server).
    OnTransientError,
}

impl RetryOn {
    /// The name Argo uses.
    pub fn as_str(self) -> &'static str {
        match self {
            RetryOn::Always => "Always",
            RetryOn::OnFailure => "OnFailure",
            RetryOn::OnError => "OnError",
            RetryOn::OnTransientError => "OnTransientError",
        }
    }
}

/// Argo's retry `backoff` (`processNodeRetries` in `workflow/controller/operator.go`): before
/// retry `n` (from 1) wait `duration × factorⁿ⁻¹`, at most `cap`; no retry starts once
/// `max_duration` has passed since the first attempt started, or would pass while waiting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backoff {
    /// The first wait (`10s`, `1m`).
    pub duration: String,
    /// The multiplier; `None` keeps the wait constant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<u32>,
    /// The longest single wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<String>,
    /// How long after the first attempt started retries may still start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<String>,
}

/// Region `region` and every region around it, innermost first, the root last (nothing for
/// an index out of range). Every question about where a region sits is asked of this walk.
pub fn ancestry(
    regions: &[Region],
    region: RegionId,
) -> impl Iterator<Item = (RegionId, &Region)> + '_ {
    let mut at = Some(region);
    std::iter::from_fn(move || {
        let id = at?;
        let region = regions.get(id.index())?;
        at = region.parent;
        Some((id, region))
    })
}

/// True when region `inner` is `outer` or inside it.
pub fn region_contains(regions: &[Region], outer: RegionId, inner: RegionId) -> bool {
    ancestry(regions, inner).any(|(r, _)| r == outer)
}

/// True when a task in region `from` sees the tasks of region `target`: `target` is `from`
/// or encloses it — but not across the exit handler, which is a template of its own (Argo's
/// `spec.onExit`) that runs after the body: it sees only its own tasks.
pub fn region_sees(regions: &[Region], from: RegionId, target: RegionId) -> bool {
    for (id, region) in ancestry(regions, from) {
        if id == target {
            return true;
        }
        // The exit handler, a hook and a sub-pipeline call are templates of their own, which
        // see only their own tasks (a call's parameters bring in what it needs).
        if matches!(
            region.kind,
            RegionKind::ExitHandler | RegionKind::Hook { .. } | RegionKind::Call { .. }
        ) {
            return false;
        }
    }
    false
}

/// The hook region `region` is or is inside, with its task and event: the innermost one.
pub fn hook_around(regions: &[Region], region: RegionId) -> Option<(RegionId, TaskId, HookEvent)> {
    ancestry(regions, region).find_map(|(id, r)| match r.kind {
        RegionKind::Hook { task, on } => Some((id, task, on)),
        _ => None,
    })
}

/// The sub-pipeline call region `region` is in (itself included), innermost first: `None` in
/// the pipeline's own body, whose parameters are the run's.
pub fn enclosing_call(regions: &[Region], region: RegionId) -> Option<RegionId> {
    ancestry(regions, region)
        .find(|(_, r)| matches!(r.kind, RegionKind::Call { .. }))
        .map(|(id, _)| id)
}

/// The outermost sub-pipeline call around region `target` that a task in region `from` is
/// not inside: what `from` reads an output of `target`'s task through (the call's outputs).
/// `None` when no call stands between them.
pub fn call_between(regions: &[Region], from: RegionId, target: RegionId) -> Option<RegionId> {
    ancestry(regions, target)
        .take_while(|(id, _)| !region_contains(regions, *id, from))
        .filter(|(_, r)| matches!(r.kind, RegionKind::Call { .. }))
        .last()
        .map(|(id, _)| id)
}

/// What [`Argument::PipelineParam`] read in a region stands for.
#[derive(Clone, Copy, Debug)]
pub enum ParamSource<'a> {
    /// A parameter of the run (the pipeline's own body).
    Run(&'a PipelineParam),
    /// Inside a sub-pipeline call: the argument the call binds to the parameter, in the
    /// terms of the region the call is written in.
    Call {
        /// The call.
        call: RegionId,
        /// What it binds.
        argument: &'a Argument,
    },
    /// No parameter has that name there.
    Missing,
}

/// What `Argument::PipelineParam(name)` means in region `region`: a parameter of the run in
/// the pipeline's own body, the call's argument inside a sub-pipeline call.
pub fn param_source<'a>(p: &'a Pipeline, region: RegionId, name: &str) -> ParamSource<'a> {
    match enclosing_call(&p.regions, region) {
        None => p
            .params
            .iter()
            .find(|q| q.name == name)
            .map_or(ParamSource::Missing, ParamSource::Run),
        Some(call) => match &p.regions[call.index()].kind {
            RegionKind::Call { arguments, .. } => {
                arguments
                    .get(name)
                    .map_or(ParamSource::Missing, |argument| ParamSource::Call {
                        call,
                        argument,
                    })
            }
            _ => ParamSource::Missing,
        },
    }
}

/// Where the value of `Argument::PipelineParam(name)` read in region `region` comes from,
/// following sub-pipeline calls outwards.
#[derive(Clone, Copy, Debug)]
pub enum ParamOrigin<'a> {
    /// A parameter of the run, by name.
    Run(&'a str),
    /// What some call binds: a constant, a task's output, … (never a parameter).
    Bound(&'a Argument),
    /// Nothing by that name exists.
    Missing,
}

/// See [`ParamOrigin`].
pub fn param_origin<'a>(p: &'a Pipeline, region: RegionId, name: &'a str) -> ParamOrigin<'a> {
    let (mut at, mut name) = (region, name);
    loop {
        match param_source(p, at, name) {
            ParamSource::Missing => return ParamOrigin::Missing,
            ParamSource::Run(q) => return ParamOrigin::Run(&q.name),
            ParamSource::Call { call, argument } => match argument {
                Argument::PipelineParam(outer) => {
                    at = p.regions[call.index()].parent.unwrap_or(RegionId::ROOT);
                    name = outer;
                }
                other => return ParamOrigin::Bound(other),
            },
        }
    }
}

/// The names a task in region `region` can read as pipeline parameters, for messages.
pub fn param_names(p: &Pipeline, region: RegionId) -> Vec<&String> {
    match enclosing_call(&p.regions, region).map(|c| &p.regions[c.index()].kind) {
        Some(RegionKind::Call { arguments, .. }) => arguments.keys().collect(),
        _ => p.params.iter().map(|q| &q.name).collect(),
    }
}

/// The qualified name prefix of tasks in region `region`: the names of the calls around it,
/// outermost first, each followed by `.`.
pub fn call_prefix(regions: &[Region], region: RegionId) -> String {
    let mut names: Vec<&str> = ancestry(regions, region)
        .filter_map(|(_, r)| match &r.kind {
            RegionKind::Call { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    names.reverse();
    names.iter().map(|n| format!("{n}.")).collect()
}

/// How deep region `region` is in a recursion: the number of calls of the pipeline of the
/// innermost sub-pipeline call around it (itself included) that enclose it — 1 in a first
/// call, 2 in the call that call makes of itself, … — and 0 outside any call. What
/// [`Condition::WithinDepth`] compares; on Argo the call templates carry it as an input.
pub fn call_depth(regions: &[Region], region: RegionId) -> u32 {
    let mut calls = ancestry(regions, region).filter_map(|(_, r)| match &r.kind {
        RegionKind::Call { pipeline, .. } => Some(pipeline.as_str()),
        _ => None,
    });
    let Some(innermost) = calls.next() else {
        return 0;
    };
    1 + calls.filter(|p| *p == innermost).count() as u32
}

/// True when call region `call` is a recursive call: a call of the pipeline of a call around
/// it.
pub fn is_recursive_call(regions: &[Region], call: RegionId) -> bool {
    regions
        .get(call.index())
        .is_some_and(|r| matches!(r.kind, RegionKind::Call { .. }))
        && call_depth(regions, call) > 1
}

/// The last segment of a task's name: the name of its DAG task inside a sub-pipeline's
/// template (`prepare.download` → `download`).
pub fn local_name(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// True when region `region` is the exit handler or inside it.
pub fn in_exit_handler(regions: &[Region], region: RegionId) -> bool {
    ancestry(regions, region).any(|(_, r)| r.kind == RegionKind::ExitHandler)
}

/// How messages name a region: "the pipeline body", "the branch at src/main.rs:12:5", …
pub fn describe_region(regions: &[Region], region: RegionId) -> String {
    let Some(r) = regions.get(region.index()) else {
        return format!("region #{}", region.0);
    };
    let what = match &r.kind {
        RegionKind::Root => return "the pipeline body".to_owned(),
        RegionKind::Branch { .. } => "the conditional branch",
        RegionKind::Loop { .. } => "the loop body",
        RegionKind::ExitHandler => "the exit handler",
        RegionKind::Hook { on, .. } => match on {
            HookEvent::Success => "the success hook",
            HookEvent::Failure => "the failure hook",
            HookEvent::Exit => "the exit hook",
        },
        RegionKind::Call { .. } => "the sub-pipeline call",
    };
    match &r.location {
        Some(l) => format!("{what} at {l}"),
        None => format!("{what} #{}", region.0),
    }
}

/// The kind of Argo object a pipeline compiles to (`#[pipeline(kind = "…")]`, `compile --kind`).
/// Every kind holds the same `WorkflowSpec`; only how it is started differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputKind {
    /// A `Workflow`: one run, named by `generateName`.
    Workflow,
    /// A `WorkflowTemplate`: a namespaced, named definition that runs nothing until a
    /// workflow is submitted from it or a task calls one of its templates (`templateRef`).
    WorkflowTemplate,
    /// A `ClusterWorkflowTemplate`: a `WorkflowTemplate` every namespace can use.
    ClusterWorkflowTemplate,
    /// A `CronWorkflow`: the controller starts a workflow on each schedule.
    CronWorkflow,
}

impl OutputKind {
    /// Every kind, in the order `--kind` lists them.
    pub const ALL: [OutputKind; 4] = [
        OutputKind::Workflow,
        OutputKind::WorkflowTemplate,
        OutputKind::ClusterWorkflowTemplate,
        OutputKind::CronWorkflow,
    ];

    /// The kind as `--kind` and the attribute spell it (`cron-workflow`).
    pub fn as_str(self) -> &'static str {
        match self {
            OutputKind::Workflow => "workflow",
            OutputKind::WorkflowTemplate => "workflow-template",
            OutputKind::ClusterWorkflowTemplate => "cluster-workflow-template",
            OutputKind::CronWorkflow => "cron-workflow",
        }
    }

    /// The kind as the manifest's `kind` field spells it (`CronWorkflow`).
    pub fn argo_kind(self) -> &'static str {
        match self {
            OutputKind::Workflow => "Workflow",
            OutputKind::WorkflowTemplate => "WorkflowTemplate",
            OutputKind::ClusterWorkflowTemplate => "ClusterWorkflowTemplate",
            OutputKind::CronWorkflow => "CronWorkflow",
        }
    }

    /// The kind `text` names (as [`OutputKind::as_str`] spells it).
    pub fn parse(text: &str) -> Option<OutputKind> {
        OutputKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl std::fmt::Display for OutputKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a pipeline is published on Argo: its [`OutputKind`] and, for a `CronWorkflow`, when
/// and how the controller starts runs. Values are kept as written; the Argo backend checks
/// them (A0046), since only a cluster reads them (the local runner runs once, now).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publish {
    /// The kind asked for; `None` means a `CronWorkflow` when a schedule is given, otherwise
    /// a `Workflow` (see [`Publish::kind`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<OutputKind>,
    /// Cron schedules (five fields, or a descriptor such as `@daily`), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<String>,
    /// The IANA time zone the schedules are read in (`Europe/Paris`); `None` is the
    /// controller's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// What the controller does when a run is due while the last one still runs: `Allow`,
    /// `Forbid` or `Replace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_policy: Option<String>,
    /// How many seconds late a missed run may still start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_deadline_seconds: Option<i64>,
    /// How many succeeded runs the controller keeps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_jobs_history_limit: Option<i64>,
    /// How many failed runs the controller keeps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_jobs_history_limit: Option<i64>,
}

impl Publish {
    /// True when nothing differs from the defaults (the IR then omits it).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The kind of object to emit: the one asked for, else a `CronWorkflow` when a schedule
    /// is given (a schedule means nothing to another kind), else a `Workflow`.
    pub fn kind(&self) -> OutputKind {
        match self.kind {
            Some(kind) => kind,
            None if !self.schedules.is_empty() => OutputKind::CronWorkflow,
            None => OutputKind::Workflow,
        }
    }

    /// Applies `overrides`: every flag given replaces the attribute's value.
    pub fn apply(&mut self, overrides: &PublishOverrides) {
        if let Some(kind) = overrides.kind {
            self.kind = Some(kind);
        }
        if !overrides.schedules.is_empty() {
            self.schedules = overrides.schedules.clone();
        }
        if let Some(zone) = &overrides.timezone {
            self.timezone = Some(zone.clone());
        }
    }
}

/// The `compile` flags that override [`Publish`] (`--kind`, `--schedule`, `--timezone`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishOverrides {
    /// `--kind`.
    pub kind: Option<OutputKind>,
    /// `--schedule` (repeatable); when given, replaces the attribute's schedules.
    pub schedules: Vec<String>,
    /// `--timezone`.
    pub timezone: Option<String>,
}

/// A task that runs a template published in another object (Argo's `templateRef`): the
/// component is typed and traced as if it were local, but the cluster runs the template of
/// that name in the `WorkflowTemplate` (or `ClusterWorkflowTemplate`) named here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRef {
    /// The `WorkflowTemplate`'s (or `ClusterWorkflowTemplate`'s) `metadata.name`.
    pub name: String,
    /// True for a `ClusterWorkflowTemplate`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cluster_scope: bool,
}
#[cfg(test)]
mod tests {
    use super::*;

    fn call(pipeline: &str, parent: u32) -> Region {
        Region {
            kind: RegionKind::Call {
                pipeline: pipeline.to_owned(),
                name: pipeline.to_owned(),
                arguments: IndexMap::new(),
                outputs: IndexMap::new(),
            },
            parent: Some(RegionId(parent)),
            location: None,
        }
    }

    #[test]
    fn the_depth_counts_the_calls_of_the_innermost_calls_pipeline() {
        let branch = |parent: u32| Region {
            kind: RegionKind::ExitHandler,
            parent: Some(RegionId(parent)),
            location: None,
        };
        // root ⊃ a ⊃ branch ⊃ a ⊃ branch ⊃ a ⊃ b; root ⊃ b.
        let regions = vec![
            Region::root(),
            call("a", 0),
            branch(1),
            call("a", 2),
            branch(3),
            call("a", 4),
            call("b", 5),
            call("b", 0),
        ];
        let depth = |r: u32| call_depth(&regions, RegionId(r));
        assert_eq!(
            (0..8).map(depth).collect::<Vec<_>>(),
            [0, 1, 1, 2, 2, 3, 1, 1]
        );
        let recursive: Vec<u32> = (0..8)
            .filter(|r| is_recursive_call(&regions, RegionId(*r)))
            .collect();
        // A branch inside a deeper level is not a call, and `b` inside `a` is a first call.
        assert_eq!(recursive, [3, 5]);
    }
}
