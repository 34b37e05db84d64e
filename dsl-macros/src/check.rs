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
            a.ident == "output"
                && !matches!(
                    a.kind,
                    ArgKind::Param(_) | ArgKind::Input(_) | ArgKind::OptionalInput(_)
                )
        })
    {
        cx.error(
            arg.ident.span(),
            "`output` is the name of the return value's output; rename this output or return `()`",
        );
    }
}

/// Methods every task handle has (inherent on `NAME::Task`, or from `TaskResults`, `AsTask`,
/// `TaskHooks` and `TaskOptions`): a defaulted input, which becomes a builder method of the
/// same name, must not take one of them (the inherent method would silently hide the trait's).
pub const TASK_METHODS: &[&str] = &[
    "name",
    "after",
    "task_handle",
    "succeeded",
    "failed",
    "errored",
    "skipped",
    "omitted",
    "done",
    "finished",
    "any_succeeded",
    "all_failed",
    "depends_on",
    "on_success",
    "on_failure",
    "on_exit",
    "template_ref",
    "cluster_template_ref",
    "add_empty_dir_volume",
    "add_pod_annotation",
    "add_pod_label",
    "add_memory_volume",
    "add_mutex",
    "add_semaphore",
    "set_output_archive",
    "set_output_gc",
    "set_output_key",
    "add_node_selector_constraint",
    "add_pvc_volume",
    "add_run_volume",
    "add_secret_volume",
    "add_sidecar",
    "add_init_container",
    "add_config_map_volume",
    "add_toleration",
    "edit_template",
    "set_accelerator_limit",
    "set_active_deadline",
    "set_caching_options",
    "set_affinity",
    "set_pod_security_context",
    "set_security_context",
    "set_container_image",
    "set_cpu_limit",
    "set_cpu_request",
    "set_env_from_config_map",
    "set_env_from_field",
    "set_env_from_secret",
    "set_image_pull_policy",
    "set_env_variable",
    "set_memory_limit",
    "set_memoize",
    "set_priority_class",
    "set_memory_request",
    "set_resource_limit",
    "set_resource_request",
    "set_retry",
    "set_retry_backoff",
    "set_retry_expression",
    "set_retry_policy",
    "set_scheduler_name",
    "set_service_account",
    "set_timeout",
];

/// Each `#[default(…)]` input becomes a builder method named after it on the task handle, so
/// its name must not be one of the handle's own methods.
pub fn builder_names(cx: &Ctxt, args: &[Arg]) {
    // An optional artifact input is set by a method of its name too.
    let by_method = |a: &&Arg| a.default.is_some() || matches!(a.kind, ArgKind::OptionalInput(_));
    for arg in args.iter().filter(by_method) {
        let name = arg.ident.to_string();
        if TASK_METHODS.contains(&name.as_str()) {
            let what = if arg.default.is_some() {
                "an input with a default"
            } else {
                "an optional artifact input"
            };
            cx.error(
                arg.ident.span(),
                format!(
                    "{what} is set with a method of the same name on the task (`.{name}(…)`), and `{name}` is already a method of every task; rename the input"
                ),
            );
        }
    }
}

/// The generated module `NAME` holds the task handle `NAME::Task`, and the items that mention
/// the signature's types (the plain call, the entrypoint, the task's output fields) live in it
/// with the user's names glob-imported: there an unqualified `Task` means the handle, not the
/// user's type. Refused here rather than left to a confusing type error in generated code.
pub fn no_unqualified_task(cx: &Ctxt, func: &ItemFn, component: &str) {
    let mut types: Vec<&syn::Type> = func
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(t) => Some(&*t.ty),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    if let syn::ReturnType::Type(_, ty) = &func.sig.output {
        types.push(ty);
    }
    for ty in types {
        if let Some(span) = unqualified_ident(quote::ToTokens::to_token_stream(ty), "Task") {
            cx.error(
                span,
                format!(
                    "a type named `Task` cannot be written unqualified in a component's signature: in the generated module `{component}`, `Task` is the task handle `{component}::Task`; write its path from the crate root (`crate::jobs::Task`) or import it under another name (`use crate::jobs::Task as Job;`)"
                ),
            );
        }
    }
}

/// The span of the first `name` in `tokens` that does not follow a `::`.
fn unqualified_ident(tokens: proc_macro2::TokenStream, name: &str) -> Option<proc_macro2::Span> {
    let mut after_colons = false;
    let mut previous_colon = false;
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(ident) => {
                if ident == name && !after_colons {
                    return Some(ident.span());
                }
                after_colons = false;
                previous_colon = false;
            }
            proc_macro2::TokenTree::Punct(punct) if punct.as_char() == ':' => {
                after_colons = previous_colon;
                previous_colon = true;
            }
            proc_macro2::TokenTree::Group(group) => {
                if let Some(span) = unqualified_ident(group.stream(), name) {
                    return Some(span);
                }
                after_colons = false;
                previous_colon = false;
            }
            _ => {
                after_colons = false;
                previous_colon = false;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::unqualified_ident;
    use quote::quote;

    #[test]
    fn finds_task_only_where_it_is_not_a_path_segment_after_another() {
        for found in [
            quote!(Task),
            quote!(Vec<Task>),
            quote!(Option<(u32, Task)>),
            quote!(Task::Assoc),
            quote!(Result<[Task; 2]>),
        ] {
            assert!(
                unqualified_ident(found.clone(), "Task").is_some(),
                "{found}"
            );
        }
        for not_found in [
            quote!(crate::jobs::Task),
            quote!(Vec<jobs::Task>),
            quote!(::jobs::Task),
            quote!(Tasks),
            quote!(Input<Dataset>),
        ] {
            assert!(
                unqualified_ident(not_found.clone(), "Task").is_none(),
                "{not_found}"
            );
        }
    }
}
