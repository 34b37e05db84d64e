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
        let digest = Sha256::digest(&json);
        digest.iter().map(|b| format!("{b:02x}")).collect()
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
