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
            secure_defaults = false
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
