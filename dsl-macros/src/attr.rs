//! Parsing: attribute arguments and function signatures into the [`crate::ast`] types.
//! Nothing here returns early on a user mistake: every error is recorded in the [`Ctxt`].

use std::cell::RefCell;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Expr, FnArg, GenericArgument, ItemFn, Lit, Meta, Pat, PathArguments, ReturnType, Token, Type,
};

use crate::ast::{Arg, ArgKind, ComponentAttr, Flavor, PipelineAttr, Returns};

/// Attribute keys, as constants so a typo is a compile error here rather than a silent miss.
pub const NAME: &str = "name";
pub const IMAGE: &str = "image";
pub const DEFAULT: &str = "default";
pub const SERVICE_ACCOUNT: &str = "service_account";
pub const ARTIFACT_REPOSITORY_REF: &str = "artifact_repository_ref";
pub const IMAGE_PULL_SECRETS: &str = "image_pull_secrets";
pub const POD_GC: &str = "pod_gc";
pub const ARTIFACT_GC: &str = "artifact_gc";
pub const TTL: &str = "ttl";
pub const ACTIVE_DEADLINE: &str = "active_deadline";
pub const SECURE_DEFAULTS: &str = "secure_defaults";
pub const TELEMETRY: &str = "telemetry";
pub const RUN_AS_USER: &str = "run_as_user";
pub const OUTPUTS: &str = "outputs";
pub const SETTINGS: &str = "settings";
pub const PARALLELISM: &str = "parallelism";
pub const KIND: &str = "kind";
pub const SCHEDULE: &str = "schedule";
pub const TIMEZONE: &str = "timezone";
pub const CONCURRENCY_POLICY: &str = "concurrency_policy";
pub const STARTING_DEADLINE_SECONDS: &str = "starting_deadline_seconds";
pub const SUCCESSFUL_JOBS_HISTORY_LIMIT: &str = "successful_jobs_history_limit";
pub const FAILED_JOBS_HISTORY_LIMIT: &str = "failed_jobs_history_limit";

/// The values of `kind = "…"`, with the `argot::ir::OutputKind` variant each names (the
/// compiler's `OutputKind::as_str` spells them the same; a test there keeps them in step).
pub const KINDS: [(&str, &str); 4] = [
    ("workflow", "Workflow"),
    ("workflow-template", "WorkflowTemplate"),
    ("cluster-workflow-template", "ClusterWorkflowTemplate"),
    ("cron-workflow", "CronWorkflow"),
];
pub const MAX_DEPTH: &str = "max_depth";
pub const FAIL_FAST: &str = "fail_fast";

/// Collects errors so that one build reports all of them.
#[derive(Default)]
pub struct Ctxt {
    errors: RefCell<Option<syn::Error>>,
}

impl Ctxt {
    pub fn error(&self, span: Span, message: impl std::fmt::Display) {
        let e = syn::Error::new(span, message);
        let mut slot = self.errors.borrow_mut();
        match slot.as_mut() {
            Some(all) => all.combine(e),
            None => *slot = Some(e),
        }
    }

    pub fn syn_error(&self, e: syn::Error) {
        let mut slot = self.errors.borrow_mut();
        match slot.as_mut() {
            Some(all) => all.combine(e),
            None => *slot = Some(e),
        }
    }

