//! # argot — typed machine-learning pipelines in Rust, compiled to Argo Workflows
//!
//! Write components and pipelines as annotated Rust functions; `cargo build` type-checks the
//! data flow; the pipeline's own binary compiles it to an Argo `Workflow`, validates it, and
//! runs its components inside the cluster.
//!
//! ```ignore
//! use argot::prelude::*;
//!
//! /// Load and clean the raw data.
//! #[component]
//! fn prepare(rows: u32, data: Output<Dataset>) -> Result<()> { … }
//!
//! /// Fit the model; returns its accuracy.
//! #[component]
//! fn train(data: Input<Dataset>, #[default(0.1)] learning_rate: f64, model: Output<Model>) -> Result<f64> { … }
//!
//! #[pipeline(image = "ghcr.io/acme/quickstart:0.1")]
//! fn quickstart(#[default(1000)] rows: Param<u32>, learning_rate: Param<f64>) {
//!     let prepared = prepare(rows);
//!     train(prepared.data, learning_rate);
//! }
//!
//! fn main() { argot::main!(quickstart) }
//! ```
//!
//! # Depending on it
//!
//! The package is `argot-pipelines` (the name `argot` on crates.io is another project); its
//! library is `argot`, so `argot-pipelines = "0.1"` in `Cargo.toml` and `use argot::…` in code.
//!
//! # Features
//!
//! - `store` (default): the local runner (`run`, `cache prune`) and the metadata store
//!   commands (`runs`, `lineage`); bundles SQLite (needs a C compiler).
//! - `cluster`: `submit`, `watch`, `logs`, `stop`… against a Kubernetes cluster (kube, tokio,
//!   rustls with `ring`). Implies `store`.
//! - Without default features: `compile`, `validate`, `list`, `explain` and the in-container
//!   `component` entrypoint alone.
//!
//! The flow is one-way: macros → [`ir`] (by tracing the pipeline function) → [`validate()`] →
//! a backend ([`emit::argo`], the local runner, the graph export). See `DESIGN.md` in the
//! repository for the decisions behind it.
//!
//! # Where each stage lives
//!
//! Modules import only their own layer or the layers below; a test (`layers.rs`) holds the
//! table and fails on an import that goes up, between two backends, or round in a cycle.
//!
//! | layer (bottom first) | modules | stage |
//! | --- | --- | --- |
//! | helpers | [`util`] | hex digests, panic messages |
//! | foundations | [`value`], [`fsutil`], [`namer`], [`schema`] | the wire form of values; atomic file output and stderr; name fitting; parameter type schemas |
//! | IR | [`ir`] | the pipeline as data: what every later stage reads |
//! | IR services | [`diagnostics`], [`protocol`], [`emit::depends`] | coded diagnostics; the in-container protocol (paths, the native argv, kubelet escaping, labels, exit codes) shared by the emitter, the entrypoint and the runner; Argo's notation for a `depends` tree (the runner prints it too) |
//! | authoring | `trace`, [`dsl`], `results`, `exit`, `when`, [`loops`] | what `#[component]`/`#[pipeline]` code calls while a pipeline function is traced: handles, result dependencies, the exit handler, conditions |
//! | rules | [`rules`] | the target-neutral rules, one module per family |
//! | validation | [`validate`] | runs the rules, applies `--deny`/`--allow`, makes [`ValidPipeline`] |
//! | backends | [`emit`], `run`, [`entrypoint`] | Argo YAML and Argo's own checks (images, size budget, metadata: [`emit::argo::emit`]); the local runner; the `component` entrypoint. They do not import each other |
//! | facade | this file's [`PipelineDef`], [`CompileOptions`], [`Compiled`] | trace → validate → emit |
//! | CLI | [`cli`] | every pipeline binary's commands, flags and exit codes |

