//! Coded diagnostics: every rule the validator (or the tracer) enforces has a stable code, a
//! message naming the pipeline, task and input involved, a `help:` line saying what to do, and
//! a longer explanation (`validate --explain CODE`).

use std::fmt;

use serde::Serialize;

use crate::ir::SourceLocation;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Reported, but the pipeline is still valid.
    Warning,
    /// The pipeline is invalid.
    Error,
}

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $title:literal, $explain:literal;)*) => {
        /// The stable code of a rule.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as written in messages (`A0001`).
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// A short title of the rule.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }

            /// The longer explanation: why the rule exists and how to fix a violation.
            pub fn explain(self) -> &'static str {
                match self { $(Code::$variant => $explain,)* }
            }

            /// Looks a code up by its text (`A0001`, case-insensitive).
            pub fn parse(text: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.as_str().eq_ignore_ascii_case(text))
            }
        }
    };
}

codes! {
    /// Tasks depend on each other in a cycle.
    Cycle = "A0001", "dependency cycle",
        "Argo runs a DAG task only after every task it depends on, so tasks that depend on each \
         other in a cycle can never start. Argo rejects such a workflow at submit time. The \
         message names every task on the cycle; remove one of the edges (a data argument or an \
         `.after(…)` call).";
    /// A required input has no argument.
    UnboundInput = "A0002", "required input not bound",
        "Every input of a component without a default must receive a value: a constant, a \
         pipeline parameter or another task's output. Otherwise Argo fails the task when it \
         resolves `{{inputs.parameters.…}}`. Pass the input when calling the component, or give \
         it a default with `#[default(…)]` on the component's argument.";
    /// An argument or `.after` refers to a task of another pipeline.
    ForeignTask = "A0003", "reference to a task of another pipeline",
        "A task handle belongs to the pipeline whose body created it. Using it in another \
         pipeline would wire an edge to a task that does not exist there. Create the task inside \
         the pipeline that uses it (a helper function called from both pipeline bodies works).";
    /// Two tasks have the same name.
    DuplicateTask = "A0004", "duplicate task name",
        "Task names must be unique within a pipeline: Argo addresses outputs as \
         `tasks.<name>.outputs…`. Names given with `.name(…)` are used as written; rename one of \
         the tasks.";
    /// A name breaks Kubernetes or Argo naming rules.
    InvalidName = "A0005", "invalid name",
        "Argo and Kubernetes restrict names: workflow and task names are RFC 1123 labels \
         (lowercase letters, digits and `-`, starting and ending with a letter or digit, at \
         most 63 characters; a workflow name leaves room for the 5 characters `generateName` \
         adds), parameter and artifact names match `^[-a-zA-Z0-9_]+$`. Rename the item.";
    /// A pipeline has no tasks.
    EmptyPipeline = "A0006", "empty pipeline",
        "A pipeline with no tasks compiles to a DAG with no tasks, which Argo rejects. Call at \
         least one component in the pipeline body.";
    /// An argument does not match the component's inputs.
    BadArgument = "A0007", "argument does not match the component",
        "Each argument must name an input of the component and have its kind: parameters feed \
         parameters, artifacts feed artifacts. The DSL's types prevent this; it appears when the \
         IR is built by other means.";
    /// Two different things got the same name after mangling.
    NameCollision = "A0008", "name collision",
        "Argo templates are named after components (one template per distinct component). Two \
         different components with the same name, or names that become equal once made valid \
         for Kubernetes, would overwrite each other. Rename one with `#[component(name = \"…\")]`.";
    /// Native tasks have no image to run in.
    NoImage = "A0009", "no image for native components",
        "Native components run as the pipeline's own binary inside a container image. Set it \
         with `#[pipeline(image = \"registry/name:tag\")]` or pass `--image` to `compile`.";
    /// A value Argo would misread.
    BadValue = "A0010", "value Argo would not pass through unchanged",
        "Argo substitutes `{{…}}` expressions in every string of a template, so a constant or \
         default containing `{{` would not reach the container as written, and a value that \
         cannot be encoded cannot be passed at all. Pass such values at submit time as pipeline \
         parameters, or store them in an artifact.";
    /// A reference to something that does not exist.
    UnknownReference = "A0011", "reference to something that does not exist",
        "An argument names a pipeline parameter or a task output that does not exist. The DSL's \
         types prevent this; it appears when the IR is built by other means.";
    /// An image with no pinned version.
    MutableImage = "A0012", "image without a pinned version",
        "An image with no tag, or tagged `:latest`, can change between runs, so the same \
         pipeline may run different code and cached results may not match. Pin a version tag or \
         a digest.";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One finding of the validator.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    /// The rule's code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// The pipeline concerned.
    pub pipeline: String,
    /// One line naming the task, input or field involved.
    pub message: String,
    /// What to do about it.
    pub help: String,
    /// Where in the user's source, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
}

impl Diagnostic {
    /// An error.
    pub fn error(
        code: Code,
        pipeline: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity: Severity::Error,
            pipeline: pipeline.to_owned(),
            message: message.into(),
            help: help.into(),
            location: None,
        }
    }

    /// Attaches a source location.
    pub fn at(mut self, location: SourceLocation) -> Self {
        self.location = Some(location);
        self
    }

    /// Attaches a source location if there is one.
    pub fn at_opt(mut self, location: Option<&SourceLocation>) -> Self {
        self.location = location.cloned();
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{level}[{}]: {}", self.code, self.message)?;
        match &self.location {
            Some(loc) => writeln!(f, "  --> {loc} (pipeline `{}`)", self.pipeline)?,
            None => writeln!(f, "  --> pipeline `{}`", self.pipeline)?,
        }
        write!(f, "  = help: {}", self.help)
    }
}

/// The findings of one validation, errors first.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Wraps a list, ordering errors before warnings (stable otherwise).
    pub fn new(mut list: Vec<Diagnostic>) -> Self {
        list.sort_by_key(|d| std::cmp::Reverse(d.severity));
        Self(list)
    }

    /// The diagnostics.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// How many errors there are.
    pub fn error_count(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The codes, in order (handy in tests).
    pub fn codes(&self) -> Vec<Code> {
        self.0.iter().map(|d| d.code).collect()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}\n")?;
        }
        let errors = self.error_count();
        let warnings = self.0.len() - errors;
        write!(f, "{errors} error(s), {warnings} warning(s)")
    }
}

impl std::error::Error for Diagnostics {}
