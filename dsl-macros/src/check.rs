//! Rules on the whole function, one function per rule.

use syn::ItemFn;
use syn::spanned::Spanned;

use crate::ast::{Arg, ArgKind, Returns};
use crate::attr::Ctxt;

/// The signature must be a plain, synchronous, non-generic free function: the traced call and
/// the in-container entrypoint both call it directly with concrete values.
pub fn plain_signature(cx: &Ctxt, func: &ItemFn, what: &str) {
    let sig = &func.sig;
    if let Some(t) = &sig.asyncness {
        cx.error(t.span(), format!("{what} cannot be `async`: write a synchronous function (block on async work inside it)"));
    }
    if let Some(t) = &sig.constness {
        cx.error(t.span(), format!("{what} cannot be `const`"));
    }
    if let Some(t) = &sig.unsafety {
        cx.error(t.span(), format!("{what} cannot be `unsafe`"));
    }
    if let Some(abi) = &sig.abi {
        cx.error(abi.span(), format!("{what} cannot have an `extern` ABI"));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        cx.error(
            sig.generics.span(),
            format!("{what} cannot be generic: its inputs and outputs need concrete types to become Argo parameters and artifacts"),
        );
    }
    if let Some(v) = &sig.variadic {
        cx.error(v.span(), format!("{what} cannot be variadic"));
    }
}

/// Generated code owns `__`-names, and `output` is the return value's output.
pub fn unique_io_names(cx: &Ctxt, args: &[Arg], returns: Option<&Returns>) {
    for arg in args {
        if arg.ident.to_string().starts_with("__") {
            cx.error(
                arg.ident.span(),
                "names starting with `__` are reserved for generated code",
            );
        }
    }
    if let Some(Returns::Value { .. }) = returns
        && let Some(arg) = args.iter().find(|a| {
            a.ident == "output" && !matches!(a.kind, ArgKind::Param(_) | ArgKind::Input(_))
        })
    {
        cx.error(
            arg.ident.span(),
            "`output` is the name of the return value's output; rename this output or return `()`",
        );
    }
}
