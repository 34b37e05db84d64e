//! The DAG templates of a pipeline: one per region that runs as a unit on Argo.
//!
//! - The root is the entrypoint DAG; the exit handler is the DAG `spec.onExit` names.
//! - A conditional branch is a DAG template of its own, called from its parent's DAG by one
//!   task (`condition-1`, …) whose `when` is the branch's condition. A skipped branch skips
//!   its tasks as one; inside it, `{{tasks.X…}}` of the parent is not visible, so every value
//!   the branch reads from outside arrives as an input of its template (`X_output`: task names
//!   have no `_`, so the name is unambiguous), passed by the calling task, which also waits
//!   for the tasks of its parent that the branch reads.
//! - A loop is two DAG templates: `<pipeline>-loop-N`, called by DAG task `loop-N` of its
//!   parent, whose one task `loop-N` runs the body template `<pipeline>-loop-N-body` once per
//!   item (`withItems`, `withParam`; `expandTask` in `workflow/controller/dag.go`). The outer
//!   template exists for `parallelism`: Argo bounds the running pods under a template's node
//!   (`checkParallelism` in `workflow/controller/operator.go`), so on the outer template it
//!   bounds the whole loop, where on the body it would bound one iteration. The item arrives
//!   in the body as inputs `_loop-N-item` (`{{item}}`) and `_loop-N-item_FIELD`
//!   (`{{item.FIELD}}`): a leading `_` never starts a task name, so they cannot meet a
//!   `TASK_OUTPUT` input. An output collected after the loop is an output `TASK_OUTPUT` of
//!   both templates, which Argo aggregates over the iterations into a JSON list
//!   (`processAggregateNodeOutputs`).
//! - The condition is an `expr` expression (`{{=…}}`, Argo's `util/template`), evaluated on
//!   values, never on text pasted into govaluate (`shouldExecute`), so a value with quotes,
//!   hyphens or slashes cannot break it: strings and booleans compare their wire forms,
//!   integers through `asInt`, floats through `asFloat`.

use std::collections::BTreeSet;

use super::argo::{Arguments, Artifact, DagTask, Parameter, Template, ValueFrom};
use crate::ir::{
    Argument, CompareKind, Condition, Depends, LoopItems, Operand, RegionId, RegionKind, RunValue,
    TaskId, TaskRef,
};
use crate::validate::ValidPipeline;

/// A value a region reads from outside it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outside {
    /// An output of a task: task, output, artifact or not.
    Task(TaskId, String, bool),
    /// The item of a loop around the region (or the loop's own), or a field of it.
    Item(RegionId, Option<String>),
    /// Every iteration's value of an output of a task directly in a loop body.
    Collected(TaskId, String),
}

impl Outside {
    fn artifact(&self) -> bool {
        matches!(self, Outside::Task(_, _, true))
    }
}

/// The root's DAG template, then each branch's and loop's in region order, and the exit
/// handler's.
pub(crate) fn dag_templates(
    valid: &ValidPipeline,
    blank: &dyn Fn(&str) -> Template,
) -> (Vec<Template>, Option<Template>) {
    let p = valid.pipeline();
    let names = valid.names();
    // What each nested region receives, computed once: its template declares it and the DAG
    // task that calls it passes it.
    let received: Vec<Vec<Outside>> = p
        .regions
        .iter()
        .enumerate()
        .map(|(r, region)| match region.kind {
            RegionKind::Branch { .. } | RegionKind::Loop { .. } => {
                inputs(valid, RegionId(r as u32))
            }
            _ => Vec::new(),
        })
        .collect();
    let selected = selected_outputs(valid);
    let collected = collected_outputs(valid);
    let mut body = Vec::new();
    let mut exit = None;
    for (r, region) in p.regions.iter().enumerate() {
        let id = RegionId(r as u32);
        let name = match &region.kind {
            RegionKind::Root => names.dag_template.clone(),
            RegionKind::ExitHandler => match &names.exit_template {
                Some(n) => n.clone(),
                None => continue,
            },
            RegionKind::Branch { .. } => match &names.branches[r] {
                Some(b) => b.template.clone(),
                None => continue,
            },
            RegionKind::Loop { .. } => match &names.branches[r] {
                Some(b) => {
                    body.push(loop_template(valid, id, &received[r], &collected[r], blank));
                    b.body.clone().unwrap_or_default()
                }
                None => continue,
            },
            // Refused by validation (A0029).
            RegionKind::Call { .. } => continue,
        };
        let mut template = blank(&name);
        declare(valid, &mut template.inputs, &received[r]);
        for (task, output) in selected[r].iter().chain(&collected[r]) {
            template.outputs.parameters.push(Parameter {
                name: input_name(valid, &Outside::Task(*task, output.clone(), false)),
                value_from: Some(ValueFrom {
                    path: None,
                    parameter: Some(format!(
                        "{{{{tasks.{}.outputs.parameters.{output}}}}}",
                        p.tasks[task.index()].name
                    )),
                }),
                ..Parameter::default()
            });
        }
        if let Some(dag) = template.dag.as_mut() {
            dag.tasks = dag_tasks(valid, id, &received);
        }
        if region.kind == RegionKind::ExitHandler {
            exit = Some(template);
        } else {
            body.push(template);
        }
    }
    (body, exit)
}