    pub fn finish(self) -> Result<(), syn::Error> {
        match self.errors.into_inner() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

fn metas(cx: &Ctxt, args: TokenStream) -> Vec<Meta> {
    if args.is_empty() {
        return Vec::new();
    }
    match syn::parse::Parser::parse2(Punctuated::<Meta, Token![,]>::parse_terminated, args) {
        Ok(list) => list.into_iter().collect(),
        Err(e) => {
            cx.syn_error(e);
            Vec::new()
        }
    }
}

fn string_value(cx: &Ctxt, meta: &Meta, key: &str) -> Option<(String, Span)> {
    let Meta::NameValue(nv) = meta else {
        cx.error(meta.span(), format!("expected `{key} = \"…\"`"));
        return None;
    };
    match &nv.value {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) => Some((s.value(), s.span())),
        other => {
            cx.error(
                other.span(),
                format!("`{key}` takes a string literal: `{key} = \"…\"`"),
            );
            None
        }
    }
}

/// The value `parse` reads from the literal of `key = literal`, with the literal's span, or an
/// error saying what `key` takes.
fn literal<T>(
    cx: &Ctxt,
    meta: &Meta,
    key: &str,
    takes: &str,
    parse: impl FnOnce(&Lit) -> Option<T>,
) -> Option<(T, Span)> {
    let Meta::NameValue(nv) = meta else {
        cx.error(
            meta.span(),
            format!("expected `{key} = …`: `{key}` takes {takes}"),
        );
        return None;
    };
    let Expr::Lit(syn::ExprLit { lit, .. }) = &nv.value else {
        cx.error(nv.value.span(), format!("`{key}` takes {takes}"));
        return None;
    };
    let value = parse(lit);
    if value.is_none() {
        cx.error(lit.span(), format!("`{key}` takes {takes}"));
    }
    value.map(|v| (v, lit.span()))
}

/// `key = 3600` or `key = "1h30m"`: a length of time, kept as written (the compiler checks it).
fn seconds_value(cx: &Ctxt, meta: &Meta, key: &str) -> Option<(String, Span)> {
    let takes = format!("seconds or a duration: `{key} = 3600` or `{key} = \"1h30m\"`");
    literal(cx, meta, key, &takes, |lit| match lit {
        Lit::Str(s) => Some(s.value()),
        Lit::Int(i) if i.suffix().is_empty() => Some(i.base10_digits().to_owned()),
        _ => None,
    })
}

fn bool_value(cx: &Ctxt, meta: &Meta, key: &str) -> Option<(bool, Span)> {
    let takes = format!("`true` or `false`: `{key} = false`");
    literal(cx, meta, key, &takes, |lit| match lit {
        Lit::Bool(b) => Some(b.value),
        _ => None,
    })
}

fn user_id_value(cx: &Ctxt, meta: &Meta, key: &str) -> Option<(u32, Span)> {
    let takes = format!("a numeric user id from 0 to 2147483647: `{key} = 65532`");
    literal(cx, meta, key, &takes, |lit| match lit {
        Lit::Int(i) => i.base10_parse::<u32>().ok(),
        _ => None,
    })
}

/// `key = "one"` or `key = ["one", "two"]`.
fn string_list_value(cx: &Ctxt, meta: &Meta, key: &str) -> Option<(Vec<String>, Span)> {
    let takes = format!("a string or a list of strings: `{key} = [\"regcred\"]`");
    let Meta::NameValue(nv) = meta else {
        cx.error(
            meta.span(),
            format!("expected `{key} = …`: `{key}` takes {takes}"),
        );
        return None;
    };
    let item = |e: &Expr| match e {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.value()),
        other => {
            cx.error(other.span(), format!("`{key}` takes {takes}"));
            None
        }
    };
    match &nv.value {
        Expr::Array(list) => {
            let items: Vec<Option<String>> = list.elems.iter().map(item).collect();
            items
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .map(|v| (v, nv.value.span()))
        }
        single => item(single).map(|s| (vec![s], single.span())),
    }
}

fn set_once(cx: &Ctxt, slot: &mut Option<(String, Span)>, meta: &Meta, key: &str) {
    let value = string_value(cx, meta, key);
    put_once(cx, slot, value, meta, key);
}

fn put_once<T>(
    cx: &Ctxt,
    slot: &mut Option<(T, Span)>,
    value: Option<(T, Span)>,
    meta: &Meta,
    key: &str,
) {
    if slot.is_some() {
        cx.error(
            meta.path().span(),
            format!("duplicate attribute key `{key}`"),
        );
    } else {
        *slot = value;
    }
}

