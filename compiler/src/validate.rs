//! Validation: from a [`Pipeline`] to a [`ValidPipeline`], or coded [`Diagnostics`].
//!
//! A [`ValidPipeline`] can only be made here, and the emitters and the runner take nothing
//! else, so nothing unvalidated is ever emitted or run. Rules that need the graph use petgraph:
//! cycles are found as strongly connected components and reported with every task on them.

use indexmap::IndexMap;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::ir::{Argument, ComponentSpec, Implementation, IoKind, Pipeline, TaskId, TaskRef};
use crate::namer;

/// A pipeline that passed validation, with the names every backend uses.
#[derive(Clone, Debug)]
pub struct ValidPipeline {
    pipeline: Pipeline,
    names: Names,
    deps: Vec<Vec<TaskId>>,
    warnings: Diagnostics,
}

/// Names resolved by the namer during validation.
#[derive(Clone, Debug)]
pub struct Names {
    /// The workflow name prefix (`generateName` without the trailing `-`).
    pub workflow: String,
    /// The name of the DAG template (the entrypoint).
    pub dag_template: String,
    /// Template name of each component, by component name.
    pub templates: IndexMap<String, String>,
}

impl ValidPipeline {
    /// The validated IR.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The resolved names.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The tasks `task` depends on (data and ordering edges), deduplicated, in task order.
    pub fn dependencies(&self, task: TaskId) -> &[TaskId] {
        &self.deps[task.index()]
    }

    /// Warnings found while validating.
    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }
}

/// Options that change what is valid.
#[derive(Clone, Debug, Default)]
pub struct ValidateOptions {
    /// Overrides the pipeline's image for native components (`--image`).
    pub image: Option<String>,
}

/// Checks every rule; returns the proof of validity or every problem found.
pub fn validate(
    pipeline: &Pipeline,
    options: &ValidateOptions,
) -> Result<ValidPipeline, Diagnostics> {
    let mut pipeline = pipeline.clone();
    if let Some(image) = &options.image {
        pipeline.image = Some(image.clone());
    }
    let mut cx = Checker {
        p: &pipeline,
        out: Vec::new(),
    };
    cx.empty();
    let names = cx.names();
    cx.arguments();
    cx.values();
    cx.image();
    let deps = cx.cycles();
    let errors = cx.out.iter().any(|d| d.severity == Severity::Error);
    let diagnostics = Diagnostics::new(cx.out);
    if errors {
        return Err(diagnostics);
    }
    Ok(ValidPipeline {
        pipeline,
        names,
        deps,
        warnings: diagnostics,
    })
}