/// Declares `values` as the inputs of a template.
fn declare(valid: &ValidPipeline, inputs: &mut Arguments, values: &[Outside]) {
    for value in values {
        let name = input_name(valid, value);
        if value.artifact() {
            inputs.artifacts.push(Artifact {
                name,
                ..Artifact::default()
            });
        } else {
            inputs.parameters.push(Parameter {
                name,
                ..Parameter::default()
            });
        }
    }
}

/// Passes `values` to a template from region `at`, each as `value(it)` says.
fn pass(
    valid: &ValidPipeline,
    values: &[Outside],
    value: &dyn Fn(&Outside) -> String,
) -> Arguments {
    let mut arguments = Arguments::default();
    for v in values {
        let name = input_name(valid, v);
        if v.artifact() {
            arguments.artifacts.push(Artifact {
                name,
                from: Some(value(v)),
                ..Artifact::default()
            });
        } else {
            arguments.parameters.push(Parameter {
                name,
                value: Some(value(v)),
                ..Parameter::default()
            });
        }
    }
    arguments
}

/// The name of the input holding a loop's list of items when it is a task's output.
const ITEMS_INPUT: &str = "_items";

/// Loop `region`'s outer template: one task that runs the body once per item, with the loop's
/// parallelism; it receives what the body receives (but the item) and the list when a task
/// made it, and passes the collected outputs out.
fn loop_template(
    valid: &ValidPipeline,
    region: RegionId,
    received: &[Outside],
    collected: &[(TaskId, String)],
    blank: &dyn Fn(&str) -> Template,
) -> Template {
    let p = valid.pipeline();
    let names = valid.names().branches[region.index()]
        .as_ref()
        .expect("a named loop");
    let RegionKind::Loop { items, parallelism } = &p.regions[region.index()].kind else {
        unreachable!("a loop region")
    };
    let mut template = blank(&names.template);
    template.parallelism = *parallelism;
    let through: Vec<Outside> = received
        .iter()
        .filter(|v| !matches!(v, Outside::Item(l, _) if *l == region))
        .cloned()
        .collect();
    declare(valid, &mut template.inputs, &through);
    let (with_items, with_param) = match items {
        LoopItems::Static(items) => (
            items
                .iter()
                .map(|i| serde_json::from_str(i).expect("validation checked the items are JSON"))
                .collect(),
            None,
        ),
        LoopItems::PipelineParam(name) => (
            Vec::new(),
            Some(format!("{{{{workflow.parameters.{name}}}}}")),
        ),
        LoopItems::TaskOutput { .. } => {
            template.inputs.parameters.push(Parameter {
                name: ITEMS_INPUT.to_owned(),
                ..Parameter::default()
            });
            (
                Vec::new(),
                Some(format!("{{{{inputs.parameters.{ITEMS_INPUT}}}}}")),
            )
        }
    };
    let arguments = pass(valid, received, &|v| match v {
        Outside::Item(l, None) if *l == region => "{{item}}".to_owned(),
        Outside::Item(l, Some(field)) if *l == region => format!("{{{{item.{field}}}}}"),
        v => {
            let kind = if v.artifact() {
                "artifacts"
            } else {
                "parameters"
            };
            format!("{{{{inputs.{kind}.{}}}}}", input_name(valid, v))
        }
    });
    for (task, output) in collected {
        let name = input_name(valid, &Outside::Task(*task, output.clone(), false));
        template.outputs.parameters.push(Parameter {
            name: name.clone(),
            value_from: Some(ValueFrom {
                path: None,
                parameter: Some(format!(
                    "{{{{tasks.{}.outputs.parameters.{name}}}}}",
                    names.task
                )),
            }),
            ..Parameter::default()
        });
    }
    if let Some(dag) = template.dag.as_mut() {
        dag.tasks = vec![DagTask {
            name: names.task.clone(),
            template: names.body.clone().unwrap_or_default(),
            depends: None,
            when: None,
            with_items,
            with_param,
            arguments,
        }];
    }
    template
}

