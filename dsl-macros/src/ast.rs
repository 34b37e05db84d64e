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
}

/// Parsed `#[pipeline(…)]` attribute.
#[derive(Default)]
pub struct PipelineAttr {
    pub name: Option<(String, Span)>,
    pub image: Option<(String, Span)>,
}