struct Checker<'a> {
    p: &'a Pipeline,
    out: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(
        &mut self,
        code: Code,
        task: Option<TaskId>,
        message: String,
        help: impl Into<String>,
    ) {
        let location = task.and_then(|t| self.p.tasks[t.index()].location.as_ref());
        let d = Diagnostic::error(code, &self.p.name, message, help).at_opt(location);
        self.out.push(d);
    }

    fn warning(&mut self, code: Code, message: String, help: impl Into<String>) {
        let mut d = Diagnostic::error(code, &self.p.name, message, help);
        d.severity = Severity::Warning;
        self.out.push(d);
    }

    /// A0006: a DAG needs at least one task.
    fn empty(&mut self) {
        if self.p.tasks.is_empty() {
            self.error(
                Code::EmptyPipeline,
                None,
                format!("pipeline `{}` has no tasks", self.p.name),
                "call at least one component in the pipeline function",
            );
        }
    }

    /// A0004, A0005, A0008: every name is valid, unique, and unique after mangling.
    fn names(&mut self) -> Names {
        let p = self.p;
        let workflow = namer::generated(&p.name, namer::PIPELINE_NAME_MAX);
        for param in &p.params {
            if !namer::is_io_name(&param.name) {
                self.error(
                    Code::InvalidName,
                    None,
                    format!("pipeline parameter `{}` has an invalid name", param.name),
                    "parameter names may use only letters, digits, `-` and `_`",
                );
            }
        }
        for (name, spec) in &p.components {
            for io in spec
                .inputs
                .iter()
                .map(|i| &i.name)
                .chain(spec.outputs.iter().map(|o| &o.name))
            {
                if !namer::is_io_name(io) {
                    self.error(
                        Code::InvalidName,
                        None,
                        format!(
                            "component `{name}` has an input or output with an invalid name `{io}`"
                        ),
                        "input and output names may use only letters, digits, `-` and `_`",
                    );
                }
            }
        }

        let dag_template = namer::generated(&p.name, namer::DNS_LABEL_MAX);
        let mut templates = IndexMap::new();
        let mut owners: IndexMap<String, String> = IndexMap::new();
        owners.insert(dag_template.clone(), format!("pipeline `{}`", p.name));
        for name in p.components.keys() {
            let template = namer::generated(name, namer::DNS_LABEL_MAX);
            if let Some(owner) = owners.get(&template) {
                let owner = owner.clone();
                self.error(
                    Code::NameCollision,
                    None,
                    format!("component `{name}` and {owner} both become the Argo template name `{template}`"),
                    "rename the component with #[component(name = \"…\")]",
                );
            } else {
                owners.insert(template.clone(), format!("component `{name}`"));
            }
            templates.insert(name.clone(), template);
        }

        let mut seen: IndexMap<&str, TaskId> = IndexMap::new();
        for (i, task) in p.tasks.iter().enumerate() {
            let id = TaskId(i as u32);
            if !namer::is_task_name(&task.name)
                || (task.named_by_user && task.name.len() > namer::DNS_LABEL_MAX)
            {
                self.error(
                    Code::InvalidName,
                    Some(id),
                    format!("task name `{}` is not valid for Argo", task.name),
                    "use a letter first, then letters, digits and `-`, at most 63 characters",
                );
            }
            if let Some(first) = seen.get(task.name.as_str()) {
                let first = p.tasks[first.index()]
                    .location
                    .as_ref()
                    .map(|l| format!(" (first at {l})"))
                    .unwrap_or_default();
                self.error(
                    Code::DuplicateTask,
                    Some(id),
                    format!("two tasks are named `{}`{first}", task.name),
                    "give one of them another name with `.name(\"…\")`",
                );
            } else {
                seen.insert(&task.name, id);
            }
        }
        Names {
            workflow,
            dag_template,
            templates,
        }
    }

    /// A0002, A0003, A0007, A0011: every argument fits its input and refers to something real.
    fn arguments(&mut self) {
        let p = self.p;
        for (i, task) in p.tasks.iter().enumerate() {
            let id = TaskId(i as u32);
            let Some(spec) = p.components.get(&task.component) else {
                self.error(
                    Code::UnknownReference,
                    Some(id),
                    format!(
                        "task `{}` calls component `{}`, which the pipeline does not define",
                        task.name, task.component
                    ),
                    "add the component's spec to the pipeline",
                );
                continue;
            };
            for (input, argument) in &task.arguments {
                let Some(input_spec) = spec.input(input) else {
                    self.error(
                        Code::BadArgument,
                        Some(id),
                        format!(
                            "task `{}` passes `{input}`, but component `{}` has no such input",
                            task.name, spec.name
                        ),
                        format!(
                            "the inputs of `{}` are: {}",
                            spec.name,
                            list(spec.inputs.iter().map(|i| &i.name))
                        ),
                    );
                    continue;
                };
                self.argument(id, spec, &input_spec.kind, input, argument);
            }
            for input in &spec.inputs {
                if input.default.is_none() && !task.arguments.contains_key(&input.name) {
                    self.error(
                        Code::UnboundInput,
                        Some(id),
                        format!(
                            "input `{}` of task `{}` (component `{}`) has no value",
                            input.name, task.name, spec.name
                        ),
                        format!(
                            "pass `{}` when calling `{}`, or give it a default with #[default(…)]",
                            input.name, spec.name
                        ),
                    );
                }
            }
            for after in &task.after {
                if let TaskRef::Foreign {
                    pipeline,
                    task: other,
                } = after
                {
                    self.error(
                        Code::ForeignTask,
                        Some(id),
                        format!("task `{}` runs `.after` {other} of pipeline `{pipeline}`", task.name),
                        "create the task inside this pipeline's function (call a shared helper from both)",
                    );
                }
            }
        }
    }

    fn argument(
        &mut self,
        id: TaskId,
        spec: &ComponentSpec,
        expected: &IoKind,
        input: &str,
        argument: &Argument,
    ) {
        let p = self.p;
        let task = &p.tasks[id.index()];
        let found: IoKind = match argument {
            Argument::Constant(_) => IoKind::Parameter {
                rust_type: String::new(),
            },
            Argument::PipelineParam(name) => {
                if !p.params.iter().any(|q| &q.name == name) {
                    self.error(
                        Code::UnknownReference,
                        Some(id),
                        format!("input `{input}` of task `{}` reads pipeline parameter `{name}`, which does not exist", task.name),
                        format!("the pipeline's parameters are: {}", list(p.params.iter().map(|q| &q.name))),
                    );
                    return;
                }
                IoKind::Parameter {
                    rust_type: String::new(),
                }
            }
            Argument::TaskOutput {
                task:
                    TaskRef::Foreign {
                        pipeline,
                        task: other,
                    },
                ..
            } => {
                self.error(
                    Code::ForeignTask,
                    Some(id),
                    format!("input `{input}` of task `{}` reads an output of {other} of pipeline `{pipeline}`", task.name),
                    "create the producing task inside this pipeline's function (call a shared helper from both)",
                );
                return;
            }
            Argument::TaskOutput {
                task: TaskRef::Local(from),
                output,
            } => {
                let Some(producer) = p.tasks.get(from.index()) else {
                    self.error(
                        Code::UnknownReference,
                        Some(id),
                        format!(
                            "input `{input}` of task `{}` reads task #{}, which does not exist",
                            task.name, from.0
                        ),
                        "refer only to tasks of this pipeline",
                    );
                    return;
                };
                let Some(out) = p
                    .components
                    .get(&producer.component)
                    .and_then(|c| c.output(output))
                else {
                    self.error(
                        Code::UnknownReference,
                        Some(id),
                        format!("input `{input}` of task `{}` reads output `{output}` of task `{}`, which has no such output", task.name, producer.name),
                        "read one of the producing component's outputs",
                    );
                    return;
                };
                out.kind.clone()
            }
        };
        let fits = match (expected, &found) {
            (IoKind::Parameter { .. }, IoKind::Parameter { .. }) => true,
            (IoKind::Artifact { kind: want }, IoKind::Artifact { kind: have }) => {
                want == have || want == "Artifact"
            }
            _ => false,
        };
        if !fits {
            self.error(
                Code::BadArgument,
                Some(id),
                format!("input `{input}` of task `{}` (component `{}`) expects {}, but receives {}", task.name, spec.name, describe(expected), describe(&found)),
                "pass parameters to parameter inputs and artifacts of the same kind to artifact inputs",
            );
        }
    }

    /// A0010: values that would not reach the container as written.
    fn values(&mut self) {
        let p = self.p;
        let braces = |s: &str| s.contains("{{");
        for param in &p.params {
            if param.default.as_deref().is_some_and(braces) {
                self.error(
                    Code::BadValue,
                    None,
                    format!("the default of pipeline parameter `{}` contains `{{{{`, which Argo would substitute", param.name),
                    "pass this value at submit time (`-p name=value`) instead of as a default",
                );
            }
        }
        for (name, spec) in &p.components {
            for input in &spec.inputs {
                if input.default.as_deref().is_some_and(braces) {
                    self.error(
                        Code::BadValue,
                        None,
                        format!("the default of input `{}` of component `{name}` contains `{{{{`, which Argo would substitute", input.name),
                        "remove the default and pass the value from a pipeline parameter",
                    );
                }
            }
            if let Implementation::Container(c) = &spec.implementation {
                let literal_braces = c
                    .command
                    .iter()
                    .chain(&c.args)
                    .flat_map(|a| &a.0)
                    .any(|piece| matches!(piece, crate::ir::Piece::Literal(s) if braces(s)));
                if literal_braces {
                    self.error(
                        Code::BadValue,
                        None,
                        format!("the command of container component `{name}` contains `{{{{`, which Argo would substitute"),
                        "read the value from an input parameter (`Param<T>`) instead of writing it into the command",
                    );
                }
            }
        }
        for (i, task) in p.tasks.iter().enumerate() {
            for (input, argument) in &task.arguments {
                if let Argument::Constant(text) = argument
                    && braces(text)
                {
                    self.error(
                        Code::BadValue,
                        Some(TaskId(i as u32)),
                        format!("the constant passed to input `{input}` of task `{}` contains `{{{{`, which Argo would substitute", task.name),
                        "pass this value as a pipeline parameter at submit time (`-p name=value`), or in an artifact",
                    );
                }
            }
        }
    }

    /// A0009: native components need an image.
    fn image(&mut self) {
        let p = self.p;
        let native = p.tasks.iter().find(|t| {
            p.components
                .get(&t.component)
                .is_some_and(|c| c.implementation == Implementation::Native)
        });
        match (&p.image, native) {
            (None, Some(task)) => {
                let id = TaskId(
                    p.tasks
                        .iter()
                        .position(|t| std::ptr::eq(t, task))
                        .unwrap_or(0) as u32,
                );
                self.error(
                    Code::NoImage,
                    Some(id),
                    format!("task `{}` runs native component `{}`, but pipeline `{}` names no image", task.name, task.component, p.name),
                    "set #[pipeline(image = \"registry/name:tag\")] or pass `--image registry/name:tag`",
                );
            }
            (Some(image), Some(_)) if image.trim().is_empty() => {
                self.error(
                    Code::NoImage,
                    None,
                    format!("pipeline `{}` names an empty image", p.name),
                    "set a real image reference",
                );
            }
            _ => {}
        }
        let mut images: Vec<&str> = p
            .image
            .as_deref()
            .filter(|_| native.is_some())
            .into_iter()
            .collect();
        images.extend(
            p.components
                .values()
                .filter_map(|c| match &c.implementation {
                    Implementation::Container(c) => Some(c.image.as_str()),
                    Implementation::Native => None,
                }),
        );
        for image in images {
            let last = image.rsplit('/').next().unwrap_or(image);
            let untagged = !last.contains(':') && !image.contains('@');
            if untagged || image.ends_with(":latest") {
                self.warning(
                    Code::MutableImage,
                    format!("image `{image}` has no fixed tag, so reruns may run different code"),
                    "pin a version tag (`name:1.2.3`) or a digest (`name@sha256:…`)",
                );
            }
        }
    }

    /// A0001: the dependency graph must be acyclic. Returns each task's dependencies.
    fn cycles(&mut self) -> Vec<Vec<TaskId>> {
        let p = self.p;
        let mut deps: Vec<Vec<TaskId>> = Vec::with_capacity(p.tasks.len());
        for task in &p.tasks {
            let mut d: Vec<TaskId> = task
                .arguments
                .values()
                .filter_map(Argument::task)
                .chain(&task.after)
                .filter_map(|r| match r {
                    TaskRef::Local(t) if t.index() < p.tasks.len() => Some(*t),
                    _ => None,
                })
                .collect();
            d.sort_unstable();
            d.dedup();
            deps.push(d);
        }
        let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(p.tasks.len(), p.tasks.len());
        let nodes: Vec<NodeIndex> = (0..p.tasks.len()).map(|_| graph.add_node(())).collect();
        for (i, d) in deps.iter().enumerate() {
            for from in d {
                graph.add_edge(nodes[from.index()], nodes[i], ());
            }
        }
        let mut sccs: Vec<Vec<usize>> = petgraph::algo::tarjan_scc(&graph)
            .into_iter()
            .map(|scc| {
                let mut v: Vec<usize> = scc.into_iter().map(|n| n.index()).collect();
                v.sort_unstable();
                v
            })
            .filter(|scc| scc.len() > 1 || deps[scc[0]].contains(&TaskId(scc[0] as u32)))
            .collect();
        sccs.sort();
        for scc in sccs {
            let path = cycle_path(&deps, &scc);
            let names: Vec<&str> = path.iter().map(|&i| p.tasks[i].name.as_str()).collect();
            let members = list(scc.iter().map(|&i| &p.tasks[i].name));
            self.error(
                Code::Cycle,
                Some(TaskId(scc[0] as u32)),
                format!(
                    "tasks {members} depend on each other in a cycle: {} → {}",
                    names.join(" → "),
                    names[0]
                ),
                "remove one of these dependencies (an argument or an `.after(…)` call)",
            );
        }
        deps
    }
}

