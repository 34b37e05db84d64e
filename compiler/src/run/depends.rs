//! Argo's DAG semantics, for the local runner: when a task may start, and how the run ends.
//!
//! - A task is decided once every task its `depends` names has finished, in any phase
//!   (`evaluateDependsLogic` in `workflow/controller/dag.go` waits for `Fulfilled()`). The
//!   expression is then evaluated with each named task's results; a false one makes the task
//!   `Omitted`, which its own dependants see like any other result.
//! - A failure does not stop other tasks from starting: Argo keeps executing the DAG's tasks
//!   until every created node is fulfilled (`assessDAGPhase` returns `Running` while any is
//!   not), so independent branches run to the end.
//! - The run's phase is the DAG's (`assessDAGPhase`): each *target* task (one no other task
//!   depends on) gets a branch phase — its own phase if it completed, otherwise (omitted) that
//!   of the tasks it depends on, a failure winning — and the run fails if a target's branch
//!   failed. So a failure that a `.Failed` dependant handled and succeeded does not fail it.

use argot_client::Phase;

use crate::ir::{CompareKind, CompareOp, Condition, Depends, Operand, TaskId, TaskRef, TaskResult};

/// True when phase `phase` has result `result` for a plain (not looped) task. `Daemoned`,
/// `AnySucceeded` and `AllFailed` are false for such a task, as Argo computes them only for
/// daemons and task groups.
fn has_result(phase: &Phase, result: TaskResult) -> bool {
    match result {
        TaskResult::Succeeded => *phase == Phase::Succeeded,
        TaskResult::Failed => *phase == Phase::Failed,
        TaskResult::Errored => *phase == Phase::Error,
        TaskResult::Skipped => *phase == Phase::Skipped,
        TaskResult::Omitted => *phase == Phase::Omitted,
        TaskResult::Daemoned => false,
    }
}

/// Whether a hook for `on` runs after its task ended in phase `phase` (see `crate::hooks`).
pub(crate) fn hook_fires(on: crate::ir::HookEvent, phase: &Phase) -> bool {
    TaskResult::ALL
        .into_iter()
        .any(|result| has_result(phase, result) && on.fires_on(result))
}

/// Evaluates `d` given the phase of each finished task it names.
pub(crate) fn holds<'a>(d: &Depends, phase: &impl Fn(TaskId) -> &'a Phase) -> bool {
    let of = |t: &TaskRef| match t {
        TaskRef::Local(id) => phase(*id),
        TaskRef::Foreign { .. } => unreachable!("validation refuses tasks of another pipeline"),
    };
    match d {
        Depends::Done(t) => {
            let p = of(t);
            has_result(p, TaskResult::Succeeded)
                || has_result(p, TaskResult::Skipped)
                || has_result(p, TaskResult::Daemoned)
        }
        Depends::Result { task, result } => has_result(of(task), *result),
        Depends::AnySucceeded(_) | Depends::AllFailed(_) => false,
        Depends::And(terms) => terms.iter().all(|t| holds(t, phase)),
        Depends::Or(terms) => terms.iter().any(|t| holds(t, phase)),
        Depends::Not(inner) => !holds(inner, phase),
    }
}

/// The run's outcome as Argo's `assessDAGPhase` judges it: `None` when it succeeded, else the
/// task whose failure reached a target task (the first such target, in task order).
///
/// `phases[i]` is task `i`'s final phase; `deps[i]` the tasks it depends on; `order` the tasks
/// (all, or the part judged) in an order where each comes after its dependencies.
pub(crate) fn failed_branch(
    phases: &[&Phase],
    deps: &[Vec<usize>],
    order: &[usize],
) -> Option<usize> {
    let n = phases.len();
    // (failed?, the task the failure started at), per task.
    let mut branch: Vec<Option<usize>> = vec![None; n];
    let mut is_target = vec![true; n];
    for &i in order {
        let ds = &deps[i];
        for &d in ds {
            is_target[d] = false;
        }
        branch[i] = match phases[i] {
            Phase::Failed | Phase::Error => Some(i),
            Phase::Succeeded | Phase::Skipped => None,
            // Omitted (or never started): inherit a failure of what it depends on.
            _ => ds.iter().find_map(|&d| branch[d]),
        };
    }
    (0..n).filter(|&i| is_target[i]).find_map(|i| branch[i])
}

