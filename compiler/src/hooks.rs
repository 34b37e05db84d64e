//! Lifecycle hooks of one task: tasks that run when it succeeds, fails, or ends either way.
//!
//! ```
//! use argot::prelude::*;
//! # #[component] fn train(rows: u32) -> Result<f64> { Ok(0.9) }
//! # #[component] fn alert(message: String) -> Result<()> { Ok(()) }
//! # #[component] fn publish(accuracy: f64) -> Result<()> { Ok(()) }
//! #[pipeline(image = "example.com/p:1.0")]
//! fn nightly(rows: Param<u32>) {
//!     let trained = train(rows).on_failure(|| {
//!         alert(format_arg!("training on {} rows failed", rows));
//!     });
//!     publish(trained.output);
//! }
//! # fn main() {}
//! ```
//!
//! On Argo each hook is a DAG template named in the task's `hooks` (`LifecycleHook`): `exit`
//! for `on_exit` (run by `runOnExitNode`, `workflow/controller/exit_handler.go`, once the task
//! has `Completed`: succeeded, failed or errored), and for the others an `expression` on
//! `tasks['X'].status` that `executeTmplLifeCycleHook` (`workflow/controller/hooks.go`)
//! evaluates while the task runs and once it has finished. What Argo does with them, and what
//! the local runner does the same way:
//!
//! - the hook's tasks start once the task has finished with a result the hook is for; for any
//!   other result (skipped or omitted included) they do not run (`Skipped` locally);
//! - the task's dependants wait for the hook's tasks to finish (`evaluateDependsLogic` in
//!   `workflow/controller/dag.go` waits until `CheckAllHooksFullfilled`), and so does the
//!   pipeline's exit handler (the DAG stays running while a hook node is unfulfilled,
//!   `assessDAGPhase`);
//! - a failing hook does not fail the run: `assessDAGPhase` judges the DAG by its target tasks
//!   only, and a hook node is none of them; the failure is listed in `{{workflow.failures}}`.
//!
//! Like the exit handler, a hook is a template of its own: its tasks see the pipeline's
//! parameters, not other tasks (A0028).

use std::panic::Location;

use crate::AsTask;
use crate::ir::HookEvent;

/// Hooks on a task: implemented for every task handle.
pub trait TaskHooks: AsTask + Sized {
    /// Adds the tasks `body` creates as a hook that runs when this task succeeds.
    #[track_caller]
    fn on_success(self, body: impl FnOnce()) -> Self {
        crate::trace::add_hook(
            self.task_handle(),
            HookEvent::Success,
            Location::caller(),
            body,
        );
        self
    }

    /// Adds the tasks `body` creates as a hook that runs when this task fails or errors.
    #[track_caller]
    fn on_failure(self, body: impl FnOnce()) -> Self {
        crate::trace::add_hook(
            self.task_handle(),
            HookEvent::Failure,
            Location::caller(),
            body,
        );
        self
    }

    /// Adds the tasks `body` creates as a hook that runs when this task has run, whatever its
    /// result (not when it was skipped or omitted).
    #[track_caller]
    fn on_exit(self, body: impl FnOnce()) -> Self {
        crate::trace::add_hook(
            self.task_handle(),
            HookEvent::Exit,
            Location::caller(),
            body,
        );
        self
    }
}

impl<T: AsTask + Sized> TaskHooks for T {}