/// One concrete cycle through the first member of an SCC, following dependency edges.
fn cycle_path(deps: &[Vec<TaskId>], scc: &[usize]) -> Vec<usize> {
    let start = scc[0];
    // Depth-first search restricted to the component; an SCC guarantees a way back to start.
    let mut stack = vec![(start, 0usize)];
    let mut on_path = vec![start];
    let mut visited = std::collections::BTreeSet::from([start]);
    while let Some((node, next)) = stack.last_mut() {
        let succ: Vec<usize> = deps[*node]
            .iter()
            .map(|t| t.index())
            .filter(|i| scc.binary_search(i).is_ok())
            .collect();
        if *next >= succ.len() {
            stack.pop();
            on_path.pop();
            continue;
        }
        let candidate = succ[*next];
        *next += 1;
        if candidate == start {
            // Edges point from a task to what it depends on; reverse to read in run order.
            let mut path = on_path.clone();
            path.reverse();
            path.rotate_right(1);
            return path;
        }
        if visited.insert(candidate) {
            stack.push((candidate, 0));
            on_path.push(candidate);
        }
    }
    scc.to_vec()
}

fn describe(kind: &IoKind) -> String {
    match kind {
        IoKind::Parameter { rust_type } if rust_type.is_empty() => "a parameter".to_owned(),
        IoKind::Parameter { rust_type } => format!("a `{rust_type}` parameter"),
        IoKind::Artifact { kind } => format!("a `{kind}` artifact"),
    }
}

fn list<'a>(items: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<String> = items.map(|s| format!("`{s}`")).collect();
    if v.is_empty() {
        "(none)".to_owned()
    } else {
        v.join(", ")
    }
}
