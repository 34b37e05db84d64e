//! Snapshots of the expansion: what each macro writes for a typical signature, formatted with
//! `prettyplease` so a change to the generated code reviews like a code diff. Review with
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test -p argot-macros --lib` and
//! `git diff`).

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::Flavor;

/// The expansion as formatted Rust; panics (with the tokens) if it is not a valid file.
fn pretty(tokens: TokenStream) -> String {
    let file = syn::parse2::<syn::File>(tokens.clone())
        .unwrap_or_else(|e| panic!("the expansion does not parse as Rust ({e}):\n{tokens}"));
    prettyplease::unparse(&file)
}

fn native_component() -> TokenStream {
    super::component(
        quote!(name = "fit-model"),
        quote! {
            /// Fits the model.
            pub fn train(
                data: Input<Dataset>,
                #[default(0.1)] learning_rate: f64,
                rows: u32,
                model: Output<Model>,
                loss: OutputParam<f64>,
            ) -> Result<f64> {
                let _ = (data, learning_rate, rows, model, loss);
                Ok(0.9)
            }
        },
        Flavor::Native,
    )
}

fn container_component() -> TokenStream {
    super::component(
        TokenStream::new(),
        quote! {
            /// Counts the rows of a CSV file.
            fn count_rows(
                data: Input<Dataset>,
                #[default("id")] key: Param<String>,
                report: Output<Metrics>,
            ) -> Container {
                Container::new("ghcr.io/acme/tools:1.0")
                    .command(["count", "--key"])
                    .arg(&key)
                    .arg(&data)
                    .arg(&report)
            }
        },
        Flavor::Container,
    )
}

fn pipeline() -> TokenStream {
    super::pipeline(
        quote!(
            name = "nightly",
            image = "ghcr.io/acme/nightly:0.3",
            service_account = "runner",
            ttl = 3600,
            image_pull_secrets = ["regcred"],
            secure_defaults = false,
            schedule = ["0 3 * * *", "0 15 * * 6"],
            timezone = "Europe/Paris",
            concurrency_policy = "Forbid",
            failed_jobs_history_limit = 1
        ),
        quote! {
            /// Trains every night.
            pub fn nightly(#[default(1000)] rows: Param<u32>, learning_rate: Param<f64>) {
                let prepared = prepare(rows);
                train(prepared.data, learning_rate, rows);
            }
        },
    )
}

#[test]
fn native_component_expansion() {
    insta::assert_snapshot!(pretty(native_component()));
}

#[test]
fn container_component_expansion() {
    insta::assert_snapshot!(pretty(container_component()));
}

#[test]
fn pipeline_expansion() {
    insta::assert_snapshot!(pretty(pipeline()));
}

/// Every token of `tokens`, groups opened and closed as `(`/`)` and so on, in order.
fn flatten(tokens: TokenStream, out: &mut Vec<String>) {
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    proc_macro2::Delimiter::Parenthesis => ("(", ")"),
                    proc_macro2::Delimiter::Brace => ("{", "}"),
                    proc_macro2::Delimiter::Bracket => ("[", "]"),
                    proc_macro2::Delimiter::None => ("", ""),
                };
                out.push(open.to_owned());
                flatten(g.stream(), out);
                out.push(close.to_owned());
            }
            other => out.push(other.to_string()),
        }
    }
}

/// Names a user can declare or import over the prelude's (types, variants, traits and derive
/// macros): generated code must never name them unqualified.
const SHADOWABLE: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "String",
    "Vec",
    "Box",
    "ToString",
    "ToOwned",
    "Into",
    "From",
    "TryInto",
    "TryFrom",
    "Default",
    "Clone",
    "Copy",
    "Debug",
    "Send",
    "Sync",
    "Sized",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
    "Iterator",
    "IntoIterator",
    "Extend",
    "PartialEq",
    "Eq",
    "PartialOrd",
    "Ord",
    "Hash",
    "AsRef",
    "AsMut",
    "drop",
    "vec",
    "format",
    "concat",
    "module_path",
    "panic",
    "assert",
];

/// Where the expansion reaches argot other than through `::argot::__private`, or names a
/// shadowable prelude item without an absolute path.
fn unhygienic_paths(tokens: TokenStream) -> Vec<String> {
    let mut flat = Vec::new();
    flatten(tokens, &mut flat);
    let mut found = Vec::new();
    for (i, token) in flat.iter().enumerate() {
        let after_path_separator = i >= 2 && flat[i - 1] == ":" && flat[i - 2] == ":";
        if token == "argot"
            && after_path_separator
            && flat.get(i + 3).is_some_and(|next| next != "__private")
        {
            found.push(format!("::argot::{}", flat[i + 3]));
        }
        if SHADOWABLE.contains(&token.as_str()) && !after_path_separator {
            let context = flat[i.saturating_sub(6)..(i + 3).min(flat.len())].join(" ");
            found.push(format!("unqualified `{token}` in `{context}`"));
        }
    }
    found
}

#[test]
fn generated_code_reaches_argot_only_through_private_and_std_only_by_absolute_paths() {
    // The user-written parts (signature, body) avoid the prelude's names, so any found is
    // generated.
    let native = super::component(
        TokenStream::new(),
        quote! {
            fn fit(
                data: Input<Dataset>,
                #[default(2)] rows: u32,
                model: Output<Model>,
                loss: OutputParam<f64>,
            ) -> argot::Result<u64> {
                let _ = (data, rows, model, loss);
                ::core::result::Result::Ok(1)
            }
        },
        Flavor::Native,
    );
    let unit = super::component(
        TokenStream::new(),
        quote!(
            fn check(rows: u32) -> argot::Result<()> {
                let _ = rows;
                ::core::result::Result::Ok(())
            }
        ),
        Flavor::Native,
    );
    let plain = super::component(
        TokenStream::new(),
        quote!(
            fn double(rows: u32) -> u64 {
                u64::from(rows) * 2
            }
        ),
        Flavor::Native,
    );
    let container = super::component(
        TokenStream::new(),
        quote! {
            fn tool(data: Input<Dataset>, rows: Param<u32>, out: Output<Model>) -> Container {
                Container::new("example.com/tool:1").arg(&data).arg(rows).arg(&out)
            }
        },
        Flavor::Container,
    );
    let mut found = Vec::new();
    for tokens in [native, unit, plain, container, pipeline()] {
        found.extend(unhygienic_paths(tokens));
    }
    assert!(found.is_empty(), "{found:#?}");
}