/// The DAG task that calls branch or loop `region`.
fn region_task(valid: &ValidPipeline, region: RegionId) -> &str {
    valid.names().branches[region.index()]
        .as_ref()
        .map_or("", |b| b.task.as_str())
}

/// For each region (a branch), the outputs of its tasks that a `one_of` beside it reads, for
/// its template's outputs: `(task, output)` pairs, in task order.
fn selected_outputs(valid: &ValidPipeline) -> Vec<Vec<(TaskId, String)>> {
    outputs_read(valid, |argument| match argument {
        Argument::OneOf(options) => options.iter().map(|(t, o)| (t, o)).collect(),
        _ => Vec::new(),
    })
}

/// For each region (a loop body), the outputs of its tasks collected after the loop.
fn collected_outputs(valid: &ValidPipeline) -> Vec<Vec<(TaskId, String)>> {
    outputs_read(valid, |argument| match argument {
        Argument::Collected { task, output } => vec![(task, output)],
        _ => Vec::new(),
    })
}

/// For each region, the outputs of its own tasks that `reads` finds in some argument.
fn outputs_read<'a>(
    valid: &'a ValidPipeline,
    reads: impl Fn(&'a Argument) -> Vec<(&'a TaskRef, &'a String)>,
) -> Vec<Vec<(TaskId, String)>> {
    let p = valid.pipeline();
    let mut found: Vec<BTreeSet<(TaskId, String)>> = vec![BTreeSet::new(); p.regions.len()];
    for argument in p.tasks.iter().flat_map(|t| t.arguments.values()) {
        for (t, output) in reads(argument) {
            if let TaskRef::Local(t) = t {
                found[p.tasks[t.index()].region.index()].insert((*t, output.clone()));
            }
        }
    }
    found.into_iter().map(|s| s.into_iter().collect()).collect()
}

/// The input (or output) name under which a template receives `value`.
fn input_name(valid: &ValidPipeline, value: &Outside) -> String {
    let task = |t: &TaskId| &valid.pipeline().tasks[t.index()].name;
    match value {
        Outside::Task(t, output, _) => format!("{}_{output}", task(t)),
        Outside::Item(l, None) => format!("_{}-item", region_task(valid, *l)),
        Outside::Item(l, Some(field)) => format!("_{}-item_{field}", region_task(valid, *l)),
        Outside::Collected(t, output) => format!("_all-{}_{output}", task(t)),
    }
}

