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

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, LitStr};

use crate::ast::{Arg, ArgKind, Flavor, Returns};
use crate::attr::{self, Ctxt, type_string};
use crate::check;

/// Re-emits the user's function next to the errors, so IDEs keep working.
fn fallback(func: &ItemFn, error: syn::Error) -> TokenStream {
    let error = error.into_compile_error();
    quote! { #func #error }
}

fn parse_fn(item: TokenStream) -> Result<ItemFn, TokenStream> {
    syn::parse2::<ItemFn>(item.clone()).map_err(|e| {
        let message = format!("{e}; argot attributes go on a free function (`fn name(…) {{ … }}`)");
        let e = syn::Error::new(e.span(), message).into_compile_error();
        quote! { #item #e }
    })
}

pub fn component(args: TokenStream, item: TokenStream, flavor: Flavor) -> TokenStream {
    // A container component's identity is its spec (image, command), built by calling it.
    let code_hash = match flavor {
        Flavor::Native => opt_string(Some(crate::code_hash::of(&item))),
        Flavor::Container => opt_string(None),
    };
    let mut func = match parse_fn(item) {
        Ok(f) => f,
        Err(tokens) => return tokens,
    };
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
    match (cx.finish(), returns) {
        (Ok(()), Some(returns)) => {
            expand_component(&func, &attr, &args, &returns, flavor, code_hash)
        }
        (Err(e), _) => fallback(&func, e),
        (Ok(()), None) => fallback(
            &func,
            syn::Error::new(Span::call_site(), "invalid return type"),
        ),
    }
}

fn lit(s: &str) -> LitStr {
    LitStr::new(s, Span::call_site())
}

fn opt_string(s: Option<String>) -> TokenStream {
    match s {
        Some(s) => quote!(::core::option::Option::Some(::std::string::String::from(#s))),
        None => quote!(::core::option::Option::None),
    }
}

fn expand_component(
    func: &ItemFn,
    attr: &crate::ast::ComponentAttr,
    args: &[Arg],
    returns: &Returns,
    flavor: Flavor,
    code_hash: TokenStream,
) -> TokenStream {
    let fn_name = &func.sig.ident;
    let vis = &func.vis;
    let impl_name = format_ident!("__argot_impl_{}", fn_name);
    let component_name = attr
        .name
        .as_ref()
        .map(|(n, _)| n.clone())
        .unwrap_or_else(|| fn_name.to_string());
    let description = opt_string(attr::doc_comment(&func.attrs));
    let docs: Vec<&syn::Attribute> = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .collect();
    let p = quote!(::argot::__private);

    // The user's function, renamed, attributes kept (minus docs, which move to the traced call).
    let mut user_fn = func.clone();
    user_fn.sig.ident = impl_name.clone();
    user_fn.attrs.retain(|a| !a.path().is_ident("doc"));
    user_fn.vis = syn::Visibility::Inherited;

    let mut traced_params = Vec::new();
    let mut binds = Vec::new();
    let mut input_specs = Vec::new();
    let mut output_specs = Vec::new();
    let mut fields = Vec::new();
    let mut field_inits = Vec::new();
    let mut checks = Vec::new();
    let mut run_decode = Vec::new();
    let mut placeholders = Vec::new();

    for arg in args {
        let ident = &arg.ident;
        let name = lit(&ident.to_string());
        match &arg.kind {
            ArgKind::Param(t) => {
                let rust_type = lit(&type_string(t));
                let schema = schema_of(&p, t);
                let what = lit(&format!("input `{ident}` of component `{component_name}`"));
                let default = match &arg.default {
                    Some(expr) => quote_spanned! {expr.span()=>
                        ::core::option::Option::Some(#p::encode_default::<#t>(#expr, #what))
                    },
                    None => quote!(::core::option::Option::None),
                };
                traced_params.push(quote!(#ident: impl ::argot::IntoParam<#t>));
                binds.push(quote!((#name, ::argot::IntoParam::<#t>::__bind(#ident))));
                input_specs.push(quote! {
                    #p::InputSpec { name: ::std::string::String::from(#name), kind: #p::IoKind::Parameter { rust_type: ::std::string::String::from(#rust_type), schema: #schema }, default: #default }
                });
                checks.push(
                    quote_spanned! {t.span()=> const _: () = #p::assert_param_type::<#t>(); },
                );
                run_decode.push(quote!(let #ident: #t = { use #p::{KnownParam as _, UnknownParam as _}; (&&#p::ParamProbe::<#t>::new()).decode(__inv, #name)? };));
                placeholders.push(quote!(::argot::Param::<#t>::named(#name)));
            }
            ArgKind::Input(k) => {
                traced_params.push(quote!(#ident: impl ::argot::IntoArtifact<#k>));
                binds.push(quote!((#name, ::argot::IntoArtifact::<#k>::__bind(#ident))));
                input_specs.push(quote! {
                    #p::InputSpec { name: ::std::string::String::from(#name), kind: #p::IoKind::Artifact { kind: { use #p::{KnownKind as _, UnknownKind as _}; (&&#p::KindProbe::<#k>::new()).name() } }, default: ::core::option::Option::None }
                });
                checks.push(
                    quote_spanned! {k.span()=> const _: () = #p::assert_artifact_kind::<#k>(); },
                );
                run_decode.push(quote!(let #ident = __inv.input::<#k>(#name)?;));
                placeholders
                    .push(quote!(::argot::Input::<#k>::at(#name, #p::input_artifact_path(#name))));
            }
            ArgKind::Output(k) => {
                output_specs.push(quote! {
                    #p::OutputSpec { name: ::std::string::String::from(#name), kind: #p::IoKind::Artifact { kind: { use #p::{KnownKind as _, UnknownKind as _}; (&&#p::KindProbe::<#k>::new()).name() } } }
                });
                fields.push(quote!(pub #ident: ::argot::ArtifactRef<#k>));
                field_inits.push(quote!(#ident: ::argot::ArtifactRef::__new(__task, #name)));
                checks.push(
                    quote_spanned! {k.span()=> const _: () = #p::assert_artifact_kind::<#k>(); },
                );
                run_decode.push(quote!(let #ident = __inv.output::<#k>(#name)?;));
                placeholders.push(
                    quote!(::argot::Output::<#k>::at(#name, #p::output_artifact_path(#name))),
                );
            }
            ArgKind::OutputParam(t) => {
                let rust_type = lit(&type_string(t));
                let schema = schema_of(&p, t);
                output_specs.push(quote! {
                    #p::OutputSpec { name: ::std::string::String::from(#name), kind: #p::IoKind::Parameter { rust_type: ::std::string::String::from(#rust_type), schema: #schema } }
                });
                fields.push(quote!(pub #ident: ::argot::ParamRef<#t>));
                field_inits.push(quote!(#ident: ::argot::ParamRef::__new(__task, #name)));
                checks.push(
                    quote_spanned! {t.span()=> const _: () = #p::assert_param_type::<#t>(); },
                );
                run_decode.push(quote!(let #ident = __inv.output_param::<#t>(#name)?;));
                placeholders.push(
                    quote!(::argot::OutputParam::<#t>::at(#name, #p::output_parameter_path(#name))),
                );
            }
        }
    }

    let arg_idents: Vec<&Ident> = args.iter().map(|a| &a.ident).collect();
    let orig_inputs = &user_fn.sig.inputs;
    let orig_output = &user_fn.sig.output;

    let set_output = match returns {
        Returns::Value { ty, .. } => quote! {
            { use #p::{KnownParam as _, UnknownParam as _}; (&&#p::ParamProbe::<#ty>::new()).encode(__inv, "output", &__v)? }
        },
        _ => quote!(),
    };
    let run_result = match returns {
        Returns::Unit { is_result: false } => quote!(let () = __result;),
        Returns::Unit { is_result: true } => quote! {
            if let ::core::result::Result::Err(__e) = __result { return ::core::result::Result::Err(__inv.failed(__e)); }
        },
        Returns::Value {
            is_result: false, ..
        } => quote!(__inv.set_output("output", &__result)?;),
        Returns::Value {
            is_result: true, ..
        } => quote! {
            match __result {
                ::core::result::Result::Ok(__v) => #set_output,
                ::core::result::Result::Err(__e) => return ::core::result::Result::Err(__inv.failed(__e)),
            }
        },
        Returns::Container => quote!(),
    };
    if let Returns::Value { ty, .. } = returns {
        let rust_type = lit(&type_string(ty));
        let schema = schema_of(&p, ty);
        output_specs.push(quote! {
            #p::OutputSpec { name: ::std::string::String::from("output"), kind: #p::IoKind::Parameter { rust_type: ::std::string::String::from(#rust_type), schema: #schema } }
        });
        fields.push(quote!(pub output: ::argot::ParamRef<#ty>));
        field_inits.push(quote!(output: ::argot::ParamRef::__new(__task, "output")));
        checks.push(quote_spanned! {ty.span()=> const _: () = #p::assert_param_type::<#ty>(); });
    }

    let component_lit = lit(&component_name);
    let fn_name_lit = lit(&fn_name.to_string());
    // Registered next to the traced call (same module, so same codegen unit and object file):
    // a pipeline calling the component refers to that call's `__DEF`, which links this
    // registration in even when the component lives in a library.
    let registration = match flavor {
        Flavor::Native => quote! {
            #p::inventory::submit! {
                #p::NativeComponent {
                    name: #component_lit,
                    key: ::core::concat!(::core::module_path!(), "::", #fn_name_lit),
                    spec: #fn_name::spec,
                    run: #fn_name::__run,
                }
            }
        },
        Flavor::Container => quote!(),
    };
    let (implementation, native, run_fn) = match flavor {
        Flavor::Native => (
            quote!(#p::Implementation::Native),
            quote!(::core::option::Option::Some(__run as #p::NativeFn)),
            quote! {
                #[doc(hidden)]
                pub fn __run(__inv: &mut #p::Invocation) -> ::core::result::Result<(), #p::ComponentError> {
                    #(#run_decode)*
                    let __result = super::#impl_name(#(#arg_idents),*);
                    #run_result
                    ::core::result::Result::Ok(())
                }
            },
        ),
        Flavor::Container => (
            quote!(#p::container_impl(super::#impl_name(#(#placeholders),*))),
            quote!(::core::option::Option::None),
            quote!(),
        ),
    };
    let doc_call = format!(
        "Calls [`{fn_name}`](fn@super::{fn_name}) as plain Rust, with real values (for unit tests)."
    );
    let doc_task = format!(
        "The task a call of `{fn_name}` adds to a pipeline; its fields are the task's outputs."
    );
    let doc_mod = format!("Items generated for component `{component_name}`.");

    quote! {
        #user_fn

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

        #registration

        #[doc = #doc_mod]
        #[allow(dead_code, unused_imports, clippy::too_many_arguments)]
        #vis mod #fn_name {
            use super::*;

            #(#checks)*

            #[doc = #doc_call]
            pub fn call(#orig_inputs) #orig_output {
                super::#impl_name(#(#arg_idents),*)
            }

            #[doc = #doc_task]
            #[derive(Clone, Copy, Debug)]
            pub struct Task {
                #[doc(hidden)]
                pub __task: #p::TaskHandle,
                #(#[allow(missing_docs)] #fields,)*
            }

            impl Task {
                /// Sets the task's name (default: the component's name, made unique).
                pub fn name(self, name: impl ::core::convert::Into<::std::string::String>) -> Self {
                    #p::rename_task(self.__task, name.into());
                    self
                }

                /// Runs this task only after `other` (an ordering edge without data).
                pub fn after(self, other: &impl #p::AsTask) -> Self {
                    #p::add_after(self.__task, #p::AsTask::task_handle(other));
                    self
                }
            }

            impl #p::AsTask for Task {
                fn task_handle(&self) -> #p::TaskHandle {
                    self.__task
                }
            }

            /// The component's spec (IR).
            pub fn spec() -> #p::ComponentSpec {
                #p::ComponentSpec {
                    name: ::std::string::String::from(#component_lit),
                    description: #description,
                    inputs: ::std::vec![#(#input_specs),*],
                    outputs: ::std::vec![#(#output_specs),*],
                    implementation: #implementation,
                    code_hash: #code_hash,
                    config: ::argot::__private::TaskConfig::default(),
                }
            }

            #[doc(hidden)]
            pub const __NATIVE: ::core::option::Option<#p::NativeFn> = #native;

            #run_fn
        }
    }
}

pub fn pipeline(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut func = match parse_fn(item) {
        Ok(f) => f,
        Err(tokens) => return tokens,
    };
    let cx = Ctxt::default();
    let attr = attr::pipeline_attr(&cx, args);
    check::plain_signature(&cx, &func, "a pipeline");
    let args = attr::args(&cx, &mut func, None);
    if let syn::ReturnType::Type(_, ty) = &func.sig.output
        && !matches!(&**ty, syn::Type::Tuple(t) if t.elems.is_empty())
    {
        cx.error(ty.span(), "a pipeline function returns nothing (pipeline outputs are not supported yet); remove the return type");
    }
    if let Err(e) = cx.finish() {
        return fallback(&func, e);
    }

    let fn_name = &func.sig.ident;
    let vis = &func.vis;
    let p = quote!(::argot::__private);
    let name = attr
        .name
        .map(|(n, _)| n)
        .unwrap_or_else(|| fn_name.to_string());
    let name_lit = lit(&name);
    let description = match attr::doc_comment(&func.attrs) {
        Some(d) => quote!(::core::option::Option::Some(#d)),
        None => quote!(::core::option::Option::None),
    };
    let image = match attr.image {
        Some((i, _)) => quote!(::core::option::Option::Some(#i)),
        None => quote!(::core::option::Option::None),
    };
    let settings = settings(&attr.settings, &p);
    let mut params = Vec::new();
    let mut handles = Vec::new();
    let mut checks = Vec::new();
    let mut wire_checks = Vec::new();
    for arg in &args {
        let ArgKind::Param(t) = &arg.kind else {
            continue;
        };
        let pname = lit(&arg.ident.to_string());
        let rust_type = lit(&type_string(t));
        let schema = schema_of(&p, t);
        let what = lit(&format!("pipeline parameter `{}`", arg.ident));
        let default = match &arg.default {
            Some(expr) => quote_spanned! {expr.span()=>
                ::core::option::Option::Some(#p::encode_default::<#t>(#expr, #what))
            },
            None => quote!(::core::option::Option::None),
        };
        params.push(quote! {
            #p::PipelineParam { name: ::std::string::String::from(#pname), rust_type: ::std::string::String::from(#rust_type), schema: #schema, default: #default }
        });
        handles.push(quote!(::argot::Param::<#t>::named(#pname)));
        wire_checks.push(quote! {
            { use #p::{KnownParam as _, UnknownParam as _}; (&&#p::ParamProbe::<#t>::new()).wire(#pname) }
        });
        checks.push(quote_spanned! {t.span()=> const _: () = #p::assert_param_type::<#t>(); });
    }
    let doc_mod = format!("The definition of pipeline `{name}`.");

    quote! {
        #func

        #[doc = #doc_mod]
        #[allow(dead_code, unused_imports)]
        #vis mod #fn_name {
            use super::*;

            #(#checks)*

            /// What `argot::main!` needs to compile, validate and run this pipeline.
            pub fn definition() -> ::argot::PipelineDef {
                ::argot::PipelineDef { name: #name_lit, header: __header, body: __body }
            }

            fn __header() -> #p::PipelineHeader {
                #p::PipelineHeader {
                    name: #name_lit,
                    description: #description,
                    image: #image,
                    params: ::std::vec![#(#params),*],
                    wire: ::std::vec![#(#wire_checks),*],
                    settings: #settings,
                }
            }

            fn __body() {
                super::#fn_name(#(#handles),*);
            }
        }
    }
}

/// The `WorkflowSettings` value of a `#[pipeline(…)]` attribute: the defaults, with each key
/// the attribute sets.
fn settings(attr: &crate::ast::SettingsAttr, p: &TokenStream) -> TokenStream {
    let some_string = |v: &Option<(String, Span)>| {
        v.as_ref().map(
            |(text, _)| quote!(::core::option::Option::Some(::std::string::String::from(#text))),
        )
    };
    let mut sets = Vec::new();
    for (field, value) in [
        ("service_account", &attr.service_account),
        ("pod_gc", &attr.pod_gc),
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
    if let Some((user, _)) = &attr.run_as_user {
        sets.push(quote!(s.run_as_user = ::core::option::Option::Some(#user);));
    }
    if sets.is_empty() {
        return quote!(::core::default::Default::default());
    }
    quote!({
        let mut s = #p::WorkflowSettings::default();
        #(#sets)*
        s
    })
}

/// The expression that yields the `TypeSchema` of parameter type `ty`: its `Schema` impl, or
/// `any` for a type without one (autoref specialisation in `SchemaProbe`).
fn schema_of(p: &TokenStream, ty: &syn::Type) -> TokenStream {
    quote!({ use #p::{KnownSchema as _, UnknownSchema as _}; (&&#p::SchemaProbe::<#ty>::new()).schema() })
}
