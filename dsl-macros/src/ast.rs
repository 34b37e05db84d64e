//! The internal AST the macros work on: what a component or pipeline function declares.

use proc_macro2::Span;
use syn::{Expr, Ident, Type};

/// Which macro is expanding.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Flavor {
    /// `#[component]`: the function runs in the pipeline binary.
    Native,
    /// `#[container_component]`: the function builds a `Container` at compile time.
    Container,
}

/// One argument of a component or pipeline function, classified by its type.
pub struct Arg {
    pub ident: Ident,
    /// The type as written in the signature (`Input<Dataset>`, `u32`, an alias, …).
    pub ty: Type,
    pub kind: ArgKind,
    pub default: Option<Expr>,
}

/// What an argument is.
pub enum ArgKind {
    /// A parameter input of type `T` (written `T` in native components, `Param<T>` in
    /// container components and pipelines).
    Param(Type),
    /// `Input<K>`.
    Input(Type),
    /// `Option<Input<K>>`: an artifact input a task may leave unbound (Argo `optional: true`).
    OptionalInput(Type),
    /// `Output<K>`.
    Output(Type),
    /// `OutputParam<T>`.
    OutputParam(Type),
}

/// What a component function returns.
pub enum Returns {
    /// Nothing, `()`, or `Result<()>`.
    Unit { is_result: bool },
    /// A value that becomes the output parameter `output`; `is_result` when wrapped in Result.
    Value { ty: Box<Type>, is_result: bool },
    /// A `Container` (container components).
    Container,
}

/// Parsed `#[component(…)]` / `#[container_component(…)]` attribute.
#[derive(Default)]
pub struct ComponentAttr {
    pub name: Option<(String, Span)>,
    /// `settings = path::to::fn`: a `fn(ComponentSettings) -> ComponentSettings` giving the
    /// component's pod and run settings.
    pub settings: Option<syn::ExprPath>,
}

/// Parsed `#[pipeline(…)]` attribute.
#[derive(Default)]
pub struct PipelineAttr {
    pub name: Option<(String, Span)>,
    pub image: Option<(String, Span)>,
    /// `outputs = ["accuracy", "model"]`: the names of the returned tuple's outputs.
    pub outputs: Option<(Vec<String>, Span)>,
    /// `max_depth = 10`: how many levels a pipeline that calls itself may run.
    pub max_depth: Option<(u32, Span)>,
    pub settings: SettingsAttr,
    pub publish: PublishAttr,
}

/// The object kind and CronWorkflow keys of `#[pipeline(…)]`, as written; the compiler checks
/// the values (A0046), so the attribute and the `compile` flags share one set of rules.
#[derive(Default)]
pub struct PublishAttr {
    /// One of [`crate::attr::KINDS`].
    pub kind: Option<(String, Span)>,
    pub schedules: Option<(Vec<String>, Span)>,
    pub timezone: Option<(String, Span)>,
    pub concurrency_policy: Option<(String, Span)>,
    pub starting_deadline_seconds: Option<(i64, Span)>,
    pub successful_jobs_history_limit: Option<(i64, Span)>,
    pub failed_jobs_history_limit: Option<(i64, Span)>,
}

/// The workflow settings of `#[pipeline(…)]`, as written; the compiler validates the values
/// (so the attribute and the `compile` flags share one set of rules and diagnostics).
#[derive(Default)]
pub struct SettingsAttr {
    pub service_account: Option<(String, Span)>,
    pub artifact_repository_ref: Option<(String, Span)>,
    pub image_pull_secrets: Option<(Vec<String>, Span)>,
    pub pod_gc: Option<(String, Span)>,
    pub artifact_gc: Option<(String, Span)>,
    /// Seconds or a duration such as `"1h30m"`; an integer literal arrives as its digits.
    pub ttl: Option<(String, Span)>,
    pub active_deadline: Option<(String, Span)>,
    pub secure_defaults: Option<(bool, Span)>,
    /// `telemetry = false`: no Prometheus metrics in the manifest.
    pub telemetry: Option<(bool, Span)>,
    pub run_as_user: Option<(u32, Span)>,
    pub parallelism: Option<(u32, Span)>,
    pub fail_fast: Option<(bool, Span)>,
}
