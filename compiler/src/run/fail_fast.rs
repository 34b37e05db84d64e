//! `#[pipeline(fail_fast = true)]` on this machine, across nested templates, as Argo runs the
//! manifest [`crate::emit::argo`] writes: template `failFast: true` on every DAG template of
//! the pipeline's body (the root, each condition's, each loop's outer and body templates,
//! each hook's and each called pipeline's), not on the exit handler's.
//!
//! Argo (v4.1, `workflow/controller/operator.go`, `checkParallelism`; the counters are
//! `getUnsuccessfulChildrenCounter` and `getActivePodsCounter` in
//! `workflow/controller/node_counters.go`) looks at one DAG node at a time, the *boundary*
//! of the nodes it starts:
//!
//! - A boundary *trips* once a child of its own (a pod, or the node of a nested DAG, whose
//!   `boundaryID` is this one) is `Failed` or `Error`; a failed attempt of a retried task is
//!   such a pod. From then on `checkParallelism` refuses every new child of it (a task, a
//!   retry, a loop iteration, a hook) and returns before `executeDAG` when the tripped DAG
//!   itself comes up, so nothing nested in it is advanced either: no task starts anywhere
//!   under it. Pods already running finish.
//! - A tripped boundary is marked `Failed` once no pod of its own is pending or running
//!   (`getActivePods(boundaryID) == 0`; pods of nested DAGs are not its own). Only then is it
//!   an unsuccessful child of *its* boundary, which trips in turn.
//! - Once the pipeline's own DAG is marked failed, `operate` finds the entry node fulfilled
//!   and starts the exit handler, even while tasks of nested DAGs still run (they finish;
//!   their DAGs are not advanced again), and `{{workflow.status}}` is `Failed`.
//!
//! So a failure stops everything under its own DAG at once, and the rest of the run once the
//! pods its DAG started itself have finished: until then, tasks outside that DAG (outside the
//! condition, the iteration, the call) still start. A loop's outer template has no pods of
//! its own, so a failed iteration trips the loop's parent as soon as the iteration has
//! failed. Here every region but the exit handler and what it holds is such a boundary (each
//! is a DAG node on Argo; a loop region instance is one iteration's body DAG, and the outer
//! loop template, which owns no pods, passes a failure straight on).

use crate::ir::RegionKind;
use crate::validate::ValidPipeline;

/// The fail-fast state of every boundary of one stage of a run.
pub(crate) struct FailFast {
    /// Per task, the region whose DAG it is a child of; `None` for the exit handler's tasks
    /// and when the pipeline does not fail fast.
    boundary: Vec<Option<usize>>,
    /// Per region, the region whose DAG holds its node.
    parent: Vec<Option<usize>>,
    /// Per region, whether a child of its own has failed.
    tripped: Vec<bool>,
    /// Per region, whether it has been marked failed (tripped, and no task of its own runs).
    failed: Vec<bool>,
    /// Per region, how many of its own tasks are running.
    running: Vec<usize>,
}

impl FailFast {
    /// The boundaries of `valid` (a stage of the run); `tripped_before` when an earlier stage
    /// of the same run tripped (it ended with every task finished, so its trip had reached
    /// the root).
    pub(crate) fn new(valid: &ValidPipeline, tripped_before: bool) -> FailFast {
        let p = valid.pipeline();
        let on = p.settings.fail_fast;
        let regions = &p.regions;
        let body =
            |r: usize| on && !crate::ir::in_exit_handler(regions, crate::ir::RegionId(r as u32));
        let n = regions.len();
        let mut ff = FailFast {
            boundary: p
                .tasks
                .iter()
                .map(|t| body(t.region.index()).then_some(t.region.index()))
                .collect(),
            parent: regions
                .iter()
                .map(|r| {
                    r.parent
                        .map(|p| p.index())
                        .filter(|&p| regions[p].kind != RegionKind::ExitHandler)
                })
                .collect(),
            tripped: vec![false; n],
            failed: vec![false; n],
            running: vec![0; n],
        };
        if on && tripped_before {
            ff.trip(0);
        }
        ff
    }

    /// True once some boundary has tripped.
    pub(crate) fn any(&self) -> bool {
        self.tripped.iter().any(|&t| t)
    }

    /// True once the pipeline's own DAG has been marked failed.
    pub(crate) fn body_failed(&self) -> bool {
        self.failed.first().copied().unwrap_or(false)
    }

    /// True when task `i` may not start: its DAG, or one around it, has tripped.
    pub(crate) fn stops(&self, i: usize) -> bool {
        let mut at = self.boundary[i];
        while let Some(b) = at {
            if self.tripped[b] {
                return true;
            }
            at = self.parent[b];
        }
        false
    }

    /// Task `i` started.
    pub(crate) fn started(&mut self, i: usize) {
        if let Some(b) = self.boundary[i] {
            self.running[b] += 1;
        }
    }

    /// Task `i` ended (`ran`: it had started), `failed` or not.
    pub(crate) fn finished(&mut self, i: usize, ran: bool, failed: bool) {
        let Some(b) = self.boundary[i] else {
            return;
        };
        if ran {
            self.running[b] = self.running[b].saturating_sub(1);
        }
        if failed {
            self.trip(b);
        } else {
            self.settle(b);
        }
    }

    /// A child of boundary `b` failed.
    fn trip(&mut self, b: usize) {
        self.tripped[b] = true;
        self.settle(b);
    }

    /// Marks `b` failed once it has tripped and none of its own tasks runs; its parent then
    /// has a failed child.
    fn settle(&mut self, b: usize) {
        if self.tripped[b] && !self.failed[b] && self.running[b] == 0 {
            self.failed[b] = true;
            if let Some(parent) = self.parent[b] {
                self.trip(parent);
            }
        }
    }
}