pub mod cli;
pub mod diagnostics;
pub mod dsl;
pub mod emit;
pub mod entrypoint;
pub mod exit;
pub mod format;
pub mod fsutil;
pub mod hooks;
pub mod ir;
pub mod kubernetes;
#[cfg(test)]
mod layers;
pub mod library;
pub mod loops;
pub mod namer;
pub mod protocol;
pub mod results;
pub mod rules;
#[cfg(feature = "store")]
pub mod run;
pub mod schema;
pub mod settings;
pub mod subpipeline;
mod trace;
pub mod util;
pub mod validate;
pub mod value;
pub mod when;

pub use argot_macros::{component, container_component, format_arg, pipeline};
pub use diagnostics::{Code, Diagnostic, Diagnostics, Severity};
pub use dsl::{
    Artifact, ArtifactKind, ArtifactRef, Collection, Container, Dataset, ExternalArtifact, Html,
    Input, IntoAnyArtifact, IntoArtifact, IntoParam, IntoUrl, Markdown, Metrics, Model, Output,
    OutputParam, Param, ParamRef, Pieces, S3_ENDPOINT, concat, volume_path,
};
pub use exit::{Run, RunFailure, RunInfo, on_exit};
pub use format::{Displayed, FormatPiece, Formatted};
pub use hooks::TaskHooks;
pub use library::TaskTemplateRef;
pub use loops::{Collected, CollectedArtifacts, Gather, IntoLoopItems, Item, Loop, for_each};
pub use results::{Results, TaskResults};
pub use schema::{Schema, TypeSchema};
pub use settings::{
    ComponentSettings, EditTemplate, ImagePullPolicy, OutputKey, RetryIf, RetryNumber, Secret,
    SettingValue, TaskDefaults, TaskOptions, TemplateEdit, task_defaults,
};
pub use subpipeline::PipelineOutputs;
pub use trace::{TaskHandle, Traced};
pub use validate::{Levels, Limits, ValidPipeline, ValidateOptions, validate};
pub use value::ParamType;
pub use when::{Branch, Comparable, Cond, IntoOperand, OneOf, Ordered, one_of, when};

/// The result type components return: any error converts into it with `?`.
pub type Result<T, E = anyhow::Error> = std::result::Result<T, E>;

/// Re-exported so components can use `anyhow::Context`, `bail!` and `ensure!` without a
/// dependency of their own.
pub use anyhow;

/// Kubernetes' own type for a toleration (`k8s-openapi`'s), which
/// [`TaskOptions::add_toleration`] takes: re-exported so a pipeline needs no dependency of its
/// own, at the version argot was built with. (Only this type: re-exporting the whole crate
/// makes rustc print every type in compile errors with its full path.)
pub use k8s_openapi::api::core::v1::Toleration;

/// Kubernetes' own types for a task's security contexts, affinity, sidecars and init
/// containers ([`TaskOptions::set_security_context`], [`TaskOptions::set_pod_security_context`],
/// [`TaskOptions::set_affinity`], [`TaskOptions::add_sidecar`],
/// [`TaskOptions::add_init_container`]) and the types they hold, re-exported from `k8s-openapi` at
/// the version argot was built with, so a pipeline needs no dependency of its own; and those
/// an `edit_template` closure most often sets ([`EditTemplate::edit_template`]: the
/// container's `lifecycle`, the pod's `hostAliases` and `dnsConfig`; the rest of a
/// `PodSpec`'s and `Container`'s field types are `k8s-openapi`'s, at the same version).
pub mod k8s {
    pub use k8s_openapi::api::core::v1::{
        Affinity, Capabilities, Container, ContainerPort, EnvVar, ExecAction, HostAlias, Lifecycle,
        LifecycleHandler, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
        PodAffinity, PodAffinityTerm, PodAntiAffinity, PodDNSConfig, PodSecurityContext, PodSpec,
        PreferredSchedulingTerm, SeccompProfile, SecurityContext, VolumeMount,
        WeightedPodAffinityTerm,
    };
    pub use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
        LabelSelector, LabelSelectorRequirement,
    };
}

