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
//!   (`{{item.FIELD}}`): a leading `_` never starts a task name, and pipeline parameters
//!   (`_name`) have no `-`, so they cannot meet another input. An output collected after the
//!   loop is an output `TASK_OUTPUT` of both templates, which Argo aggregates over the
//!   iterations into a JSON list (`processAggregateNodeOutputs`).
//! - The condition is an `expr` expression (`{{=…}}`, Argo's `util/template`), evaluated on
//!   values, never on text pasted into govaluate (`shouldExecute`), so a value with quotes,
//!   hyphens or slashes cannot break it: strings and booleans compare their wire forms,
//!   integers through `asInt`, floats through `asFloat`.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;

use super::argo::{Arguments, Artifact, DagTask, LifecycleHook, Parameter, Template, ValueFrom};
use crate::ir::{
    Argument, CompareKind, Condition, Depends, FormatPart, HookEvent, LoopItems, Operand, RegionId,
    RegionKind, RunValue, TaskId, TaskRef,
};
use crate::validate::ValidPipeline;

/// A value a branch reads from outside it, which its template receives as an input.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outside {
    /// An output of a task outside the branch: task, output, artifact or not.
    Task(TaskId, String, bool),
    /// Inside a sub-pipeline call, a parameter of the called pipeline: name, artifact or not.
    Param(String, bool),
    /// The item of a loop around the region (or the loop's own), or a field of it.
    Item(RegionId, Option<String>),
    /// Every iteration's value of an output of a task directly in a loop body.
    Collected(TaskId, String),
    /// The recursion depth of the call around (a branch holding a recursive call passes it
    /// on, plus one).
    Depth,
}

/// The input of a recursive pipeline's template (and of the branch in it holding the
/// recursive call) that holds its depth: `1` from a first call, the caller's plus one from a
/// recursive call, compared by [`Condition::WithinDepth`]. A leading `_` and a `-` make it
/// unlike any parameter (Rust identifiers) or `<task>_<output>` input.
const DEPTH_INPUT: &str = "_recursion-depth";

/// The pipelines that call themselves: each call of one passes its template the depth.
fn recursive_pipelines(valid: &ValidPipeline) -> BTreeSet<&str> {
    let regions = &valid.pipeline().regions;
    regions
        .iter()
        .enumerate()
        .filter(|(r, _)| crate::ir::is_recursive_call(regions, RegionId(*r as u32)))
        .filter_map(|(_, region)| match &region.kind {
            RegionKind::Call { pipeline, .. } => Some(pipeline.as_str()),
            _ => None,
        })
        .collect()
}

/// The root's DAG template, then each branch's in region order, and the exit handler's.
pub(crate) fn dag_templates(
    valid: &ValidPipeline,
    blank: &dyn Fn(&str) -> Template,
) -> (Vec<Template>, Option<Template>) {
    let p = valid.pipeline();
    let names = valid.names();
    // What each branch receives, computed once: its template declares it and the DAG task
    // that calls it passes it.
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
    let definitions = call_definitions(valid);
    let recursive = recursive_pipelines(valid);
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
                Some(b) if !in_repeated_call(valid, id, &definitions) => b.template.clone(),
                _ => continue,
            },
            RegionKind::Hook { .. } => match &names.hooks[r] {
                Some(n) => n.clone(),
                None => continue,
            },
            // Every call of a pipeline runs the template of its first call.
            RegionKind::Call { pipeline, .. } => match names.call_templates.get(pipeline) {
                Some(n) if definitions.contains(&id) => n.clone(),
                _ => continue,
            },
            RegionKind::Loop { .. } => match &names.branches[r] {
                Some(b) => {
                    body.push(loop_template(valid, id, &received[r], &collected[r], blank));
                    b.body.clone().unwrap_or_default()
                }
                None => continue,
            },
        };
        let mut template = blank(&name);
        if let RegionKind::Call { pipeline, .. } = &region.kind
            && recursive.contains(pipeline.as_str())
        {
            template.inputs.parameters.push(Parameter {
                name: DEPTH_INPUT.to_owned(),
                ..Parameter::default()
            });
        }
        if let RegionKind::Call { arguments, .. } = &region.kind {
            for param in arguments.keys() {
                if binds_artifact(valid, id, param) {
                    template.inputs.artifacts.push(Artifact {
                        name: param.clone(),
                        ..Artifact::default()
                    });
                } else {
                    template.inputs.parameters.push(Parameter {
                        name: param.clone(),
                        ..Parameter::default()
                    });
                }
            }
        }
        let returned = match &region.kind {
            RegionKind::Root => Some(&p.outputs),
            RegionKind::Call { outputs, .. } => Some(outputs),
            _ => None,
        };
        for (output, argument) in returned.into_iter().flatten() {
            if let Argument::TaskOutput {
                task: TaskRef::Local(t),
                output: from,
            } = argument
            {
                let artifact = is_artifact_output(valid, *t, from);
                let value = reference(valid, id, *t, from, artifact);
                if artifact {
                    template.outputs.artifacts.push(Artifact {
                        name: output.clone(),
                        from: Some(value),
                        ..Artifact::default()
                    });
                } else {
                    template.outputs.parameters.push(Parameter {
                        name: output.clone(),
                        value_from: Some(super::argo::ValueFrom {
                            parameter: Some(value),
                            ..super::argo::ValueFrom::default()
                        }),
                        ..Parameter::default()
                    });
                }
            }
        }
        for outside in &received[r] {
            let (name, artifact) = outside_input(valid, id, outside);
            if artifact {
                template.inputs.artifacts.push(Artifact {
                    name,
                    ..Artifact::default()
                });
            } else {
                template.inputs.parameters.push(Parameter {
                    name,
                    ..Parameter::default()
                });
            }
        }
        for (task, output) in selected[r].iter().chain(&collected[r]) {
            template.outputs.parameters.push(Parameter {
                name: input_name(valid, id, *task, output),
                value_from: Some(super::argo::ValueFrom {
                    path: None,
                    parameter: Some(reference(valid, id, *task, output, false)),
                    ..super::argo::ValueFrom::default()
                }),
                ..Parameter::default()
            });
        }
        if let Some(dag) = template.dag.as_mut() {
            dag.tasks = dag_tasks(valid, id, &received, &recursive);
        }
        if region.kind == RegionKind::ExitHandler {
            exit = Some(template);
        } else {
            body.push(template);
        }
    }
    (body, exit)
}