/// Evaluates a branch's condition as Argo's `expr` expression does (see the emitter's
/// `regions` module): text compares wire forms, `Integer` and `Float` parse them as `asInt`
/// and `asFloat` do. `value` gives an operand's wire form. An operand that does not parse is
/// an error, as the expression's evaluation fails on Argo. `depth` is the recursion depth of
/// the call the condition is evaluated in ([`crate::ir::call_depth`]), what
/// [`Condition::WithinDepth`] compares (on Argo, the template's `_recursion-depth` input).
pub(crate) fn condition_holds(
    c: &Condition,
    value: &dyn Fn(&Operand) -> Result<String, String>,
    depth: u32,
) -> Result<bool, String> {
    Ok(match c {
        Condition::Compare {
            left,
            op,
            right,
            kind,
        } => {
            let (l, r) = (value(left)?, value(right)?);
            let ordering = match kind {
                CompareKind::Text => {
                    return Ok(match op {
                        CompareOp::Eq => l == r,
                        CompareOp::Ne => l != r,
                        // Validation admits only `eq` and `ne` on text (`Ordered`).
                        _ => return Err("strings and booleans only compare equal or not".into()),
                    });
                }
                CompareKind::Integer => {
                    let int = |s: &str| {
                        s.trim_start_matches('+')
                            .parse::<i64>()
                            .map_err(|_| format!("`{s}` is not an integer (asInt)"))
                    };
                    int(&l)?.partial_cmp(&int(&r)?)
                }
                CompareKind::Float => {
                    let float = |s: &str| {
                        s.parse::<f64>()
                            .map_err(|_| format!("`{s}` is not a number (asFloat)"))
                    };
                    float(&l)?.partial_cmp(&float(&r)?)
                }
            };
            use std::cmp::Ordering::*;
            match (op, ordering) {
                (_, None) => matches!(op, CompareOp::Ne),
                (CompareOp::Eq, Some(o)) => o == Equal,
                (CompareOp::Ne, Some(o)) => o != Equal,
                (CompareOp::Lt, Some(o)) => o == Less,
                (CompareOp::Le, Some(o)) => o != Greater,
                (CompareOp::Gt, Some(o)) => o == Greater,
                (CompareOp::Ge, Some(o)) => o != Less,
            }
        }
        Condition::And(v) => {
            for c in v {
                if !condition_holds(c, value, depth)? {
                    return Ok(false);
                }
            }
            true
        }
        Condition::Or(v) => {
            for c in v {
                if condition_holds(c, value, depth)? {
                    return Ok(true);
                }
            }
            false
        }
        Condition::Not(c) => !condition_holds(c, value, depth)?,
        Condition::WithinDepth { max_depth } => depth < *max_depth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(i: u32) -> TaskRef {
        TaskRef::Local(TaskId(i))
    }

    /// The truth table Argo's `TaskResults` gives a plain task (`evaluateDependsLogic`).
    #[test]
    fn results_follow_argo() {
        let phases = [
            Phase::Succeeded,
            Phase::Failed,
            Phase::Error,
            Phase::Skipped,
            Phase::Omitted,
        ];
        for (i, p) in phases.iter().enumerate() {
            let phase = |_: TaskId| p;
            let done = holds(&Depends::Done(t(0)), &phase);
            assert_eq!(
                done,
                matches!(p, Phase::Succeeded | Phase::Skipped),
                "{p:?}"
            );
            for r in TaskResult::ALL {
                let expected = match r {
                    TaskResult::Succeeded => i == 0,
                    TaskResult::Failed => i == 1,
                    TaskResult::Errored => i == 2,
                    TaskResult::Skipped => i == 3,
                    TaskResult::Omitted => i == 4,
                    TaskResult::Daemoned => false,
                };
                let d = Depends::Result {
                    task: t(0),
                    result: r,
                };
                assert_eq!(holds(&d, &phase), expected, "{p:?} {r:?}");
            }
            assert!(!holds(&Depends::AnySucceeded(t(0)), &phase));
            assert!(!holds(&Depends::AllFailed(t(0)), &phase));
        }
    }

    #[test]
    fn connectives_combine_results() {
        let phases = [Phase::Succeeded, Phase::Failed];
        let phase = |id: TaskId| &phases[id.index()];
        let failed = |i| Depends::Result {
            task: t(i),
            result: TaskResult::Failed,
        };
        assert!(holds(&Depends::Done(t(0)).and(failed(1)), &phase));
        assert!(!holds(
            &Depends::Done(t(0)).and(Depends::Done(t(1))),
            &phase
        ));
        assert!(holds(
            &Depends::Or(vec![Depends::Done(t(1)), failed(1)]),
            &phase
        ));
        assert!(holds(&Depends::Not(Box::new(Depends::Done(t(1)))), &phase));
        assert!(!holds(&Depends::Not(Box::new(failed(1))), &phase));
    }

    #[test]
    fn a_handled_failure_does_not_fail_the_run() {
        // train (0) failed; alert (1) depends on train.Failed and succeeded: the target is
        // alert, whose branch is Succeeded.
        let phases = [&Phase::Failed, &Phase::Succeeded];
        let deps = [vec![], vec![0]];
        assert_eq!(failed_branch(&phases, &deps, &[0, 1]), None);
        // deploy (1) depends on train and was omitted: it inherits train's failure.
        let phases = [&Phase::Failed, &Phase::Omitted];
        assert_eq!(failed_branch(&phases, &deps, &[0, 1]), Some(0));
        // cleanup (1) depends on train.Failed, train succeeded: cleanup omitted, inherits
        // train's success.
        let phases = [&Phase::Succeeded, &Phase::Omitted];
        assert_eq!(failed_branch(&phases, &deps, &[0, 1]), None);
        // An independent failed target fails the run.
        let phases = [&Phase::Succeeded, &Phase::Succeeded, &Phase::Failed];
        let deps = [vec![], vec![0], vec![]];
        assert_eq!(failed_branch(&phases, &deps, &[0, 1, 2]), Some(2));
    }

    #[test]
    fn conditions_compare_wire_forms_as_argo_expr_does() {
        use crate::ir::{CompareKind as K, CompareOp as Op, Condition, Operand};
        let c = |l: &str, op, r: &str, kind| Condition::Compare {
            left: Operand::Constant(l.into()),
            op,
            right: Operand::Constant(r.into()),
            kind,
        };
        let value = |o: &Operand| match o {
            Operand::Constant(t) => Ok(t.clone()),
            _ => Err("no".to_owned()),
        };
        let holds = |c: &Condition| condition_holds(c, &value, 1);
        assert_eq!(
            holds(&c("it's a/b-c", Op::Eq, "it's a/b-c", K::Text)),
            Ok(true)
        );
        assert_eq!(holds(&c("true", Op::Ne, "false", K::Text)), Ok(true));
        // Numbers compare as numbers, not as text: 10 > 9, 1e-7 < 0.5.
        assert_eq!(holds(&c("10", Op::Gt, "9", K::Integer)), Ok(true));
        assert_eq!(holds(&c("1e-7", Op::Lt, "0.5", K::Float)), Ok(true));
        assert_eq!(holds(&c("-3", Op::Le, "-3", K::Integer)), Ok(true));
        assert_eq!(holds(&c("NaN", Op::Eq, "NaN", K::Float)), Ok(false));
        assert_eq!(holds(&c("NaN", Op::Ne, "NaN", K::Float)), Ok(true));
        // What `asInt` cannot read fails the condition, as the expression fails on Argo.
        assert!(holds(&c("abc", Op::Lt, "3", K::Integer)).is_err());
        let both = Condition::And(vec![
            c("1", Op::Eq, "1", K::Integer),
            Condition::Not(Box::new(c("a", Op::Eq, "b", K::Text))),
        ]);
        assert_eq!(holds(&both), Ok(true));
        assert_eq!(holds(&Condition::Or(vec![])), Ok(false));
        assert_eq!(holds(&Condition::And(vec![])), Ok(true));
    }

    #[test]
    fn a_recursion_bound_holds_below_the_last_level_only() {
        let value = |o: &Operand| match o {
            Operand::Constant(t) => Ok(t.clone()),
            _ => Err("no operand".to_owned()),
        };
        let bound = Condition::WithinDepth { max_depth: 3 };
        // As Argo's `asInt(inputs.parameters['_recursion-depth']) < 3`.
        for (depth, holds) in [(1, true), (2, true), (3, false), (4, false)] {
            assert_eq!(condition_holds(&bound, &value, depth), Ok(holds), "{depth}");
        }
        let guarded = Condition::And(vec![
            Condition::Compare {
                left: Operand::Constant("1".into()),
                op: CompareOp::Lt,
                right: Operand::Constant("2".into()),
                kind: CompareKind::Integer,
            },
            bound,
        ]);
        assert_eq!(condition_holds(&guarded, &value, 2), Ok(true));
        assert_eq!(condition_holds(&guarded, &value, 3), Ok(false));
    }
}
