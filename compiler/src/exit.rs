//! The exit handler: tasks that run after the pipeline's body, whatever happened to it.
//!
//! ```
//! use argot::prelude::*;
//! # #[component] fn train(rows: u32) -> Result<f64> { Ok(0.9) }
//! # #[component] fn notify(status: String, failures: String) -> Result<()> { Ok(()) }
//! #[pipeline(image = "example.com/p:1.0")]
//! fn nightly() {
//!     train(1000);
//!     on_exit(|run| {
//!         notify(run.status(), run.failures());
//!     });
//! }
//! # fn main() {}
//! ```
//!
//! On Argo the handler is the DAG template `spec.onExit` names; its tasks read
//! `{{workflow.status}}` and `{{workflow.failures}}`. It sees no task of the body (the handler
//! is a template of its own; A0028 refuses such a use), only the pipeline's parameters and
//! what [`Run`] offers. The local runner starts the handler's tasks once every task of the body
//! has finished (under `fail_fast`, once the pipeline's DAG has failed, as on Argo), with the
//! same two values. A failed handler fails a run whose body succeeded (`operate` in
//! `workflow/controller/operator.go`).

use std::panic::Location;

use serde::{Deserialize, Serialize};

use crate::dsl::IntoParam;
use crate::ir::{RegionKind, RunValue};
use crate::trace::Bound;

/// What the exit handler knows about the run; [`on_exit`] hands it to its closure.
#[derive(Debug)]
pub struct Run {
    _private: (),
}

impl Run {
    /// `Succeeded`, `Failed` or `Error`: how the body ended (a `String` input).
    pub fn status(&self) -> RunInfo {
        RunInfo(RunValue::Status)
    }

    /// The body's failed and errored steps, as JSON text in the form Argo writes it (a
    /// `String` input; parse it with [`RunFailure::parse`]).
    pub fn failures(&self) -> RunInfo {
        RunInfo(RunValue::Failures)
    }
}

/// A value about the run, usable as a `String` input of a task in the exit handler.
#[derive(Clone, Copy, Debug)]
pub struct RunInfo(RunValue);

impl IntoParam<String> for RunInfo {
    fn __bind(self) -> Bound {
        Bound::Run(self.0)
    }
}

/// Adds tasks that run after the pipeline's body, whatever happened to it: the calls `body`
/// makes. One per pipeline, in the pipeline body itself.
#[track_caller]
pub fn on_exit(body: impl FnOnce(&Run)) {
    let run = Run { _private: () };
    crate::trace::scope(RegionKind::ExitHandler, Location::caller(), || body(&run));
}

/// One failed or errored step, as `{{workflow.failures}}` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunFailure {
    /// The step's name as shown (the task's name).
    pub display_name: String,
    /// Why it failed.
    #[serde(default)]
    pub message: String,
    /// The template it ran.
    #[serde(default)]
    pub template_name: String,
    /// `Failed` or `Error`.
    pub phase: String,
    /// The pod it ran in.
    #[serde(default)]
    pub pod_name: String,
    /// When it finished (RFC 3339), if it did.
    #[serde(default)]
    pub finished_at: Option<String>,
}

impl RunFailure {
    /// Reads what a `failures` input received: the JSON list, or the JSON list quoted once
    /// more (Argo quotes it with Go's `strconv.Quote`; the input's decoding removes one level).
    ///
    /// # Errors
    /// When the text is neither.
    pub fn parse(text: &str) -> Result<Vec<RunFailure>, serde_json::Error> {
        match serde_json::from_str::<Vec<RunFailure>>(text) {
            Ok(v) => Ok(v),
            Err(e) => match serde_json::from_str::<String>(text) {
                Ok(inner) => serde_json::from_str(&inner),
                Err(_) => Err(e),
            },
        }
    }
}
