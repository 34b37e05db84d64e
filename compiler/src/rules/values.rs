//! Values on their way to the container: nothing Argo or the kubelet would rewrite, nothing a
//! process cannot receive, nothing too large (A0010, A0014, A0015).
//!
//! Values the DSL encodes are escaped ([`crate::value`]) and reach native components in files,
//! so a constant or default containing `{{workflow.uid}}`, `$(HOME)`, `$$`, a newline or a NUL,
//! or over 128 KiB, is accepted there. What is still checked: the size bound on every value
//! (A0014), `{{` in a value that was not encoded by argot (an IR built by hand), and what a
//! container component's command line cannot carry.

use std::collections::BTreeSet;

use super::syntax::MAX_ARG_STRLEN;
use super::{Checker, excerpt, size_phrase, thousands};
use crate::diagnostics::Code;
use crate::ir::{Argument, Implementation, TaskId};
use crate::protocol::argv::{self, ArgPiece};

/// Where a value comes from, for messages and help lines.
enum Source<'a> {
    PipelineDefault { param: &'a str },
    ComponentDefault { component: &'a str, input: &'a str },
    Constant { task: TaskId, input: &'a str },
}

impl Checker<'_> {
    /// A0010, A0014, A0015: every constant and default, and every argv element whose parts
    /// are all known, reaches the container unchanged and within Linux's limits.
    pub(crate) fn values(&mut self) {
        let p = self.p;
        let on_command_line: Vec<(&str, Vec<&str>)> = p
            .components
            .iter()
            .map(|(name, spec)| (name.as_str(), argv::inputs_on_command_line(spec)))
            .collect();
        let reaches = |component: &str, input: &str| {
            on_command_line
                .iter()
                .find(|(c, _)| *c == component)
                .is_some_and(|(_, inputs)| inputs.contains(&input))
        };
        let mut params_on_command_line = BTreeSet::new();
        for task in &p.tasks {
            for (input, argument) in &task.arguments {
                if let Argument::PipelineParam(name) = argument
                    && crate::ir::enclosing_call(&p.regions, task.region).is_none()
                    && reaches(&task.component, input)
                {
                    params_on_command_line.insert(name.as_str());
                }
            }
        }

        for param in &p.params {
            if let Some(value) = &param.default {
                let on_cl = params_on_command_line.contains(param.name.as_str());
                self.value(Source::PipelineDefault { param: &param.name }, value, on_cl);
            }
        }
        for (name, spec) in &p.components {
            for input in &spec.inputs {
                if let Some(value) = &input.default {
                    let source = Source::ComponentDefault {
                        component: name,
                        input: &input.name,
                    };
                    self.value(source, value, reaches(name, &input.name));
                }
            }
        }
        for (i, task) in p.tasks.iter().enumerate() {
            for (input, argument) in &task.arguments {
                if let Argument::Constant(value) = argument {
                    let source = Source::Constant {
                        task: TaskId(i as u32),
                        input,
                    };
                    self.value(source, value, reaches(&task.component, input));
                }
            }
        }
        self.command_text();
        self.whole_arguments();
    }

    /// One constant or default, in wire form. Values argot encodes ([`crate::value::encode`])
    /// never contain `{`, `$` or a raw control character, so only a value written into the IR
    /// by other means can trip the `{{`, `$` and control-character checks (NUL included: Argo
    /// cannot even insert it, so it never reaches a command line). A native component reads its values
    /// from files, so only a container component's placeholders put a value in argv, where the
    /// kubelet and Linux's per-argument limit apply.
    fn value(&mut self, source: Source<'_>, value: &str, on_command_line: bool) {
        let (what, task, help_braces) = match &source {
            Source::PipelineDefault { param } => (
                format!("the default of pipeline parameter `{param}`"),
                None,
                "write the default in the DSL (`#[default(…)]`) or pass it at submit time (`-p name=value`): argot escapes the values it encodes and submits",
            ),
            Source::ComponentDefault { component, input } => (
                format!("the default of input `{input}` of component `{component}`"),
                None,
                "write the default in the DSL (`#[default(…)]`): argot escapes the values it encodes",
            ),
            Source::Constant { task, input } => (
                format!(
                    "the constant passed to input `{input}` of task `{}`",
                    self.p.tasks[task.index()].name
                ),
                Some(*task),
                "bind the value in the DSL (a constant, or a pipeline parameter set with `-p name=value`): argot escapes the values it encodes and submits",
            ),
        };
        let bound = self.limits.max_param_bytes;
        if value.len() > bound {
            self.report(
                Code::ParamTooLarge,
                task,
                format!(
                    "{what} is {}, over the bound for parameter values ({})",
                    size_phrase(value.len()),
                    size_phrase(bound)
                ),
                "write it to a file and pass it as an artifact (`Input<Dataset>`), or raise the bound with `--max-param-bytes`",
            );
            return;
        }
        if value.contains("{{") {
            self.report(
                Code::BadValue,
                task,
                format!("{what} contains `{{{{`, which Argo would substitute (argot's wire form never does: the value was not encoded by `argot::value::encode`)"),
                help_braces,
            );
        }
        if !crate::value::argo_can_insert(value) {
            self.report(
                Code::BadValue,
                task,
                format!("{what} contains a control character Argo's substitution cannot insert into a template (Go's `strconv.Quote` writes it as `\\x…`, which is not JSON), so the workflow would fail"),
                "encode the value with `argot::value::encode` (it escapes control characters); the DSL does",
            );
        }
        if !on_command_line {
            return;
        }
        if !argv::value_survives(value) {
            self.report(
                Code::BadValue,
                task,
                format!(
                    "{what} ({}) contains `$$` or `$(NAME)`, which the kubelet rewrites in a container's arguments",
                    excerpt(value)
                ),
                "encode the value with `argot::value::encode` (it escapes `$`), or pass it to a native component, which reads values from files",
            );
        }
        if value.len() >= MAX_ARG_STRLEN {
            self.report(
                Code::ArgvTooLong,
                task,
                format!(
                    "{what} is {} bytes, but Linux accepts at most {} bytes in one command-line argument of a container component",
                    thousands(value.len()),
                    thousands(MAX_ARG_STRLEN - 1)
                ),
                "pass it to a native component (values reach it in files), or write it to a file and pass it as an artifact (`Input<Dataset>`)",
            );
        }
    }

    /// A0010, A0015: text argot writes into a command line (container literals, a native
    /// component's name, the binary path) contains no `{{` and no NUL, and fits in an argument.
    fn command_text(&mut self) {
        let p = self.p;
        for (name, spec) in &p.components {
            if matches!(spec.implementation, Implementation::Resource(_)) {
                continue;
            }
            let elements = argv::argv(spec, &p.binary_path);
            let runs: Vec<String> = elements
                .iter()
                .flat_map(|element| {
                    element
                        .split(|piece| matches!(piece, ArgPiece::Value(_)))
                        .map(|run| {
                            run.iter()
                                .map(|piece| match piece {
                                    ArgPiece::Text(t) => t.as_ref(),
                                    ArgPiece::Value(_) => "",
                                })
                                .collect::<String>()
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            let too_long = elements.iter().any(|element| {
                let text: usize = element
                    .iter()
                    .map(|piece| match piece {
                        ArgPiece::Text(t) => t.len(),
                        ArgPiece::Value(_) => 0,
                    })
                    .sum();
                text >= MAX_ARG_STRLEN
            });
            let braces = runs.iter().any(|r| r.contains("{{"));
            let nul = runs.iter().any(|r| r.contains('\0'));
            let (subject, help) = match spec.implementation {
                Implementation::Resource(_) => unreachable!("resource steps have no command"),
                Implementation::Container(_) => (
                    format!("the command of container component `{name}`"),
                    "bind the text to an input parameter (`Param<T>`, a constant or `-p`) instead of writing it into the command: argot escapes values (the image receives the wire form, a JSON string literal when the text has `{`, `}` or `$`)",
                ),
                Implementation::Native => (
                    format!(
                        "the command line of native component `{}` (its name or the binary path `{}`)",
                        name.escape_debug(),
                        p.binary_path.escape_debug()
                    ),
                    "rename the component, or fix the binary path (`--binary-path`)",
                ),
            };
            if braces {
                self.report(
                    Code::BadValue,
                    None,
                    format!("{subject} contains `{{{{`, which Argo would substitute"),
                    help,
                );
            }
            if nul {
                self.report(
                    Code::BadValue,
                    None,
                    format!(
                        "{subject} contains a NUL character, which cannot be passed to a process"
                    ),
                    help,
                );
            }
            if too_long {
                self.report(
                    Code::ArgvTooLong,
                    None,
                    format!(
                        "{subject} has an argument longer than the {} bytes Linux accepts in one command-line argument",
                        thousands(MAX_ARG_STRLEN - 1)
                    ),
                    "put long text in a file the image contains, or in an artifact",
                );
            }
        }
    }

    /// A0010, A0015 on whole arguments of container components that mix text and values: once
    /// the values are inserted, the argument must still be what was written, and short enough.
    /// Arguments with a value known only at run time (a task output) are not checked.
    fn whole_arguments(&mut self) {
        let p = self.p;
        for (i, task) in p.tasks.iter().enumerate() {
            let id = TaskId(i as u32);
            let Some(spec) = p.components.get(&task.component) else {
                continue;
            };
            if spec.implementation == Implementation::Native {
                continue;
            }
            let known = |input: &str| -> Option<&str> {
                match task.arguments.get(input) {
                    Some(Argument::Constant(v)) => Some(v),
                    // Inside calls, what the calls around bind to it (nested ones followed).
                    Some(Argument::PipelineParam(name)) => {
                        match crate::ir::param_origin(p, task.region, name) {
                            crate::ir::ParamOrigin::Run(run) => p
                                .params
                                .iter()
                                .find(|q| q.name == run)
                                .and_then(|q| q.default.as_deref()),
                            crate::ir::ParamOrigin::Bound(Argument::Constant(v)) => Some(v),
                            _ => None,
                        }
                    }
                    Some(
                        Argument::TaskOutput { .. }
                        | Argument::Run(_)
                        | Argument::OneOf(_)
                        | Argument::LoopItem { .. }
                        | Argument::Collected { .. }
                        | Argument::Format(_)
                        | Argument::External { .. },
                    ) => None,
                    None => spec.input(input).and_then(|i| i.default.as_deref()),
                }
            };
            for (n, element) in argv::argv(spec, &p.binary_path).iter().enumerate() {
                let values = element
                    .iter()
                    .filter(|p| matches!(p, ArgPiece::Value(_)))
                    .count();
                if values == 0 || element.len() < 2 {
                    continue;
                }
                // Whatever the value, `{` then `{{inputs.parameters.x}}` is `{{{…`, a tag
                // Argo's template scanner opens one brace early (`{inputs…` is no variable).
                let brace_before_value = element.windows(2).any(|pair| {
                    matches!(pair, [ArgPiece::Text(t), ArgPiece::Value(_)] if t.ends_with('{'))
                });
                if brace_before_value {
                    self.report(
                        Code::BadValue,
                        Some(id),
                        format!(
                            "argument {} of the command of task `{}` (component `{}`) has a `{{` right before a value, which Argo would read as part of the placeholder (`{{{{{{…`)",
                            n + 1,
                            task.name,
                            spec.name
                        ),
                        "put another character between the `{` and the value, or pass the value as an argument of its own",
                    );
                    continue;
                }
                let mut intended = String::new();
                let mut emitted = String::new();
                let mut complete = true;
                for piece in element {
                    match piece {
                        ArgPiece::Text(t) => {
                            intended.push_str(t);
                            emitted.push_str(&argv::escape(t));
                        }
                        ArgPiece::Value(name) => match known(name) {
                            Some(v) => {
                                intended.push_str(v);
                                emitted.push_str(v);
                            }
                            None => complete = false,
                        },
                    }
                }
                if !complete {
                    continue;
                }
                let pieces_ok = element.iter().all(|piece| match piece {
                    ArgPiece::Text(t) => !t.contains("{{"),
                    ArgPiece::Value(name) => known(name).is_some_and(|v| {
                        !v.contains("{{") && argv::value_survives(v) && v.len() < MAX_ARG_STRLEN
                    }),
                });
                if !pieces_ok {
                    // Already reported where the piece comes from.
                    continue;
                }
                let what = format!(
                    "argument {} of the command of task `{}` (component `{}`)",
                    n + 1,
                    task.name,
                    spec.name
                );
                if intended.contains("{{") {
                    self.report(
                        Code::BadValue,
                        Some(id),
                        format!("{what} contains `{{{{` once its values are inserted, which Argo would substitute"),
                        "separate the text and the value into two arguments, or change one of them",
                    );
                }
                if !argv::survives_expansion(&emitted, &intended) {
                    self.report(
                        Code::BadValue,
                        Some(id),
                        format!("{what} forms `$$` or `$(NAME)` once its values are inserted, which the kubelet would rewrite"),
                        "separate the text and the value into two arguments, or change one of them",
                    );
                }
                if intended.len() >= MAX_ARG_STRLEN {
                    self.report(
                        Code::ArgvTooLong,
                        Some(id),
                        format!(
                            "{what} is {} bytes once its values are inserted, but Linux accepts at most {} bytes in one argument",
                            thousands(intended.len()),
                            thousands(MAX_ARG_STRLEN - 1)
                        ),
                        "pass the large value as an artifact",
                    );
                }
            }
        }
    }
}