/// Everything a pipeline author needs: `use argot::prelude::*;`.
pub mod prelude {
    pub use crate::dsl::{
        Artifact, ArtifactKind, ArtifactRef, Collection, Container, Dataset, Html, Input, Markdown,
        Metrics, Model, Output, OutputParam, Param, ParamRef, concat, volume_path,
    };
    pub use crate::ir::CmdArg;
    pub use crate::ir::RetryOn;
    pub use crate::ir::{Archive, ArtifactGc, TimePart};
    pub use crate::settings::{ImagePullPolicy, OutputKey, RetryIf};
    pub use crate::{
        AsTask, ComponentSettings, EditTemplate, Result, RunFailure, Secret, TaskHooks,
        TaskOptions, TaskResults, TaskTemplateRef, component, container_component, for_each,
        format_arg, on_exit, one_of, pipeline, task_defaults, when,
    };
    pub use anyhow::{Context as _, bail, ensure};
}

/// Implemented by every task handle a component call returns; lets `.after(&task)` take any.
pub trait AsTask {
    /// The task this handle refers to.
    fn task_handle(&self) -> TaskHandle;
}

/// A pipeline as the binary knows it: its name and how to trace it. `#[pipeline]` generates
/// one, reached as `<pipeline fn name>::definition()`.
#[derive(Clone, Copy)]
pub struct PipelineDef {
    /// The pipeline's name.
    pub name: &'static str,
    #[doc(hidden)]
    pub header: fn() -> trace::PipelineHeader,
    #[doc(hidden)]
    pub body: fn(),
}

impl std::fmt::Debug for PipelineDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineDef")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Options of [`PipelineDef::compile`].
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// Overrides the pipeline's image for native components.
    pub image: Option<String>,
    /// Where the pipeline binary is inside the image.
    pub binary_path: String,
    /// Where pods fetch the binary from when the image is a stock one (`--deliver-binary`);
    /// it is put at `binary_path`.
    pub binary_delivery: Option<ir::BinaryDelivery>,
    /// Size limits checked at compile time (`--max-manifest-bytes`, `--max-param-bytes`).
    pub limits: Limits,
    /// Denied and allowed warnings (`--deny`, `--allow`).
    pub levels: Levels,
    /// Workflow settings that override the pipeline's attributes (`--service-account`, …).
    pub settings: ir::SettingsOverrides,
    /// The kind and schedule that override the pipeline's attribute (`--kind`, `--schedule`,
    /// `--timezone`).
    pub publish: ir::PublishOverrides,
    /// The Argo version the manifest is for (`--argo-version`).
    pub argo_version: emit::argo::ArgoVersion,
}

impl Default for CompileOptions {
    fn default() -> Self {
        Self {
            image: None,
            binary_path: protocol::default_binary_path("pipeline"),
            binary_delivery: None,
            limits: Limits::default(),
            levels: Levels::default(),
            settings: ir::SettingsOverrides::default(),
            publish: ir::PublishOverrides::default(),
            argo_version: emit::argo::ArgoVersion::default(),
        }
    }
}

impl CompileOptions {
    fn validate_options(&self) -> ValidateOptions {
        ValidateOptions {
            image: self.image.clone(),
            limits: self.limits,
            levels: self.levels.clone(),
            settings: self.settings.clone(),
        }
    }
}

/// A compiled pipeline: the validated IR and its Argo workflow.
#[derive(Debug)]
pub struct Compiled {
    /// The validated pipeline.
    pub valid: ValidPipeline,
    /// The Argo workflow: what one run on the cluster is, whatever the kind.
    pub workflow: emit::argo::Workflow,
    /// The object to write or submit: the workflow as the pipeline's kind
    /// ([`ir::Publish::kind`]), in the chosen Argo version's form.
    pub manifest: emit::argo::Manifest,
    /// Warnings found while validating and by the Argo backend's checks.
    pub warnings: Diagnostics,
}

/// Why compiling failed.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The pipeline broke one or more rules.
    #[error("the pipeline is invalid:\n{0}")]
    Invalid(Diagnostics),
}

