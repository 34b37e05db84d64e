//! Argo's `depends` syntax for a [`Depends`] tree.
//!
//! Argo evaluates `depends` with `expr` after replacing `-` by `_` in task names
//! (`evaluateDependsLogic` in `workflow/controller/dag.go`): `!` binds tightest, then `&&`,
//! then `||`, so a conjunction inside a negation or a disjunction inside a conjunction is
//! parenthesised and nothing else is.

use crate::ir::{Depends, TaskId, TaskRef};

/// Renders `d`, naming each task with `name`.
pub fn render<'a>(d: &Depends, name: impl Fn(TaskId) -> &'a str + Copy) -> String {
    let mut out = String::new();
    write(d, name, Context::Top, &mut out);
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Context {
    Top,
    And,
    Not,
}

fn write<'a>(d: &Depends, name: impl Fn(TaskId) -> &'a str + Copy, cx: Context, out: &mut String) {
    let task = |t: &TaskRef| match t {
        TaskRef::Local(id) => name(*id),
        TaskRef::Foreign { .. } => unreachable!("validation refuses tasks of another pipeline"),
    };
    match d {
        Depends::Done(t) => out.push_str(task(t)),
        Depends::Result { task: t, result } => {
            out.push_str(task(t));
            out.push('.');
            out.push_str(result.as_str());
        }
        Depends::AnySucceeded(t) => {
            out.push_str(task(t));
            out.push_str(".AnySucceeded");
        }
        Depends::AllFailed(t) => {
            out.push_str(task(t));
            out.push_str(".AllFailed");
        }
        Depends::And(terms) | Depends::Or(terms) if terms.len() == 1 => {
            write(&terms[0], name, cx, out)
        }
        Depends::And(terms) => {
            let paren = cx == Context::Not;
            join(terms, " && ", Context::And, paren, name, out);
        }
        Depends::Or(terms) => {
            let paren = cx != Context::Top;
            join(terms, " || ", Context::Top, paren, name, out);
        }
        Depends::Not(inner) => {
            out.push('!');
            write(inner, name, Context::Not, out);
        }
    }
}

fn join<'a>(
    terms: &[Depends],
    sep: &str,
    inner: Context,
    paren: bool,
    name: impl Fn(TaskId) -> &'a str + Copy,
    out: &mut String,
) {
    if paren {
        out.push('(');
    }
    for (i, t) in terms.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        write(t, name, inner, out);
    }
    if paren {
        out.push(')');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::TaskResult;

    fn t(i: u32) -> TaskRef {
        TaskRef::Local(TaskId(i))
    }

    fn names(id: TaskId) -> &'static str {
        ["prepare", "train-model", "report"][id.index()]
    }

    #[test]
    fn bare_names_results_and_groups() {
        let d = Depends::Done(t(0)).and(Depends::Done(t(1)));
        assert_eq!(render(&d, names), "prepare && train-model");
        let failed = Depends::Result {
            task: t(1),
            result: TaskResult::Failed,
        };
        assert_eq!(render(&failed, names), "train-model.Failed");
        assert_eq!(
            render(&Depends::AnySucceeded(t(1)), names),
            "train-model.AnySucceeded"
        );
        assert_eq!(
            render(&Depends::AllFailed(t(1)), names),
            "train-model.AllFailed"
        );
    }

    #[test]
    fn precedence_is_kept_with_the_fewest_parentheses() {
        let or = Depends::Or(vec![
            Depends::Result {
                task: t(1),
                result: TaskResult::Succeeded,
            },
            Depends::Result {
                task: t(1),
                result: TaskResult::Failed,
            },
        ]);
        let d = Depends::Done(t(0)).and(or.clone());
        assert_eq!(
            render(&d, names),
            "prepare && (train-model.Succeeded || train-model.Failed)"
        );
        assert_eq!(
            render(&Depends::Or(vec![Depends::Done(t(0)), d.clone()]), names),
            "prepare || prepare && (train-model.Succeeded || train-model.Failed)"
        );
        assert_eq!(
            render(&Depends::Not(Box::new(d)), names),
            "!(prepare && (train-model.Succeeded || train-model.Failed))"
        );
        assert_eq!(
            render(&Depends::Not(Box::new(Depends::Done(t(2)))), names),
            "!report"
        );
        assert_eq!(
            render(&Depends::Not(Box::new(or)), names),
            "!(train-model.Succeeded || train-model.Failed)"
        );
    }
}
