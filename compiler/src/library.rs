//! Calling a component published in a `WorkflowTemplate` (Argo's `templateRef`), typed as if it
//! were local.
//!
//! A team publishes its components once, as a pipeline compiled with `--kind
//! workflow-template` (or `#[pipeline(kind = "workflow-template")]`): each component becomes a
//! template of that object, named after the component. Another pipeline calls the component
//! as usual — rustc checks every argument — and says where the cluster finds it:
//!
//! ```
//! use argot::prelude::*;
//! # #[component] fn train(rows: u32) -> Result<f64> { Ok(0.9) }
//! # #[component] fn publish(accuracy: f64) -> Result<()> { Ok(()) }
//! #[pipeline(image = "example.com/p:1.0")]
//! fn weekly(rows: Param<u32>) {
//!     let trained = train(rows).template_ref("ml-library");
//!     publish(trained.output);
//! }
//! # fn main() {}
//! ```
//!
//! On Argo the task is `templateRef: {name: ml-library, template: train}` (`clusterScope:
//! true` with [`TaskTemplateRef::cluster_template_ref`]); no template of the component is
//! emitted, and the arguments are the ones a local template would get, so the library's
//! template must be the component's plain one (a library task with settings of its own gets a
//! template of another name: give the component its settings instead). The task's own
//! settings would be the library's, so a task with both is refused (A0048). `run` runs the
//! component of this binary instead, and says so: the same code when the library was compiled
//! from it.

use crate::AsTask;
use crate::ir::TemplateRef;

/// Runs a task from a published template: implemented for every task handle.
pub trait TaskTemplateRef: AsTask + Sized {
    /// On Argo, runs the component's template in the `WorkflowTemplate` named
    /// `workflow_template` (its `metadata.name`) instead of a template of this manifest.
    fn template_ref(self, workflow_template: &str) -> Self {
        crate::trace::set_template_ref(
            self.task_handle(),
            TemplateRef {
                name: workflow_template.to_owned(),
                cluster_scope: false,
            },
        );
        self
    }

    /// As [`TaskTemplateRef::template_ref`], from a `ClusterWorkflowTemplate`.
    fn cluster_template_ref(self, cluster_workflow_template: &str) -> Self {
        crate::trace::set_template_ref(
            self.task_handle(),
            TemplateRef {
                name: cluster_workflow_template.to_owned(),
                cluster_scope: true,
            },
        );
        self
    }
}

impl<T: AsTask + Sized> TaskTemplateRef for T {}