impl PipelineDef {
    /// Traces the pipeline function into the IR.
    pub fn trace(&self, binary_path: &str) -> std::result::Result<Traced, Diagnostics> {
        // The pipeline function is user code run at compile time: a panic in it becomes a
        // diagnostic (and the CLI's exit code 3), not an abort with exit code 101.
        let traced = std::panic::catch_unwind(|| {
            trace::trace((self.header)(), binary_path.to_owned(), self.body)
        });
        let traced = traced.unwrap_or_else(|panic| {
            let why = util::panic_message(&*panic)
                .unwrap_or_else(|| "a panic with no message".to_owned());
            Err(Diagnostics::new(vec![Diagnostic::new(
                Code::TracePanic,
                self.name,
                format!("pipeline function `{}` panicked while it was traced: {why}", self.name),
                "fix the panic in the pipeline function (or in a default it uses); RUST_BACKTRACE=1 shows where",
            )]))
        })?;
        self.refuse_names_ambiguous_in_the_binary(traced)
    }

    /// A pod finds a native component by name in the binary's registry (see
    /// [`entrypoint::Registry`]); a name two functions registered would be ambiguous there, so
    /// it is refused here, before anything is emitted or run.
    fn refuse_names_ambiguous_in_the_binary(
        &self,
        traced: Traced,
    ) -> std::result::Result<Traced, Diagnostics> {
        let registry = entrypoint::Registry::load();
        let problems: Vec<Diagnostic> = traced
            .natives
            .iter()
            .filter_map(|name| registry.get(name).err())
            .map(|duplicate| {
                Diagnostic::error(
                    Code::NameCollision,
                    self.name,
                    format!(
                        "native component `{}` of this pipeline is registered by {} functions of this binary ({}): `component {}` in a pod could not tell which one to run",
                        duplicate.name,
                        duplicate.functions.len(),
                        duplicate
                            .functions
                            .iter()
                            .map(|f| format!("`{f}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        duplicate.name
                    ),
                    "give all but one of them another name with #[component(name = \"…\")]",
                )
            })
            .collect();
        if problems.is_empty() {
            Ok(traced)
        } else {
            Err(Diagnostics::new(problems))
        }
    }

    /// Traces, validates and emits the pipeline as an Argo workflow, with the Argo backend's
    /// checks (images, size budget, metadata) on top of validation's.
    pub fn compile(&self, options: &CompileOptions) -> std::result::Result<Compiled, CompileError> {
        let mut traced = self
            .trace(&options.binary_path)
            .map_err(CompileError::Invalid)?;
        traced.pipeline.binary_delivery = options.binary_delivery.clone();
        traced.pipeline.publish.apply(&options.publish);
        let (valid, emitted) = emit::argo::validate_and_emit_for(
            traced.pipeline,
            &options.validate_options(),
            options.argo_version,
        )
        .map_err(CompileError::Invalid)?;
        Ok(Compiled {
            valid,
            workflow: emitted.workflow,
            manifest: emitted.manifest,
            warnings: emitted.warnings,
        })
    }

    /// Traces and validates the pipeline for any backend, without Argo's checks: what the
    /// local runner needs (no image, no manifest budget).
    pub fn validate(
        &self,
        options: &CompileOptions,
    ) -> std::result::Result<ValidPipeline, CompileError> {
        let traced = self
            .trace(&options.binary_path)
            .map_err(CompileError::Invalid)?;
        validate::validate_owned(traced.pipeline, &options.validate_options())
            .map_err(CompileError::Invalid)
    }
}

/// The CLI entry point: `fn main() { argot::main!(pipeline_a, pipeline_b) }`.
///
/// Only pipelines are named: each `#[component]` registers itself when the binary starts, so
/// `component NAME` (what a pod runs) finds it without tracing any pipeline.
#[macro_export]
macro_rules! main {
    ($($pipeline:ident),+ $(,)?) => {
        $crate::cli::run_and_exit(
            ::core::option_env!("CARGO_BIN_NAME").unwrap_or(::core::env!("CARGO_PKG_NAME")),
            &[$($pipeline::definition()),+],
        )
    };
}

/// What the macros' generated code calls. Not a stable API.
#[doc(hidden)]
#[allow(clippy::new_without_default)] // the probes are built by generated code only
pub mod __private {
    pub use crate::dsl::{
        ArtifactRef, Input, IntoAnyArtifact, IntoArtifact, IntoParam, Output, OutputParam, Param,
        ParamRef,
    };
    pub use crate::entrypoint::{ComponentError, Invocation, NativeComponent, NativeFn};
    pub use crate::ir::{
        ArtifactRepositoryRef, CmdArg, ComponentSpec, ContainerImpl, Implementation, InputSpec,
        IoKind, OutputKind, OutputSpec, PipelineParam, Publish, TaskConfig, WorkflowSettings,
    };
    pub use crate::protocol::{input_artifact_path, output_artifact_path, output_parameter_path};
    pub use crate::settings::component_settings;
    pub use crate::subpipeline::{PipelineOutputs, call_pipeline, pipeline_outputs};
    pub use crate::trace::{
        Bound, FormatBound, PipelineHeader, TaskHandle, add_after, add_task, bind_input,
        rename_task, scope,
    };

    /// What a component call registers, with the function a pod runs for a native one.
    pub type ComponentDef = crate::trace::ComponentDef<NativeFn>;
    pub use crate::format::{FormatPiece, Formatted};
    pub use crate::value::{ParamType, encode};
    pub use crate::{ArtifactKind, AsTask, PipelineDef};
    pub use core::panic::Location;
    pub use inventory;

    /// A value usable as the default of a `T` input: a `T`, or a `&str` for a `String`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be the default of a `{T}` input",
        label = "expected a `{T}` value"
    )]
    pub trait DefaultValue<T> {
        /// Converts into the input's type.
        fn into_default(self) -> T;
    }

