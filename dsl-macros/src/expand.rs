//! Code generation. For `#[component] fn train(…)` the expansion is:
//!
//! - `fn __argot_impl_train(…)`: the user's function, unchanged but renamed;
//! - `fn train(inputs…) -> train::Task`: the traced call used in pipeline bodies — each input
//!   takes `impl IntoParam<T>` / `impl IntoArtifact<K>`, so a wrong type is an error at the
//!   argument;
//! - `mod train`: `call` (the plain function, for unit tests), `Task` (the handle whose fields
//!   are the outputs), `spec()` (the IR), `__run` (the in-container entrypoint);
//! - for a native component, its registration (name → `spec`, `__run`), collected when the
//!   binary starts so `component NAME` traces no pipeline.
//!
//! Functions and modules live in different namespaces, so `train(…)` and `train::call(…)`
//! coexist.
//!
//! Each macro runs in three stages, so that each piece of generated code has one function that
//! writes it:
//!
//! 1. **parse** ([`parse_component`], [`parse_pipeline`]): the attribute and the function into
//!    the [`crate::ast`] types, with every user mistake collected; on any, the function is
//!    re-emitted unchanged next to the errors.
//! 2. **analyse** ([`analyse_component`], [`analyse_pipeline`]): each argument and output,
//!    classified, becomes the fragments every generated item needs ([`Fragments`]).
//! 3. **generate**: one function per item — [`traced_call`], [`registration`],
//!    [`task_handle`], [`plain_call`], [`component_spec`], [`native_entrypoint`] for a
//!    component; [`pipeline_module`] for a pipeline — assembled by [`generate_component`] and
//!    [`generate_pipeline`].
//!
//! Generated code names argot only as `::argot::__private::…` and the standard library only by
//! absolute paths, so no name a user declares or imports can change its meaning.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, LitStr, Type};

use crate::ast::{Arg, ArgKind, ComponentAttr, Flavor, PipelineAttr, Returns, SettingsAttr};
use crate::attr::{self, Ctxt, type_string};
use crate::check;

/// The path every generated item reaches argot through.
fn private() -> TokenStream {
    quote!(::argot::__private)
}

