//! `library`: components published once as a `WorkflowTemplate`, and a pipeline that calls
//! them there by `templateRef` — two pipelines in one binary.
//!
//! ```text
//! # Publish the components (a WorkflowTemplate named `ml-library`), then the pipeline using them
//! cargo run -p argot-examples --bin library -- compile ml_library --image registry.example.com/library:0.1.0 | kubectl apply -f -
//! cargo run -p argot-examples --bin library -- compile weekly_report | kubectl create -f -
//! # Or let the binary create both on the current context
//! cargo run -p argot-examples --bin library -- submit ml_library
//! cargo run -p argot-examples --bin library -- submit weekly_report --watch
//! # Locally: the components run from this binary (a note says so)
//! cargo run -p argot-examples --bin library -- run weekly_report
//! ```
//!
//! `ml_library` is an ordinary pipeline (it also runs: `argo submit --from
//! workflowtemplate/ml-library`), compiled as a `WorkflowTemplate` by its attribute; every
//! component it calls becomes a template of that object named after the component.
//! `weekly_report` calls the same components, type-checked by rustc as any call is, and each
//! task says `.template_ref("ml-library")`: on Argo the task runs the library's template, and
//! this manifest carries no template of its own for it, so the team that owns the library
//! can ship a fix without rebuilding every pipeline that uses it.

use crate::quickstart::{evaluate, prepare, train};
use argot::prelude::*;

/// The name the library is published under: the `metadata.name` of `ml_library`'s
/// WorkflowTemplate (its pipeline name, as a Kubernetes name).
pub const LIBRARY: &str = "ml-library";

/// The team's reusable steps: prepare, train and evaluate, published as the WorkflowTemplate
/// `ml-library`.
// The image is a placeholder nobody publishes: build it from `examples/Dockerfile`
// (`--build-arg BIN=library`), push it, and pass `--image` to `compile` or `submit`.
#[pipeline(image = "ghcr.io/argot-rs/library:0.1.0", kind = "workflow-template")]
pub fn ml_library(#[default(1000)] rows: Param<u32>) {
    let prepared = prepare(rows);
    let trained = train(prepared.data);
    evaluate(prepared.data, trained.model, trained.output);
}

/// A weekly report on a bigger data set, from the library's published steps.
#[pipeline(image = "ghcr.io/argot-rs/library:0.1.0")]
pub fn weekly_report(#[default(5000)] rows: Param<u32>, #[default(0.3)] learning_rate: Param<f64>) {
    let prepared = prepare(rows).template_ref(LIBRARY);
    let trained = train(prepared.data)
        .learning_rate(learning_rate)
        .template_ref(LIBRARY);
    evaluate(prepared.data, trained.model, trained.output).template_ref(LIBRARY);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_is_published_under_the_name_the_report_calls() {
        let compiled = ml_library::definition()
            .compile(&argot::CompileOptions::default())
            .unwrap();
        let manifest = serde_json::to_value(&compiled.manifest).unwrap();
        assert_eq!(manifest["kind"], "WorkflowTemplate");
        assert_eq!(manifest["metadata"]["name"], LIBRARY);
    }
}
