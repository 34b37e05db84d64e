//! Names: valid for Argo and Kubernetes, unique, and unique once mangled (A0004, A0005,
//! A0008, A0016).

use indexmap::IndexMap;

use super::Checker;
use crate::diagnostics::Code;
use crate::ir::{Task, TaskConfig, TaskId};
use crate::namer::{self, ObjectKind};

/// Names resolved by the namer during validation.
#[derive(Clone, Debug)]
pub struct Names {
    /// The workflow name prefix (`generateName` without the trailing `-`).
    pub workflow: String,
    /// The name of the DAG template (the entrypoint).
    pub dag_template: String,
    /// The name of each component's template when a task adds no settings, by component
    /// name.
    pub component_templates: IndexMap<String, String>,
    /// Every template a task runs: one per distinct (component, merged settings), in
    /// component order, then in the order tasks first use it.
    pub templates: Vec<TemplateDef>,
    /// For each task, the index of its template in [`Names::templates`].
    pub task_templates: Vec<u32>,
    /// The name of the exit handler's DAG template (`spec.onExit`), when there is one.
    pub exit_template: Option<String>,
    /// For each region that is a conditional branch: the name of the DAG task that calls it
    /// in its parent's DAG (`condition-1`, …) and of its DAG template; `None` for the others.
    pub branches: Vec<Option<BranchNames>>,
    /// For each region that is a hook: the name of its DAG template; `None` for the others.
    pub hooks: Vec<Option<String>>,
    /// The DAG template of each called pipeline, by pipeline name, in the order first called.
    pub call_templates: IndexMap<String, String>,
}

/// The names of a conditional branch in the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BranchNames {
    /// The DAG task that calls the branch, in its parent's DAG.
    pub task: String,
    /// The branch's DAG template (a loop's: the template that runs every iteration).
    pub template: String,
    /// A loop's body: the DAG template run once per item. `None` for a branch.
    #[doc(hidden)]
    pub body: Option<String>,
}

/// One container template: a component with the settings its tasks share.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateDef {
    /// The template's name.
    pub name: String,
    /// The component it runs (a key of [`crate::ir::Pipeline::components`]).
    pub component: String,
    /// The merged settings (task over component over pipeline defaults); default for the
    /// component's plain template.
    pub config: TaskConfig,
    /// What the settings' `edit_template` closures made of the generated template, when
    /// there are any (run once, here, for every backend).
    pub edited: Option<crate::protocol::template::Edited>,
}

impl TemplateDef {
    /// The settings as the template's edits leave them
    /// ([`crate::protocol::template::effective`]): what the local runner honours.
    pub fn effective_config(&self) -> &TaskConfig {
        self.edited.as_ref().map_or(&self.config, |e| &e.effective)
    }
}

impl Names {
    /// The template task `task` runs.
    pub fn template_of(&self, task: TaskId) -> &TemplateDef {
        &self.templates[self.task_templates[task.index()] as usize]
    }
}