    impl<T: ParamType> DefaultValue<T> for T {
        fn into_default(self) -> T {
            self
        }
    }

    impl DefaultValue<String> for &str {
        fn into_default(self) -> String {
            self.to_owned()
        }
    }

    /// Encodes a default value; a failure is a bug in the user's default, reported loudly.
    pub fn encode_default<T: ParamType>(value: impl DefaultValue<T>, what: &str) -> String {
        crate::value::encode(&value.into_default())
            .unwrap_or_else(|e| panic!("the default of {what} cannot be encoded: {e}"))
    }

    /// Names an artifact kind without requiring `K: ArtifactKind` at the call site, so a
    /// non-kind is reported once (by `assert_artifact_kind`, at the user's type) rather than
    /// at every use in generated code. Autoref specialisation
    /// picks [`KnownKind`] when `K` is a kind, else [`UnknownKind`]. Call it as `(&&KindProbe::<K>::new()).name()`: the known impl is on `&KindProbe`, one autoref away, so it wins when its bound holds.
    pub struct KindProbe<K>(core::marker::PhantomData<K>);

    impl<K> KindProbe<K> {
        /// A probe for `K`.
        pub const fn new() -> Self {
            Self(core::marker::PhantomData)
        }
    }

    /// The probe's answer when `K` is an artifact kind.
    pub trait KnownKind {
        /// The kind's name.
        fn name(&self) -> String;
    }

    impl<K: ArtifactKind> KnownKind for &KindProbe<K> {
        fn name(&self) -> String {
            K::__kind_name()
        }
    }

    /// Decodes and encodes parameter values without requiring `T: ParamType` at the call
    /// site, for the same reason as [`KindProbe`]: a non-serde type gets one error, at the type.
    pub struct ParamProbe<T>(core::marker::PhantomData<fn() -> T>);

    impl<T> ParamProbe<T> {
        /// A probe for `T`.
        pub const fn new() -> Self {
            Self(core::marker::PhantomData)
        }
    }

