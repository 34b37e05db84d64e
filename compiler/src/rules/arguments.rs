//! Arguments and references: every input bound, every reference real, every kind right
//! (A0002, A0003, A0007, A0011, A0020).

use super::{Checker, list};
use crate::diagnostics::Code;
use crate::ir::{
    Argument, ComponentSpec, FormatPart, Implementation, IoKind, Piece, TaskId, TaskRef,
};

impl Checker<'_> {
    /// A0002, A0003, A0007, A0011: every argument fits its input and refers to something real.
    pub(crate) fn arguments(&mut self) {
        let p = self.p;
        for (i, task) in p.tasks.iter().enumerate() {
            let id = TaskId(i as u32);
            let Some(spec) = p.components.get(&task.component) else {
                self.report(
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
                if crate::ir::is_setting_input(input) {
                    self.setting_argument(id, spec, input, argument);
                    continue;
                }
                let Some(input_spec) = spec.input(input) else {
                    self.report(
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
                if input.default.is_none()
                    && !input.optional
                    && !task.arguments.contains_key(&input.name)
                {
                    self.report(
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
            let ordering = task.depends.as_ref().map(|d| d.tasks()).unwrap_or_default();
            for after in ordering {
                if let TaskRef::Foreign {
                    pipeline,
                    task: other,
                } = after
                {
                    self.report(
                        Code::ForeignTask,
                        Some(id),
                        format!("task `{}` runs `.after` {other} of pipeline `{pipeline}`", task.name),
                        "create the task inside this pipeline's function (call a shared helper from both)",
                    );
                }
            }
        }
    }

    /// A0042 for a setting's value Argo cannot paste into text; the value's reference is then
    /// checked as any parameter input's is.
    fn setting_argument(
        &mut self,
        id: TaskId,
        spec: &ComponentSpec,
        input: &str,
        argument: &Argument,
    ) {
        let what = match argument {
            Argument::Constant(_)
            | Argument::PipelineParam(_)
            | Argument::TaskOutput { .. }
            | Argument::LoopItem { .. } => None,
            Argument::Run(_) => Some("a value about the run"),
            Argument::OneOf(_) => Some("the output of whichever branch ran"),
            Argument::Collected { .. } => Some("a loop's collected outputs"),
            Argument::Format(_) => Some("a formatted string"),
            Argument::External { .. } => Some("an artifact"),
        };
        if let Some(what) = what {
            let task = &self.p.tasks[id.index()].name;
            self.report(
                Code::SettingValue,
                Some(id),
                format!("a setting of task `{task}` takes {what} (as `{input}`), which Argo cannot paste into the setting's text"),
                "give the setting a pipeline parameter, a task's output parameter, a loop item or text",
            );
            return;
        }
        let text = IoKind::Parameter {
            rust_type: "String".to_owned(),
            schema: crate::schema::TypeSchema::Any,
        };
        self.argument(id, spec, &text, input, argument);
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
            Argument::Format(parts) => {
                self.format(id, spec, input, parts);
                IoKind::Parameter {
                    rust_type: String::new(),
                    schema: crate::schema::TypeSchema::Any,
                }
            }
            Argument::External { kind, source } => {
                let problem = match source {
                    crate::ir::ExternalSource::HttpFromParam { param } => {
                        super::artifacts::url_param_problem(p, task.region, param)
                    }
                    _ => super::artifacts::external_problem(source),
                };
                if let Some((message, help)) = problem {
                    self.report(
                        Code::InvalidExternalArtifact,
                        Some(id),
                        format!("input `{input}` of task `{}`: {message}", task.name),
                        help,
                    );
                    return;
                }
                IoKind::Artifact { kind: kind.clone() }
            }
            Argument::Constant(_)
            | Argument::Run(_)
            | Argument::OneOf(_)
            | Argument::LoopItem { .. }
            | Argument::Collected {
                task: TaskRef::Foreign { .. },
                ..
            } => IoKind::Parameter {
                rust_type: String::new(),
                schema: crate::schema::TypeSchema::Any,
            },
            Argument::PipelineParam(name) => {
                if let crate::ir::ParamSource::Missing =
                    crate::ir::param_source(p, task.region, name)
                {
                    self.report(
                        Code::UnknownReference,
                        Some(id),
                        format!("input `{input}` of task `{}` reads pipeline parameter `{name}`, which does not exist", task.name),
                        format!("the pipeline's parameters are: {}", list(crate::ir::param_names(p, task.region).into_iter())),
                    );
                    return;
                }
                // Inside a sub-pipeline call, an artifact input binds a task's artifact.
                match crate::ir::param_origin(p, task.region, name) {
                    crate::ir::ParamOrigin::Bound(Argument::TaskOutput {
                        task: TaskRef::Local(from),
                        output,
                    }) => match p
                        .tasks
                        .get(from.index())
                        .and_then(|t| p.components.get(&t.component))
                        .and_then(|c| c.output(output))
                    {
                        Some(out) => out.kind.clone(),
                        None => return,
                    },
                    _ => IoKind::Parameter {
                        rust_type: String::new(),
                        schema: crate::schema::TypeSchema::Any,
                    },
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
                self.report(
                    Code::ForeignTask,
                    Some(id),
                    format!("input `{input}` of task `{}` reads an output of {other} of pipeline `{pipeline}`", task.name),
                    "create the producing task inside this pipeline's function (call a shared helper from both)",
                );
                return;
            }
            Argument::Collected {
                task: TaskRef::Local(from),
                output,
            } => {
                let out = p.tasks.get(from.index()).and_then(|producer| {
                    p.components
                        .get(&producer.component)
                        .and_then(|c| c.output(output))
                });
                match out.map(|o| &o.kind) {
                    Some(kind @ IoKind::Parameter { .. }) => kind.clone(),
                    // Every iteration's artifact: a collection of the output's kind.
                    Some(IoKind::Artifact { kind }) => IoKind::Artifact {
                        kind: crate::ir::collection_kind(kind),
                    },
                    None => {
                        self.report(
                            Code::UnknownReference,
                            Some(id),
                            format!("input `{input}` of task `{}` collects output `{output}` of a task that has no such output", task.name),
                            "collect one of the producing component's outputs",
                        );
                        return;
                    }
                }
            }
            Argument::TaskOutput {
                task: TaskRef::Local(from),
                output,
            } => {
                let Some(producer) = p.tasks.get(from.index()) else {
                    self.report(
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
                    self.report(
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
            // A collection feeds only a collection of its kind (or of `Artifact`); a single
            // artifact never feeds a collection.
            (IoKind::Artifact { kind: want }, IoKind::Artifact { kind: have }) => {
                match (
                    crate::ir::collection_element(want),
                    crate::ir::collection_element(have),
                ) {
                    (Some(want), Some(have)) => want == have || want == "Artifact",
                    (None, None) => want == have || want == "Artifact",
                    _ => false,
                }
            }
            _ => false,
        };
        if !fits {
            self.report(
                Code::BadArgument,
                Some(id),
                format!("input `{input}` of task `{}` (component `{}`) expects {}, but receives {}", task.name, spec.name, describe(expected), describe(&found)),
                "pass parameters to parameter inputs and artifacts of the same kind to artifact inputs",
            );
        }
    }

    /// A0036: a formatted string feeds a native component (which assembles it), and each of
    /// its values is a pipeline parameter or an output parameter of a task of this pipeline.
    fn format(&mut self, id: TaskId, spec: &ComponentSpec, input: &str, parts: &[FormatPart]) {
        let p = self.p;
        let task = &p.tasks[id.index()];
        if spec.implementation != Implementation::Native {
            self.report(
                Code::FormatInput,
                Some(id),
                format!(
                    "input `{input}` of task `{}` receives a formatted string, but `{}` is a container component, which would receive its pieces rather than the string",
                    task.name, spec.name
                ),
                "build the text in the container's command with `concat((\"text\", value))`, or read the value in a native component",
            );
        }
        for part in parts {
            let problem = match part {
                FormatPart::Text(_) => None,
                FormatPart::PipelineParam { name, .. } => matches!(
                    crate::ir::param_source(p, task.region, name),
                    crate::ir::ParamSource::Missing
                )
                .then(|| format!("pipeline parameter `{name}`, which does not exist")),
                FormatPart::TaskOutput {
                    task:
                        TaskRef::Foreign {
                            pipeline,
                            task: other,
                        },
                    ..
                } => Some(format!("{other} of pipeline `{pipeline}`")),
                FormatPart::TaskOutput {
                    task: TaskRef::Local(from),
                    output,
                    ..
                } => match p.tasks.get(from.index()) {
                    None => Some(format!("task #{}, which does not exist", from.0)),
                    Some(producer) => {
                        let out = p
                            .components
                            .get(&producer.component)
                            .and_then(|c| c.output(output));
                        match out {
                            Some(o) if !o.kind.is_artifact() => None,
                            Some(_) => Some(format!(
                                "output `{output}` of task `{}`, an artifact (a file, not a value)",
                                producer.name
                            )),
                            None => Some(format!(
                                "output `{output}` of task `{}`, which has no such output",
                                producer.name
                            )),
                        }
                    }
                },
            };
            if let Some(problem) = problem {
                self.report(
                    Code::FormatInput,
                    Some(id),
                    format!("the formatted string passed to input `{input}` of task `{}` reads {problem}", task.name),
                    "put only pipeline parameters, output parameters of tasks of this pipeline and constants into `format_arg!`",
                );
            }
        }
    }

    /// A0011: a container component's placeholders name inputs and outputs it has, of the
    /// right kind (Argo would refuse the unresolved `{{…}}`).
    pub(crate) fn placeholders(&mut self) {
        for (name, spec) in &self.p.components {
            let Implementation::Container(c) = &spec.implementation else {
                continue;
            };
            for piece in c.command.iter().chain(&c.args).flat_map(|a| &a.0) {
                let (what, io, ok) = match piece {
                    Piece::Literal(_) => continue,
                    Piece::InputValue(n) => (
                        "input parameter",
                        n,
                        spec.input(n).is_some_and(|i| !i.kind.is_artifact()),
                    ),
                    Piece::InputPath(n) => (
                        "input artifact",
                        n,
                        spec.input(n).is_some_and(|i| i.kind.is_artifact()),
                    ),
                    Piece::OutputPath(n) => (
                        "output artifact",
                        n,
                        spec.output(n).is_some_and(|o| o.kind.is_artifact()),
                    ),
                    Piece::OutputParamPath(n) => (
                        "output parameter",
                        n,
                        spec.output(n).is_some_and(|o| !o.kind.is_artifact()),
                    ),
                };
                if !ok {
                    self.report(
                        Code::UnknownReference,
                        None,
                        format!("the command of container component `{name}` uses {what} `{io}`, which the component does not have"),
                        "use only the component's own inputs and outputs in its command",
                    );
                }
            }
        }
    }

    /// A0020: a pipeline parameter without a default makes `kubectl create` fail.
    pub(crate) fn required_params(&mut self) {
        for param in &self.p.params {
            if param.default.is_none() {
                self.report(
                    Code::RequiredParam,
                    None,
                    format!("pipeline parameter `{}` has no default, so Argo refuses the manifest unless a value is passed at submit time", param.name),
                    format!("give it a default with #[default(…)], or always submit with `-p {}=…`", param.name),
                );
            }
        }
    }
}

fn describe(kind: &IoKind) -> String {
    match kind {
        IoKind::Parameter { rust_type, .. } if rust_type.is_empty() => "a parameter".to_owned(),
        IoKind::Parameter { rust_type, .. } => format!("a `{rust_type}` parameter"),
        IoKind::Artifact { kind } => format!("a `{kind}` artifact"),
    }
}