impl Checker<'_> {
    /// A0004, A0005, A0008: every name is valid, unique, and unique after mangling. Returns the
    /// names every backend uses.
    pub(crate) fn names(&mut self) -> Names {
        let p = self.p;
        let workflow = ObjectKind::Workflow.generate_name_prefix_for(&p.name);
        for param in &p.params {
            if !namer::is_io_name(&param.name) {
                self.report(
                    Code::InvalidName,
                    None,
                    format!(
                        "pipeline parameter `{}` has an invalid name",
                        param.name.escape_debug()
                    ),
                    "parameter names may use only letters, digits, `-` and `_`",
                );
            }
        }
        for (name, spec) in &p.components {
            if name.is_empty() || name.chars().any(char::is_control) {
                self.report(
                    Code::InvalidName,
                    None,
                    format!("component name {name:?} is empty or contains control characters"),
                    "name the component with letters, digits, `-` and `_` (#[component(name = \"…\")])",
                );
            }
            for io in spec
                .inputs
                .iter()
                .map(|i| &i.name)
                .chain(spec.outputs.iter().map(|o| &o.name))
            {
                if !namer::is_io_name(io) {
                    self.report(
                        Code::InvalidName,
                        None,
                        format!(
                            "component `{}` has an input or output with an invalid name `{}`",
                            name.escape_debug(),
                            io.escape_debug()
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
                self.report(
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
            let local = crate::ir::local_name(&task.name);
            // Inside a sub-pipeline call, the name is qualified by the calls around the task.
            let qualified = task.region.index() >= p.regions.len()
                || task.name.len() - local.len() == 0
                    && crate::ir::enclosing_call(&p.regions, task.region).is_none()
                || task.name[..task.name.len() - local.len()]
                    == crate::ir::call_prefix(&p.regions, task.region);
            if !namer::is_task_name(local) || !qualified {
                // What the name becomes when argot makes it (as for component names).
                let suggestion = namer::task_stem(local);
                let help = if namer::is_task_name(&suggestion) && !suggestion.is_empty() {
                    format!(
                        "write `.name(\"{suggestion}\")`: a letter first, then letters, digits and `-`, at most 128 characters"
                    )
                } else {
                    "use a letter first, then letters, digits and `-`, at most 128 characters"
                        .to_owned()
                };
                self.report(
                    Code::InvalidName,
                    Some(id),
                    format!(
                        "task name `{}` is not valid for Argo",
                        task.name.escape_debug()
                    ),
                    help,
                );
            }
            let Some(&first) = seen.get(task.name.as_str()) else {
                seen.insert(&task.name, id);
                continue;
            };
            let earlier = &p.tasks[first.index()];
            if earlier.named_by_user && task.named_by_user {
                let at = earlier
                    .location
                    .as_ref()
                    .map(|l| format!(" (first at {l})"))
                    .unwrap_or_default();
                self.report(
                    Code::DuplicateTask,
                    Some(id),
                    format!("two tasks are named `{}`{at}", task.name),
                    "give one of them another name with `.name(\"…\")`",
                );
            } else {
                let (a, b) = (origin(earlier), origin(task));
                self.report(
                    Code::NameCollision,
                    Some(id),
                    format!("two tasks are named `{}`: {a}, and {b}", task.name),
                    "name one of them with `.name(\"…\")` so the generated names cannot meet it",
                );
            }
        }
        // A call is a DAG task beside the tasks of the region it is written in.
        for region in &p.regions {
            let crate::ir::RegionKind::Call { name, .. } = &region.kind else {
                continue;
            };
            let Some(parent) = region.parent else {
                continue;
            };
            if parent.index() >= p.regions.len() {
                continue;
            }
            let qualified = format!("{}{name}", crate::ir::call_prefix(&p.regions, parent));
            if let Some(&t) = seen.get(qualified.as_str()) {
                self.report(
                    Code::NameCollision,
                    Some(t),
                    format!("task `{qualified}` has the name of the sub-pipeline call beside it"),
                    "name the task another way with `.name(\"…\")`",
                );
            }
        }
        Names {
            workflow,
            dag_template,
            component_templates: templates,
            templates: Vec::new(),
            task_templates: Vec::new(),
            exit_template: None,
            branches: Vec::new(),
            hooks: Vec::new(),
            call_templates: IndexMap::new(),
        }
    }

    /// A0016: the inputs of a component have distinct names, and so do its outputs; so do the
    /// pipeline's own parameters, which become `spec.arguments.parameters` (Argo's
    /// `validateWorkflowFieldNames` refuses a repeated name there too). Rust forbids two
    /// arguments of one function with the same name, so only a hand-built IR can break this.
    pub(crate) fn io_names(&mut self) {
        for dup in repeated(self.p.params.iter().map(|p| &p.name)) {
            self.report(
                Code::DuplicateIoName,
                None,
                format!(
                    "pipeline `{}` has two parameters named `{dup}`",
                    self.p.name
                ),
                "rename one of the pipeline's parameters",
            );
        }
        for (name, spec) in &self.p.components {
            for (what, names) in [
                (
                    "inputs",
                    spec.inputs.iter().map(|i| &i.name).collect::<Vec<_>>(),
                ),
                ("outputs", spec.outputs.iter().map(|o| &o.name).collect()),
            ] {
                for dup in repeated(names) {
                    self.report(
                        Code::DuplicateIoName,
                        None,
                        format!("component `{name}` has two {what} named `{dup}`"),
                        format!("rename one of the {what} of `{name}`"),
                    );
                }
            }
        }
    }
}

/// The names that occur more than once, each once, sorted.
fn repeated<'a>(names: impl IntoIterator<Item = &'a String>) -> Vec<&'a String> {
    let mut sorted: Vec<&String> = names.into_iter().collect();
    sorted.sort();
    let mut dups: Vec<&String> = sorted
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect();
    dups.dedup();
    dups
}

/// Where a task's name came from, for collision messages.
fn origin(task: &Task) -> String {
    let at = task
        .location
        .as_ref()
        .map(|l| format!(" at {l}"))
        .unwrap_or_default();
    if task.named_by_user {
        format!("one named with `.name(…)`{at}")
    } else {
        format!(
            "one generated for a call of component `{}`{at}",
            task.component
        )
    }
}