    /// The probe's behaviour for parameter types.
    pub trait KnownParam<T> {
        /// Decodes input `name`.
        fn decode(&self, inv: &Invocation, name: &str) -> Result<T, ComponentError>;
        /// Writes output `name`.
        fn encode(&self, inv: &mut Invocation, name: &str, value: &T)
        -> Result<(), ComponentError>;
        /// How pipeline parameter `name` of type `T` travels (for `run -p` and `submit -p`).
        fn wire(&self, name: &'static str) -> crate::value::ParamWire;
    }

    impl<T: ParamType> KnownParam<T> for &ParamProbe<T> {
        fn wire(&self, name: &'static str) -> crate::value::ParamWire {
            crate::value::ParamWire::of::<T>(name)
        }
        fn decode(&self, inv: &Invocation, name: &str) -> Result<T, ComponentError> {
            inv.param(name)
        }
        fn encode(
            &self,
            inv: &mut Invocation,
            name: &str,
            value: &T,
        ) -> Result<(), ComponentError> {
            inv.set_output(name, value)
        }
    }

    /// The probe's behaviour otherwise: never runs, because the build fails at the type.
    pub trait UnknownParam<T> {
        /// Never called.
        fn decode(&self, inv: &Invocation, name: &str) -> Result<T, ComponentError>;
        /// Never called.
        fn encode(&self, inv: &mut Invocation, name: &str, value: &T)
        -> Result<(), ComponentError>;
        /// Accepts anything (never used: the build fails at the type).
        fn wire(&self, name: &'static str) -> crate::value::ParamWire;
    }

    impl<T> UnknownParam<T> for ParamProbe<T> {
        fn wire(&self, name: &'static str) -> crate::value::ParamWire {
            crate::value::ParamWire {
                name,
                form: crate::value::WireForm::Json,
                check: |_| Ok(()),
            }
        }
        fn decode(&self, _: &Invocation, name: &str) -> Result<T, ComponentError> {
            panic!("input `{name}` has a type that is not a parameter type; the build reports it")
        }
        fn encode(&self, _: &mut Invocation, name: &str, _: &T) -> Result<(), ComponentError> {
            panic!("output `{name}` has a type that is not a parameter type; the build reports it")
        }
    }

    /// Describes a parameter type by its [`Schema`](crate::Schema) impl when it has one, and
    /// as [`TypeSchema::Any`](crate::TypeSchema::Any) otherwise (autoref specialisation, as
    /// [`KindProbe`]): a user type needs no impl to be a parameter. Call it as
    /// `(&&SchemaProbe::<T>::new()).schema()`.
    pub struct SchemaProbe<T>(core::marker::PhantomData<fn() -> T>);

    impl<T> SchemaProbe<T> {
        /// A probe for `T`.
        pub const fn new() -> Self {
            Self(core::marker::PhantomData)
        }
    }

    /// The probe's answer when `T` implements [`Schema`](crate::Schema).
    pub trait KnownSchema {
        /// `T`'s schema.
        fn schema(&self) -> crate::TypeSchema;
    }

    impl<T: crate::Schema> KnownSchema for &SchemaProbe<T> {
        fn schema(&self) -> crate::TypeSchema {
            T::schema()
        }
    }

    /// The probe's answer otherwise.
    pub trait UnknownSchema {
        /// [`TypeSchema::Any`](crate::TypeSchema::Any): values are checked only as JSON.
        fn schema(&self) -> crate::TypeSchema;
    }

    impl<T> UnknownSchema for SchemaProbe<T> {
        fn schema(&self) -> crate::TypeSchema {
            crate::TypeSchema::Any
        }
    }

    /// The probe's answer otherwise (compilation fails elsewhere anyway).
    pub trait UnknownKind {
        /// An empty name.
        fn name(&self) -> String;
    }

    impl<K> UnknownKind for KindProbe<K> {
        fn name(&self) -> String {
            String::new()
        }
    }

