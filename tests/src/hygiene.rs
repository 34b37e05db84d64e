//! Components and a pipeline declared where the usual names mean something else: the
//! prelude's types, traits, variants and derive macros, and `core`/`std` themselves, are the
//! user's own here. The macros' generated code names the standard library and argot only by
//! absolute paths (`::core::…`, `::std::…`, `::argot::__private::…`), so this module compiles
//! and traces like any other; with a single unqualified `Clone`, `Into` or `Default` in the
//! expansion it would not build.

#![allow(dead_code, unused_imports, non_camel_case_types)]

use argot::prelude::*;

// Derive macros (and traits) of the prelude's names that derive something else.
use ::core::fmt::Debug as Clone;
use ::core::fmt::Debug as Copy;
use ::core::hash::Hash as Debug;

/// The user's own `Option`, `Some`, `None`, `String`, `Vec`, `Box`, `Ok`, `Err`.
pub struct Option;
/// A unit struct named like the variant.
pub struct Some;
/// A unit struct named like the variant.
pub struct None;
/// Not the standard `String`.
pub struct String;
/// Not the standard `Vec`.
pub struct Vec;
/// Not the standard `Box`.
pub struct Box;
/// Traits named like the prelude's conversion and default traits.
pub trait Into {}
/// Named like `core::default::Default`.
pub trait Default {}
/// Named like `core::convert::From`.
pub trait From {}
/// Modules named like the standard crates: `::core` and `::std` still mean the crates.
pub mod core {}
/// See [`core`].
pub mod std {}

/// Writes a data set of `rows` rows.
#[component]
pub fn shadowed_make(rows: u32, data: Output<Dataset>) -> Result<()> {
    ::std::fs::write(data.path(), rows.to_string())?;
    Ok(())
}

/// Reads the data set, writes a model and its loss; returns the row count.
#[component(name = "shadowed-fit")]
pub fn shadowed_fit(
    data: Input<Dataset>,
    #[default(0.5)] rate: f64,
    model: Output<Model>,
    loss: OutputParam<f64>,
) -> Result<u32> {
    let _ = (data, model, loss, rate);
    Ok(1)
}

/// Counts rows with a tool.
#[container_component]
pub fn shadowed_count(data: Input<Dataset>, #[default(2)] columns: Param<u32>) -> Container {
    Container::new("example.com/tool:1.0")
        .command(["count"])
        .arg(columns)
        .arg(&data)
}

/// A job description named like the generated task handle `NAME::Task`.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Task {
    /// The job's number.
    pub id: u32,
}

/// Takes the user's `Task`, written with its path (unqualified, the macro refuses it).
#[component]
pub fn shadowed_job(job: crate::hygiene::Task) -> Result<u32> {
    Ok(job.id)
}

/// Every kind of argument, under shadowed names.
#[pipeline(image = "example.com/fixtures:1.0", service_account = "runner")]
pub fn shadowed(#[default(3)] rows: Param<u32>) {
    let made = shadowed_make(rows).name("make");
    let fit = shadowed_fit(made.data).rate(0.25);
    shadowed_count(made.data).columns(4).after(&fit);
    shadowed_job(Task { id: 7 });
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_code_means_the_same_under_shadowed_prelude_names() {
        let traced = super::shadowed::definition()
            .trace("/bin/pipeline")
            .expect("traces");
        let pipeline = traced.pipeline;
        let names: ::std::vec::Vec<&str> = pipeline.tasks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["make", "shadowed-fit", "shadowed-count", "shadowed-job"]
        );
        assert_eq!(
            pipeline.settings.service_account.as_deref(),
            ::core::option::Option::Some("runner")
        );
        let fit = &pipeline.components["shadowed-fit"];
        let outputs: ::std::vec::Vec<&str> = fit.outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(outputs, ["model", "loss", "output"]);
        assert!(traced.natives.contains("shadowed_make"));
    }
}