/// What region `region` (a branch or a loop body) reads from outside it, for its template's
/// inputs: the outputs its tasks, the conditions of the branches and the lists of the loops
/// inside it read, the items of the loops around it (its own included) and the collected
/// outputs of loops outside it.
fn inputs(valid: &ValidPipeline, region: RegionId) -> Vec<Outside> {
    let p = valid.pipeline();
    let inside = |r: RegionId| crate::ir::region_contains(&p.regions, region, r);
    let mut found: BTreeSet<Outside> = BTreeSet::new();
    for task in p.tasks.iter().filter(|t| inside(t.region)) {
        let spec = &p.components[&task.component];
        for (input, argument) in &task.arguments {
            match argument {
                Argument::TaskOutput {
                    task: TaskRef::Local(x),
                    output,
                } if !inside(p.tasks[x.index()].region) => {
                    let artifact = spec.input(input).is_some_and(|i| i.kind.is_artifact());
                    found.insert(Outside::Task(*x, output.clone(), artifact));
                }
                Argument::LoopItem { region: l, field } if *l == region || !inside(*l) => {
                    found.insert(Outside::Item(*l, field.clone()));
                }
                Argument::Collected {
                    task: TaskRef::Local(x),
                    output,
                } => {
                    let body = p.tasks[x.index()].region;
                    if !p.regions[body.index()].parent.is_some_and(inside) {
                        found.insert(Outside::Collected(*x, output.clone()));
                    }
                }
                _ => {}
            }
        }
    }
    for (r, nested) in p.regions.iter().enumerate() {
        if RegionId(r as u32) == region || !inside(RegionId(r as u32)) {
            continue;
        }
        let operands: Vec<(&TaskRef, &String)> = match &nested.kind {
            RegionKind::Branch { condition } => condition
                .operands()
                .into_iter()
                .filter_map(|o| match o {
                    Operand::TaskOutput { task, output } => Some((task, output)),
                    _ => None,
                })
                .collect(),
            RegionKind::Loop {
                items: LoopItems::TaskOutput { task, output },
                ..
            } => vec![(task, output)],
            _ => Vec::new(),
        };
        for (task, output) in operands {
            if let TaskRef::Local(x) = task
                && !inside(p.tasks[x.index()].region)
            {
                found.insert(Outside::Task(*x, output.clone(), false));
            }
        }
    }
    found.into_iter().collect()
}

/// How a task of region `at` refers to `value`: `{{tasks.…}}` when the task (or the loop that
/// collects it) is in `at` itself, else the input `at`'s template receives it as.
fn reference(valid: &ValidPipeline, at: RegionId, value: &Outside) -> String {
    let p = valid.pipeline();
    let kind = if value.artifact() {
        "artifacts"
    } else {
        "parameters"
    };
    match value {
        Outside::Task(task, output, _) if p.tasks[task.index()].region == at => format!(
            "{{{{tasks.{}.outputs.{kind}.{output}}}}}",
            p.tasks[task.index()].name
        ),
        Outside::Collected(task, output)
            if p.regions[p.tasks[task.index()].region.index()].parent == Some(at) =>
        {
            format!(
                "{{{{tasks.{}.outputs.parameters.{}}}}}",
                region_task(valid, p.tasks[task.index()].region),
                input_name(valid, &Outside::Task(*task, output.clone(), false))
            )
        }
        _ => format!("{{{{inputs.{kind}.{}}}}}", input_name(valid, value)),
    }
}

/// The DAG task of region `at` that stands for task `t` there: the task itself, or the branch
/// or loop directly in `at` that holds it.
fn standin(valid: &ValidPipeline, at: RegionId, t: TaskId) -> Option<&str> {
    let p = valid.pipeline();
    let task = &p.tasks[t.index()];
    if task.region == at {
        return Some(&task.name);
    }
    crate::ir::ancestry(&p.regions, task.region)
        .find(|(_, r)| r.parent == Some(at))
        .map(|(id, _)| region_task(valid, id))
}

