//! Dependencies on other tasks' results: `deploy.depends_on(train.succeeded())`,
//! `alert.depends_on(train.failed() | train.errored())`, `report.depends_on(!x.failed())`.
//!
//! [`TaskResults`] is implemented for every task handle; its methods name one result of the
//! task, and `&`, `|` and `!` combine them into a [`Results`] expression. `.depends_on(…)`
//! ANDs the expression into the task's `depends` (a data edge still adds "the producer
//! finished well", unless the expression already names the producer). Argo renders it as the
//! task's `depends` string; the local runner evaluates the same tree.

use std::ops::{BitAnd, BitOr, Not};

use crate::AsTask;
use crate::ir::TaskResult;
use crate::trace::DependsOn;

/// An expression over task results, for [`TaskResults::depends_on`].
#[derive(Clone, Debug)]
#[must_use = "pass it to `.depends_on(…)`"]
pub struct Results(pub(crate) DependsOn);

impl BitAnd for Results {
    type Output = Results;
    /// Both hold (`&&`).
    fn bitand(self, other: Results) -> Results {
        Results(match (self.0, other.0) {
            (DependsOn::And(mut a), DependsOn::And(b)) => {
                a.extend(b);
                DependsOn::And(a)
            }
            (DependsOn::And(mut a), b) => {
                a.push(b);
                DependsOn::And(a)
            }
            (a, b) => DependsOn::And(vec![a, b]),
        })
    }
}

impl BitOr for Results {
    type Output = Results;
    /// Either holds (`||`).
    fn bitor(self, other: Results) -> Results {
        Results(match (self.0, other.0) {
            (DependsOn::Or(mut a), DependsOn::Or(b)) => {
                a.extend(b);
                DependsOn::Or(a)
            }
            (DependsOn::Or(mut a), b) => {
                a.push(b);
                DependsOn::Or(a)
            }
            (a, b) => DependsOn::Or(vec![a, b]),
        })
    }
}

impl Not for Results {
    type Output = Results;
    /// It does not hold (`!`).
    fn not(self) -> Results {
        Results(DependsOn::Not(Box::new(self.0)))
    }
}

fn result(task: &(impl AsTask + ?Sized), result: TaskResult) -> Results {
    Results(DependsOn::Result(task.task_handle(), Some(result)))
}

/// The results of a task, and waiting on them; implemented for every task handle.
pub trait TaskResults: AsTask {
    /// The task succeeded (`X.Succeeded`).
    fn succeeded(&self) -> Results {
        result(self, TaskResult::Succeeded)
    }

    /// The task's component failed (`X.Failed`).
    fn failed(&self) -> Results {
        result(self, TaskResult::Failed)
    }

    /// The task could not be run (`X.Errored`).
    fn errored(&self) -> Results {
        result(self, TaskResult::Errored)
    }

    /// The task's condition was false (`X.Skipped`).
    fn skipped(&self) -> Results {
        result(self, TaskResult::Skipped)
    }

    /// The task never ran because its own `depends` was false (`X.Omitted`).
    fn omitted(&self) -> Results {
        result(self, TaskResult::Omitted)
    }

    /// The task finished well: succeeded, skipped or daemoned — what `.after(&x)` waits for
    /// (a bare `X` in Argo's `depends`).
    fn done(&self) -> Results {
        Results(DependsOn::Result(self.task_handle(), None))
    }

    /// The task ran to an end, well or not (`X.Succeeded || X.Failed || X.Errored`): "continue
    /// on failure".
    fn finished(&self) -> Results {
        self.succeeded() | self.failed() | self.errored()
    }

    /// At least one iteration of a looped task succeeded (`X.AnySucceeded`); false for a task
    /// that is not looped.
    fn any_succeeded(&self) -> Results {
        Results(DependsOn::AnySucceeded(self.task_handle()))
    }

    /// Every iteration of a looped task failed (`X.AllFailed`); false for a task that is not
    /// looped.
    fn all_failed(&self) -> Results {
        Results(DependsOn::AllFailed(self.task_handle()))
    }

    /// Runs this task only when `results` holds once every task it names has finished; when
    /// it is false the task is `Omitted`. Several calls are ANDed.
    fn depends_on(self, results: Results) -> Self
    where
        Self: Sized,
    {
        crate::trace::add_depends_on(self.task_handle(), results.0);
        self
    }
}

impl<T: AsTask + ?Sized> TaskResults for T {}