fn unknown_key(cx: &Ctxt, meta: &Meta, known: &[&str]) {
    let found = meta.path().to_token_stream().to_string().replace(' ', "");
    let hint = known
        .iter()
        .map(|k| (distance(&found, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| format!("; did you mean `{k}`?"))
        .unwrap_or_default();
    let list = known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    cx.error(
        meta.path().span(),
        format!("unknown attribute key `{found}` (expected one of {list}){hint}"),
    );
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

pub fn component_attr(cx: &Ctxt, args: TokenStream) -> ComponentAttr {
    let mut attr = ComponentAttr::default();
    for meta in metas(cx, args) {
        if meta.path().is_ident(NAME) {
            set_once(cx, &mut attr.name, &meta, NAME);
        } else if meta.path().is_ident(SETTINGS) {
            let path = match &meta {
                Meta::NameValue(nv) => match &nv.value {
                    Expr::Path(path) => Some(path.clone()),
                    other => {
                        cx.error(other.span(), "`settings` takes the path of a function: `settings = gpu_settings`, with `fn gpu_settings(s: ComponentSettings) -> ComponentSettings`");
                        None
                    }
                },
                _ => {
                    cx.error(meta.span(), "expected `settings = …`: the path of a `fn(ComponentSettings) -> ComponentSettings`");
                    None
                }
            };
            if attr.settings.is_some() {
                cx.error(
                    meta.path().span(),
                    format!("duplicate attribute key `{SETTINGS}`"),
                );
            } else {
                attr.settings = path;
            }
        } else {
            unknown_key(cx, &meta, &[NAME, SETTINGS]);
        }
    }
    attr
}

pub fn pipeline_attr(cx: &Ctxt, args: TokenStream) -> PipelineAttr {
    let mut attr = PipelineAttr::default();
    let s = &mut attr.settings;
    for meta in metas(cx, args) {
        let path = meta.path();
        if path.is_ident(NAME) {
            set_once(cx, &mut attr.name, &meta, NAME);
        } else if path.is_ident(IMAGE) {
            set_once(cx, &mut attr.image, &meta, IMAGE);
        } else if path.is_ident(SERVICE_ACCOUNT) {
            set_once(cx, &mut s.service_account, &meta, SERVICE_ACCOUNT);
        } else if path.is_ident(ARTIFACT_REPOSITORY_REF) {
            set_once(
                cx,
                &mut s.artifact_repository_ref,
                &meta,
                ARTIFACT_REPOSITORY_REF,
            );
        } else if path.is_ident(OUTPUTS) {
            let v = string_list_value(cx, &meta, OUTPUTS);
            put_once(cx, &mut attr.outputs, v, &meta, OUTPUTS);
        } else if path.is_ident(IMAGE_PULL_SECRETS) {
            let v = string_list_value(cx, &meta, IMAGE_PULL_SECRETS);
            put_once(cx, &mut s.image_pull_secrets, v, &meta, IMAGE_PULL_SECRETS);
        } else if path.is_ident(POD_GC) {
            set_once(cx, &mut s.pod_gc, &meta, POD_GC);
        } else if path.is_ident(ARTIFACT_GC) {
            set_once(cx, &mut s.artifact_gc, &meta, ARTIFACT_GC);
        } else if path.is_ident(TTL) {
            let v = seconds_value(cx, &meta, TTL);
            put_once(cx, &mut s.ttl, v, &meta, TTL);
        } else if path.is_ident(ACTIVE_DEADLINE) {
            let v = seconds_value(cx, &meta, ACTIVE_DEADLINE);
            put_once(cx, &mut s.active_deadline, v, &meta, ACTIVE_DEADLINE);
        } else if path.is_ident(FAIL_FAST) {
            let v = bool_value(cx, &meta, FAIL_FAST);
            put_once(cx, &mut s.fail_fast, v, &meta, FAIL_FAST);
        } else if path.is_ident(SECURE_DEFAULTS) {
            let v = bool_value(cx, &meta, SECURE_DEFAULTS);
            put_once(cx, &mut s.secure_defaults, v, &meta, SECURE_DEFAULTS);
        } else if path.is_ident(TELEMETRY) {
            let v = bool_value(cx, &meta, TELEMETRY);
            put_once(cx, &mut s.telemetry, v, &meta, TELEMETRY);
        } else if path.is_ident(RUN_AS_USER) {
            let v = user_id_value(cx, &meta, RUN_AS_USER);
            put_once(cx, &mut s.run_as_user, v, &meta, RUN_AS_USER);
        } else if path.is_ident(PARALLELISM) {
            let takes = format!("a number of tasks from 1: `{PARALLELISM} = 4`");
            let v = literal(cx, &meta, PARALLELISM, &takes, |lit| match lit {
                Lit::Int(i) => i.base10_parse::<u32>().ok().filter(|n| *n >= 1),
                _ => None,
            });
            put_once(cx, &mut s.parallelism, v, &meta, PARALLELISM);
        } else if publish_key(cx, &meta, &mut attr.publish) {
        } else if path.is_ident(MAX_DEPTH) {
            // The range (2 to what Argo can nest) is the compiler's to check (A0040), so a
            // hand-built pipeline meets the same rule.
            let takes = format!("a number of levels: `{MAX_DEPTH} = 10`");
            let v = literal(cx, &meta, MAX_DEPTH, &takes, |lit| match lit {
                Lit::Int(i) => i.base10_parse::<u32>().ok(),
                _ => None,
            });
            put_once(cx, &mut attr.max_depth, v, &meta, MAX_DEPTH);
        } else {
            unknown_key(
                cx,
                &meta,
                &[
                    ACTIVE_DEADLINE,
                    ARTIFACT_GC,
                    ARTIFACT_REPOSITORY_REF,
                    CONCURRENCY_POLICY,
                    FAILED_JOBS_HISTORY_LIMIT,
                    FAIL_FAST,
                    IMAGE,
                    IMAGE_PULL_SECRETS,
                    KIND,
                    MAX_DEPTH,
                    NAME,
                    OUTPUTS,
                    PARALLELISM,
                    POD_GC,
                    RUN_AS_USER,
                    SCHEDULE,
                    SECURE_DEFAULTS,
                    SERVICE_ACCOUNT,
                    STARTING_DEADLINE_SECONDS,
                    SUCCESSFUL_JOBS_HISTORY_LIMIT,
                    TELEMETRY,
                    TIMEZONE,
                    TTL,
                ],
            );
        }
    }
    attr
}

/// Parses `meta` into `publish` when it is one of the kind and CronWorkflow keys; false when
/// it is another key.
fn publish_key(cx: &Ctxt, meta: &Meta, publish: &mut crate::ast::PublishAttr) -> bool {
    let path = meta.path();
    if path.is_ident(KIND) {
        let v = string_value(cx, meta, KIND).filter(|(text, span)| {
            let known = KINDS.iter().any(|(k, _)| k == text);
            if !known {
                let list = KINDS
                    .iter()
                    .map(|(k, _)| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                cx.error(
                    *span,
                    format!("unknown kind `{text}`: `{KIND}` takes one of {list}"),
                );
            }
            known
        });
        put_once(cx, &mut publish.kind, v, meta, KIND);
    } else if path.is_ident(SCHEDULE) {
        let v = string_list_value(cx, meta, SCHEDULE);
        put_once(cx, &mut publish.schedules, v, meta, SCHEDULE);
    } else if path.is_ident(TIMEZONE) {
        set_once(cx, &mut publish.timezone, meta, TIMEZONE);
    } else if path.is_ident(CONCURRENCY_POLICY) {
        set_once(
            cx,
            &mut publish.concurrency_policy,
            meta,
            CONCURRENCY_POLICY,
        );
    } else {
        let (slot, key) = if path.is_ident(STARTING_DEADLINE_SECONDS) {
            (
                &mut publish.starting_deadline_seconds,
                STARTING_DEADLINE_SECONDS,
            )
        } else if path.is_ident(SUCCESSFUL_JOBS_HISTORY_LIMIT) {
            (
                &mut publish.successful_jobs_history_limit,
                SUCCESSFUL_JOBS_HISTORY_LIMIT,
            )
        } else if path.is_ident(FAILED_JOBS_HISTORY_LIMIT) {
            (
                &mut publish.failed_jobs_history_limit,
                FAILED_JOBS_HISTORY_LIMIT,
            )
        } else {
            return false;
        };
        let takes = format!("a whole number: `{key} = 3`");
        let v = literal(cx, meta, key, &takes, |lit| match lit {
            Lit::Int(i) => i.base10_parse::<i64>().ok(),
            _ => None,
        });
        put_once(cx, slot, v, meta, key);
    }
    true
}

/// The doc comment of an item, one line per `///` line, trimmed.
pub fn doc_comment(attrs: &[syn::Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|l| l.strip_prefix(' ').unwrap_or(&l).trim_end().to_owned())
        .collect();
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// The single generic argument of `Wrapper<T>` if `ty`'s last path segment is `wrapper`.
pub fn wrapped<'a>(ty: &'a Type, wrapper: &str) -> Option<Option<&'a Type>> {
    let Type::Path(tp) = ty else { return None };
    if tp.qself.is_some() {
        return None;
    }
    let last = tp.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return Some(None);
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    Some(types.next())
}

/// Parses and classifies the arguments of a component or pipeline function, stripping the
/// `#[default(…)]` attributes from `func` as it goes.
pub fn args(cx: &Ctxt, func: &mut ItemFn, flavor: Option<Flavor>) -> Vec<Arg> {
    let mut out = Vec::new();
    for input in func.sig.inputs.iter_mut() {
        let pat_type = match input {
            FnArg::Receiver(r) => {
                cx.error(
                    r.span(),
                    "a component or pipeline cannot take `self`; write a free function",
                );
                continue;
            }
            FnArg::Typed(t) => t,
        };
        let mut default = None;
        let mut kept = Vec::new();
        for a in pat_type.attrs.drain(..) {
            if a.path().is_ident(DEFAULT) {
                match a.parse_args::<Expr>() {
                    Ok(e) if default.is_none() => default = Some(e),
                    Ok(_) => cx.error(a.span(), "duplicate `#[default(…)]` on this argument"),
                    Err(e) => cx.error(e.span(), format!("expected `#[default(value)]`: {e}")),
                }
            } else {
                kept.push(a);
            }
        }
        pat_type.attrs = kept;
        let ident = match &*pat_type.pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => p.ident.clone(),
            other => {
                cx.error(
                    other.span(),
                    "unsupported argument pattern: write a plain name, such as `rows: u32`",
                );
                continue;
            }
        };
        let ty = (*pat_type.ty).clone();
        let Some(kind) = classify(cx, &ty, flavor) else {
            continue;
        };
        if default.is_some() && !matches!(kind, ArgKind::Param(_)) {
            cx.error(
                ident.span(),
                "`#[default(…)]` applies only to parameter inputs",
            );
        }
        out.push(Arg {
            ident,
            ty,
            kind,
            default,
        });
    }
    out
}

fn classify(cx: &Ctxt, ty: &Type, flavor: Option<Flavor>) -> Option<ArgKind> {
    let generic = |wrapper: &str| -> Option<Option<Type>> {
        wrapped(ty, wrapper).map(|inner| match inner {
            Some(t) => Some(t.clone()),
            None => {
                cx.error(
                    ty.span(),
                    format!(
                        "`{wrapper}` needs a type argument, such as `{wrapper}<…>`; {}",
                        own_type_hint(wrapper)
                    ),
                );
                None
            }
        })
    };
    if let Some(k) = generic("Input") {
        // A pipeline's artifact input is bound when another pipeline calls it.
        return k.map(ArgKind::Input);
    }
    if let Some(Some(inner)) = wrapped(ty, "Option")
        && let Some(k) = wrapped(inner, "Input")
    {
        let Some(k) = k else {
            cx.error(
                inner.span(),
                "`Input` needs a kind, such as `Option<Input<Dataset>>`",
            );
            return None;
        };
        return Some(ArgKind::OptionalInput(k.clone())).filter(|_| {
            pipeline_refuses(
                cx,
                ty,
                flavor,
                "optional artifact inputs (`Option<Input<…>>`)",
            )
        });
    }
    if let Some(k) = generic("Output") {
        return k
            .map(ArgKind::Output)
            .filter(|_| pipeline_refuses(cx, ty, flavor, "artifact outputs (`Output<…>`)"));
    }
    if let Some(k) = generic("OutputParam") {
        return k
            .map(ArgKind::OutputParam)
            .filter(|_| pipeline_refuses(cx, ty, flavor, "output parameters"));
    }
    if let Some(k) = generic("Param") {
        return match flavor {
            Some(Flavor::Native) => {
                let inner = k?;
                cx.error(
                    ty.span(),
                    format!(
                        "a native component receives plain values: write `{}` instead of `Param<…>`; {}",
                        inner.to_token_stream(),
                        own_type_hint("Param")
                    ),
                );
                None
            }
            _ => k.map(ArgKind::Param),
        };
    }
    match flavor {
        None => {
            cx.error(
                ty.span(),
                "a pipeline parameter is declared as `Param<T>`, for example `rows: Param<u32>`; an alias of `Param<…>` is not recognised (the macros read types by name, before they are resolved): write `Param<…>` itself",
            );
            None
        }
        Some(Flavor::Container) => {
            cx.error(
                ty.span(),
                format!(
                    "a container component receives placeholders: write `Param<{}>` (its value is placed into the command line); an alias of argot's `Param`, `Input`, `Output` or `OutputParam` is not recognised (the macros read types by name, before they are resolved): write the type itself",
                    ty.to_token_stream()
                ),
            );
            None
        }
        Some(Flavor::Native) => match ty {
            Type::Reference(r) => {
                cx.error(r.span(), "parameters are owned values: use `String` instead of `&str`, `Vec<T>` instead of `&[T]`");
                None
            }
            Type::ImplTrait(t) => {
                cx.error(
                    t.span(),
                    "`impl Trait` arguments are not supported: use a concrete serde type",
                );
                None
            }
            _ => Some(ArgKind::Param(ty.clone())),
        },
    }
}

/// Why a type of the user's own named like one of argot's is misread, and what to do.
fn own_type_hint(wrapper: &str) -> String {
    format!(
        "if `{wrapper}` is a type of your own, rename it or import it under another name (`use my_crate::{wrapper} as Record;`): argot's macros read any type named `{wrapper}` as argot's"
    )
}

fn pipeline_refuses(cx: &Ctxt, ty: &Type, flavor: Option<Flavor>, what: &str) -> bool {
    if flavor.is_none() {
        cx.error(ty.span(), format!("a pipeline function cannot declare {what}: its inputs are `Param<T>` and `Input<K>`, and it returns its outputs; produce artifacts with a component"));
        return false;
    }
    true
}

/// Classifies the return type of a component function.
pub fn returns(cx: &Ctxt, output: &ReturnType, flavor: Flavor) -> Option<Returns> {
    let ty = match output {
        ReturnType::Default => {
            if flavor == Flavor::Container {
                cx.error(
                    Span::call_site(),
                    "a container component must return `Container`",
                );
                return None;
            }
            return Some(Returns::Unit { is_result: false });
        }
        ReturnType::Type(_, ty) => &**ty,
    };
    if flavor == Flavor::Container {
        return match wrapped(ty, "Container") {
            Some(_) => Some(Returns::Container),
            None => {
                cx.error(ty.span(), "a container component must return `Container`");
                None
            }
        };
    }
    if wrapped(ty, "Container").is_some() {
        cx.error(ty.span(), "a function that returns `Container` is a container component: use `#[container_component]`");
        return None;
    }
    let (inner, is_result) = match wrapped(ty, "Result") {
        Some(Some(t)) => (t, true),
        Some(None) => {
            cx.error(
                ty.span(),
                "write the success type of the result, such as `Result<f64>`",
            );
            return None;
        }
        None => (ty, false),
    };
    if matches!(inner, Type::Tuple(t) if t.elems.is_empty()) {
        return Some(Returns::Unit { is_result });
    }
    if let Type::Reference(r) = inner {
        cx.error(
            r.span(),
            "a component returns an owned value: use `String` instead of `&str`",
        );
        return None;
    }
    Some(Returns::Value {
        ty: Box::new(inner.clone()),
        is_result,
    })
}

/// A normalised spelling of a type for the IR (`Vec<f64>`, not `Vec < f64 >`).
pub fn type_string(ty: &Type) -> String {
    let raw = ty.to_token_stream().to_string();
    let chars: Vec<char> = raw.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(raw.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = i.checked_sub(1).map(|j| chars[j]).unwrap_or(' ');
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            if !(word(prev) && word(next)) {
                continue;
            }
        }
        out.push(c);
    }
    out
}