/// The DAG tasks of region `region`: its own tasks and a task per branch or loop directly
/// inside it, each where its first task was written.
fn dag_tasks(valid: &ValidPipeline, region: RegionId, received: &[Vec<Outside>]) -> Vec<DagTask> {
    let p = valid.pipeline();
    let names = valid.names();
    let mut entries: Vec<(usize, DagTask)> = Vec::new();
    for (i, task) in p
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.region == region)
    {
        let id = TaskId(i as u32);
        let spec = &p.components[&task.component];
        let mut arguments = Arguments::default();
        // The branches a `one_of` reads from and the loops it collects from: the task waits
        // for their DAG tasks.
        let mut selected: Vec<&str> = Vec::new();
        for (input, argument) in &task.arguments {
            let artifact = spec.input(input).is_some_and(|i| i.kind.is_artifact());
            let value = match argument {
                Argument::OneOf(options) => {
                    // The first branch that ran: a skipped branch's outputs are nil in the
                    // expression's view (`getParametersAny`), so `??` passes over them.
                    let picks: Vec<String> = options
                        .iter()
                        .filter_map(|(t, output)| match t {
                            TaskRef::Local(t) => Some((*t, output)),
                            TaskRef::Foreign { .. } => None,
                        })
                        .map(|(t, output)| {
                            let branch = region_task(valid, p.tasks[t.index()].region);
                            if !selected.contains(&branch) {
                                selected.push(branch);
                            }
                            format!(
                                "tasks['{branch}'].outputs.parameters['{}']",
                                input_name(valid, &Outside::Task(t, output.clone(), false))
                            )
                        })
                        .collect();
                    format!("{{{{={}}}}}", picks.join(" ?? "))
                }
                Argument::TaskOutput {
                    task: TaskRef::Local(from),
                    output,
                } => reference(
                    valid,
                    region,
                    &Outside::Task(*from, output.clone(), artifact),
                ),
                Argument::Collected {
                    task: TaskRef::Local(from),
                    output,
                } => {
                    if let Some(looped) = standin(valid, region, *from)
                        && !selected.contains(&looped)
                    {
                        selected.push(looped);
                    }
                    reference(valid, region, &Outside::Collected(*from, output.clone()))
                }
                Argument::TaskOutput { .. } | Argument::Collected { .. } => {
                    unreachable!("validation refuses foreign tasks")
                }
                Argument::LoopItem { region: l, field } => {
                    reference(valid, region, &Outside::Item(*l, field.clone()))
                }
                Argument::Constant(text) => text.clone(),
                Argument::Run(RunValue::Status) => "{{workflow.status}}".to_owned(),
                Argument::Run(RunValue::Failures) => "{{workflow.failures}}".to_owned(),
                Argument::PipelineParam(name) => format!("{{{{workflow.parameters.{name}}}}}"),
            };
            if artifact {
                arguments.artifacts.push(Artifact {
                    name: input.clone(),
                    from: Some(value),
                    ..Artifact::default()
                });
            } else {
                arguments.parameters.push(Parameter {
                    name: input.clone(),
                    value: Some(value),
                    ..Parameter::default()
                });
            }
        }
        let name = |t: TaskId| p.tasks[t.index()].name.as_str();
        let mut depends = valid.depends(id).and_then(|d| {
            let here = |t: TaskId| p.tasks[t.index()].region == region;
            // Copied only when a term has to go (it names a task outside this region).
            let outside = d.any_task(&|r| matches!(r, TaskRef::Local(t) if !here(*t)));
            if outside {
                within(d, &here).map(|d| super::depends::render(&d, name))
            } else {
                Some(super::depends::render(d, name))
            }
        });
        if !selected.is_empty() {
            let branches = selected.join(" && ");
            depends = Some(match depends {
                None => branches,
                Some(d) if d.contains(" || ") => format!("({d}) && {branches}"),
                Some(d) => format!("{d} && {branches}"),
            });
        }
        entries.push((
            i,
            DagTask {
                name: task.name.clone(),
                template: names.template_of(id).name.clone(),
                depends,
                when: None,
                with_items: Vec::new(),
                with_param: None,
                arguments,
            },
        ));
    }
    for (r, nested) in p.regions.iter().enumerate() {
        let c = RegionId(r as u32);
        if nested.parent != Some(region) {
            continue;
        }
        let (when, list) = match &nested.kind {
            RegionKind::Branch { condition } => (
                Some(format!("{{{{={}}}}}", expression(valid, region, condition))),
                None,
            ),
            RegionKind::Loop {
                items:
                    LoopItems::TaskOutput {
                        task: TaskRef::Local(x),
                        output,
                    },
                ..
            } => (None, Some(Outside::Task(*x, output.clone(), false))),
            RegionKind::Loop { .. } => (None, None),
            _ => continue,
        };
        let Some(called) = &names.branches[r] else {
            continue;
        };
        let first = p
            .tasks
            .iter()
            .position(|t| crate::ir::region_contains(&p.regions, c, t.region))
            .unwrap_or(usize::MAX);
        let mut waits: Vec<&str> = Vec::new();
        for t in valid.region_reads(c) {
            if let Some(w) = standin(valid, region, *t)
                && !waits.contains(&w)
            {
                waits.push(w);
            }
        }
        let is_loop = matches!(nested.kind, RegionKind::Loop { .. });
        // A loop's own item is the outer template's to give each iteration.
        let passed: Vec<Outside> = received[r]
            .iter()
            .filter(|v| !(is_loop && matches!(v, Outside::Item(l, _) if *l == c)))
            .cloned()
            .collect();
        let mut arguments = pass(valid, &passed, &|v| reference(valid, region, v));
        if let Some(list) = &list {
            arguments.parameters.push(Parameter {
                name: ITEMS_INPUT.to_owned(),
                value: Some(reference(valid, region, list)),
                ..Parameter::default()
            });
        }
        entries.push((
            first,
            DagTask {
                name: called.task.clone(),
                template: called.template.clone(),
                depends: (!waits.is_empty()).then(|| waits.join(" && ")),
                when,
                with_items: Vec::new(),
                with_param: None,
                arguments,
            },
        ));
    }
    entries.sort_by_key(|(k, _)| *k);
    entries.into_iter().map(|(_, t)| t).collect()
}