    // The macros recognise argot's argument types by the last segment of the written path,
    // before types are resolved, so a user's own type of the same name would be misread
    // without a word; each argument they read as `W<…>` gets `assert_argot_w::<written>()`.
    // Written out rather than generated by `macro_rules!`, which would fill the error with a
    // macro backtrace.

    /// Implemented only by `argot::Input<…>`.
    #[diagnostic::on_unimplemented(
        message = "`Input` here is not `argot::Input`: argot's macros read an argument type named `Input` as argot's artifact input",
        label = "this is `{Self}`",
        note = "the macros recognise `Input` by its name, before types are resolved; rename your type (or import it under another name: `use my_crate::Input as Record;`), or write `argot::Input<…>` if you meant argot's"
    )]
    pub trait IsArgotInput {}

    impl<T> IsArgotInput for crate::dsl::Input<T> {}

    /// Static check that a type written `Input<…>` is argot's.
    pub const fn assert_argot_input<T: IsArgotInput>() {}

    /// Implemented only by `Option<argot::Input<…>>`.
    #[diagnostic::on_unimplemented(
        message = "`Option<Input<…>>` here is not an optional `argot::Input`: argot's macros read an argument type `Option<Input<…>>` as an optional artifact input",
        label = "this is `{Self}`",
        note = "rename your `Input` type (or import it under another name), or write `Option<argot::Input<…>>` if you meant argot's"
    )]
    pub trait IsArgotOptionalInput {}

    impl<T> IsArgotOptionalInput for Option<crate::dsl::Input<T>> {}

    /// Static check that a type written `Option<Input<…>>` is an optional argot input.
    pub const fn assert_argot_optional_input<T: IsArgotOptionalInput>() {}

    /// Implemented only by `argot::Output<…>`.
    #[diagnostic::on_unimplemented(
        message = "`Output` here is not `argot::Output`: argot's macros read an argument type named `Output` as argot's artifact output",
        label = "this is `{Self}`",
        note = "the macros recognise `Output` by its name, before types are resolved; rename your type (or import it under another name: `use my_crate::Output as Record;`), or write `argot::Output<…>` if you meant argot's"
    )]
    pub trait IsArgotOutput {}

    impl<T> IsArgotOutput for crate::dsl::Output<T> {}

    /// Static check that a type written `Output<…>` is argot's.
    pub const fn assert_argot_output<T: IsArgotOutput>() {}

    /// Implemented only by `argot::OutputParam<…>`.
    #[diagnostic::on_unimplemented(
        message = "`OutputParam` here is not `argot::OutputParam`: argot's macros read an argument type named `OutputParam` as argot's output parameter",
        label = "this is `{Self}`",
        note = "the macros recognise `OutputParam` by its name, before types are resolved; rename your type (or import it under another name: `use my_crate::OutputParam as Record;`), or write `argot::OutputParam<…>` if you meant argot's"
    )]
    pub trait IsArgotOutputParam {}

    impl<T> IsArgotOutputParam for crate::dsl::OutputParam<T> {}

    /// Static check that a type written `OutputParam<…>` is argot's.
    pub const fn assert_argot_output_param<T: IsArgotOutputParam>() {}

    /// Implemented only by `argot::Param<…>`.
    #[diagnostic::on_unimplemented(
        message = "`Param` here is not `argot::Param`: argot's macros read an argument type named `Param` as argot's parameter placeholder",
        label = "this is `{Self}`",
        note = "the macros recognise `Param` by its name, before types are resolved; rename your type (or import it under another name: `use my_crate::Param as Record;`), or write `argot::Param<…>` if you meant argot's"
    )]
    pub trait IsArgotParam {}

    impl<T> IsArgotParam for crate::dsl::Param<T> {}

    /// Static check that a type written `Param<…>` is argot's.
    pub const fn assert_argot_param<T: IsArgotParam>() {}

    /// Tells whether a native component's plain parameter type is one of argot's argument
    /// types behind an alias (`type Data = Input<Dataset>`), which the macros, reading names
    /// only, took for a parameter. Autoref specialisation, as [`KindProbe`]: call it as
    /// `assert_not_an_alias((&&AliasProbe::<T>::new()).verdict())`; [`ArgotTypeProbe`] is
    /// implemented one autoref away for the wrappers and wins for them.
    pub struct AliasProbe<T>(core::marker::PhantomData<fn() -> T>);

    impl<T> AliasProbe<T> {
        /// A probe for `T`.
        pub const fn new() -> Self {
            Self(core::marker::PhantomData)
        }
    }

    /// The verdict for one of argot's argument types: `T` is `W` under another name.
    pub struct AliasOf<W>(core::marker::PhantomData<fn() -> W>);

    /// The verdict for any other type: a parameter, as written.
    pub struct PlainType;

    /// The probe's answer for argot's argument types.
    pub trait ArgotTypeProbe {
        /// The wrapper type found behind the alias.
        type Wrapper;
        /// Always an [`AliasOf`], which [`assert_not_an_alias`] refuses.
        fn verdict(&self) -> AliasOf<Self::Wrapper>;
    }

    macro_rules! argot_type_probe {
        ($($wrapper:ident),*) => {$(
            impl<T> ArgotTypeProbe for &AliasProbe<crate::dsl::$wrapper<T>> {
                type Wrapper = crate::dsl::$wrapper<T>;
                fn verdict(&self) -> AliasOf<Self::Wrapper> {
                    AliasOf(core::marker::PhantomData)
                }
            }
        )*};
    }

    argot_type_probe!(Input, Output, OutputParam, Param);

    /// The probe's answer for every other type.
    pub trait PlainTypeProbe {
        /// Always [`PlainType`].
        fn verdict(&self) -> PlainType;
    }

    impl<T> PlainTypeProbe for AliasProbe<T> {
        fn verdict(&self) -> PlainType {
            PlainType
        }
    }

    /// Implemented by [`PlainType`] only: the verdict of a type the macros read correctly.
    #[diagnostic::on_unimplemented(
        message = "this argument's type is an alias of argot's `Input`, `Output`, `OutputParam` or `Param`, which argot's macros do not recognise",
        label = "an alias of an argot type, read as a plain parameter",
        note = "the macros recognise argot's argument types by their names, before types are resolved, so they cannot see through a type alias; write the type itself in the signature (`data: Input<Dataset>`, not `data: Data` with `type Data = Input<Dataset>`)"
    )]
    pub trait WrittenAsItself {}

    impl WrittenAsItself for PlainType {}

    /// Static check (a never-called function's body) that a plain parameter type is not one of
    /// argot's argument types behind an alias.
    pub fn assert_not_an_alias<V: WrittenAsItself>(_verdict: V) {}

    /// Static check that a type can be a parameter (its error points at the type).
    pub const fn assert_param_type<T: ParamType>() {}

    /// Static check that a type is an artifact kind.
    pub const fn assert_artifact_kind<K: ArtifactKind>() {}

    /// Implemented only by `argot::Artifact`.
    #[diagnostic::on_unimplemented(
        message = "`Artifact` here is not `argot::Artifact`: argot's macros read an artifact kind named `Artifact` as argot's, which accepts every kind",
        label = "this is `{Self}`",
        note = "rename your kind (or import it under another name), or write `argot::Artifact` if you meant argot's"
    )]
    pub trait IsArgotArtifact {}

    impl IsArgotArtifact for crate::dsl::Artifact {}

    /// Static check that a kind written `Artifact` is argot's.
    pub const fn assert_argot_artifact<K: IsArgotArtifact>() {}

    /// Builds a container component's implementation from what its function returned.
    pub fn container_impl(c: crate::Container) -> Implementation {
        Implementation::Container(ContainerImpl {
            image: c.image,
            command: c.command,
            args: c.args,
            output_paths: c.output_paths,
        })
    }
}
