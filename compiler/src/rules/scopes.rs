//! Regions and dependencies: every task reads only what its region can see (A0028), regions
//! no backend runs yet are refused (A0029), and each task's full `depends` expression.

use super::Checker;
use crate::diagnostics::Code;
use crate::ir::{
    Argument, Depends, Operand, RegionId, RegionKind, TaskId, TaskRef, ancestry, describe_region,
    region_contains, region_sees,
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
            if let Some((hook, _, _)) = region
                .parent
                .and_then(|parent| crate::ir::hook_around(&p.regions, parent))
            {
                self.report(
                    Code::HookMisuse,
                    None,
                    format!(
                        "{what}: constructs inside {} are not compiled or run yet",
                        describe_region(&p.regions, hook)
                    ),
                    "write the hook's tasks without it for now",
                );
                continue;
            }
            let in_call = region
                .parent
                .and_then(|parent| crate::ir::enclosing_call(&p.regions, parent))
                .is_some();
            let construct = match &region.kind {
                RegionKind::Root => "a second root",
                RegionKind::Hook { .. } if in_call => {
                    self.report(
                        Code::HookMisuse,
                        None,
                        format!("{what}: a hook inside a sub-pipeline is not compiled or run yet"),
                        "put the hook on a task of the pipeline body, or on the task that calls the sub-pipeline's work, for now",
                    );
                    continue;
                }
                RegionKind::Hook { task, on } => {
                    self.hook(id, *task, *on);
                    continue;
                }
                RegionKind::Loop { .. } if in_call => "loops inside a sub-pipeline",
                RegionKind::Loop { items, .. } => {
                    self.refuse_empty(
                        id,
                        None,
                        &what,
                        "call a component in the loop's closure, or remove the loop",
                    );
                    self.loop_items(id, items);
                    continue;
                }
                RegionKind::Call { .. } => {
                    let in_loop = ancestry(&p.regions, id)
                        .skip(1)
                        .any(|(_, r)| matches!(r.kind, RegionKind::Loop { .. }));
                    if in_loop {
                        self.report(
                            Code::UnsupportedConstruct,
                            None,
                            format!("{what}: a sub-pipeline called inside a loop is not compiled or run yet"),
                            "call the sub-pipeline outside the loop for now",
                        );
                        continue;
                    }
                    self.refuse_empty(
                        id,
                        None,
                        &what,
                        "call a component in the called pipeline, or remove the call",
                    );
                    continue;
                }
                RegionKind::Branch { .. } => {
                    self.refuse_empty(
                        id,
                        None,
                        &what,
                        "call a component in the branch's closure, or remove the branch",
                    );
                    continue;
                }
                RegionKind::ExitHandler => unreachable!("handled above"),
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
            // Nothing is collected or formatted unless it is reported: this runs per argument.
            // A `one_of` reads branches beside the task: checked on its own below; a loop's
            // collected outputs are read from outside the loop, where the loop is visible.
            for (input, a) in &task.arguments {
                if let Argument::Collected {
                    task: TaskRef::Local(x),
                    ..
                } = a
                    && let Some(producer) = p.tasks.get(x.index())
                {
                    let body = p.regions.get(producer.region.index());
                    let visible = body.is_some_and(|b| {
                        matches!(b.kind, RegionKind::Loop { .. })
                            && b.parent.is_some_and(|parent| {
                                region_sees(&p.regions, task.region, parent)
                                    && !region_contains(&p.regions, producer.region, task.region)
                            })
                    });
                    if !visible {
                        self.report(
                            Code::OutOfScope,
                            Some(id),
                            format!(
                                "input `{input}` of task `{}` collects the outputs of task `{}`, which is not directly in a loop this task sees from outside",
                                task.name, producer.name
                            ),
                            "collect a loop's outputs after the loop, from a task created directly in its `for_each` closure",
                        );
                    }
                }
            }
            let reads = task
                .arguments
                .iter()
                .filter(|(_, a)| !matches!(a, Argument::OneOf(_) | Argument::Collected { .. }))
                .flat_map(|(input, a)| a.outputs().map(move |(t, o)| (input, o, t)))
                .filter_map(|(input, output, t)| match t {
                    TaskRef::Local(t) => Some((Some((input.as_str(), output)), *t)),
                    TaskRef::Foreign { .. } => None,
                });
            let orders = task
                .depends
                .iter()
                .flat_map(|d| d.tasks())
                .filter_map(|r| match r {
                    TaskRef::Local(t) => Some((None, *t)),
                    TaskRef::Foreign { .. } => None,
                });
            if !crate::ir::in_exit_handler(&p.regions, task.region) {
                self.run_values_outside_the_exit_handler(id);
            }
            for (input, used) in reads.chain(orders) {
                let Some(other) = p.tasks.get(used.index()) else {
                    continue;
                };
                if other.region.index() >= region_count
                    || region_sees(&p.regions, task.region, other.region)
                {
                    continue;
                }
                if let Some((_, output)) = input
                    && readable(p, task.region, used, output)
                {
                    continue;
                }
                let what = match input {
                    Some((input, _)) => format!("input `{input}`"),
                    None => "its `depends`".to_owned(),
                };
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

impl Checker<'_> {
    /// A0032 for the items of loop `id` and the fields its tasks read; A0028 for an item read
    /// outside its loop, or an output collected from where no loop gives it (hand-built IR).
    fn loop_items(&mut self, id: RegionId, items: &crate::ir::LoopItems) {
        use crate::ir::LoopItems;
        let p = self.p;
        let what = describe_region(&p.regions, id);
        let statics: Option<Vec<serde_json::Value>> = match items {
            LoopItems::Static(items) => {
                let parsed: Result<Vec<serde_json::Value>, _> =
                    items.iter().map(|i| serde_json::from_str(i)).collect();
                match parsed {
                    Ok(v) if v.is_empty() => {
                        self.report(
                            Code::InvalidLoop,
                            None,
                            format!("{what} iterates over an empty list"),
                            "give the loop at least one item (Argo would run an empty `withItems` once, with `{{item}}` unresolved), or leave the loop out",
                        );
                        None
                    }
                    Ok(v) => {
                        // `expandTask` substitutes the task, items included, as text: an
                        // item holding `{{` would be read as a tag.
                        if let Some(k) = v.iter().position(|i| {
                            i.to_string().contains("{{") || i.to_string().contains("}}")
                        }) {
                            self.report(
                                Code::InvalidLoop,
                                None,
                                format!("item {k} of {what} holds `{{{{` or `}}}}`, which Argo would read as a template tag when it expands the loop"),
                                "pass such values as a list pipeline parameter (`Param<Vec<T>>`), whose value Argo does not expand",
                            );
                        }
                        Some(v)
                    }
                    Err(e) => {
                        self.report(
                            Code::InvalidLoop,
                            None,
                            format!("{what} has an item that is not JSON: {e}"),
                            "build the loop with `for_each`, which writes each item as JSON",
                        );
                        None
                    }
                }
            }
            LoopItems::PipelineParam(name) => {
                match p.params.iter().find(|q| &q.name == name) {
                    None => {
                        self.report(
                        Code::InvalidLoop,
                        None,
                        format!("{what} iterates over pipeline parameter `{name}`, which does not exist"),
                        format!("the pipeline's parameters are: {}", super::list(p.params.iter().map(|q| &q.name))),
                    );
                    }
                    Some(q) if !list_schema(&q.schema) => {
                        self.report(
                        Code::InvalidLoop,
                        None,
                        format!("{what} iterates over pipeline parameter `{name}`, of type `{}`, which is not a list", q.rust_type),
                        "declare the parameter as a `Param<Vec<T>>`",
                    );
                    }
                    Some(_) => {}
                }
                None
            }
            LoopItems::TaskOutput {
                task: TaskRef::Local(t),
                output,
            } => {
                let out = p
                    .tasks
                    .get(t.index())
                    .and_then(|task| p.components.get(&task.component))
                    .and_then(|c| c.output(output));
                match out.map(|o| &o.kind) {
                    Some(crate::ir::IoKind::Parameter { schema, .. }) if list_schema(schema) => {}
                    _ => {
                        self.report(
                        Code::InvalidLoop,
                        Some(*t),
                        format!("{what} iterates over output `{output}` of a task, which is not a list output parameter of it"),
                        "loop over an output parameter of a `Vec<T>` type",
                    );
                    }
                }
                None
            }
            LoopItems::TaskOutput { .. } => None,
        };
        let inside = |r: RegionId| region_contains(&p.regions, id, r);
        for (i, task) in p.tasks.iter().enumerate() {
            for (input, argument) in &task.arguments {
                let Argument::LoopItem { region, field } = argument else {
                    continue;
                };
                if *region != id {
                    continue;
                }
                let task_id = Some(TaskId(i as u32));
                if !inside(task.region) {
                    self.report(
                        Code::OutOfScope,
                        task_id,
                        format!("input `{input}` of task `{}` reads the item of {what}, which it is not inside", task.name),
                        "use a loop's item only inside its `for_each` closure",
                    );
                }
                let Some(field) = field else { continue };
                let valid_name = !field.is_empty()
                    && field
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !valid_name {
                    self.report(
                        Code::InvalidLoop,
                        task_id,
                        format!("input `{input}` of task `{}` reads field `{field}` of the item of {what}; Argo cannot pass a field of that name", task.name),
                        "name the field with letters, digits, `-` and `_` only (serde's `rename` changes the name in the item's JSON)",
                    );
                } else if let Some(items) = &statics
                    && let Some(k) = items.iter().position(|item| {
                        item.as_object()
                            .is_none_or(|m| !m.contains_key(field.as_str()))
                    })
                {
                    self.report(
                        Code::InvalidLoop,
                        task_id,
                        format!("input `{input}` of task `{}` reads field `{field}` of the item of {what}, and item {k} has no such field", task.name),
                        "give every item the field, or read the item itself",
                    );
                }
            }
        }
    }

    /// A0028 for each argument of task `id` that reads what only the exit handler knows.
    fn run_values_outside_the_exit_handler(&mut self, id: TaskId) {
        let task = &self.p.tasks[id.index()];
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

    /// A hook: its task is in the region around it, it is the task's only hook for its event,
    /// and it has tasks (A0037, A0028, A0006).
    fn hook(&mut self, id: RegionId, task: TaskId, on: crate::ir::HookEvent) {
        let p = self.p;
        let region = &p.regions[id.index()];
        let what = describe_region(&p.regions, id);
        let Some(hooked) = p.tasks.get(task.index()) else {
            self.report(
                Code::OutOfScope,
                None,
                format!("{what} is on task #{}, which does not exist", task.0),
                "build hooks only through the DSL",
            );
            return;
        };
        if Some(hooked.region) != region.parent {
            self.report(
                Code::OutOfScope,
                Some(task),
                format!("{what} is not in the region of its task `{}`", hooked.name),
                "build hooks only through the DSL",
            );
        }
        let first = p.regions.iter().position(|r| r.kind == region.kind) == Some(id.index());
        if !first {
            self.report(
                Code::HookMisuse,
                Some(task),
                format!(
                    "task `{}` has a second `.{}(…)` hook ({what})",
                    hooked.name,
                    on.method()
                ),
                format!(
                    "put every task that must run then into one `.{}(|| {{ … }})` closure",
                    on.method()
                ),
            );
        }
        self.refuse_empty(
            id,
            Some(task),
            &what,
            "call a component in the hook's closure, or remove the hook",
        );
    }

    /// A0006 for region `id` (described as `what`) when no task is in it: Argo refuses a DAG
    /// without tasks, and the region's template would be one.
    fn refuse_empty(&mut self, id: RegionId, task: Option<TaskId>, what: &str, help: &str) {
        let p = self.p;
        // At a recursion's last level the branch held only the recursive call, which is past
        // the bound: it never runs, on Argo (that level is the same template as the first)
        // nor locally.
        let last_level = matches!(&p.regions[id.index()].kind, RegionKind::Branch { condition }
            if condition.max_depth() == Some(crate::ir::call_depth(&p.regions, id)));
        if !last_level
            && !p
                .tasks
                .iter()
                .any(|t| region_contains(&p.regions, id, t.region))
        {
            self.report(
                Code::EmptyPipeline,
                task,
                format!("{what} has no tasks"),
                help,
            );
        }
    }

    /// Branches: each operand of a condition exists, is a parameter, and is visible where the
    /// branch is written (A0011, A0028); a condition in a nested branch does not mix a task of
    /// the branch around it with a value from further out, which Argo's two substitution
    /// passes cannot resolve together (A0029); a task in a branch waits on the *result* of a
    /// task outside it only as "finished well", which its branch's DAG task carries (A0029).
    pub(crate) fn branches(&mut self) {
        let p = self.p;
        for (r, region) in p.regions.iter().enumerate() {
            let RegionKind::Branch { condition } = &region.kind else {
                continue;
            };
            let Some(parent) = region.parent else {
                continue;
            };
            let what = describe_region(&p.regions, RegionId(r as u32));
            let mut from_parent = false;
            let mut from_outside = false;
            for operand in condition.operands() {
                match operand {
                    Operand::Constant(_) => {}
                    Operand::PipelineParam(name) => {
                        if let crate::ir::ParamSource::Missing =
                            crate::ir::param_source(p, parent, name)
                        {
                            self.report(
                                Code::UnknownReference,
                                None,
                                format!("the condition of {what} reads pipeline parameter `{name}`, which does not exist"),
                                format!("the pipeline's parameters are: {}", super::list(crate::ir::param_names(p, parent).into_iter())),
                            );
                        }
                    }
                    Operand::TaskOutput {
                        task: TaskRef::Local(t),
                        output,
                    } => {
                        let Some(task) = p.tasks.get(t.index()) else {
                            continue;
                        };
                        let is_param = p
                            .components
                            .get(&task.component)
                            .and_then(|c| c.output(output))
                            .map(|o| !o.kind.is_artifact());
                        if is_param != Some(true) {
                            self.report(
                                Code::UnknownReference,
                                Some(*t),
                                format!(
                                    "the condition of {what} reads `{output}` of task `{}`, which is not an output parameter of it",
                                    task.name
                                ),
                                "compare an output parameter of the task (artifacts cannot be compared)",
                            );
                        }
                        if !readable(p, parent, *t, output) {
                            self.report(
                                Code::OutOfScope,
                                Some(*t),
                                format!(
                                    "the condition of {what} reads task `{}` in {}, which cannot be seen where the branch is written",
                                    task.name,
                                    describe_region(&p.regions, task.region)
                                ),
                                "compare values of the region the branch is written in",
                            );
                        } else if task.region == parent
                            || crate::ir::call_between(&p.regions, parent, task.region)
                                .is_some_and(|c| p.regions[c.index()].parent == Some(parent))
                        {
                            from_parent = true;
                        } else {
                            from_outside = true;
                        }
                    }
                    Operand::TaskOutput { .. } => {}
                    // An item reaches every template as an input, as values from further out.
                    Operand::LoopItem { region: l, .. } => {
                        if !region_contains(&p.regions, *l, RegionId(r as u32)) {
                            self.report(
                                Code::OutOfScope,
                                None,
                                format!("the condition of {what} reads the item of a loop it is not inside"),
                                "compare a loop's item only inside its `for_each` closure",
                            );
                        }
                        from_outside = true;
                    }
                }
            }
            // A branch's or loop body's template receives outside values as inputs, which Argo
            // substitutes before the expression can see its own DAG's tasks.
            let around = match p.regions.get(parent.index()).map(|r| &r.kind) {
                Some(RegionKind::Branch { .. }) => Some("branch"),
                Some(RegionKind::Loop { .. }) => Some("loop body"),
                _ => None,
            };
            if let Some(around) = around
                && from_parent
                && from_outside
            {
                self.report(
                    Code::UnsupportedConstruct,
                    None,
                    format!("the condition of {what} compares a task of the {around} around it with a value from outside that {around}, which is not compiled yet"),
                    "compare the outside value in a task of the branch around it first, and use that task's output",
                );
            }
        }
        // `one_of`: each option is an output parameter of a task directly in a different
        // branch written beside the reading task.
        for (i, task) in p.tasks.iter().enumerate() {
            for (input, argument) in &task.arguments {
                let Argument::OneOf(options) = argument else {
                    continue;
                };
                let mut seen = Vec::new();
                for (n, (t, output)) in options.iter().enumerate() {
                    let TaskRef::Local(t) = t else { continue };
                    let Some(other) = p.tasks.get(t.index()) else {
                        continue;
                    };
                    // The last option may be a task beside the reader: the value when no
                    // branch before it ran (`one_of([deeper, this_level])` in a recursion).
                    let fallback = n + 1 == options.len() && other.region == task.region;
                    // The branch beside the reader that holds the option (directly, or in a
                    // sub-pipeline call that returns it).
                    let holder = ancestry(&p.regions, other.region)
                        .find(|(_, r)| r.parent == Some(task.region))
                        .map(|(id, _)| id);
                    let beside = holder.is_some_and(|b| {
                        matches!(p.regions[b.index()].kind, RegionKind::Branch { .. })
                            && readable(p, b, *t, output)
                    });
                    let problem = if fallback {
                        p.components
                            .get(&other.component)
                            .and_then(|c| c.output(output))
                            .is_none_or(|o| o.kind.is_artifact())
                            .then(|| {
                                format!(
                                    "`{output}` is not an output parameter of task `{}`",
                                    other.name
                                )
                            })
                    } else if !beside {
                        Some(format!(
                            "task `{}` is in {}, not in a branch written beside the reading task",
                            other.name,
                            describe_region(&p.regions, other.region)
                        ))
                    } else if holder.is_some_and(|b| seen.contains(&b)) {
                        Some(format!(
                            "two options are in the same branch ({})",
                            describe_region(&p.regions, other.region)
                        ))
                    } else if p
                        .components
                        .get(&other.component)
                        .and_then(|c| c.output(output))
                        .is_none_or(|o| o.kind.is_artifact())
                    {
                        Some(format!(
                            "`{output}` is not an output parameter of task `{}`",
                            other.name
                        ))
                    } else {
                        None
                    };
                    seen.extend(holder);
                    if let Some(problem) = problem {
                        self.report(
                            Code::OutOfScope,
                            Some(TaskId(i as u32)),
                            format!(
                                "input `{input}` of task `{}` selects the branch that ran, but {problem}",
                                task.name
                            ),
                            "pass `one_of` one output parameter from each branch of a `when(…)` chain written in the same place as the task that reads it, and, last, if you like, an output of a task written there too (the value when no branch ran)",
                        );
                    }
                }
            }
        }
        for (i, task) in p.tasks.iter().enumerate() {
            let Some(d) = &task.depends else { continue };
            let mut outside = Vec::new();
            fn results<'a>(d: &'a Depends, out: &mut Vec<&'a TaskRef>) {
                match d {
                    Depends::Done(_) => {}
                    Depends::Result { task, .. }
                    | Depends::AnySucceeded(task)
                    | Depends::AllFailed(task) => out.push(task),
                    Depends::And(v) | Depends::Or(v) => v.iter().for_each(|d| results(d, out)),
                    Depends::Not(d) => results(d, out),
                }
            }
            results(d, &mut outside);
            for r in outside {
                if let TaskRef::Local(t) = r
                    && let Some(other) = p.tasks.get(t.index())
                    && other.region != task.region
                {
                    self.report(
                        Code::UnsupportedConstruct,
                        Some(TaskId(i as u32)),
                        format!(
                            "task `{}` in {} waits on a result of task `{}` outside it, which is not compiled yet",
                            task.name,
                            describe_region(&p.regions, task.region),
                            other.name
                        ),
                        "wait on results of tasks of the same region, or move the task out of the branch",
                    );
                }
            }
        }
    }
}

/// For each region, the tasks outside it that it or a region inside it reads or waits for
/// (arguments, `depends`, the conditions of its branches — its own included), in task order.
/// A branch's DAG task waits for those of them in its parent; the local runner waits for all
/// of them before it decides the branch.
/// True when values of `schema` may be a JSON list (what a loop iterates over).
fn list_schema(schema: &crate::schema::TypeSchema) -> bool {
    use crate::schema::TypeSchema;
    matches!(
        schema,
        TypeSchema::List(_) | TypeSchema::Array { .. } | TypeSchema::Tuple(_) | TypeSchema::Any
    )
}

pub(crate) fn region_reads(p: &crate::ir::Pipeline) -> Vec<Vec<TaskId>> {
    let n = p.regions.len();
    let mut reads: Vec<Vec<TaskId>> = vec![Vec::new(); n];
    // The root reads nothing from outside itself: with no other region there is nothing to
    // collect (the common case, which would otherwise walk every argument).
    if n == 1 {
        return reads;
    }
    // Adds `used` to every region from `from` outwards that does not contain it.
    let mut add = |from: RegionId, used: TaskId| {
        let Some(used_region) = p.tasks.get(used.index()).map(|t| t.region) else {
            return;
        };
        for (r, _) in ancestry(&p.regions, from) {
            if region_contains(&p.regions, r, used_region) {
                break;
            }
            reads[r.index()].push(used);
        }
    };
    for task in &p.tasks {
        let refs = task
            .arguments
            .values()
            .flat_map(Argument::tasks)
            .chain(task.depends.iter().flat_map(|d| d.tasks()));
        for r in refs {
            if let TaskRef::Local(t) = r {
                add(task.region, *t);
            }
        }
    }
    for (r, region) in p.regions.iter().enumerate() {
        // A loop over a task's output waits for that task: its DAG task reads the list.
        if let RegionKind::Loop {
            items:
                crate::ir::LoopItems::TaskOutput {
                    task: TaskRef::Local(t),
                    ..
                },
            ..
        } = &region.kind
        {
            add(RegionId(r as u32), *t);
        }
        // A call reads what its arguments read (its DAG task waits for those tasks).
        if let RegionKind::Call { arguments, .. } = &region.kind {
            for r2 in arguments.values().flat_map(Argument::tasks) {
                if let TaskRef::Local(t) = r2 {
                    add(RegionId(r as u32), *t);
                }
            }
        }
        if let RegionKind::Branch { condition } = &region.kind {
            for operand in condition.operands() {
                if let Operand::TaskOutput {
                    task: TaskRef::Local(t),
                    ..
                } = operand
                {
                    add(RegionId(r as u32), *t);
                }
            }
        }
    }
    for v in &mut reads {
        v.sort_unstable();
        v.dedup();
    }
    reads
}

/// The full `depends` expression of every task: a [`Depends::Done`] for each task it reads
/// from or was ordered `.after`, in task order, then the rest of its own expression. A task
/// its own expression already names by result is not added again: the user's expression
/// governs it. `None` for a task with no dependency.
pub(crate) fn full_depends(p: &crate::ir::Pipeline) -> Vec<Option<Depends>> {
    p.tasks
        .iter()
        .map(|task| {
            // The common case, without the general path's allocations: no `depends` of its
            // own and at most one task read.
            if task.depends.is_none() {
                let mut producers = task
                    .arguments
                    .values()
                    .flat_map(Argument::tasks)
                    .filter_map(|r| match r {
                        TaskRef::Local(t) => Some(*t),
                        TaskRef::Foreign { .. } => None,
                    });
                match producers.next() {
                    None => return None,
                    Some(first) if producers.all(|t| t == first) => {
                        return Some(Depends::Done(TaskRef::Local(first)));
                    }
                    Some(_) => {}
                }
            }
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
                .flat_map(Argument::tasks)
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

/// Whether region `reader` can read `output` of task `t`: the task is visible from it, or
/// the output is returned by a sub-pipeline call visible from it (and by every call
/// between).
pub(crate) fn readable(p: &crate::ir::Pipeline, reader: RegionId, t: TaskId, output: &str) -> bool {
    let Some(task) = p.tasks.get(t.index()) else {
        return false;
    };
    if region_sees(&p.regions, reader, task.region) {
        return true;
    }
    let Some(call) = crate::ir::call_between(&p.regions, reader, task.region) else {
        return false;
    };
    let returned = ancestry(&p.regions, task.region)
        .take_while(|(id, _)| *id != call)
        .chain(std::iter::once((call, &p.regions[call.index()])))
        .all(|(_, r)| match &r.kind {
            RegionKind::Call { outputs, .. } => outputs.values().any(|a| {
                matches!(a, Argument::TaskOutput { task: TaskRef::Local(x), output: o } if *x == t && o == output)
            }),
            _ => true,
        });
    let parent = p.regions[call.index()].parent;
    returned && parent.is_some_and(|parent| region_sees(&p.regions, reader, parent))
}

impl Checker<'_> {
    /// Sub-pipeline calls and pipeline outputs: each argument a call binds and each output a
    /// call or the pipeline returns reads what its region can (A0011, A0028).
    pub(crate) fn calls(&mut self) {
        let p = self.p;
        for (r, region) in p.regions.iter().enumerate() {
            let RegionKind::Call {
                arguments, outputs, ..
            } = &region.kind
            else {
                continue;
            };
            let Some(parent) = region.parent else {
                continue;
            };
            let what = describe_region(&p.regions, RegionId(r as u32));
            for (param, argument) in arguments {
                self.read_by_region(parent, argument, &format!("parameter `{param}` of {what}"));
            }
            for (name, argument) in outputs {
                self.read_by_region(
                    RegionId(r as u32),
                    argument,
                    &format!("output `{name}` of {what}"),
                );
            }
        }
        for (name, argument) in &p.outputs {
            self.read_by_region(
                RegionId::ROOT,
                argument,
                &format!("pipeline output `{name}`"),
            );
        }
    }

    /// Reports `argument`, read by region `reader`, when it names what `reader` cannot read.
    fn read_by_region(&mut self, reader: RegionId, argument: &Argument, what: &str) {
        let p = self.p;
        match argument {
            Argument::TaskOutput {
                task: TaskRef::Local(t),
                output,
            } => {
                let Some(task) = p.tasks.get(t.index()) else {
                    self.report(
                        Code::UnknownReference,
                        None,
                        format!("{what} reads task #{}, which does not exist", t.0),
                        "refer only to tasks of this pipeline",
                    );
                    return;
                };
                let is_output = p
                    .components
                    .get(&task.component)
                    .is_some_and(|c| c.output(output).is_some());
                if !is_output {
                    self.report(
                        Code::UnknownReference,
                        Some(*t),
                        format!(
                            "{what} reads `{output}` of task `{}`, which has no such output",
                            task.name
                        ),
                        "return an output the task's component declares",
                    );
                    return;
                }
                if !readable(p, reader, *t, output) {
                    self.report(
                        Code::OutOfScope,
                        Some(*t),
                        format!(
                            "{what} in {} uses task `{}` in {}, which cannot be seen from there",
                            describe_region(&p.regions, reader),
                            task.name,
                            describe_region(&p.regions, task.region)
                        ),
                        "use the value inside that region, or pass it out through the construct (the branch that ran, the loop's collected list, the sub-pipeline's outputs)",
                    );
                }
            }
            Argument::PipelineParam(name) => {
                if let crate::ir::ParamSource::Missing = crate::ir::param_source(p, reader, name) {
                    self.report(
                        Code::UnknownReference,
                        None,
                        format!("{what} reads pipeline parameter `{name}`, which does not exist"),
                        format!(
                            "the parameters there are: {}",
                            super::list(crate::ir::param_names(p, reader).into_iter())
                        ),
                    );
                }
            }
            Argument::Constant(_) => {}
            Argument::Format(_) => {
                self.report(
                    Code::FormatInput,
                    None,
                    format!("{what} is a formatted string, which only a native component's `String` input assembles"),
                    "pass the values to the sub-pipeline and call `format_arg!` inside it",
                );
            }
            Argument::TaskOutput { .. }
            | Argument::Run(_)
            | Argument::OneOf(_)
            | Argument::LoopItem { .. }
            | Argument::Collected { .. }
            | Argument::External { .. } => {
                self.report(
                    Code::UnsupportedConstruct,
                    None,
                    format!("{what} is not a constant, a parameter or a task's output"),
                    "bind a constant, a parameter or an output of a task of this pipeline",
                );
            }
        }
    }
}