/// `d` without its "finished well" terms on tasks `keep` rejects (a branch's DAG task waits
/// for those); `None` when nothing is left.
fn within(d: &Depends, keep: &dyn Fn(TaskId) -> bool) -> Option<Depends> {
    match d {
        Depends::Done(TaskRef::Local(t)) if !keep(*t) => None,
        Depends::And(terms) => {
            let mut kept: Vec<Depends> = terms.iter().filter_map(|t| within(t, keep)).collect();
            match kept.len() {
                0 => None,
                1 => kept.pop(),
                _ => Some(Depends::And(kept)),
            }
        }
        d => Some(d.clone()),
    }
}

/// `condition` as an `expr` expression evaluated in region `at`.
pub(crate) fn expression(valid: &ValidPipeline, at: RegionId, condition: &Condition) -> String {
    let p = valid.pipeline();
    let operand = |o: &Operand, kind: CompareKind| -> String {
        let value = match o {
            Operand::Constant(text) => expr_string(text),
            Operand::PipelineParam(name) => format!("workflow.parameters['{name}']"),
            Operand::TaskOutput {
                task: TaskRef::Local(t),
                output,
            } => {
                if p.tasks[t.index()].region == at {
                    format!(
                        "tasks['{}'].outputs.parameters['{output}']",
                        p.tasks[t.index()].name
                    )
                } else {
                    format!(
                        "inputs.parameters['{}']",
                        input_name(valid, &Outside::Task(*t, output.clone(), false))
                    )
                }
            }
            Operand::TaskOutput { .. } => unreachable!("validation refuses foreign tasks"),
        };
        match kind {
            CompareKind::Text => value,
            CompareKind::Integer => format!("asInt({value})"),
            CompareKind::Float => format!("asFloat({value})"),
        }
    };
    match condition {
        Condition::Compare {
            left,
            op,
            right,
            kind,
        } => {
            let op = op.symbol();
            format!("{} {op} {}", operand(left, *kind), operand(right, *kind))
        }
        Condition::And(v) | Condition::Or(v) => {
            let sep = if matches!(condition, Condition::And(_)) {
                " && "
            } else {
                " || "
            };
            let parts: Vec<String> = v
                .iter()
                .map(|c| format!("({})", expression(valid, at, c)))
                .collect();
            if parts.is_empty() {
                // An empty conjunction holds and an empty disjunction does not.
                return if sep == " && " { "true" } else { "false" }.to_owned();
            }
            parts.join(sep)
        }
        Condition::Not(c) => format!("!({})", expression(valid, at, c)),
    }
}

/// `text` as a single-quoted `expr` string literal. Wire forms never hold `{` or `}`, so the
/// literal cannot close the `{{=…}}` tag; quotes, backslashes and control characters are
/// escaped.
fn expr_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '{' => out.push_str("\\u007b"),
            '}' => out.push_str("\\u007d"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_cannot_escape_their_quotes_or_the_tag() {
        assert_eq!(expr_string("it's"), r"'it\'s'");
        assert_eq!(expr_string(r#""\u007bx""#), r#"'"\\u007bx"'"#);
        assert_eq!(expr_string("a}}b{{"), r"'a\u007d\u007db\u007b\u007b'");
        assert_eq!(expr_string("line\nnext\u{1}"), r"'line\nnext\u0001'");
    }
}
