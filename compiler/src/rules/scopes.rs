//! Regions and dependencies: every task reads only what its region can see (A0028), regions
//! no backend runs yet are refused (A0029), and each task's full `depends` expression.

use super::Checker;
use crate::diagnostics::Code;
use crate::ir::{
    Argument, Depends, RegionId, RegionKind, TaskId, TaskRef, describe_region, region_sees,
};

impl Checker<'_> {
    /// A0029 for every region but the root, and A0028 for a region tree that is not one
    /// (a parent that does not come first) — only a hand-built IR can have that.
    pub(crate) fn regions(&mut self) {
        let p = self.p;
        for (i, region) in p.regions.iter().enumerate() {
            let id = RegionId(i as u32);
            let tree_ok = match (i, region.parent) {
                (0, None) => matches!(region.kind, RegionKind::Root),
                (_, Some(parent)) => parent.index() < i,
                _ => false,
            };
            if !tree_ok {
                self.report(
                    Code::OutOfScope,
                    None,
                    format!("region #{i} is not part of the pipeline's region tree"),
                    "build regions only through the DSL's scoped constructs",
                );
                continue;
            }
            if i == 0 {
                continue;
            }
            let what = describe_region(&p.regions, id);
            // One exit handler, directly in the body: Argo's `spec.onExit`.
            if region.kind == RegionKind::ExitHandler {
                let first = p
                    .regions
                    .iter()
                    .position(|r| r.kind == RegionKind::ExitHandler)
                    == Some(i);
                let (problem, help) = if region.parent != Some(RegionId::ROOT) {
                    (
                        "an exit handler inside another construct is not compiled or run yet",
                        "call `on_exit` in the pipeline body itself",
                    )
                } else if !first {
                    (
                        "a pipeline has one exit handler",
                        "put every task that must run at the end into one `on_exit` call",
                    )
                } else {
                    continue;
                };
                self.report(
                    Code::UnsupportedConstruct,
                    None,
                    format!("{what}: {problem}"),
                    help,
                );
                continue;
            }
            if region
                .parent
                .is_some_and(|parent| crate::ir::in_exit_handler(&p.regions, parent))
            {
                self.report(
                    Code::UnsupportedConstruct,
                    None,
                    format!(
                        "{what}: constructs inside the exit handler are not compiled or run yet"
                    ),
                    "write the exit handler's tasks without it for now",
                );
                continue;
            }
            let construct = match region.kind {
                RegionKind::Root => "a second root",
                RegionKind::Branch { .. } => "conditional branches",
                RegionKind::Loop { .. } => "loops",
                RegionKind::ExitHandler => unreachable!("handled above"),
                RegionKind::Call { .. } => "sub-pipeline calls",
            };
            self.report(
                Code::UnsupportedConstruct,
                None,
                format!("{what}: {construct} are not compiled or run yet"),
                "write the pipeline without it for now; the construct arrives in the emitter and the local runner together",
            );
        }
    }

    /// A0028: each argument and each `depends` term names a task the reading task's region
    /// can see.
    pub(crate) fn scopes(&mut self) {
        let p = self.p;
        let region_count = p.regions.len();
        for (i, task) in p.tasks.iter().enumerate() {
            let id = TaskId(i as u32);
            if task.region.index() >= region_count {
                self.report(
                    Code::OutOfScope,
                    Some(id),
                    format!(
                        "task `{}` belongs to region #{}, which does not exist",
                        task.name, task.region.0
                    ),
                    "build regions only through the DSL's scoped constructs",
                );
                continue;
            }
            let reads = task.arguments.iter().filter_map(|(input, a)| match a {
                Argument::TaskOutput {
                    task: TaskRef::Local(t),
                    ..
                } => Some((format!("input `{input}`"), *t)),
                _ => None,
            });
            let orders = task
                .depends
                .iter()
                .flat_map(|d| d.tasks())
                .filter_map(|r| match r {
                    TaskRef::Local(t) => Some(("its `depends`".to_owned(), *t)),
                    TaskRef::Foreign { .. } => None,
                });
            if !crate::ir::in_exit_handler(&p.regions, task.region) {
                for (input, a) in &task.arguments {
                    if let Argument::Run(value) = a {
                        let what = match value {
                            crate::ir::RunValue::Status => "the run's status",
                            crate::ir::RunValue::Failures => "the run's failures",
                        };
                        self.report(
                            Code::OutOfScope,
                            Some(id),
                            format!(
                                "input `{input}` of task `{}` reads {what}, which only the exit handler knows",
                                task.name
                            ),
                            "read it in a task created inside `on_exit(|run| …)`",
                        );
                    }
                }
            }
            let uses: Vec<(String, TaskId)> = reads.chain(orders).collect();
            for (what, used) in uses {
                let Some(other) = p.tasks.get(used.index()) else {
                    continue;
                };
                if other.region.index() >= region_count
                    || region_sees(&p.regions, task.region, other.region)
                {
                    continue;
                }
                let here = describe_region(&p.regions, task.region);
                let there = describe_region(&p.regions, other.region);
                let at = |t: &crate::ir::Task| {
                    t.location
                        .as_ref()
                        .map(|l| format!(" (at {l})"))
                        .unwrap_or_default()
                };
                self.report(
                    Code::OutOfScope,
                    Some(id),
                    format!(
                        "{what} of task `{}`{} in {here} uses task `{}`{} in {there}, which cannot be seen from there",
                        task.name,
                        at(task),
                        other.name,
                        at(other)
                    ),
                    "use the value inside that region, or pass it out through the construct (the branch that ran, the loop's collected list, the sub-pipeline's outputs)",
                );
            }
        }
    }
}

/// The full `depends` expression of every task: a [`Depends::Done`] for each task it reads
/// from or was ordered `.after`, in task order, then the rest of its own expression. A task
/// its own expression already names by result is not added again: the user's expression
/// governs it. `None` for a task with no dependency.
pub(crate) fn full_depends(p: &crate::ir::Pipeline) -> Vec<Option<Depends>> {
    p.tasks
        .iter()
        .map(|task| {
            let own: Vec<Depends> = match &task.depends {
                None => Vec::new(),
                Some(Depends::And(terms)) => terms.clone(),
                Some(d) => vec![d.clone()],
            };
            let (plain, rest): (Vec<Depends>, Vec<Depends>) =
                own.into_iter().partition(|d| matches!(d, Depends::Done(_)));
            let governed: Vec<&TaskRef> = rest.iter().flat_map(|d| d.tasks()).collect();
            let mut done: Vec<TaskId> = task
                .arguments
                .values()
                .filter_map(Argument::task)
                .filter(|t| !governed.contains(t))
                .chain(plain.iter().flat_map(|d| d.tasks()))
                .filter_map(|r| match r {
                    TaskRef::Local(t) => Some(*t),
                    TaskRef::Foreign { .. } => None,
                })
                .collect();
            done.sort_unstable();
            done.dedup();
            let mut terms: Vec<Depends> = done
                .into_iter()
                .map(|t| Depends::Done(TaskRef::Local(t)))
                .collect();
            terms.extend(rest);
            match terms.len() {
                0 => None,
                1 => terms.pop(),
                _ => Some(Depends::And(terms)),
            }
        })
        .collect()
}