/// The DAG task that calls branch or loop `region`.
fn branch_task(valid: &ValidPipeline, region: RegionId) -> &str {
    valid.names().branches[region.index()]
        .as_ref()
        .map_or("", |b| b.task.as_str())
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
    declare(valid, region, &mut template.inputs, &through);
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
    let arguments = pass(valid, region, received, &|v| match v {
        Outside::Item(l, None) if *l == region => "{{item}}".to_owned(),
        Outside::Item(l, Some(field)) if *l == region => format!("{{{{item.{field}}}}}"),
        v => {
            let (name, artifact) = outside_input(valid, region, v);
            let kind = if artifact { "artifacts" } else { "parameters" };
            format!("{{{{inputs.{kind}.{name}}}}}")
        }
    });
    for (task, output) in collected {
        let name = input_name(valid, region, *task, output);
        template.outputs.parameters.push(Parameter {
            name: name.clone(),
            value_from: Some(ValueFrom {
                parameter: Some(format!(
                    "{{{{tasks.{}.outputs.parameters.{name}}}}}",
                    names.task
                )),
                // A loop over an empty list runs no iteration: Argo marks its task Skipped
                // ("Skipped, empty params", `executeDAGTask`) and aggregates nothing, so the
                // reference resolves to no value and, without a default, fails the loop's
                // node ("an absent optional", `getTemplateOutputsFromScope`). The empty list
                // is what was collected; the runner gives the same (`run::unroll`).
                default: Some(crate::value::aggregate(&[])),
                ..ValueFrom::default()
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
            hooks: IndexMap::new(),
            template_ref: None,
        }];
    }
    template
}

/// Declares `values` as the inputs of the template of region `at`.
fn declare(valid: &ValidPipeline, at: RegionId, inputs: &mut Arguments, values: &[Outside]) {
    for value in values {
        let (name, artifact) = outside_input(valid, at, value);
        if artifact {
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

/// Passes `values` to the template of region `to`, each as `value(it)` says.
fn pass(
    valid: &ValidPipeline,
    to: RegionId,
    values: &[Outside],
    value: &dyn Fn(&Outside) -> String,
) -> Arguments {
    let mut arguments = Arguments::default();
    for v in values {
        let (name, artifact) = outside_input(valid, to, v);
        if artifact {
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

/// For each region (a loop body), the outputs of its tasks collected after the loop.
fn collected_outputs(valid: &ValidPipeline) -> Vec<Vec<(TaskId, String)>> {
    let p = valid.pipeline();
    let mut found: Vec<BTreeSet<(TaskId, String)>> = vec![BTreeSet::new(); p.regions.len()];
    for argument in p.tasks.iter().flat_map(|t| t.arguments.values()) {
        if let Argument::Collected {
            task: TaskRef::Local(t),
            output,
        } = argument
        {
            found[p.tasks[t.index()].region.index()]
                .insert((*t, collected_parameter(valid, *t, output)));
        }
    }
    found.into_iter().map(|s| s.into_iter().collect()).collect()
}

/// The output parameter of task `t` a loop aggregates when `output` is collected: the output
/// itself, or for an artifact the entry each iteration saved it under (see `emit::argo`).
fn collected_parameter(valid: &ValidPipeline, t: TaskId, output: &str) -> String {
    if is_artifact_output(valid, t, output) {
        crate::ir::collected_entry_output(output)
    } else {
        output.to_owned()
    }
}

/// The loop directly in region `at` that holds task `t`, if any.
fn loop_around(valid: &ValidPipeline, at: RegionId, t: TaskId) -> Option<RegionId> {
    let p = valid.pipeline();
    crate::ir::ancestry(&p.regions, p.tasks[t.index()].region)
        .find(|(_, r)| r.parent == Some(at))
        .filter(|(_, r)| matches!(r.kind, RegionKind::Loop { .. }))
        .map(|(id, _)| id)
}

/// How a task (or a nested region's DAG task) of region `at` refers to `value`.
fn outside_reference(valid: &ValidPipeline, at: RegionId, value: &Outside) -> String {
    let p = valid.pipeline();
    let (name, artifact) = outside_input(valid, at, value);
    match value {
        Outside::Task(task, output, _) => reference(valid, at, *task, output, artifact),
        Outside::Param(param, _) => param_reference(valid, at, param, artifact),
        Outside::Collected(task, output)
            if p.regions[p.tasks[task.index()].region.index()].parent == Some(at) =>
        {
            format!(
                "{{{{tasks.{}.outputs.parameters.{}}}}}",
                branch_task(valid, p.tasks[task.index()].region),
                input_name(valid, p.tasks[task.index()].region, *task, output)
            )
        }
        Outside::Item(..) | Outside::Collected(..) | Outside::Depth => {
            format!("{{{{inputs.parameters.{name}}}}}")
        }
    }
}

/// The first call of each called pipeline, whose tasks its DAG template is made of: every
/// call traces the same body, so the others differ only in their arguments.
fn call_definitions(valid: &ValidPipeline) -> BTreeSet<RegionId> {
    let mut seen = BTreeSet::new();
    let mut first = BTreeSet::new();
    for (r, region) in valid.pipeline().regions.iter().enumerate() {
        if let RegionKind::Call { pipeline, .. } = &region.kind
            && seen.insert(pipeline.as_str())
        {
            first.insert(RegionId(r as u32));
        }
    }
    first
}

/// True when `output` of `task` is an artifact.
fn is_artifact_output(valid: &ValidPipeline, task: TaskId, output: &str) -> bool {
    let p = valid.pipeline();
    p.components[&p.tasks[task.index()].component]
        .output(output)
        .is_some_and(|o| o.kind.is_artifact())
}

/// The sub-pipeline call written in region `at` through which `at` reads an output of
/// `task` (validation made sure it returns it), with the name it returns it under.
fn through_call<'p>(
    valid: &'p ValidPipeline,
    at: RegionId,
    task: TaskId,
    output: &str,
) -> Option<(&'p str, &'p str)> {
    let p = valid.pipeline();
    let call = crate::ir::call_between(&p.regions, at, p.tasks[task.index()].region)?;
    let RegionKind::Call { name, outputs, .. } = &p.regions[call.index()].kind else {
        return None;
    };
    let returned = outputs.iter().find_map(|(n, a)| match a {
        Argument::TaskOutput {
            task: TaskRef::Local(t),
            output: o,
        } if *t == task && o == output => Some(n.as_str()),
        _ => None,
    })?;
    Some((name.as_str(), returned))
}

/// True when `task` is inside a sub-pipeline call written in region `at` itself.
fn call_written_in(valid: &ValidPipeline, at: RegionId, task: TaskId) -> bool {
    let p = valid.pipeline();
    crate::ir::call_between(&p.regions, at, p.tasks[task.index()].region)
        .is_some_and(|c| p.regions[c.index()].parent == Some(at))
}

/// The name `task` has in the DAG of region `at`: its own (unqualified) name, or the call's
/// it is inside.
fn dag_name(valid: &ValidPipeline, at: RegionId, task: TaskId) -> &str {
    let p = valid.pipeline();
    let t = &p.tasks[task.index()];
    if t.region != at
        && let Some(call) = crate::ir::call_between(&p.regions, at, t.region)
        && let RegionKind::Call { name, .. } = &p.regions[call.index()].kind
    {
        return name;
    }
    crate::ir::local_name(&t.name)
}

/// For each region (a branch), the outputs of its tasks that a `one_of` beside it reads, for
/// its template's outputs: `(task, output)` pairs, in task order.
fn selected_outputs(valid: &ValidPipeline) -> Vec<Vec<(TaskId, String)>> {
    let p = valid.pipeline();
    let mut found: Vec<BTreeSet<(TaskId, String)>> = vec![BTreeSet::new(); p.regions.len()];
    for reader in &p.tasks {
        for argument in reader.arguments.values() {
            if let Argument::OneOf(options) = argument {
                for (t, output) in options {
                    if let TaskRef::Local(t) = t
                        && let Some(b) =
                            child_toward(valid, reader.region, p.tasks[t.index()].region)
                    {
                        found[b.index()].insert((*t, output.clone()));
                    }
                }
            }
        }
    }
    found.into_iter().map(|s| s.into_iter().collect()).collect()
}

/// The name under which a branch template `at` receives (or returns) `output` of `task`:
/// `<task>_<output>`, or `<call>_<output>` for an output a sub-pipeline call returns (task
/// names have no `_`, so the name is unambiguous).
fn input_name(valid: &ValidPipeline, at: RegionId, task: TaskId, output: &str) -> String {
    match through_call(valid, at, task, output) {
        Some((call, returned)) => format!("{call}_{returned}"),
        None => format!(
            "{}_{output}",
            crate::ir::local_name(&valid.pipeline().tasks[task.index()].name)
        ),
    }
}

/// The region directly inside `reader` that holds region `r` (`r` itself, or an ancestor).
fn child_toward(valid: &ValidPipeline, reader: RegionId, r: RegionId) -> Option<RegionId> {
    crate::ir::ancestry(&valid.pipeline().regions, r)
        .find(|(_, region)| region.parent == Some(reader))
        .map(|(id, _)| id)
}

/// What region `region` (a branch) reads from outside it, for its template's inputs: the
/// outputs its tasks and the conditions of the branches inside it read, in task order.
fn inputs(valid: &ValidPipeline, region: RegionId) -> Vec<Outside> {
    let p = valid.pipeline();
    let inside = |r: RegionId| crate::ir::region_contains(&p.regions, region, r);
    let mut found: BTreeSet<Outside> = BTreeSet::new();
    let call = crate::ir::enclosing_call(&p.regions, region);
    // What is written in this template or the branches inside it; a sub-pipeline called in
    // it reads only its own parameters, which its DAG task passes.
    let here = |r: RegionId| inside(r) && crate::ir::enclosing_call(&p.regions, r) == call;
    // The three kinds of read, each noted when it comes from outside this region.
    let task_read = |found: &mut BTreeSet<Outside>, x: TaskId, output: &str, artifact: bool| {
        if !inside(p.tasks[x.index()].region) {
            found.insert(Outside::Task(x, output.to_owned(), artifact));
        }
    };
    // The called pipeline's parameters are its template's inputs, which a branch inside it
    // cannot see: they are passed in.
    let param_read = |found: &mut BTreeSet<Outside>, name: &str, artifact: bool| {
        if call.is_some() {
            found.insert(Outside::Param(name.to_owned(), artifact));
        }
    };
    // The item of a loop around this region, or of the region itself (a loop body receives
    // its own item from the task that runs it).
    let item_read = |found: &mut BTreeSet<Outside>, l: RegionId, field: &Option<String>| {
        if l == region || !inside(l) {
            found.insert(Outside::Item(l, field.clone()));
        }
    };
    for task in p.tasks.iter().filter(|t| here(t.region)) {
        let spec = &p.components[&task.component];
        for (input, argument) in &task.arguments {
            let artifact = spec.input(input).is_some_and(|i| i.kind.is_artifact());
            match argument {
                Argument::TaskOutput {
                    task: TaskRef::Local(x),
                    output,
                } => task_read(&mut found, *x, output, artifact),
                Argument::PipelineParam(name) => param_read(&mut found, name, artifact),
                Argument::LoopItem { region: l, field } => item_read(&mut found, *l, field),
                Argument::Collected {
                    task: TaskRef::Local(x),
                    output,
                } => {
                    let body = p.tasks[x.index()].region;
                    if !p.regions[body.index()].parent.is_some_and(inside) {
                        found.insert(Outside::Collected(
                            *x,
                            collected_parameter(valid, *x, output),
                        ));
                    }
                }
                // A formatted string's values, as parameters.
                Argument::Format(parts) => {
                    for part in parts {
                        match part {
                            FormatPart::TaskOutput {
                                task: TaskRef::Local(x),
                                output,
                                ..
                            } => task_read(&mut found, *x, output, false),
                            FormatPart::PipelineParam { name, .. } => {
                                param_read(&mut found, name, false)
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
    // The lists of the loops inside it that a task outside makes.
    for (r, nested) in p.regions.iter().enumerate() {
        let RegionKind::Loop {
            items:
                LoopItems::TaskOutput {
                    task: TaskRef::Local(x),
                    output,
                },
            ..
        } = &nested.kind
        else {
            continue;
        };
        if RegionId(r as u32) != region && here(RegionId(r as u32)) {
            task_read(&mut found, *x, output, false);
        }
    }
    // The arguments of the sub-pipelines called in it.
    for nested in &p.regions {
        let RegionKind::Call { arguments, .. } = &nested.kind else {
            continue;
        };
        if !nested.parent.is_some_and(here) {
            continue;
        }
        for argument in arguments.values() {
            match argument {
                Argument::TaskOutput {
                    task: TaskRef::Local(x),
                    output,
                } => task_read(
                    &mut found,
                    *x,
                    output,
                    is_artifact_output(valid, *x, output),
                ),
                Argument::PipelineParam(name) => {
                    let artifact = call.is_some_and(|c| binds_artifact(valid, c, name));
                    param_read(&mut found, name, artifact);
                }
                _ => {}
            }
        }
    }
    // A branch holding a recursive call passes that call its depth plus one.
    if p.regions.iter().enumerate().any(|(r, nested)| {
        nested.parent == Some(region)
            && crate::ir::is_recursive_call(&p.regions, RegionId(r as u32))
    }) {
        found.insert(Outside::Depth);
    }
    for (r, nested) in p.regions.iter().enumerate() {
        let RegionKind::Branch { condition } = &nested.kind else {
            continue;
        };
        if RegionId(r as u32) == region || !here(RegionId(r as u32)) {
            continue;
        }
        for operand in condition.operands() {
            match operand {
                Operand::TaskOutput {
                    task: TaskRef::Local(x),
                    output,
                } => task_read(&mut found, *x, output, false),
                Operand::PipelineParam(name) => param_read(&mut found, name, false),
                Operand::LoopItem { region: l, field } => item_read(&mut found, *l, field),
                _ => {}
            }
        }
    }
    found.into_iter().collect()
}

/// How a task of region `at` refers to `output` of `task`: `{{tasks.…}}` when the task is in
/// `at` itself, else the input `at`'s template receives it as.
fn reference(
    valid: &ValidPipeline,
    at: RegionId,
    task: TaskId,
    output: &str,
    artifact: bool,
) -> String {
    let kind = if artifact { "artifacts" } else { "parameters" };
    match locate(valid, at, task, output) {
        Located::Task(name) => format!("{{{{tasks.{name}.outputs.{kind}.{output}}}}}"),
        Located::Call(call, returned) => format!("{{{{tasks.{call}.outputs.{kind}.{returned}}}}}"),
        Located::Input(name) => format!("{{{{inputs.{kind}.{name}}}}}"),
    }
}

/// Where a task of region `at` finds `output` of `task`.
enum Located<'p> {
    /// In a task of `at` itself: its (unqualified) name.
    Task(&'p str),
    /// Returned by a sub-pipeline call written in `at`: the call and the name it returns.
    Call(&'p str, &'p str),
    /// Received from outside `at` (a branch) as this input.
    Input(String),
}

/// See [`Located`].
fn locate<'p>(valid: &'p ValidPipeline, at: RegionId, task: TaskId, output: &str) -> Located<'p> {
    let p = valid.pipeline();
    if p.tasks[task.index()].region == at {
        Located::Task(crate::ir::local_name(&p.tasks[task.index()].name))
    } else if let Some((call, returned)) = through_call(valid, at, task, output)
        && call_written_in(valid, at, task)
    {
        Located::Call(call, returned)
    } else {
        Located::Input(input_name(valid, at, task, output))
    }
}

/// The DAG tasks of region `region`: its own tasks and a task per branch directly inside it,
/// each branch where its first task was written. A call of a pipeline in `recursive` passes
/// its depth.
fn dag_tasks(
    valid: &ValidPipeline,
    region: RegionId,
    received: &[Vec<Outside>],
    recursive: &BTreeSet<&str>,
) -> Vec<DagTask> {
    let p = valid.pipeline();
    let names = valid.names();
    let has_calls = p
        .regions
        .iter()
        .any(|r| matches!(r.kind, RegionKind::Call { .. }));
    // Each task's hook regions, found in one pass rather than a scan per task.
    let mut hooks_of: BTreeMap<TaskId, Vec<RegionId>> = BTreeMap::new();
    for (r, region) in p.regions.iter().enumerate() {
        if let RegionKind::Hook { task, .. } = region.kind {
            hooks_of.entry(task).or_default().push(RegionId(r as u32));
        }
    }
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
        // The branches a `one_of` reads from: the task waits for their DAG tasks.
        let mut selected: Vec<&str> = Vec::new();
        // A setting's value whose setting was set again later is not the template's input.
        let setting_inputs = if task
            .arguments
            .keys()
            .any(|k| crate::ir::is_setting_input(k))
        {
            super::argo::setting_inputs(&names.template_of(id).config)
        } else {
            Vec::new()
        };
        for (input, argument) in &task.arguments {
            if crate::ir::is_setting_input(input) && !setting_inputs.iter().any(|i| i == input) {
                continue;
            }
            let artifact = spec.input(input).is_some_and(|i| i.kind.is_artifact());
            if let Argument::External { source, .. } = argument {
                arguments
                    .artifacts
                    .push(Artifact::external_with(input, source, &|name| {
                        param_reference(valid, region, name, false)
                    }));
                continue;
            }
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
                            // The last option, beside the reader (validation): read
                            // directly, reached when every branch before it was skipped
                            // (an expression sees a skipped node's outputs as nil: "Outputs
                            // of Skipped and Omitted Nodes", Argo's `docs/variables.md`).
                            if p.tasks[t.index()].region == region {
                                return output_expression(valid, region, t, output);
                            }
                            let b = child_toward(valid, region, p.tasks[t.index()].region)
                                .unwrap_or(p.tasks[t.index()].region);
                            let branch = branch_task(valid, b);
                            if !selected.contains(&branch) {
                                selected.push(branch);
                            }
                            format!(
                                "tasks['{branch}'].outputs.parameters['{}']",
                                input_name(valid, b, t, output)
                            )
                        })
                        .collect();
                    format!("{{{{={}}}}}", picks.join(" ?? "))
                }
                Argument::TaskOutput {
                    task: TaskRef::Local(from),
                    output,
                } => reference(valid, region, *from, output, artifact),
                Argument::Collected {
                    task: TaskRef::Local(from),
                    output,
                } => {
                    // The loop's DAG task, when the loop is in this DAG.
                    if let Some(l) = loop_around(valid, region, *from) {
                        let looped = branch_task(valid, l);
                        if !selected.contains(&looped) {
                            selected.push(looped);
                        }
                    }
                    let parameter = collected_parameter(valid, *from, output);
                    let entries =
                        outside_reference(valid, region, &Outside::Collected(*from, parameter));
                    if artifact {
                        // The key prefix the iterations saved under, downloaded as a folder
                        // (the executor's `loadArtifacts` through the repository's driver),
                        // and the succeeded iterations' entries in item order.
                        let prefix = names
                            .template_of(*from)
                            .config
                            .outputs
                            .get(output)
                            .and_then(|o| o.collect.clone())
                            .unwrap_or_default();
                        arguments.artifacts.push(Artifact {
                            name: input.clone(),
                            s3: Some(super::argo::S3Location::Key(super::argo::S3KeyArtifact {
                                key: prefix,
                            })),
                            // A folder, kept as it is: no tarball detection (`loadArtifacts`;
                            // `ProcessArgs` takes the argument's fields over the input's).
                            archive: Some(super::argo::ArchiveStrategy::of(
                                crate::ir::Archive::None,
                            )),
                            // A loop over an empty list saved nothing under the prefix: the
                            // executor skips an optional artifact its driver does not find
                            // (`loadArtifacts`: "Skipping optional input artifact that was
                            // not found"), and the entries list is `[]`.
                            optional: Some(true),
                            ..Artifact::default()
                        });
                        arguments.parameters.push(Parameter {
                            name: crate::ir::collection_entries_input(input),
                            value: Some(entries),
                            ..Parameter::default()
                        });
                        continue;
                    }
                    entries
                }
                Argument::LoopItem { region: l, field } => {
                    outside_reference(valid, region, &Outside::Item(*l, field.clone()))
                }
                Argument::TaskOutput { .. } | Argument::Collected { .. } => {
                    unreachable!("validation refuses foreign tasks")
                }
                Argument::External { .. } => unreachable!("an argument artifact, passed above"),
                Argument::Constant(text) => text.clone(),
                Argument::Run(RunValue::Status) => "{{workflow.status}}".to_owned(),
                Argument::Run(RunValue::Failures) => "{{workflow.failures}}".to_owned(),
                Argument::PipelineParam(name) => param_reference(valid, region, name, artifact),
                Argument::Format(parts) => format_expression(valid, region, parts),
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
        let name = |t: TaskId| dag_name(valid, region, t);
        let mut depends = valid.depends(id).and_then(|d| {
            // Tasks of this DAG, and tasks inside the calls written in it (their call's).
            let here = |t: TaskId| {
                let r = p.tasks[t.index()].region;
                r == region
                    || crate::ir::call_between(&p.regions, region, r)
                        .is_some_and(|c| p.regions[c.index()].parent == Some(region))
            };
            // Copied only when a term has to go (it names a task outside this region).
            let outside = d.any_task(&|r| matches!(r, TaskRef::Local(t) if !here(*t)));
            if outside {
                within(d, &here).map(|d| super::depends::render(&distinct_done(d, &name), name))
            } else if has_calls {
                Some(super::depends::render(
                    &distinct_done(d.clone(), &name),
                    name,
                ))
            } else {
                // No call can merge two terms into one DAG task: no copy (this runs per task).
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
                name: crate::ir::local_name(&task.name).to_owned(),
                // A published template is run by reference; the task has no template here.
                template: match &task.template_ref {
                    Some(_) => String::new(),
                    None => names.template_of(id).name.clone(),
                },
                depends,
                when: None,
                with_items: Vec::new(),
                with_param: None,
                arguments,
                hooks: hooks(valid, id, hooks_of.get(&id).map_or(&[][..], Vec::as_slice)),
                template_ref: task
                    .template_ref
                    .as_ref()
                    .map(|r| super::argo::TemplateRef {
                        name: r.name.clone(),
                        template: names.component_templates[&task.component].clone(),
                        cluster_scope: r.cluster_scope.then_some(true),
                    }),
            },
        ));
    }
    for (r, nested) in p.regions.iter().enumerate() {
        let c = RegionId(r as u32);
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
        let is_loop = matches!(nested.kind, RegionKind::Loop { .. });
        if nested.parent != Some(region) {
            continue;
        }
        let Some(branch) = &names.branches[r] else {
            continue;
        };
        let first = p
            .tasks
            .iter()
            .position(|t| crate::ir::region_contains(&p.regions, c, t.region))
            .unwrap_or(usize::MAX);
        // The tasks (and calls) of this DAG it reads, and the loops in this DAG whose lists it
        // collects.
        let mut waits: Vec<&str> = Vec::new();
        for &t in valid.region_reads(c) {
            let w = if p.tasks[t.index()].region == region || call_written_in(valid, region, t) {
                Some(dag_name(valid, region, t))
            } else {
                loop_around(valid, region, t).map(|l| branch_task(valid, l))
            };
            if let Some(w) = w
                && !waits.contains(&w)
            {
                waits.push(w);
            }
        }
        // A loop's own item is the outer template's to give each iteration.
        let passed: Vec<Outside> = received[r]
            .iter()
            .filter(|v| !(is_loop && matches!(v, Outside::Item(l, _) if *l == c)))
            .cloned()
            .collect();
        let mut arguments = pass(valid, c, &passed, &|v| outside_reference(valid, region, v));
        if let Some(list) = &list {
            arguments.parameters.push(Parameter {
                name: ITEMS_INPUT.to_owned(),
                value: Some(outside_reference(valid, region, list)),
                ..Parameter::default()
            });
        }
        entries.push((
            first,
            DagTask {
                name: branch.task.clone(),
                template: branch.template.clone(),
                depends: (!waits.is_empty()).then(|| waits.join(" && ")),
                when,
                with_items: Vec::new(),
                with_param: None,
                arguments,
                hooks: IndexMap::new(),
                template_ref: None,
            },
        ));
    }
    for (r, nested) in p.regions.iter().enumerate() {
        let RegionKind::Call {
            pipeline,
            name,
            arguments: bound,
            ..
        } = &nested.kind
        else {
            continue;
        };
        if nested.parent != Some(region) {
            continue;
        }
        let c = RegionId(r as u32);
        let first = p
            .tasks
            .iter()
            .position(|t| crate::ir::region_contains(&p.regions, c, t.region))
            .unwrap_or(usize::MAX);
        let mut waits: Vec<&str> = Vec::new();
        let mut arguments = Arguments::default();
        for (param, argument) in bound {
            let artifact = binds_artifact(valid, c, param);
            let value = match argument {
                Argument::Constant(text) => text.clone(),
                Argument::PipelineParam(n) => param_reference(valid, region, n, artifact),
                Argument::TaskOutput {
                    task: TaskRef::Local(t),
                    output,
                } => {
                    // A task of this DAG (or a call in it); what comes from outside arrives
                    // as an input, which the DAG task calling this template waited for.
                    let there = p.tasks[t.index()].region;
                    let in_dag = there == region
                        || through_call(valid, region, *t, output).is_some_and(|_| {
                            crate::ir::call_between(&p.regions, region, there)
                                .is_some_and(|c| p.regions[c.index()].parent == Some(region))
                        });
                    let waited = dag_name(valid, region, *t);
                    if in_dag && !waits.contains(&waited) {
                        waits.push(waited);
                    }
                    reference(valid, region, *t, output, artifact)
                }
                // Validation refuses anything else (A0029).
                _ => continue,
            };
            if artifact {
                arguments.artifacts.push(Artifact {
                    name: param.clone(),
                    from: Some(value),
                    ..Artifact::default()
                });
            } else {
                arguments.parameters.push(Parameter {
                    name: param.clone(),
                    value: Some(value),
                    ..Parameter::default()
                });
            }
        }
        if recursive.contains(pipeline.as_str()) {
            // Argo evaluates `{{=…}}` in a DAG task's arguments when it starts and inserts
            // an integer result as its JSON text (`expressionReplaceCore` in
            // `util/template/expression_template.go`): `2`, `3`, …
            let depth = if crate::ir::is_recursive_call(&p.regions, c) {
                format!("{{{{=asInt(inputs.parameters['{DEPTH_INPUT}']) + 1}}}}")
            } else {
                "1".to_owned()
            };
            arguments.parameters.insert(
                0,
                Parameter {
                    name: DEPTH_INPUT.to_owned(),
                    value: Some(depth),
                    ..Parameter::default()
                },
            );
        }
        entries.push((
            first,
            DagTask {
                name: name.clone(),
                template: names.call_templates[pipeline].clone(),
                depends: (!waits.is_empty()).then(|| waits.join(" && ")),
                when: None,
                with_items: Vec::new(),
                with_param: None,
                arguments,
                hooks: IndexMap::new(),
                template_ref: None,
            },
        ));
    }
    entries.sort_by_key(|(k, _)| *k);
    entries.into_iter().map(|(_, t)| t).collect()
}

/// The lifecycle hooks of task `task`'s DAG task, in the order they were written: `exit` for
/// `on_exit` (`runOnExitNode` runs it once the task has `Completed`: succeeded, failed or
/// errored); for the others an expression on the task's status, which `executeTmplLifeCycleHook`
/// evaluates (`expr`, `util/expr/argoexpr`) with `tasks.<name>.status` set to the node's phase.
/// `regions` are the task's hook regions.
fn hooks(
    valid: &ValidPipeline,
    task: TaskId,
    regions: &[RegionId],
) -> IndexMap<String, LifecycleHook> {
    let p = valid.pipeline();
    let mut out = IndexMap::new();
    for &r in regions {
        let RegionKind::Hook { on, .. } = p.regions[r.index()].kind else {
            continue;
        };
        let Some(template) = valid.names().hooks[r.index()].as_ref() else {
            continue;
        };
        let status = format!(
            "tasks['{}'].status",
            crate::ir::local_name(&p.tasks[task.index()].name)
        );
        let (name, expression) = match on {
            HookEvent::Exit => ("exit", None),
            HookEvent::Success => ("succeeded", Some(format!("{status} == 'Succeeded'"))),
            HookEvent::Failure => (
                "failed",
                Some(format!("{status} == 'Failed' || {status} == 'Error'")),
            ),
        };
        out.insert(
            name.to_owned(),
            LifecycleHook {
                template: template.clone(),
                expression,
            },
        );
    }
    out
}

/// How a task of region `at` reads pipeline parameter `name`: the run's, or inside a
/// sub-pipeline call, its template's input.
fn param_reference(valid: &ValidPipeline, at: RegionId, name: &str, artifact: bool) -> String {
    let kind = if artifact { "artifacts" } else { "parameters" };
    match crate::ir::enclosing_call(&valid.pipeline().regions, at) {
        None => format!("{{{{workflow.parameters.{name}}}}}"),
        Some(call) if call == at => format!("{{{{inputs.{kind}.{name}}}}}"),
        // A branch inside the call received it (see `inputs`).
        Some(_) => format!("{{{{inputs.{kind}.{}}}}}", param_input_name(name)),
    }
}

/// The input under which a branch inside a sub-pipeline call receives the call's parameter
/// `name`: `_name`, which no `<task>_<output>` input can be (task names start with a letter).
fn param_input_name(name: &str) -> String {
    format!("_{name}")
}

/// The input name of what a branch or loop `at` receives, and whether it is an artifact.
fn outside_input(valid: &ValidPipeline, at: RegionId, outside: &Outside) -> (String, bool) {
    match outside {
        Outside::Task(task, output, artifact) => (input_name(valid, at, *task, output), *artifact),
        Outside::Param(name, artifact) => (param_input_name(name), *artifact),
        Outside::Item(l, None) => (format!("_{}-item", branch_task(valid, *l)), false),
        Outside::Item(l, Some(field)) => {
            (format!("_{}-item_{field}", branch_task(valid, *l)), false)
        }
        Outside::Collected(task, output) => (
            format!(
                "_all-{}_{output}",
                crate::ir::local_name(&valid.pipeline().tasks[task.index()].name)
            ),
            false,
        ),
        Outside::Depth => (DEPTH_INPUT.to_owned(), false),
    }
}

/// True when region `region` is inside a call that is not its pipeline's first: its
/// templates are the first call's.
fn in_repeated_call(valid: &ValidPipeline, region: RegionId, first: &BTreeSet<RegionId>) -> bool {
    crate::ir::ancestry(&valid.pipeline().regions, region)
        .any(|(r, k)| matches!(k.kind, RegionKind::Call { .. }) && !first.contains(&r))
}

/// True when sub-pipeline call `call` binds an artifact to its parameter `param`.
fn binds_artifact(valid: &ValidPipeline, call: RegionId, param: &str) -> bool {
    let p = valid.pipeline();
    match crate::ir::param_origin(p, call, param) {
        crate::ir::ParamOrigin::Bound(Argument::TaskOutput {
            task: TaskRef::Local(t),
            output,
        }) => is_artifact_output(valid, *t, output),
        _ => false,
    }
}

/// `d` with each "finished well" term after the first on the same DAG task dropped: two
/// tasks inside one call are one DAG task here.
fn distinct_done<'a>(d: Depends, name: &dyn Fn(TaskId) -> &'a str) -> Depends {
    let Depends::And(terms) = d else {
        return d;
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut kept: Vec<Depends> = Vec::with_capacity(terms.len());
    for term in terms {
        if let Depends::Done(TaskRef::Local(t)) = &term {
            let n = name(*t);
            if seen.contains(&n) {
                continue;
            }
            seen.push(n);
        }
        kept.push(term);
    }
    if kept.len() == 1 {
        kept.pop().expect("one term")
    } else {
        Depends::And(kept)
    }
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

/// A formatted string as the argument of a task of region `at`: the JSON object
/// `value::format_text` writes, its list built by an `expr` expression so that each value
/// arrives as its own wire text (`["f64","0.5"]`), never pasted into surrounding text. Argo
/// evaluates `{{=…}}` in a DAG task's arguments when the task starts (`resolveDependencyReferences`
/// in `workflow/controller/dag.go`, `expressionReplaceCore` in `util/template`), where `toJson`
/// is Go's `json.Marshal` (`util/expr/env`) and the string result is inserted without its outer
/// quotes. Nothing in the result holds `{{` or `$`: literal text travels in its wire form, and
/// wire forms never hold `{`, `}` or `$`, so a later substitution pass leaves it alone.
/// fasttemplate ends the tag at the first `}}`, which is the tag's own; the object's closing
/// brace follows it.
fn format_expression(valid: &ValidPipeline, at: RegionId, parts: &[FormatPart]) -> String {
    let pieces: Vec<String> = parts
        .iter()
        .map(|part| {
            let (display, value) = match part {
                FormatPart::Text(text) => (
                    crate::value::DisplayAs::Text,
                    expr_string(&crate::value::encode_text(text)),
                ),
                // Inside a sub-pipeline call, its parameters are its template's inputs.
                FormatPart::PipelineParam { name, display } => (
                    *display,
                    match crate::ir::enclosing_call(&valid.pipeline().regions, at) {
                        None => format!("workflow.parameters['{name}']"),
                        Some(call) if call == at => format!("inputs.parameters['{name}']"),
                        // A branch inside the call received it (see `inputs`).
                        Some(_) => format!("inputs.parameters['{}']", param_input_name(name)),
                    },
                ),
                FormatPart::TaskOutput {
                    task: TaskRef::Local(t),
                    output,
                    display,
                } => (*display, output_expression(valid, at, *t, output)),
                FormatPart::TaskOutput { .. } => unreachable!("validation refuses foreign tasks"),
            };
            format!("['{}', {value}]", display.tag())
        })
        .collect();
    format!(
        "{{\"{}\":{{{{=toJson([{}])}}}}}}",
        crate::value::FORMAT_KEY,
        pieces.join(", ")
    )
}

/// How an `expr` expression in region `at` reads output parameter `output` of `task`.
fn output_expression(valid: &ValidPipeline, at: RegionId, task: TaskId, output: &str) -> String {
    match locate(valid, at, task, output) {
        Located::Task(name) => format!("tasks['{name}'].outputs.parameters['{output}']"),
        Located::Call(call, returned) => {
            format!("tasks['{call}'].outputs.parameters['{returned}']")
        }
        Located::Input(name) => format!("inputs.parameters['{name}']"),
    }
}

/// `condition` as an `expr` expression evaluated in region `at`.
pub(crate) fn expression(valid: &ValidPipeline, at: RegionId, condition: &Condition) -> String {
    let p = valid.pipeline();
    let operand = |o: &Operand, kind: CompareKind| -> String {
        let value = match o {
            Operand::Constant(text) => expr_string(text),
            Operand::PipelineParam(name) => match crate::ir::enclosing_call(&p.regions, at) {
                None => format!("workflow.parameters['{name}']"),
                Some(call) if call == at => format!("inputs.parameters['{name}']"),
                Some(_) => format!("inputs.parameters['{}']", param_input_name(name)),
            },
            Operand::TaskOutput {
                task: TaskRef::Local(t),
                output,
            } => output_expression(valid, at, *t, output),
            Operand::TaskOutput { .. } => unreachable!("validation refuses foreign tasks"),
            Operand::LoopItem { region, field } => format!(
                "inputs.parameters['{}']",
                outside_input(valid, at, &Outside::Item(*region, field.clone())).0
            ),
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
        // Evaluated in the called pipeline's own DAG (validation keeps the recursive call's
        // branch directly in it), whose template receives its depth.
        Condition::WithinDepth { max_depth } => {
            format!("asInt(inputs.parameters['{DEPTH_INPUT}']) < {max_depth}")
        }
    }
}

/// `text` as a single-quoted `expr` string literal. Wire forms never hold `{` or `}`, so the
/// literal cannot close the `{{=…}}` tag; quotes, backslashes and control characters are
/// escaped.
pub(crate) fn expr_string(text: &str) -> String {
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
