//! The attribute macros of argot: `#[component]`, `#[container_component]` and `#[pipeline]`.
//!
//! Each macro goes through the same stages, one file each: [`attr`] parses the attribute and
//! the function into a small AST ([`ast`]), collecting every error instead of stopping at the
//! first; [`check`] holds the cross-cutting rules; [`expand`] writes the code in named stages
//! (parse → analyse each argument and output → generate each item), one function per generated
//! item, with snapshot tests of the whole expansion (`expand/snapshots/`). Generated code
//! reaches the runtime only through `::argot::__private`. On error the user's function is
//! re-emitted unchanged next to the `compile_error!`s, so IDEs keep working.

use proc_macro::TokenStream;

mod ast;
mod attr;
mod check;
mod code_hash;
mod expand;
mod format;

/// Turns a Rust function into a pipeline component. See the `argot` crate docs.
#[proc_macro_attribute]
pub fn component(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::component(args.into(), item.into(), ast::Flavor::Native).into()
}

/// Turns a function that builds a `Container` into a container component.
#[proc_macro_attribute]
pub fn container_component(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::component(args.into(), item.into(), ast::Flavor::Container).into()
}

/// Turns a function into a pipeline: its body is traced at compile time.
#[proc_macro_attribute]
pub fn pipeline(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::pipeline(args.into(), item.into()).into()
}

/// A typed formatted string for a `String` input: `format_arg!("gs://{}/v{}", bucket, trained.output)`.
/// See the `argot` crate docs (`argot::format`).
#[proc_macro]
pub fn format_arg(input: TokenStream) -> TokenStream {
    format::format_arg(input.into()).into()
}