/// Re-emits the user's function next to the errors, so IDEs keep working.
fn fallback(func: &ItemFn, error: syn::Error) -> TokenStream {
    let error = error.into_compile_error();
    quote! { #func #error }
}

/// The item under the attribute as a function, or the item re-emitted with an error saying
/// where argot attributes go.
fn parse_fn(item: TokenStream) -> Result<ItemFn, TokenStream> {
    syn::parse2::<ItemFn>(item.clone()).map_err(|e| {
        let message = format!("{e}; argot attributes go on a free function (`fn name(…) {{ … }}`)");
        let e = syn::Error::new(e.span(), message).into_compile_error();
        quote! { #item #e }
    })
}

/// A string literal token (call-site span).
fn lit(s: &str) -> LitStr {
    LitStr::new(s, Span::call_site())
}

/// `Option<String>` tokens of `s`.
fn opt_string(s: Option<String>) -> TokenStream {
    match s {
        Some(s) => quote!(::core::option::Option::Some(::std::string::String::from(#s))),
        None => quote!(::core::option::Option::None),
    }
}

/// The `IoKind` of a parameter of type `t`, as the spec records it: the type as written and
/// its schema.
fn parameter_kind(t: &Type) -> TokenStream {
    let p = private();
    let rust_type = lit(&type_string(t));
    let schema = schema_of(t);
    quote!(#p::IoKind::Parameter { rust_type: ::std::string::String::from(#rust_type), schema: #schema })
}

/// The expression that yields the `TypeSchema` of parameter type `ty`: its `Schema` impl, or
/// `any` for a type without one (autoref specialisation in `SchemaProbe`).
fn schema_of(ty: &Type) -> TokenStream {
    let p = private();
    quote!({ use #p::{KnownSchema as _, UnknownSchema as _}; (&&#p::SchemaProbe::<#ty>::new()).schema() })
}

/// The `IoKind` of an artifact of kind `k`.
fn artifact_kind(k: &Type) -> TokenStream {
    let p = private();
    quote!(#p::IoKind::Artifact { kind: { use #p::{KnownKind as _, UnknownKind as _}; (&&#p::KindProbe::<#k>::new()).name() } })
}

/// The encoded default of a parameter of type `t`, or `None`; `what` names the input in the
/// panic message of a default that cannot be encoded.
fn default_value(t: &Type, default: Option<&syn::Expr>, what: &str) -> TokenStream {
    let p = private();
    let what = lit(what);
    match default {
        Some(expr) => quote_spanned! {expr.span()=>
            ::core::option::Option::Some(#p::encode_default::<#t>(#expr, #what))
        },
        None => quote!(::core::option::Option::None),
    }
}

/// Static check that `t` can be a parameter, spanned at the type so the error points there.
fn param_type_check(t: &Type) -> TokenStream {
    let p = private();
    quote_spanned! {t.span()=> const _: () = #p::assert_param_type::<#t>(); }
}

/// True when `k` is written `Artifact` (or `…::Artifact`): the kind every kind feeds.
fn is_any_artifact(k: &Type) -> bool {
    matches!(k, Type::Path(tp) if tp.qself.is_none()
        && tp.path.segments.last().is_some_and(|s| s.ident == "Artifact" && s.arguments.is_none()))
}

/// The type an artifact input of kind `k` takes in a traced call, and how it binds `ident`:
/// `impl IntoArtifact<K>`, or, for `Input<Artifact>`, `impl IntoAnyArtifact` (any kind,
/// user kinds included; one trait cannot say both without overlapping impls).
fn artifact_binding(k: &Type, ident: &Ident) -> (TokenStream, TokenStream) {
    let p = private();
    if is_any_artifact(k) {
        (
            quote!(impl #p::IntoAnyArtifact),
            quote!(#p::IntoAnyArtifact::__bind(#ident)),
        )
    } else {
        (
            quote!(impl #p::IntoArtifact<#k>),
            quote!(#p::IntoArtifact::<#k>::__bind(#ident)),
        )
    }
}

/// Static check that a kind written `Artifact` is argot's, which the macros read by name.
fn any_artifact_check(k: &Type) -> TokenStream {
    let p = private();
    quote_spanned! {k.span()=> const _: () = #p::assert_argot_artifact::<#k>(); }
}

/// Static check that `k` is an artifact kind, spanned at the type.
fn artifact_kind_check(k: &Type) -> TokenStream {
    let p = private();
    quote_spanned! {k.span()=> const _: () = #p::assert_artifact_kind::<#k>(); }
}

/// Static check that an argument's written type is the argot type the macro read it as.
///
/// The macros classify an argument by the last segment of its written type, before types are
/// resolved: a user's own `Input<T>` would be read as argot's, and an alias of argot's
/// `Input<…>` as a plain parameter. The check turns either misreading into a compile error
/// at the type that says so (`__private::IsArgotInput` and its kin, and
/// `__private::assert_not_an_alias`).
fn written_type_check(arg: &Arg, flavor: Option<Flavor>) -> TokenStream {
    let assert = match (&arg.kind, flavor) {
        (ArgKind::Input(_), _) => "assert_argot_input",
        (ArgKind::OptionalInput(_), _) => "assert_argot_optional_input",
        (ArgKind::Output(_), _) => "assert_argot_output",
        (ArgKind::OutputParam(_), _) => "assert_argot_output_param",
        (ArgKind::Param(t), Some(Flavor::Native)) => return alias_check(t),
        (ArgKind::Param(_), _) => "assert_argot_param",
    };
    let p = private();
    let ty = &arg.ty;
    let assert = Ident::new(assert, Span::call_site());
    quote_spanned! {ty.span()=> const _: () = #p::#assert::<#ty>(); }
}

/// Static check that `t`, read as a plain parameter type, is not one of argot's argument types
/// behind an alias. A function body, never called: the probe picks its verdict by autoref,
/// which needs a method call.
fn alias_check(t: &Type) -> TokenStream {
    let p = private();
    quote_spanned! {t.span()=>
        const _: () = {
            fn __argot_written_as_itself() {
                use #p::{ArgotTypeProbe as _, PlainTypeProbe as _};
                #p::assert_not_an_alias((&&#p::AliasProbe::<#t>::new()).verdict());
            }
        };
    }
}

// ---------------------------------------------------------------------------------------------
// Components
// ---------------------------------------------------------------------------------------------

/// Expands `#[component]` or `#[container_component]`.
pub fn component(args: TokenStream, item: TokenStream, flavor: Flavor) -> TokenStream {
    match parse_component(args, item, flavor) {
        Ok(parsed) => {
            let fragments = analyse_component(&parsed);
            generate_component(&parsed, &fragments)
        }
        Err(tokens) => tokens,
    }
}

/// A component function as parsed: everything the later stages read.
struct ParsedComponent {
    /// The function, `#[default(…)]` attributes stripped.
    func: ItemFn,
    attr: ComponentAttr,
    args: Vec<Arg>,
    returns: Returns,
    flavor: Flavor,
    /// `Option<String>` tokens: the code hash of a native component's function as written.
    code_hash: TokenStream,
}

impl ParsedComponent {
    /// The function's name: the traced call's and the generated module's.
    fn fn_name(&self) -> &Ident {
        &self.func.sig.ident
    }

    /// The user's function, renamed so the traced call can take its name.
    fn impl_name(&self) -> Ident {
        format_ident!("__argot_impl_{}", self.fn_name())
    }

    /// The component's name in the IR: `name = "…"`, else the function's name.
    fn component_name(&self) -> String {
        self.attr
            .name
            .as_ref()
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| self.fn_name().to_string())
    }

    /// The arguments' names, in signature order (the renamed function's call arguments).
    fn arg_idents(&self) -> Vec<&Ident> {
        self.args.iter().map(|a| &a.ident).collect()
    }
}

/// Stage 1: parses the attribute and the function, checking every rule; the error tokens (the
/// function re-emitted next to every error found) on any mistake.
fn parse_component(
    args: TokenStream,
    item: TokenStream,
    flavor: Flavor,
) -> Result<ParsedComponent, TokenStream> {
    // A container component's identity is its spec (image, command), built by calling it.
    let code_hash = match flavor {
        Flavor::Native => opt_string(Some(crate::code_hash::of(&item))),
        Flavor::Container => opt_string(None),
    };
    let mut func = parse_fn(item)?;
    let cx = Ctxt::default();
    let what = match flavor {
        Flavor::Native => "a component",
        Flavor::Container => "a container component",
    };
    let attr = attr::component_attr(&cx, args);
    check::plain_signature(&cx, &func, what);
    let args = attr::args(&cx, &mut func, Some(flavor));
    let returns = attr::returns(&cx, &func.sig.output, flavor);
    check::unique_io_names(&cx, &args, returns.as_ref());
    check::builder_names(&cx, &args);
    check::no_unqualified_task(&cx, &func, &func.sig.ident.to_string());
    match (cx.finish(), returns) {
        (Ok(()), Some(returns)) => Ok(ParsedComponent {
            func,
            attr,
            args,
            returns,
            flavor,
            code_hash,
        }),
        (Err(e), _) => Err(fallback(&func, e)),
        (Ok(()), None) => Err(fallback(
            &func,
            syn::Error::new(Span::call_site(), "invalid return type"),
        )),
    }
}

/// What the generated items need from each argument and output, in signature order.
#[derive(Default)]
struct Fragments {
    /// Arguments of the traced call: `name: impl IntoParam<T>`.
    traced_params: Vec<TokenStream>,
    /// `(name, bound value)` pairs the traced call records.
    binds: Vec<TokenStream>,
    /// Builder methods of the task handle, one per input with a default.
    builders: Vec<TokenStream>,
    /// `InputSpec`s of the component spec.
    input_specs: Vec<TokenStream>,
    /// `OutputSpec`s of the component spec.
    output_specs: Vec<TokenStream>,
    /// Fields of the task handle (one per output) and their initialisers.
    fields: Vec<TokenStream>,
    field_inits: Vec<TokenStream>,
    /// Items that make the compiler check each written type, spanned at it.
    checks: Vec<TokenStream>,
    /// Statements of the in-container entrypoint that read each argument.
    run_decode: Vec<TokenStream>,
    /// Values a container component's function is called with while tracing.
    placeholders: Vec<TokenStream>,
}

/// Stage 2: classifies each argument and the return value into [`Fragments`].
fn analyse_component(parsed: &ParsedComponent) -> Fragments {
    let mut fragments = Fragments::default();
    let component_name = parsed.component_name();
    for arg in &parsed.args {
        let name = lit(&arg.ident.to_string());
        fragments
            .checks
            .push(written_type_check(arg, Some(parsed.flavor)));
        match &arg.kind {
            ArgKind::Param(t) => analyse_param(&mut fragments, arg, t, &name, &component_name),
            ArgKind::Input(k) => analyse_input(&mut fragments, &arg.ident, k, &name),
            ArgKind::OptionalInput(k) => {
                analyse_optional_input(&mut fragments, &arg.ident, k, &name)
            }
            ArgKind::Output(k) => analyse_output(&mut fragments, &arg.ident, k, &name),
            ArgKind::OutputParam(t) => analyse_output_param(&mut fragments, &arg.ident, t, &name),
        }
    }
    if let Returns::Value { ty, .. } = &parsed.returns {
        analyse_return_value(&mut fragments, ty);
    }
    fragments
}

/// A parameter input `ident: T` (`Param<T>` in a container component).
fn analyse_param(f: &mut Fragments, arg: &Arg, t: &Type, name: &LitStr, component_name: &str) {
    let p = private();
    let ident = &arg.ident;
    let what = format!("input `{ident}` of component `{component_name}`");
    let default = default_value(t, arg.default.as_ref(), &what);
    let kind = parameter_kind(t);
    if arg.default.is_some() {
        f.builders.push(builder_method(ident, t, name));
    } else {
        f.traced_params.push(quote!(#ident: impl #p::IntoParam<#t>));
        f.binds
            .push(quote!((#name, #p::IntoParam::<#t>::__bind(#ident))));
    }
    f.input_specs.push(quote! {
        #p::InputSpec { name: ::std::string::String::from(#name), kind: #kind, default: #default, optional: false }
    });
    f.checks.push(param_type_check(t));
    f.run_decode.push(quote!(let #ident: #t = { use #p::{KnownParam as _, UnknownParam as _}; (&&#p::ParamProbe::<#t>::new()).decode(__inv, #name)? };));
    f.placeholders.push(quote!(#p::Param::<#t>::named(#name)));
}

/// `.ident(value)` on the task handle: binds input `ident`, which has a default, to `value`.
/// Required inputs stay positional in the traced call; an input with a default is optional, so
/// it is set by name when wanted (`train(data).learning_rate(0.1)`), and left out of the
/// task's arguments otherwise (the template input's `default` applies).
fn builder_method(ident: &Ident, t: &Type, name: &LitStr) -> TokenStream {
    let p = private();
    let doc = format!(
        "Sets input `{ident}` (default: the component's `#[default(…)]`); accepts what an input of type `{}` accepts.",
        type_string(t)
    );
    quote! {
        #[doc = #doc]
        #[track_caller]
        pub fn #ident(self, value: impl #p::IntoParam<#t>) -> Self {
            #p::bind_input(self.__task, #name, #p::IntoParam::<#t>::__bind(value), #p::Location::caller());
            self
        }
    }
}

/// An artifact input `ident: Input<K>`.
fn analyse_input(f: &mut Fragments, ident: &Ident, k: &Type, name: &LitStr) {
    let p = private();
    let kind = artifact_kind(k);
    let (accepts, bind) = artifact_binding(k, ident);
    f.traced_params.push(quote!(#ident: #accepts));
    f.binds.push(quote!((#name, #bind)));
    if is_any_artifact(k) {
        f.checks.push(any_artifact_check(k));
    }
    f.input_specs.push(quote! {
        #p::InputSpec { name: ::std::string::String::from(#name), kind: #kind, default: ::core::option::Option::None, optional: false }
    });
    f.checks.push(artifact_kind_check(k));
    f.run_decode
        .push(quote!(let #ident = __inv.input::<#k>(#name)?;));
    f.placeholders
        .push(quote!(#p::Input::<#k>::at(#name, #p::input_artifact_path(#name))));
}

/// An optional artifact input `ident: Option<Input<K>>`: set on the task with `.ident(…)`
/// (like an input with a default); left out, Argo's `optional: true` lets the pod start
/// without it and the function receives `None`.
fn analyse_optional_input(f: &mut Fragments, ident: &Ident, k: &Type, name: &LitStr) {
    let p = private();
    let kind = artifact_kind(k);
    let (accepts, bind) = artifact_binding(k, &Ident::new("value", Span::call_site()));
    let doc =
        format!("Sets optional artifact input `{ident}`; left out, the component receives `None`.");
    f.builders.push(quote! {
        #[doc = #doc]
        #[track_caller]
        pub fn #ident(self, value: #accepts) -> Self {
            #p::bind_input(self.__task, #name, #bind, #p::Location::caller());
            self
        }
    });
    if is_any_artifact(k) {
        f.checks.push(any_artifact_check(k));
    }
    f.input_specs.push(quote! {
        #p::InputSpec { name: ::std::string::String::from(#name), kind: #kind, default: ::core::option::Option::None, optional: true }
    });
    f.checks.push(artifact_kind_check(k));
    f.run_decode
        .push(quote!(let #ident = __inv.optional_input::<#k>(#name)?;));
    f.placeholders.push(quote!(::core::option::Option::Some(
        #p::Input::<#k>::at(#name, #p::input_artifact_path(#name))
    )));
}

/// An artifact output `ident: Output<K>`.
fn analyse_output(f: &mut Fragments, ident: &Ident, k: &Type, name: &LitStr) {
    let p = private();
    let kind = artifact_kind(k);
    f.output_specs.push(quote! {
        #p::OutputSpec { name: ::std::string::String::from(#name), kind: #kind }
    });
    f.fields.push(quote!(pub #ident: #p::ArtifactRef<#k>));
    f.field_inits
        .push(quote!(#ident: #p::ArtifactRef::__new(__task, #name)));
    f.checks.push(artifact_kind_check(k));
    f.run_decode
        .push(quote!(let #ident = __inv.output::<#k>(#name)?;));
    f.placeholders
        .push(quote!(#p::Output::<#k>::at(#name, #p::output_artifact_path(#name))));
}

/// A named output parameter `ident: OutputParam<T>`.
fn analyse_output_param(f: &mut Fragments, ident: &Ident, t: &Type, name: &LitStr) {
    let p = private();
    let kind = parameter_kind(t);
    f.output_specs.push(quote! {
        #p::OutputSpec { name: ::std::string::String::from(#name), kind: #kind }
    });
    f.fields.push(quote!(pub #ident: #p::ParamRef<#t>));
    f.field_inits
        .push(quote!(#ident: #p::ParamRef::__new(__task, #name)));
    f.checks.push(param_type_check(t));
    f.run_decode
        .push(quote!(let #ident = __inv.output_param::<#t>(#name)?;));
    f.placeholders
        .push(quote!(#p::OutputParam::<#t>::at(#name, #p::output_parameter_path(#name))));
}

/// The returned value of type `ty`: the output parameter `output`.
fn analyse_return_value(f: &mut Fragments, ty: &Type) {
    let p = private();
    let kind = parameter_kind(ty);
    f.output_specs.push(quote! {
        #p::OutputSpec { name: ::std::string::String::from("output"), kind: #kind }
    });
    f.fields.push(quote!(pub output: #p::ParamRef<#ty>));
    f.field_inits
        .push(quote!(output: #p::ParamRef::__new(__task, "output")));
    f.checks.push(param_type_check(ty));
    f.checks.push(alias_check(ty));
}

/// Stage 3: the whole expansion of a component.
fn generate_component(parsed: &ParsedComponent, f: &Fragments) -> TokenStream {
    let vis = &parsed.func.vis;
    let fn_name = parsed.fn_name();
    let user_fn = renamed_user_fn(parsed);
    let traced_call = traced_call(parsed, f);
    let registration = registration(parsed);
    let plain_call = plain_call(parsed);
    let task_handle = task_handle(parsed, f);
    let spec = component_spec(parsed, f);
    let native_entrypoint = native_entrypoint(parsed, f);
    let checks = &f.checks;
    let doc_mod = format!(
        "Items generated for component `{}`.",
        parsed.component_name()
    );

    quote! {
        #user_fn

        #traced_call

        #registration

        #[doc = #doc_mod]
        #[allow(dead_code, unused_imports, clippy::too_many_arguments)]
        #vis mod #fn_name {
            use super::*;

            #(#checks)*

            #plain_call

            #task_handle

            #spec

            #native_entrypoint
        }
    }
}

/// The user's function, renamed and private, attributes kept (minus docs, which move to the
/// traced call).
fn renamed_user_fn(parsed: &ParsedComponent) -> ItemFn {
    let mut user_fn = parsed.func.clone();
    user_fn.sig.ident = parsed.impl_name();
    user_fn.attrs.retain(|a| !a.path().is_ident("doc"));
    user_fn.vis = syn::Visibility::Inherited;
    user_fn
}

/// `fn train(inputs…) -> train::Task`: what a pipeline body calls; records a task.
fn traced_call(parsed: &ParsedComponent, f: &Fragments) -> TokenStream {
    let p = private();
    let vis = &parsed.func.vis;
    let fn_name = parsed.fn_name();
    let fn_name_lit = lit(&fn_name.to_string());
    let docs = parsed
        .func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"));
    let Fragments {
        traced_params,
        binds,
        field_inits,
        ..
    } = f;
    quote! {
        #(#docs)*
        #[track_caller]
        #[allow(clippy::too_many_arguments)]
        #vis fn #fn_name(#(#traced_params),*) -> #fn_name::Task {
            static __DEF: #p::ComponentDef = #p::ComponentDef {
                key: ::core::concat!(::core::module_path!(), "::", #fn_name_lit),
                spec: #fn_name::spec,
                native: #fn_name::__NATIVE,
            };
            let __task = #p::add_task(&__DEF, #p::Location::caller(), ::std::vec![#(#binds),*]);
            #fn_name::Task { __task, #(#field_inits),* }
        }
    }
}

/// A native component's registration by name, collected when the binary starts.
///
/// Registered next to the traced call (same module, so same codegen unit and object file): a
/// pipeline calling the component refers to that call's `__DEF`, which links this
/// registration in even when the component lives in a library.
fn registration(parsed: &ParsedComponent) -> TokenStream {
    if parsed.flavor != Flavor::Native {
        return TokenStream::new();
    }
    let p = private();
    let fn_name = parsed.fn_name();
    let fn_name_lit = lit(&fn_name.to_string());
    let component_lit = lit(&parsed.component_name());
    quote! {
        #p::inventory::submit! {
            #p::NativeComponent {
                name: #component_lit,
                key: ::core::concat!(::core::module_path!(), "::", #fn_name_lit),
                spec: #fn_name::spec,
                run: #fn_name::__run,
            }
        }
    }
}

/// `train::call(…)`: the plain function, with real values (for unit tests).
fn plain_call(parsed: &ParsedComponent) -> TokenStream {
    let fn_name = parsed.fn_name();
    let impl_name = parsed.impl_name();
    let arg_idents = parsed.arg_idents();
    let inputs = &parsed.func.sig.inputs;
    let output = &parsed.func.sig.output;
    let doc = format!(
        "Calls [`{fn_name}`](fn@super::{fn_name}) as plain Rust, with real values (for unit tests)."
    );
    quote! {
        #[doc = #doc]
        pub fn call(#inputs) #output {
            super::#impl_name(#(#arg_idents),*)
        }
    }
}

/// `train::Task`: the handle a traced call returns; its fields are the task's outputs.
fn task_handle(parsed: &ParsedComponent, f: &Fragments) -> TokenStream {
    let p = private();
    let fields = &f.fields;
    let builders = &f.builders;
    let doc = format!(
        "The task a call of `{}` adds to a pipeline; its fields are the task's outputs.",
        parsed.fn_name()
    );
    quote! {
        #[doc = #doc]
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
        pub struct Task {
            #[doc(hidden)]
            pub __task: #p::TaskHandle,
            #(#[allow(missing_docs)] #fields,)*
        }

        impl Task {
            /// Sets the task's name (default: the component's name, made unique).
            pub fn name(self, name: impl ::core::convert::Into<::std::string::String>) -> Self {
                #p::rename_task(self.__task, ::core::convert::Into::into(name));
                self
            }

            /// Runs this task only after `other` (an ordering edge without data).
            pub fn after(self, other: &impl #p::AsTask) -> Self {
                #p::add_after(self.__task, #p::AsTask::task_handle(other));
                self
            }

            #(#builders)*
        }

        impl #p::AsTask for Task {
            fn task_handle(&self) -> #p::TaskHandle {
                self.__task
            }
        }
    }
}

/// `train::spec()`: the component's IR. A container component's implementation comes from
/// calling its function with placeholders.
fn component_spec(parsed: &ParsedComponent, f: &Fragments) -> TokenStream {
    let p = private();
    let component_lit = lit(&parsed.component_name());
    let description = opt_string(attr::doc_comment(&parsed.func.attrs));
    let code_hash = &parsed.code_hash;
    let implementation = match parsed.flavor {
        Flavor::Native => quote!(#p::Implementation::Native),
        Flavor::Container => {
            let impl_name = parsed.impl_name();
            let placeholders = &f.placeholders;
            quote!(#p::container_impl(super::#impl_name(#(#placeholders),*)))
        }
    };
    let Fragments {
        input_specs,
        output_specs,
        ..
    } = f;
    // A function of the wrong type is reported at its path.
    let config = match &parsed.attr.settings {
        Some(path) => quote_spanned!(path.span()=> #p::component_settings(#path)),
        None => quote!(<#p::TaskConfig as ::core::default::Default>::default()),
    };
    quote! {
        /// The component's spec (IR).
        pub fn spec() -> #p::ComponentSpec {
            #p::ComponentSpec {
                name: ::std::string::String::from(#component_lit),
                description: #description,
                inputs: ::std::vec![#(#input_specs),*],
                outputs: ::std::vec![#(#output_specs),*],
                implementation: #implementation,
                code_hash: #code_hash,
                config: #config,
            }
        }
    }
}

/// `train::__NATIVE` and, for a native component, `train::__run`: the in-container entrypoint
/// that reads the arguments, calls the function and writes its returned value.
fn native_entrypoint(parsed: &ParsedComponent, f: &Fragments) -> TokenStream {
    let p = private();
    if parsed.flavor == Flavor::Container {
        return quote! {
            #[doc(hidden)]
            pub const __NATIVE: ::core::option::Option<#p::NativeFn> = ::core::option::Option::None;
        };
    }
    let impl_name = parsed.impl_name();
    let arg_idents = parsed.arg_idents();
    let run_decode = &f.run_decode;
    let run_result = returned_value(&parsed.returns);
    quote! {
        #[doc(hidden)]
        pub const __NATIVE: ::core::option::Option<#p::NativeFn> = ::core::option::Option::Some(__run as #p::NativeFn);

        #[doc(hidden)]
        pub fn __run(__inv: &mut #p::Invocation) -> ::core::result::Result<(), #p::ComponentError> {
            #(#run_decode)*
            let __result = super::#impl_name(#(#arg_idents),*);
            #run_result
            ::core::result::Result::Ok(())
        }
    }
}

/// What the entrypoint does with `__result`, the native function's returned value.
fn returned_value(returns: &Returns) -> TokenStream {
    let p = private();
    match returns {
        Returns::Unit { is_result: false } => quote!(let () = __result;),
        Returns::Unit { is_result: true } => quote! {
            if let ::core::result::Result::Err(__e) = __result { return ::core::result::Result::Err(__inv.failed(__e)); }
        },
        Returns::Value {
            is_result: false, ..
        } => quote!(__inv.set_output("output", &__result)?;),
        Returns::Value {
            ty,
            is_result: true,
        } => quote! {
            match __result {
                ::core::result::Result::Ok(__v) => { use #p::{KnownParam as _, UnknownParam as _}; (&&#p::ParamProbe::<#ty>::new()).encode(__inv, "output", &__v)? },
                ::core::result::Result::Err(__e) => return ::core::result::Result::Err(__inv.failed(__e)),
            }
        },
        Returns::Container => quote!(),
    }
}

// ---------------------------------------------------------------------------------------------
// Pipelines
// ---------------------------------------------------------------------------------------------

/// Expands `#[pipeline]`.
pub fn pipeline(args: TokenStream, item: TokenStream) -> TokenStream {
    match parse_pipeline(args, item) {
        Ok(parsed) => {
            let params = analyse_pipeline(&parsed);
            generate_pipeline(&parsed, &params)
        }
        Err(tokens) => tokens,
    }
}

/// A pipeline function as parsed.
struct ParsedPipeline {
    /// The function, `#[default(…)]` attributes stripped.
    func: ItemFn,
    attr: PipelineAttr,
    args: Vec<Arg>,
    /// The names of the outputs, one per returned value.
    outputs: Vec<String>,
    /// A recursion without a bound, or a bound without a recursion: reported beside the
    /// generated code rather than instead of it, so the call still type-checks and the error
    /// is the only one.
    recursion_errors: TokenStream,
}

/// Stage 1: parses the attribute and the function, checking every rule.
fn parse_pipeline(args: TokenStream, item: TokenStream) -> Result<ParsedPipeline, TokenStream> {
    let mut func = parse_fn(item)?;
    let cx = Ctxt::default();
    let attr = attr::pipeline_attr(&cx, args);
    check::plain_signature(&cx, &func, "a pipeline");
    let args = attr::args(&cx, &mut func, None);
    let outputs = output_names(&cx, &func.sig.output, attr.outputs.as_ref());
    let recursion = Ctxt::default();
    check_recursion(&recursion, &func, attr.max_depth.as_ref());
    let recursion_errors = recursion
        .finish()
        .err()
        .map(|e| e.to_compile_error())
        .unwrap_or_default();
    match cx.finish() {
        Ok(()) => Ok(ParsedPipeline {
            func,
            attr,
            args,
            outputs,
            recursion_errors,
        }),
        Err(e) => Err(fallback(&func, e)),
    }
}

/// A pipeline that calls itself must bound how deep (`max_depth = N`), and `max_depth` is
/// only for one that does: the error points at the recursive call, or at the key. Calls
/// written in the body are found by their tokens (`name(` not after `.`, `::` or `fn`: a
/// method or an associated function such as `Dataset::from_url(…)` in a pipeline named
/// `from_url` is not the pipeline; a path to the pipeline itself is caught by tracing); a call
/// hidden in a helper function is caught when tracing instead (A0040).
fn check_recursion(cx: &Ctxt, func: &ItemFn, max_depth: Option<&(u32, Span)>) {
    let name = &func.sig.ident;
    let mut calls = Vec::new();
    let body = &func.block;
    self_calls(quote!(#body), name, &mut calls);
    match (calls.first(), max_depth) {
        (Some(call), None) => cx.error(
            *call,
            format!("pipeline `{name}` calls itself without a bound: add `max_depth = N` to its `#[pipeline(…)]` (at most N levels run, the first call included), and make the call inside a `when(…)` that says when to go deeper"),
        ),
        (None, Some((_, span))) => cx.error(
            *span,
            format!("`max_depth` bounds a recursion, but `{name}` does not call itself in its body; remove `max_depth`"),
        ),
        _ => {}
    }
}

/// The spans of the calls of `name` in `tokens`: `name(…)` not preceded by `.` or `fn`.
fn self_calls(tokens: proc_macro2::TokenStream, name: &Ident, found: &mut Vec<Span>) {
    use proc_macro2::{Delimiter, TokenTree};
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Group(g) => self_calls(g.stream(), name, found),
            TokenTree::Ident(id) if id == name => {
                let called = matches!(tokens.get(i + 1), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis);
                let method_or_item = match i.checked_sub(1).map(|j| &tokens[j]) {
                    Some(TokenTree::Punct(p)) => matches!(p.as_char(), '.' | ':'),
                    Some(TokenTree::Ident(prev)) => prev == "fn",
                    _ => false,
                };
                if called && !method_or_item {
                    found.push(id.span());
                }
            }
            _ => {}
        }
    }
}

/// The names of a pipeline's outputs: what `outputs = […]` says, else `output` for one
/// returned value and `output-1`, `output-2`, … for a tuple. Checks that there is one name
/// per returned value and that each is a valid Argo parameter name.
fn output_names(
    cx: &Ctxt,
    returns: &syn::ReturnType,
    written: Option<&(Vec<String>, Span)>,
) -> Vec<String> {
    let count = match returns {
        syn::ReturnType::Default => 0,
        syn::ReturnType::Type(_, ty) => match &**ty {
            syn::Type::Tuple(t) => t.elems.len(),
            _ => 1,
        },
    };
    let Some((names, span)) = written else {
        return match count {
            1 => vec!["output".to_owned()],
            n => (1..=n).map(|i| format!("output-{i}")).collect(),
        };
    };
    if names.len() != count {
        cx.error(
            *span,
            format!(
                "`outputs` names {} output(s) but the pipeline returns {count}; give one name per returned value, in order",
                names.len()
            ),
        );
    }
    for name in names {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            cx.error(
                *span,
                format!("`{name}` is not a valid output name: use letters, digits, `-` and `_`"),
            );
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for name in names {
        if !seen.insert(name) {
            cx.error(*span, format!("output `{name}` is named twice"));
        }
    }
    names.clone()
}

/// What the pipeline's generated items need from its parameters.
#[derive(Default)]
struct PipelineParams {
    /// `PipelineParam`s of the header.
    specs: Vec<TokenStream>,
    /// The `Param<T>` handles the body is traced with.
    handles: Vec<TokenStream>,
    /// How each parameter's value travels (`run -p`, `submit -p`).
    wire: Vec<TokenStream>,
    /// Static checks of the written types.
    checks: Vec<TokenStream>,
    /// The parameters of the traced call (`source: impl IntoParam<String>`).
    call_params: Vec<TokenStream>,
    /// How the traced call binds each parameter.
    call_binds: Vec<TokenStream>,
    /// The names of the artifact inputs (`data: Input<Dataset>`), bound only by a caller.
    artifact_inputs: Vec<LitStr>,
}

/// Stage 2: each `Param<T>` argument of the pipeline.
fn analyse_pipeline(parsed: &ParsedPipeline) -> PipelineParams {
    let p = private();
    let mut params = PipelineParams::default();
    for arg in &parsed.args {
        if let ArgKind::Input(k) = &arg.kind {
            let name = lit(&arg.ident.to_string());
            let ident = &arg.ident;
            params
                .handles
                .push(quote!(#p::Input::<#k>::__pipeline_input(#name)));
            let (accepts, bind) = artifact_binding(k, ident);
            params.call_params.push(quote!(#ident: #accepts));
            params.call_binds.push(quote!((#name, #bind)));
            if is_any_artifact(k) {
                params.checks.push(any_artifact_check(k));
            }
            params.artifact_inputs.push(name);
            params.checks.push(artifact_kind_check(k));
            continue;
        }
        let ArgKind::Param(t) = &arg.kind else {
            continue;
        };
        let name = lit(&arg.ident.to_string());
        let rust_type = lit(&type_string(t));
        let what = format!("pipeline parameter `{}`", arg.ident);
        let default = default_value(t, arg.default.as_ref(), &what);
        let schema = schema_of(t);
        params.specs.push(quote! {
            #p::PipelineParam { name: ::std::string::String::from(#name), rust_type: ::std::string::String::from(#rust_type), schema: #schema, default: #default }
        });
        params.handles.push(quote!(#p::Param::<#t>::named(#name)));
        let ident = &arg.ident;
        params
            .call_params
            .push(quote!(#ident: impl #p::IntoParam<#t>));
        params
            .call_binds
            .push(quote!((#name, #p::IntoParam::<#t>::__bind(#ident))));
        params.wire.push(quote! {
            { use #p::{KnownParam as _, UnknownParam as _}; (&&#p::ParamProbe::<#t>::new()).wire(#name) }
        });
        params.checks.push(written_type_check(arg, None));
        params.checks.push(param_type_check(t));
    }
    params
}

/// Stage 3: the user's function, unchanged, and `mod NAME` with its definition.
fn generate_pipeline(parsed: &ParsedPipeline, params: &PipelineParams) -> TokenStream {
    let body = pipeline_body(parsed);
    let call = pipeline_call(parsed, params);
    let module = pipeline_module(parsed, params);
    let recursion_errors = &parsed.recursion_errors;
    quote! {
        #recursion_errors

        #body

        #call

        #module
    }
}

/// The name of the user's function once renamed: `__argot_pipeline_NAME`.
fn pipeline_body_name(parsed: &ParsedPipeline) -> Ident {
    format_ident!("__argot_pipeline_{}", parsed.func.sig.ident)
}

/// The user's function, unchanged but renamed: the body traced for the pipeline itself and
/// for each call of it.
fn pipeline_body(parsed: &ParsedPipeline) -> TokenStream {
    let mut body = parsed.func.clone();
    body.sig.ident = pipeline_body_name(parsed);
    body.attrs.retain(|a| !a.path().is_ident("doc"));
    body.vis = syn::Visibility::Inherited;
    quote! {
        #[allow(clippy::too_many_arguments)]
        #body
    }
}

/// The names of the outputs as a `&[&str]` expression.
fn output_names_tokens(parsed: &ParsedPipeline) -> TokenStream {
    let names = parsed.outputs.iter().map(|n| lit(n));
    quote!(&[#(#names),*])
}

/// `fn NAME(params…) -> R`: what another pipeline's body calls to run this one as a
/// sub-pipeline; each parameter takes what a component input takes.
fn pipeline_call(parsed: &ParsedPipeline, params: &PipelineParams) -> TokenStream {
    let p = private();
    let func = &parsed.func;
    let fn_name = &func.sig.ident;
    let vis = &func.vis;
    let docs = func.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let output = match &func.sig.output {
        syn::ReturnType::Default => quote!(),
        syn::ReturnType::Type(arrow, ty) => quote!(#arrow #ty),
    };
    // A return type that is not task outputs is reported at the type.
    let call_pipeline = quote_spanned!(return_span(parsed)=> #p::call_pipeline);
    let body = pipeline_body_name(parsed);
    let name = lit(&pipeline_name(parsed));
    let fn_name_lit = lit(&fn_name.to_string());
    let names = output_names_tokens(parsed);
    let max_depth = match &parsed.attr.max_depth {
        Some((n, _)) => quote!(::core::option::Option::Some(#n)),
        None => quote!(::core::option::Option::None),
    };
    let PipelineParams {
        handles,
        call_params,
        call_binds,
        ..
    } = params;
    quote! {
        #(#docs)*
        #[track_caller]
        #[allow(clippy::too_many_arguments)]
        #vis fn #fn_name(#(#call_params),*) #output {
            #call_pipeline(
                #name,
                ::core::concat!(::core::module_path!(), "::", #fn_name_lit),
                #p::Location::caller(),
                ::std::vec![#(#call_binds),*],
                #names,
                #max_depth,
                || #body(#(#handles),*),
            )
        }
    }
}

/// Where the pipeline's return type is written (the function's name when there is none).
fn return_span(parsed: &ParsedPipeline) -> Span {
    match &parsed.func.sig.output {
        syn::ReturnType::Default => parsed.func.sig.ident.span(),
        syn::ReturnType::Type(_, ty) => ty.span(),
    }
}

/// The pipeline's name: `name = "…"` or the function's.
fn pipeline_name(parsed: &ParsedPipeline) -> String {
    parsed
        .attr
        .name
        .as_ref()
        .map(|(n, _)| n.clone())
        .unwrap_or_else(|| parsed.func.sig.ident.to_string())
}

/// `mod NAME { fn definition() }`: the header (name, settings, parameters) and the body the
/// binary traces.
fn pipeline_module(parsed: &ParsedPipeline, params: &PipelineParams) -> TokenStream {
    let p = private();
    let fn_name = &parsed.func.sig.ident;
    let vis = &parsed.func.vis;
    let name = pipeline_name(parsed);
    let name_lit = lit(&name);
    let body_fn = pipeline_body_name(parsed);
    let names = output_names_tokens(parsed);
    let pipeline_outputs = quote_spanned!(return_span(parsed)=> #p::pipeline_outputs);
    let description = match attr::doc_comment(&parsed.func.attrs) {
        Some(d) => quote!(::core::option::Option::Some(#d)),
        None => quote!(::core::option::Option::None),
    };
    let image = match &parsed.attr.image {
        Some((i, _)) => quote!(::core::option::Option::Some(#i)),
        None => quote!(::core::option::Option::None),
    };
    let settings = settings(&parsed.attr.settings);
    let publish = publish(&parsed.attr.publish);
    let PipelineParams {
        specs,
        handles,
        wire,
        checks,
        artifact_inputs,
        ..
    } = params;
    let doc_mod = format!("The definition of pipeline `{name}`.");
    quote! {
        #[doc = #doc_mod]
        #[allow(dead_code, unused_imports)]
        #vis mod #fn_name {
            use super::*;

            #(#checks)*

            /// What `argot::main!` needs to compile, validate and run this pipeline.
            pub fn definition() -> #p::PipelineDef {
                #p::PipelineDef { name: #name_lit, header: __header, body: __body }
            }

            fn __header() -> #p::PipelineHeader {
                #p::PipelineHeader {
                    name: #name_lit,
                    description: #description,
                    image: #image,
                    params: ::std::vec![#(#specs),*],
                    artifact_inputs: &[#(#artifact_inputs),*],
                    wire: ::std::vec![#(#wire),*],
                    settings: #settings,
                    publish: #publish,
                }
            }

            fn __body() {
                let __outputs = super::#body_fn(#(#handles),*);
                #pipeline_outputs(__outputs, #names, #p::Location::caller());
            }
        }
    }
}

/// The `WorkflowSettings` value of a `#[pipeline(…)]` attribute: the defaults, with each key
/// the attribute sets.
fn settings(attr: &SettingsAttr) -> TokenStream {
    let p = private();
    let some_string = |v: &Option<(String, Span)>| {
        v.as_ref().map(
            |(text, _)| quote!(::core::option::Option::Some(::std::string::String::from(#text))),
        )
    };
    let mut sets = Vec::new();
    for (field, value) in [
        ("service_account", &attr.service_account),
        ("pod_gc", &attr.pod_gc),
        ("artifact_gc", &attr.artifact_gc),
        ("ttl", &attr.ttl),
        ("active_deadline", &attr.active_deadline),
    ] {
        if let Some(v) = some_string(value) {
            let field = syn::Ident::new(field, Span::call_site());
            sets.push(quote!(s.#field = #v;));
        }
    }
    if let Some((spec, _)) = &attr.artifact_repository_ref {
        sets.push(quote!(s.artifact_repository_ref = ::core::option::Option::Some(#p::ArtifactRepositoryRef::from_spec(#spec));));
    }
    if let Some((names, _)) = &attr.image_pull_secrets {
        sets.push(
            quote!(s.image_pull_secrets = ::std::vec![#(::std::string::String::from(#names)),*];),
        );
    }
    if let Some((on, _)) = &attr.secure_defaults {
        sets.push(quote!(s.secure_defaults = #on;));
    }
    if let Some((on, _)) = &attr.telemetry {
        sets.push(quote!(s.telemetry = #on;));
    }
    if let Some((on, _)) = &attr.fail_fast {
        sets.push(quote!(s.fail_fast = #on;));
    }
    if let Some((n, _)) = &attr.parallelism {
        sets.push(quote!(s.parallelism = ::core::option::Option::Some(#n);));
    }
    if let Some((user, _)) = &attr.run_as_user {
        sets.push(quote!(s.run_as_user = ::core::option::Option::Some(#user);));
    }
    if sets.is_empty() {
        return quote!(::core::default::Default::default());
    }
    quote!({
        let mut s = <#p::WorkflowSettings as ::core::default::Default>::default();
        #(#sets)*
        s
    })
}

/// The `Publish` value of a `#[pipeline(…)]` attribute: the kind and CronWorkflow keys it
/// sets, the defaults otherwise.
fn publish(attr: &crate::ast::PublishAttr) -> TokenStream {
    let p = private();
    let option = |v: Option<TokenStream>| match v {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    };
    let string = |v: &Option<(String, Span)>| {
        option(
            v.as_ref()
                .map(|(text, _)| quote!(::std::string::String::from(#text))),
        )
    };
    let number = |v: &Option<(i64, Span)>| option(v.as_ref().map(|(n, _)| quote!(#n)));
    let kind = option(attr.kind.as_ref().and_then(|(text, _)| {
        crate::attr::KINDS
            .iter()
            .find(|(k, _)| k == text)
            .map(|(_, variant)| {
                let variant = syn::Ident::new(variant, Span::call_site());
                quote!(#p::OutputKind::#variant)
            })
    }));
    let schedules: Vec<&String> = attr
        .schedules
        .as_ref()
        .map(|(list, _)| list.iter().collect())
        .unwrap_or_default();
    let timezone = string(&attr.timezone);
    let concurrency_policy = string(&attr.concurrency_policy);
    let starting_deadline_seconds = number(&attr.starting_deadline_seconds);
    let successful_jobs_history_limit = number(&attr.successful_jobs_history_limit);
    let failed_jobs_history_limit = number(&attr.failed_jobs_history_limit);
    let crate::ast::PublishAttr {
        kind: k,
        schedules: s,
        timezone: t,
        concurrency_policy: c,
        starting_deadline_seconds: d,
        successful_jobs_history_limit: ok,
        failed_jobs_history_limit: failed,
    } = attr;
    if k.is_none()
        && s.is_none()
        && t.is_none()
        && c.is_none()
        && d.is_none()
        && ok.is_none()
        && failed.is_none()
    {
        return quote!(::core::default::Default::default());
    }
    quote!(#p::Publish {
        kind: #kind,
        schedules: ::std::vec![#(::std::string::String::from(#schedules)),*],
        timezone: #timezone,
        concurrency_policy: #concurrency_policy,
        starting_deadline_seconds: #starting_deadline_seconds,
        successful_jobs_history_limit: #successful_jobs_history_limit,
        failed_jobs_history_limit: #failed_jobs_history_limit,
    })
}

#[cfg(test)]
mod tests;
