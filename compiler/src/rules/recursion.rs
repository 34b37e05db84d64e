//! Recursion: a pipeline calling itself from a conditional branch of its own body, with a
//! depth bound (A0040, A0041). Tracing unrolls the recursion level by level up to the bound
//! and conjoins [`Condition::WithinDepth`] to the branch holding each recursive call; these
//! rules check that shape on any IR (a hand-built one too), since both backends rely on it:
//! the emitter evaluates the bound in the called pipeline's own DAG, the runner from the
//! nesting of the calls.

use super::Checker;
use crate::diagnostics::Code;
use crate::ir::{Condition, RegionId, RegionKind, ancestry, describe_region, is_recursive_call};

/// Argo fails a node nested this many templates deep (`executeTemplate` in
/// `workflow/controller/operator.go`: `currentStackDepth >= maxStackDepth`, 100 in v4.1.2).
const ARGO_MAX_STACK_DEPTH: usize = 100;

impl Checker<'_> {
    /// Every depth bound is usable and sits on a branch directly in a called pipeline's body;
    /// every recursive call is in such a branch; the deepest task is nested less deep than
    /// Argo allows.
    pub(crate) fn recursion(&mut self) {
        let p = self.p;
        let mut recurses = false;
        // Each level repeats the same branch: its problems are reported once.
        let mut reported = std::collections::BTreeSet::new();
        for (r, region) in p.regions.iter().enumerate() {
            let id = RegionId(r as u32);
            if let RegionKind::Branch { condition } = &region.kind
                && let Some(max_depth) = condition.max_depth()
            {
                let in_call_body = region.parent.is_some_and(|parent| {
                    matches!(
                        p.regions.get(parent.index()).map(|r| &r.kind),
                        Some(RegionKind::Call { .. })
                    )
                });
                let first = reported.insert(format!("{:?}", region.location));
                if !first {
                    continue;
                }
                if !(2..=crate::trace::MAX_RECURSION_DEPTH).contains(&max_depth) {
                    self.report(
                        Code::RecursionBound,
                        None,
                        format!(
                            "{} bounds a recursion at depth {max_depth}, outside 2..={}",
                            describe_region(&p.regions, id),
                            crate::trace::MAX_RECURSION_DEPTH
                        ),
                        "state `#[pipeline(max_depth = N)]` with N from 2 (1 never recurses) to the most levels Argo can nest",
                    );
                }
                if !in_call_body {
                    self.report(
                        Code::RecursionMisuse,
                        None,
                        format!(
                            "{} carries a recursion bound, but is not a branch written directly in a called pipeline's body, where the depth is known",
                            describe_region(&p.regions, id)
                        ),
                        "let tracing place the bound: call the pipeline from itself inside a `when(…)` in its body, with `#[pipeline(max_depth = N)]`",
                    );
                }
            }
            if !is_recursive_call(&p.regions, id) {
                continue;
            }
            recurses = true;
            // The branch holding the call, directly in the body of the call it recurses from.
            let bounded = region.parent.and_then(|b| p.regions.get(b.index())).is_some_and(|b| {
                matches!(&b.kind, RegionKind::Branch { condition } if is_top_level_bound(condition))
                    && b.parent.is_some_and(|d| {
                        matches!(&p.regions[d.index()].kind, RegionKind::Call { pipeline, .. }
                            if matches!(&region.kind, RegionKind::Call { pipeline: q, .. } if q == pipeline))
                    })
            });
            if !bounded && reported.insert(format!("call {:?}", region.location)) {
                self.report(
                    Code::RecursionBound,
                    None,
                    format!(
                        "{} calls its own pipeline again, but not from a branch of that pipeline's body whose condition carries a depth bound",
                        describe_region(&p.regions, id)
                    ),
                    "add `#[pipeline(max_depth = N)]` and call the pipeline from itself inside a `when(…)` in its body",
                );
            }
        }
        if !recurses {
            return;
        }
        // How deep Argo nests each task's template: one per DAG template around it (a loop
        // is two: its own and its body's), plus the task's own.
        let deepest = p
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let templates: usize = ancestry(&p.regions, t.region)
                    .map(|(_, r)| match r.kind {
                        RegionKind::Loop { .. } => 2,
                        _ => 1,
                    })
                    .sum();
                (templates + 1, i)
            })
            .max();
        if let Some((depth, i)) = deepest
            && depth >= ARGO_MAX_STACK_DEPTH
        {
            self.report(
                Code::RecursionBound,
                Some(crate::ir::TaskId(i as u32)),
                format!(
                    "at its deepest level the recursion nests task `{}` {depth} templates deep, and Argo fails a workflow nested {ARGO_MAX_STACK_DEPTH} deep",
                    p.tasks[i].name
                ),
                "state a smaller `max_depth`",
            );
        }
    }
}

/// True when `condition` requires its depth bound: the bound is the condition or one of the
/// terms of its conjunction (anything else could let the branch run past the bound).
fn is_top_level_bound(condition: &Condition) -> bool {
    match condition {
        Condition::WithinDepth { .. } => true,
        Condition::And(terms) => terms
            .iter()
            .any(|t| matches!(t, Condition::WithinDepth { .. })),
        _ => false,
    }
}
