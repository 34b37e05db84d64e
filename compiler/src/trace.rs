//! Tracing: running a `#[pipeline]` function to record its tasks.
//!
//! While a pipeline is traced, a thread-local [`Tracer`] is active. Each component call made
//! by the pipeline body (through code the macros generate) registers its component and adds a
//! task; the handle it returns carries the trace's id, so a handle that leaks into another
//! pipeline's trace is recognised and reported instead of silently wiring the wrong task.
//!
//! A trace also tracks the region it is in ([`scope`] opens one: a branch, a loop body, the
//! exit handler). Every handle records the region of its task, and using a task from a region
//! that cannot see it is reported (A0028) where it happens, naming both places.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::panic::Location;
use std::sync::atomic::{AtomicU32, Ordering};

use indexmap::IndexMap;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::ir::{
    Argument, ComponentSpec, Depends, FormatPart, LoopItems, Pipeline, PipelineParam, Region,
    RegionId, RegionKind, SourceLocation, Task, TaskConfig, TaskId, TaskRef, WorkflowSettings,
};
use crate::namer;

/// A task handle as generated code sees it: which trace (and its pipeline, to name it if the
/// handle leaks into another trace), which task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskHandle {
    trace: u32,
    pipeline: &'static str,
    id: TaskId,
    region: RegionId,
    /// An output of a recursive call past the pipeline's depth bound, which is never traced
    /// (nor run): only `one_of` may name it, and drops it ([`past_bound_handle`]).
    past_bound: bool,
}

/// A value bound to an input during tracing, before it is resolved into an [`Argument`].
#[derive(Debug)]
#[doc(hidden)]
pub enum Bound {
    /// A constant in wire form.
    Constant(String),
    /// A constant that could not be encoded; the message says why.
    Invalid(String),
    /// A pipeline parameter.
    PipelineParam(&'static str),
    /// An output of a task.
    Output(TaskHandle, &'static str),
    /// A value about the run, for the exit handler.
    Run(crate::ir::RunValue),
    /// The output of whichever of these tasks ran.
    OneOf(Vec<(TaskHandle, &'static str)>),
    /// The current item of a loop, or a field of it.
    LoopItem(LoopHandle, Option<&'static str>),
    /// An output of a task in a loop body, every iteration's value.
    Collected(TaskHandle, &'static str),
    /// A formatted string (`format_arg!`).
    Format(Vec<FormatBound>),
    /// An artifact from outside the pipeline, of the named kind.
    External(&'static str, crate::ir::ExternalSource),
}

/// One piece of a formatted string during tracing.
#[derive(Debug)]
#[doc(hidden)]
pub enum FormatBound {
    /// Text (a constant, already shown).
    Text(String),
    /// A pipeline parameter.
    Param(&'static str, crate::value::DisplayAs),
    /// An output parameter of a task.
    Output(TaskHandle, &'static str, crate::value::DisplayAs),
}

/// A loop as generated code and the DSL see it: which trace, which region.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopHandle {
    trace: u32,
    region: RegionId,
}

/// Where a loop's items come from, as the DSL builds it.
#[doc(hidden)]
#[derive(Debug)]
pub enum LoopSource {
    /// Items known now, each as escaped compact JSON.
    Static(Vec<String>),
    /// An item that could not be encoded; the message says why.
    Invalid(String),
    /// A list-typed pipeline parameter.
    Param(&'static str),
    /// A list-typed output of a task.
    Output(TaskHandle, &'static str),
}

/// Runs `body` as the body of a loop over `items`, whose source must be visible where the
/// loop is written (A0028); returns the loop.
pub(crate) fn loop_scope(
    items: LoopSource,
    location: &'static Location<'static>,
    body: impl FnOnce(LoopHandle),
) -> LoopHandle {
    let (items, trace) = CURRENT.with(|c| {
        let mut guard = c.borrow_mut();
        let tracer = guard
            .as_mut()
            .expect("`for_each` is used only inside a #[pipeline] function");
        let here = tracer.current;
        let items = match items {
            LoopSource::Static(items) => LoopItems::Static(items),
            LoopSource::Invalid(why) => {
                let pipeline = tracer.pipeline.name.clone();
                tracer.problems.push(
                    Diagnostic::error(
                        Code::BadValue,
                        &pipeline,
                        format!("an item of the loop cannot be encoded: {why}"),
                        "loop over values serde can serialise to JSON (maps need string keys)",
                    )
                    .at(location_of(location)),
                );
                LoopItems::Static(Vec::new())
            }
            LoopSource::Param(name) => LoopItems::PipelineParam(name.to_owned()),
            LoopSource::Output(handle, output) => {
                let task = if handle.trace == tracer.trace {
                    tracer.check_visible(handle, here, "the loop's list", Some(location));
                    TaskRef::Local(handle.id)
                } else {
                    foreign_ref(handle)
                };
                LoopItems::TaskOutput {
                    task,
                    output: output.to_owned(),
                }
            }
        };
        (items, tracer.trace)
    });
    let mut handle = None;
    let region = scope(
        RegionKind::Loop {
            items,
            parallelism: None,
        },
        location,
        || {
            let region = CURRENT.with(|c| {
                c.borrow()
                    .as_ref()
                    .map_or(RegionId::ROOT, |tracer| tracer.current)
            });
            let h = LoopHandle { trace, region };
            handle = Some(h);
            body(h);
        },
    );
    handle.unwrap_or(LoopHandle { trace, region })
}

/// Sets how many of loop `handle`'s tasks may run at once.
pub(crate) fn set_loop_parallelism(handle: LoopHandle, limit: u32) {
    CURRENT.with(|c| {
        if let Some(tracer) = c.borrow_mut().as_mut()
            && tracer.trace == handle.trace
            && let Some(region) = tracer.pipeline.regions.get_mut(handle.region.index())
            && let RegionKind::Loop { parallelism, .. } = &mut region.kind
        {
            *parallelism = Some(limit);
        }
    });
}

/// Everything a component registers when it is first called in a trace. `Native` is the
/// function a pod runs (`entrypoint::NativeFn`, fixed by `__private::ComponentDef`): tracing
/// only notes whether there is one, so it needs nothing from the entrypoint above it.
#[doc(hidden)]
pub struct ComponentDef<Native: 'static> {
    /// Unique per component function (`module_path!()::fn name`).
    pub key: &'static str,
    /// Builds the component's spec.
    pub spec: fn() -> ComponentSpec,
    /// The function the `component` entrypoint calls, for native components.
    pub native: Option<Native>,
}

static NEXT_TRACE: AtomicU32 = AtomicU32::new(1);

thread_local! {
    static CURRENT: RefCell<Option<Tracer>> = const { RefCell::new(None) };
}

/// The state of one trace.
pub(crate) struct Tracer {
    trace: u32,
    /// The pipeline's name, carried by every handle this trace hands out.
    name: &'static str,
    pipeline: Pipeline,
    /// Component key → component name, so each component's spec is built once per trace.
    by_key: HashMap<&'static str, String>,
    natives: BTreeSet<String>,
    /// How many tasks were named after each task stem so far (see `namer::task_stem`).
    names: HashMap<String, u32>,
    /// The region component calls are recorded in now.
    current: RegionId,
    /// What task names start with here: the names of the sub-pipeline calls around, each
    /// followed by `.` (empty in the pipeline's own body).
    prefix: String,
    /// The pipelines being called, outermost first (a pipeline calling itself is traced up to
    /// its bound, see [`begin_call`]).
    calls: Vec<&'static str>,
    /// Called pipeline name → the function that defines it (`module_path::fn`): two
    /// functions with one name would share one Argo template.
    called: HashMap<&'static str, &'static str>,
    /// The call regions whose body has made its recursive call: a second one would make
    /// tracing (and the run) grow exponentially with the depth.
    recursed: BTreeSet<RegionId>,
    /// How many `edit_template` calls this trace has seen.
    edits: u32,
    problems: Vec<Diagnostic>,
}

/// The result of tracing: the IR plus the names of the native components the tasks call.
pub struct Traced {
    /// The pipeline as data.
    pub pipeline: Pipeline,
    /// The native components' names (what `component NAME` runs in a pod).
    pub natives: BTreeSet<String>,
}

/// What a pipeline function declares about itself; built by `#[pipeline]`.
#[doc(hidden)]
pub struct PipelineHeader {
    pub name: &'static str,
    pub description: Option<&'static str>,
    pub image: Option<&'static str>,
    pub params: Vec<PipelineParam>,
    /// The artifact inputs (`data: Input<Dataset>`): only a calling pipeline binds them.
    pub artifact_inputs: &'static [&'static str],
    /// For each parameter, how its declared type travels and a check against that type.
    pub wire: Vec<crate::value::ParamWire>,
    /// `service_account`, `pod_gc`, `ttl`, … as the attribute wrote them (validated later).
    pub settings: WorkflowSettings,
    /// `kind`, `schedule`, `timezone`, … as the attribute wrote them (checked by the Argo
    /// backend, A0046).
    pub publish: crate::ir::Publish,
}

/// Runs `body` as the body of pipeline `header`, recording its tasks.
pub(crate) fn trace(
    header: PipelineHeader,
    binary_path: String,
    body: impl FnOnce(),
) -> Result<Traced, Diagnostics> {
    if !header.artifact_inputs.is_empty() {
        return Err(Diagnostics::new(vec![Diagnostic::error(
            Code::UnsupportedConstruct,
            header.name,
            format!(
                "pipeline `{}` takes artifact inputs ({}), so it runs only when another pipeline calls it",
                header.name,
                header
                    .artifact_inputs
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "compile or run the pipeline that calls it; artifacts given from outside a pipeline (a URL, a bucket) are not supported yet",
        )]));
    }
    let trace = NEXT_TRACE.fetch_add(1, Ordering::Relaxed);
    let tracer = Tracer {
        trace,
        name: header.name,
        pipeline: Pipeline {
            name: header.name.to_owned(),
            description: header.description.map(str::to_owned),
            image: header.image.map(str::to_owned),
            binary_path,
            binary_delivery: None,
            params: header.params,
            components: IndexMap::new(),
            tasks: Vec::new(),
            settings: header.settings,
            regions: Region::root_only(),
            defaults: TaskConfig::default(),
            outputs: IndexMap::new(),
            publish: header.publish,
        },
        by_key: HashMap::new(),
        natives: BTreeSet::new(),
        names: HashMap::new(),
        current: RegionId::ROOT,
        prefix: String::new(),
        calls: vec![header.name],
        called: HashMap::new(),
        recursed: BTreeSet::new(),
        edits: 0,
        problems: Vec::new(),
    };
    let previous = CURRENT.with(|c| c.borrow_mut().replace(tracer));
    if let Some(outer) = previous {
        let name = outer.pipeline.name.clone();
        CURRENT.with(|c| *c.borrow_mut() = Some(outer));
        panic!(
            "pipeline `{}` was traced while pipeline `{name}` was being traced; call a pipeline's definition only from main",
            header.name
        );
    }
    // Restore the thread-local even if the body panics.
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.with(|c| c.borrow_mut().take());
        }
    }
    let reset = Reset;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
    if let Err(payload) = outcome {
        // A construct that refused to go on has reported why; anything else is a real panic.
        if !payload.is::<Refused>() {
            std::panic::resume_unwind(payload);
        }
    }
    let tracer = CURRENT
        .with(|c| c.borrow_mut().take())
        .expect("the tracer is still installed");
    drop(reset);
    if tracer.problems.is_empty() {
        Ok(Traced {
            pipeline: tracer.pipeline,
            natives: tracer.natives,
        })
    } else {
        Err(Diagnostics::new(tracer.problems))
    }
}

/// Records one component call; generated code calls this through `__private::add_task`.
#[doc(hidden)]
pub fn add_task<Native>(
    def: &ComponentDef<Native>,
    location: &'static Location<'static>,
    args: Vec<(&'static str, Bound)>,
) -> TaskHandle {
    CURRENT.with(|c| {
        let mut guard = c.borrow_mut();
        let Some(tracer) = guard.as_mut() else {
            let name = def.key.rsplit("::").next().unwrap_or(def.key);
            panic!(
                "component `{name}` was called outside a #[pipeline] function (at {location}); \
                 to run it as plain Rust, call `{name}::call(…)`"
            );
        };
        tracer.add_task(def, location, args)
    })
}

/// Records a task of a component built while tracing (a resource step: its spec holds the
/// object, so it is made at the call, not by a `fn() -> ComponentSpec`), with `args` bound to
/// its inputs. Two such specs with one name that differ are a name collision (A0008), as for
/// components.
pub(crate) fn add_built_task(
    spec: ComponentSpec,
    args: Vec<(String, Bound)>,
    location: &'static Location<'static>,
) -> TaskHandle {
    CURRENT.with(|c| {
        let mut guard = c.borrow_mut();
        let Some(tracer) = guard.as_mut() else {
            panic!(
                "resource step `{}` was added outside a #[pipeline] function (at {location})",
                spec.name
            );
        };
        let component = tracer.register_spec(spec);
        let name = tracer.fresh_name(&component);
        let mut arguments = IndexMap::with_capacity(args.len());
        for (input, bound) in args {
            let what = || format!("input `{input}` of task `{name}`");
            if let Some(argument) = tracer.argument(bound, &what, tracer.current, location) {
                arguments.insert(input, argument);
            }
        }
        tracer.push_task_named(name, component, arguments, location)
    })
}

/// Renames a task (`.name("…")`).
#[doc(hidden)]
pub fn rename_task(task: TaskHandle, name: String) {
    with_local_task(task, "name", |t| {
        // Inside a sub-pipeline call the name stays qualified by the call's.
        let prefix_len = t.name.len() - crate::ir::local_name(&t.name).len();
        t.name = format!("{}{name}", &t.name[..prefix_len]);
        t.named_by_user = true;
    });
}

/// Makes `task` run a published template on Argo (`.template_ref(…)`); a second call replaces
/// the first.
#[doc(hidden)]
pub fn set_template_ref(task: TaskHandle, template_ref: crate::ir::TemplateRef) {
    with_local_task(task, "template_ref", |t| {
        t.template_ref = Some(template_ref)
    });
}

/// Binds input `input` of `task` to `bound` (a builder method for an input with a default:
/// `train(data).learning_rate(0.1)`); a second call replaces the first.
#[doc(hidden)]
pub fn bind_input(
    task: TaskHandle,
    input: &'static str,
    bound: Bound,
    location: &'static Location<'static>,
) {
    CURRENT.with(|c| {
        let mut guard = c.borrow_mut();
        match guard.as_mut() {
            Some(tracer) if tracer.trace == task.trace => {
                let name = tracer.pipeline.tasks[task.id.index()].name.clone();
                let what = || format!("input `{input}` of task `{name}`");
                if let Some(argument) = tracer.argument(bound, &what, task.region, location) {
                    let t = &mut tracer.pipeline.tasks[task.id.index()];
                    t.arguments.insert(input.to_owned(), argument);
                    // In the component's order, as positional arguments are, whatever order
                    // the builder methods were called in.
                    // Settings' values after the inputs, in the order they were bound.
                    let spec = &tracer.pipeline.components[&t.component];
                    let position = |name: &str| {
                        spec.inputs
                            .iter()
                            .position(|i| i.name == name)
                            .unwrap_or(usize::MAX)
                    };
                    t.arguments.sort_by_key(|name, _| position(name));
                }
            }
            _ => {
                drop(guard);
                with_local_task(task, input, |_| {});
            }
        }
    });
}

/// Binds a run-time value of one of `task`'s settings (`set_env_variable("TAG", tag)`) as a
/// new argument `argot-setting-N`, and returns the placeholder the setting's text holds in
/// its place (see [`crate::ir::setting_placeholder`]); `None` when the value could not be
/// bound (the problem is recorded).
#[doc(hidden)]
pub fn bind_setting(
    task: TaskHandle,
    bound: Bound,
    location: &'static Location<'static>,
) -> Option<String> {
    CURRENT.with(|c| {
        let mut guard = c.borrow_mut();
        match guard.as_mut() {
            Some(tracer) if tracer.trace == task.trace => {
                let name = tracer.pipeline.tasks[task.id.index()].name.clone();
                let what = || format!("a setting of task `{name}`");
                let argument = tracer.argument(bound, &what, task.region, location)?;
                let t = &mut tracer.pipeline.tasks[task.id.index()];
                // One input per distinct value, however many settings show it.
                if let Some((input, _)) = t
                    .arguments
                    .iter()
                    .find(|(k, a)| crate::ir::is_setting_input(k) && **a == argument)
                {
                    return Some(crate::ir::setting_placeholder(input));
                }
                let n = t
                    .arguments
                    .keys()
                    .filter(|k| crate::ir::is_setting_input(k))
                    .count();
                let input = format!("{}{n}", crate::ir::SETTING_INPUT_PREFIX);
                t.arguments.insert(input.clone(), argument);
                Some(crate::ir::setting_placeholder(&input))
            }
            _ => {
                drop(guard);
                with_local_task(task, "set_…", |_| {});
                None
            }
        }
    })
}

/// Edits the settings of `task` (the DSL's `set_…` methods).
#[doc(hidden)]
pub fn configure_task(task: TaskHandle, edit: &mut dyn FnMut(&mut TaskConfig)) {
    with_local_task(task, "set_…", |t| {
        let mut config = (*t.config).clone();
        edit(&mut config);
        t.config = config.into();
    });
}

/// Records an `edit_template` call written at `location`: what the IR holds of it (where,
/// and its number among the trace's calls), with its closure beside.
#[doc(hidden)]
pub fn template_edit(
    location: &'static Location<'static>,
    edit: std::sync::Arc<crate::ir::EditClosure>,
) -> crate::ir::TemplateEditFn {
    let n = CURRENT.with(|c| match c.borrow_mut().as_mut() {
        Some(tracer) => {
            tracer.edits += 1;
            tracer.edits - 1
        }
        None => panic!("`.edit_template(…)` is used only inside a #[pipeline] function"),
    });
    crate::ir::TemplateEditFn::new(location_of(location).to_string(), n, edit)
}

/// Edits the pipeline-wide defaults of the pipeline being traced (`task_defaults()`).
#[doc(hidden)]
pub fn configure_defaults(edit: &mut dyn FnMut(&mut TaskConfig)) {
    CURRENT.with(|c| match c.borrow_mut().as_mut() {
        Some(tracer) => edit(&mut tracer.pipeline.defaults),
        None => panic!("`task_defaults()` is used only inside a #[pipeline] function"),
    });
}

/// Adds an ordering-only dependency (`.after(&other)`): `other` must finish well first.
#[doc(hidden)]
pub fn add_after(task: TaskHandle, other: TaskHandle) {
    add_depends_as(task, DependsOn::Result(other, None), "after");
}

/// A `depends` expression as the DSL builds it, over task handles (resolved against the trace
/// by [`add_depends_on`]).
#[doc(hidden)]
#[derive(Clone, Debug)]
pub enum DependsOn {
    /// A result of a task; `None` is "finished well" ([`Depends::Done`]).
    Result(TaskHandle, Option<crate::ir::TaskResult>),
    /// `X.AnySucceeded`.
    AnySucceeded(TaskHandle),
    /// `X.AllFailed`.
    AllFailed(TaskHandle),
    /// All hold.
    And(Vec<DependsOn>),
    /// Any holds.
    Or(Vec<DependsOn>),
    /// It does not hold.
    Not(Box<DependsOn>),
}

/// ANDs `expression` into `task`'s `depends`, checking that `task` can see every task it
/// names (A0028).
#[doc(hidden)]
pub fn add_depends_on(task: TaskHandle, expression: DependsOn) {
    add_depends_as(task, expression, "depends_on");
}

fn add_depends_as(task: TaskHandle, expression: DependsOn, method: &str) {
    let what = format!("`.{method}(…)`");
    let resolve_one = |other: TaskHandle| {
        let reference = resolve_ref(other);
        if matches!(reference, TaskRef::Local(_)) {
            CURRENT.with(|c| {
                if let Some(tracer) = c.borrow_mut().as_mut() {
                    tracer.check_visible(other, task.region, &what, None);
                }
            });
        }
        reference
    };
    fn resolve(e: DependsOn, reference: &dyn Fn(TaskHandle) -> TaskRef) -> Depends {
        match e {
            DependsOn::Result(h, None) => Depends::Done(reference(h)),
            DependsOn::Result(h, Some(result)) => Depends::Result {
                task: reference(h),
                result,
            },
            DependsOn::AnySucceeded(h) => Depends::AnySucceeded(reference(h)),
            DependsOn::AllFailed(h) => Depends::AllFailed(reference(h)),
            DependsOn::And(v) => {
                Depends::And(v.into_iter().map(|e| resolve(e, reference)).collect())
            }
            DependsOn::Or(v) => Depends::Or(v.into_iter().map(|e| resolve(e, reference)).collect()),
            DependsOn::Not(e) => Depends::Not(Box::new(resolve(*e, reference))),
        }
    }
    let term = resolve(expression, &resolve_one);
    with_local_task(task, method, |t| and_into(t, term));
}

/// ANDs `term` into `t.depends` unless it is already one of its terms.
fn and_into(t: &mut Task, term: Depends) {
    let already = match &t.depends {
        Some(Depends::And(terms)) => terms.contains(&term),
        Some(d) => *d == term,
        None => false,
    };
    if !already {
        t.depends = Some(match t.depends.take() {
            None => term,
            Some(d) => d.and(term),
        });
    }
}

/// One side of a comparison as the DSL builds it.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub enum Term {
    /// A constant in wire form.
    Constant(String),
    /// A constant that could not be encoded; the message says why.
    Invalid(String),
    /// A pipeline parameter.
    Param(&'static str),
    /// An output parameter of a task.
    Output(TaskHandle, &'static str),
    /// The item of a loop around the branch, or a field of it.
    LoopItem(LoopHandle, Option<&'static str>),
}

/// A condition as the DSL builds it, over task handles.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub enum CondExpr {
    /// `left op right`.
    Compare {
        /// Left side.
        left: Term,
        /// The comparison.
        op: crate::ir::CompareOp,
        /// Right side.
        right: Term,
        /// How the sides compare.
        kind: crate::ir::CompareKind,
    },
    /// All hold.
    And(Vec<CondExpr>),
    /// Any holds.
    Or(Vec<CondExpr>),
    /// It does not hold.
    Not(Box<CondExpr>),
    /// A recursion's depth bound, as [`crate::ir::Condition::WithinDepth`]: what tracing
    /// conjoined to an earlier branch of the chain, which `otherwise` and `else_when` negate
    /// with it (so at the last level they run in its place).
    WithinDepth(u32),
}

/// Runs `body` as a branch guarded by `condition`, whose operands must be visible where the
/// branch is written (A0028).
pub(crate) fn branch(
    condition: CondExpr,
    location: &'static Location<'static>,
    body: impl FnOnce(),
) -> RegionId {
    fn resolve(
        e: CondExpr,
        operand: &mut dyn FnMut(Term) -> crate::ir::Operand,
    ) -> crate::ir::Condition {
        use crate::ir::Condition;
        match e {
            CondExpr::Compare {
                left,
                op,
                right,
                kind,
            } => Condition::Compare {
                left: operand(left),
                op,
                right: operand(right),
                kind,
            },
            CondExpr::And(v) => {
                Condition::And(v.into_iter().map(|e| resolve(e, operand)).collect())
            }
            CondExpr::Or(v) => Condition::Or(v.into_iter().map(|e| resolve(e, operand)).collect()),
            CondExpr::Not(e) => Condition::Not(Box::new(resolve(*e, operand))),
            CondExpr::WithinDepth(max_depth) => Condition::WithinDepth { max_depth },
        }
    }
    let condition = CURRENT.with(|c| {
        let mut guard = c.borrow_mut();
        let tracer = guard
            .as_mut()
            .expect("`when` is used only inside a #[pipeline] function");
        let here = tracer.current;
        resolve(condition, &mut |term| match term {
            Term::Constant(text) => crate::ir::Operand::Constant(text),
            Term::Invalid(why) => {
                let pipeline = tracer.pipeline.name.clone();
                tracer.problems.push(
                    Diagnostic::error(
                        Code::BadValue,
                        &pipeline,
                        format!("a constant in the condition cannot be encoded: {why}"),
                        "compare with a value serde can serialise to JSON",
                    )
                    .at(location_of(location)),
                );
                crate::ir::Operand::Constant(String::new())
            }
            Term::Param(name) => crate::ir::Operand::PipelineParam(name.to_owned()),
            Term::LoopItem(handle, field) => {
                // An `Item` cannot leave its closure, so the branch is inside its loop.
                crate::ir::Operand::LoopItem {
                    region: handle.region,
                    field: field.map(str::to_owned),
                }
            }
            Term::Output(handle, output) => {
                let task = if handle.trace == tracer.trace {
                    tracer.check_visible(handle, here, "the condition", Some(location));
                    TaskRef::Local(handle.id)
                } else {
                    foreign_ref(handle)
                };
                crate::ir::Operand::TaskOutput {
                    task,
                    output: output.to_owned(),
                }
            }
        })
    });
    scope(RegionKind::Branch { condition }, location, body)
}

/// The recursion bound tracing conjoined to branch `region`'s condition, if any.
pub(crate) fn branch_bound(region: RegionId) -> Option<u32> {
    CURRENT.with(|c| {
        let guard = c.borrow();
        match &guard.as_ref()?.pipeline.regions.get(region.index())?.kind {
            RegionKind::Branch { condition } => condition.max_depth(),
            _ => None,
        }
    })
}

/// Runs `body` inside a new region of kind `kind`, nested in the current one, and returns
/// the region. Component calls `body` makes belong to it; the building block of the scoped
/// constructs (branches, loop bodies, the exit handler, sub-pipeline calls).
#[doc(hidden)]
pub fn scope(
    kind: RegionKind,
    location: &'static Location<'static>,
    body: impl FnOnce(),
) -> RegionId {
    scope_in(kind, None, location, body)
}

/// Runs `body` as a hook of `task` (`.on_failure(|| …)`, …): a region inside the task's own
/// region, wherever the method is called.
#[doc(hidden)]
pub fn add_hook(
    task: TaskHandle,
    on: crate::ir::HookEvent,
    location: &'static Location<'static>,
    body: impl FnOnce(),
) {
    let mut local = false;
    with_local_task(task, on.method(), |_| local = true);
    if local {
        scope_in(
            RegionKind::Hook { task: task.id, on },
            Some(task.region),
            location,
            body,
        );
    }
}

/// [`scope`], in region `parent` (default: the current one).
fn scope_in(
    kind: RegionKind,
    parent: Option<RegionId>,
    location: &'static Location<'static>,
    body: impl FnOnce(),
) -> RegionId {
    let (region, outer) = CURRENT.with(|c| {
        let mut guard = c.borrow_mut();
        let tracer = guard
            .as_mut()
            .expect("a scoped construct is used only inside a #[pipeline] function");
        let region = RegionId(tracer.pipeline.regions.len() as u32);
        tracer.pipeline.regions.push(Region {
            kind,
            parent: Some(parent.unwrap_or(tracer.current)),
            location: Some(location_of(location)),
        });
        let outer = std::mem::replace(&mut tracer.current, region);
        (region, outer)
    });
    // Leave the region even if the body panics (the trace then reports the panic).
    struct Leave(RegionId);
    impl Drop for Leave {
        fn drop(&mut self) {
            CURRENT.with(|c| {
                if let Some(tracer) = c.borrow_mut().as_mut() {
                    tracer.current = self.0;
                }
            });
        }
    }
    let leave = Leave(outer);
    body();
    drop(leave);
    region
}

/// The unwinding payload of a construct that reported a problem and cannot go on tracing
/// (a pipeline calling itself); [`trace`] returns the problems. Raised with
/// `resume_unwind`, so no panic message is printed.
#[doc(hidden)]
pub struct Refused;

/// A sub-pipeline call being traced: made by [`begin_call`], closed by [`CallFrame::end`]
/// (or, if the body panics, by dropping it, which restores the caller's region).
#[doc(hidden)]
pub struct CallFrame {
    /// The call's region; `None` when the call was refused or is past the bound (the body is
    /// not traced).
    region: Option<RegionId>,
    /// The recursive call past the depth bound (see [`begin_call`]).
    past_bound: bool,
    outer: RegionId,
    outer_prefix: String,
    location: &'static Location<'static>,
}

/// Opens a call of pipeline `pipeline` with `args` (its parameters, bound where the call is
/// written): a [`RegionKind::Call`] region the called body is traced into, whose tasks are
/// named after the call.
///
/// A pipeline that calls itself directly, inside a `when(…)` written in its own body, with a
/// bound (`max_depth`, from `#[pipeline(max_depth = N)]`) is traced level by level: each
/// level is a call region inside the one before, and the branch holding the recursive call
/// gets the condition [`Condition::WithinDepth`](crate::ir::Condition::WithinDepth) conjoined,
/// so that the call at depth `max_depth` does not recurse, on Argo and locally. The recursive
/// call that level would make is not traced: the frame says so ([`CallFrame::past_bound`]) and
/// the call returns [`past_bound_handle`]. Any other recursion is refused (A0040 without a
/// bound, A0041 otherwise) and its body is not traced again ([`CallFrame::traces`]).
#[doc(hidden)]
pub fn begin_call(
    pipeline: &'static str,
    key: &'static str,
    location: &'static Location<'static>,
    args: Vec<(&'static str, Bound)>,
    max_depth: Option<u32>,
) -> CallFrame {
    CURRENT.with(|c| {
        let mut guard = c.borrow_mut();
        let Some(tracer) = guard.as_mut() else {
            panic!(
                "pipeline `{pipeline}` was called outside a #[pipeline] function (at {location}); a pipeline calls another only from its own body"
            );
        };
        let outer = tracer.current;
        let outer_prefix = tracer.prefix.clone();
        if tracer.calls.contains(&pipeline) {
            let past_bound = match tracer.recursion(pipeline, max_depth, location) {
                Recursion::Deeper => None,
                Recursion::Refused => Some(false),
                Recursion::PastBound => Some(true),
            };
            if let Some(past_bound) = past_bound {
                return CallFrame { region: None, past_bound, outer, outer_prefix, location };
            }
        }
        if let Some(other) = tracer.called.insert(pipeline, key)
            && other != key
        {
            let name = tracer.pipeline.name.clone();
            tracer.problems.push(
                Diagnostic::error(
                    Code::NameCollision,
                    &name,
                    format!("two different pipelines are both named `{pipeline}` (`{other}` and `{key}`), and each call of a name runs one template"),
                    "give one of them another name with #[pipeline(name = \"…\")]",
                )
                .at(location_of(location)),
            );
        }
        let name = tracer.fresh_name(pipeline);
        let mut arguments = IndexMap::with_capacity(args.len());
        for (param, bound) in args {
            let what = || format!("parameter `{param}` of the call `{name}`");
            if let Some(argument) = tracer.argument(bound, &what, tracer.current, location) {
                arguments.insert(param.to_owned(), argument);
            }
        }
        let region = RegionId(tracer.pipeline.regions.len() as u32);
        tracer.pipeline.regions.push(Region {
            kind: RegionKind::Call {
                pipeline: pipeline.to_owned(),
                name: crate::ir::local_name(&name).to_owned(),
                arguments,
                outputs: IndexMap::new(),
            },
            parent: Some(outer),
            location: Some(location_of(location)),
        });
        tracer.current = region;
        tracer.prefix = format!("{name}.");
        tracer.calls.push(pipeline);
        CallFrame { region: Some(region), past_bound: false, outer, outer_prefix, location }
    })
}

/// What a call of a pipeline already being traced does.
enum Recursion {
    /// Reported; not traced.
    Refused,
    /// Within the bound: traced as one more level.
    Deeper,
    /// The call the last level would make: not traced, and skipped at run time.
    PastBound,
}

/// The most levels a recursion may state. Argo refuses to nest templates deeper than its stack
/// allows (`executeTemplate` in `workflow/controller/operator.go`: `maxStackDepth`, 100 in
/// v4.1.2, `ErrMaxDepthExceeded`), and each level takes at least two (the call's DAG template and
/// the branch's around the recursive call); validation checks the exact nesting (A0040).
pub const MAX_RECURSION_DEPTH: u32 = 49;

impl Tracer {
    /// Decides a call of `pipeline` made while it is already being traced.
    fn recursion(
        &mut self,
        pipeline: &'static str,
        max_depth: Option<u32>,
        location: &'static Location<'static>,
    ) -> Recursion {
        let name = self.pipeline.name.clone();
        let chain = self.calls.join("` → `");
        let at = location_of(location);
        let mut refuse = |code: Code, message: String, help: String| {
            self.problems
                .push(Diagnostic::error(code, &name, message, help).at(at.clone()));
            Recursion::Refused
        };
        // The run's own pipeline is the workflow's entrypoint, not a template with inputs.
        if self.calls.len() == 1 {
            return refuse(
                Code::RecursionMisuse,
                format!(
                    "pipeline `{pipeline}` calls itself, but it is the pipeline the run starts from"
                ),
                format!("call `{pipeline}` from another pipeline, which `main!` names instead"),
            );
        }
        if self.calls.last() != Some(&pipeline) {
            return refuse(
                Code::RecursionMisuse,
                format!(
                    "pipeline `{pipeline}` calls itself through another pipeline (`{chain}` → `{pipeline}`); only a pipeline calling itself directly is compiled"
                ),
                "call the pipeline from its own body, inside a `when(…)`".to_owned(),
            );
        }
        let Some(max_depth) = max_depth else {
            return refuse(
                Code::RecursionBound,
                format!("pipeline `{pipeline}` calls itself but states no bound on how deep"),
                format!(
                    "add `#[pipeline(max_depth = N)]` to `{pipeline}`: at most N levels run, the first call included"
                ),
            );
        };
        if !(2..=MAX_RECURSION_DEPTH).contains(&max_depth) {
            return refuse(
                Code::RecursionBound,
                format!(
                    "pipeline `{pipeline}` states `max_depth = {max_depth}`, outside 2..={MAX_RECURSION_DEPTH}"
                ),
                format!(
                    "a bound below 2 never recurses, and Argo refuses to nest templates deeper than its stack (100; each level takes at least two): state `max_depth` from 2 to {MAX_RECURSION_DEPTH}"
                ),
            );
        }
        // The branch the recursive call is written in, directly in the body of the call
        // being traced: the bound is conjoined to its condition, so the last level skips it.
        // The bound goes on the branch, not on the call's own DAG task: a skipped task's
        // outputs are absent, and the branch's template returning them would fail on Argo
        // (`getTemplateOutputsFromScope` in `workflow/controller/operator.go`: an absent
        // output without a default), where a skipped branch's are simply nil to `one_of`'s
        // `??`, and a bare `depends` on it holds (Skipped counts as done, `TaskResults`); see
        // "Outputs of Skipped and Omitted Nodes" in Argo v4.1.2's `docs/variables.md`.
        let current = self.current;
        let regions = &self.pipeline.regions;
        let call = crate::ir::enclosing_call(regions, current);
        let in_branch = regions[current.index()].parent.is_some()
            && call.is_some_and(|c| regions[current.index()].parent == Some(c));
        let Some(RegionKind::Branch { condition }) =
            in_branch.then(|| &mut self.pipeline.regions[current.index()].kind)
        else {
            return refuse(
                Code::RecursionMisuse,
                format!("pipeline `{pipeline}` calls itself outside a `when(…)` written directly in its body"),
                "write the recursive call inside `when(condition, || …)` in the pipeline's body (not in a loop, a hook or a nested branch): the condition says when to go one level deeper".to_owned(),
            );
        };
        if let Some(call) = call
            && !self.recursed.insert(call)
        {
            return refuse(
                Code::RecursionMisuse,
                format!("pipeline `{pipeline}` calls itself more than once in its body; only one recursive call is compiled"),
                "make one recursive call per level (a chain, like a do-while loop); a tree of calls would grow exponentially with the depth".to_owned(),
            );
        }
        if condition.max_depth().is_none() {
            let user = std::mem::replace(condition, crate::ir::Condition::And(Vec::new()));
            *condition = crate::ir::Condition::And(vec![
                user,
                crate::ir::Condition::WithinDepth { max_depth },
            ]);
        }
        let level = self.calls.iter().filter(|c| **c == pipeline).count() as u32;
        if level < max_depth {
            Recursion::Deeper
        } else {
            Recursion::PastBound
        }
    }
}

/// What a recursive call past the depth bound returns: outputs that are never traced nor
/// run. `one_of` drops them (so `one_of([deeper, this_level])` is this level's output at the
/// last level); anything else reading them is refused (A0041).
#[doc(hidden)]
pub fn past_bound_handle(pipeline: &'static str) -> TaskHandle {
    CURRENT.with(|c| {
        let guard = c.borrow();
        let tracer = guard
            .as_ref()
            .expect("a recursive call is traced inside a pipeline");
        TaskHandle {
            trace: tracer.trace,
            pipeline,
            id: TaskId(u32::MAX),
            region: tracer.current,
            past_bound: true,
        }
    })
}

impl CallFrame {
    /// True when the called body is to be traced (the call was not refused).
    pub fn traces(&self) -> bool {
        self.region.is_some()
    }

    /// True for the recursive call past the depth bound: not traced, it returns
    /// [`past_bound_handle`].
    pub fn past_bound(&self) -> bool {
        self.past_bound
    }

    /// The region the call is written in: where the handles it returns are used.
    pub fn caller(&self) -> RegionId {
        self.outer
    }

    /// Closes the call, recording what the called body returned as the call's outputs.
    pub fn end(self, outputs: Vec<(&'static str, Bound)>) {
        let Some(region) = self.region else {
            return;
        };
        CURRENT.with(|c| {
            if let Some(tracer) = c.borrow_mut().as_mut() {
                let resolved = tracer.outputs(outputs, self.location);
                if let RegionKind::Call { outputs, .. } =
                    &mut tracer.pipeline.regions[region.index()].kind
                {
                    *outputs = resolved;
                }
            }
        });
        // `Drop` restores the caller's region.
    }
}

impl Drop for CallFrame {
    fn drop(&mut self) {
        if self.region.is_none() {
            return;
        }
        let prefix = std::mem::take(&mut self.outer_prefix);
        let outer = self.outer;
        CURRENT.with(|c| {
            if let Some(tracer) = c.borrow_mut().as_mut() {
                tracer.current = outer;
                tracer.prefix = prefix;
                tracer.calls.pop();
            }
        });
    }
}

/// Records what the pipeline being traced returns as its outputs.
#[doc(hidden)]
pub fn set_outputs(outputs: Vec<(&'static str, Bound)>, location: &'static Location<'static>) {
    CURRENT.with(|c| {
        if let Some(tracer) = c.borrow_mut().as_mut() {
            let resolved = tracer.outputs(outputs, location);
            tracer.pipeline.outputs = resolved;
        }
    });
}

impl TaskHandle {
    /// The same task as seen from region `region`: how a sub-pipeline call hands the outputs
    /// of its tasks to its caller, where they are read through the call's outputs.
    #[doc(hidden)]
    pub fn seen_from(self, region: RegionId) -> TaskHandle {
        TaskHandle { region, ..self }
    }
}

fn resolve_ref(handle: TaskHandle) -> TaskRef {
    CURRENT.with(|c| match c.borrow().as_ref() {
        Some(tracer) if tracer.trace == handle.trace => TaskRef::Local(handle.id),
        _ => foreign_ref(handle),
    })
}

fn foreign_ref(handle: TaskHandle) -> TaskRef {
    TaskRef::Foreign {
        pipeline: handle.pipeline.to_owned(),
        task: format!("task #{}", handle.id.0 + 1),
    }
}

fn with_local_task(task: TaskHandle, method: &str, f: impl FnOnce(&mut Task)) {
    CURRENT.with(|c| {
        let mut guard = c.borrow_mut();
        match guard.as_mut() {
            Some(tracer) if tracer.trace == task.trace => {
                f(&mut tracer.pipeline.tasks[task.id.index()])
            }
            Some(tracer) => {
                let pipeline = tracer.pipeline.name.clone();
                tracer.problems.push(Diagnostic::error(
                    Code::ForeignTask,
                    &pipeline,
                    format!("`.{method}(…)` was called on a task of another pipeline"),
                    "configure a task inside the pipeline function that created it",
                ));
            }
            None => panic!("`.{method}(…)` was called on a task outside a #[pipeline] function"),
        }
    });
}

impl Tracer {
    fn add_task<Native>(
        &mut self,
        def: &ComponentDef<Native>,
        location: &'static Location<'static>,
        args: Vec<(&'static str, Bound)>,
    ) -> TaskHandle {
        let component = match self.by_key.get(def.key) {
            Some(name) => name.clone(),
            None => self.register(def),
        };
        let name = self.fresh_name(&component);
        let mut arguments = IndexMap::with_capacity(args.len());
        for (input, bound) in args {
            let what = || format!("input `{input}` of task `{name}`");
            let Some(argument) = self.argument(bound, &what, self.current, location) else {
                continue;
            };
            arguments.insert(input.to_owned(), argument);
        }
        self.push_task_named(name, component, arguments, location)
    }

    fn push_task_named(
        &mut self,
        name: String,
        component: String,
        arguments: IndexMap<String, Argument>,
        location: &'static Location<'static>,
    ) -> TaskHandle {
        let id = TaskId(self.pipeline.tasks.len() as u32);
        self.pipeline.tasks.push(Task {
            name,
            named_by_user: false,
            component,
            arguments,
            region: self.current,
            depends: None,
            config: crate::ir::TaskSettings::default(),
            location: Some(location_of(location)),
            template_ref: None,
        });
        TaskHandle {
            trace: self.trace,
            pipeline: self.name,
            id,
            region: self.current,
            past_bound: false,
        }
    }

    /// Reports A0041: `what` reads an output of a recursive call (at the last level, the call
    /// past the bound, which never runs) other than through `one_of`.
    fn refuse_past_bound(
        &mut self,
        handle: TaskHandle,
        what: &str,
        location: Option<&'static Location<'static>>,
    ) {
        let pipeline = self.pipeline.name.clone();
        let called = handle.pipeline;
        let d = Diagnostic::error(
            Code::RecursionMisuse,
            &pipeline,
            format!(
                "{what} reads an output of the recursive call of `{called}` directly; at the last level that call does not run, so its outputs do not exist"
            ),
            format!(
                "read it as `one_of([deeper, this_level])`: the deeper level's output when `{called}` recursed, else this level's"
            ),
        );
        self.problems
            .push(d.at_opt(location.map(location_of).as_ref()));
    }

    /// Reports A0028 unless `handle`'s task is directly in a loop body whose loop the current
    /// region can see from outside it.
    fn check_collected(
        &mut self,
        handle: TaskHandle,
        from: RegionId,
        what: &str,
        location: &'static Location<'static>,
    ) {
        if handle.past_bound {
            self.refuse_past_bound(handle, what, Some(location));
            return;
        }
        let regions = &self.pipeline.regions;
        let body = &regions[handle.region.index()];
        let problem = match (&body.kind, body.parent) {
            (RegionKind::Loop { .. }, Some(parent)) => {
                if crate::ir::region_contains(regions, handle.region, from) {
                    Some("is inside that loop: inside a loop, read the task's own output")
                } else if !crate::ir::region_sees(regions, from, parent) {
                    Some("cannot see the loop")
                } else {
                    None
                }
            }
            _ => Some(
                "reads it as a loop's collected output, but the task is not directly in a loop body",
            ),
        };
        if let Some(problem) = problem {
            let producer = self.pipeline.tasks[handle.id.index()].name.clone();
            let pipeline = self.pipeline.name.clone();
            self.problems.push(
                Diagnostic::error(
                    Code::OutOfScope,
                    &pipeline,
                    format!("{what} collects the outputs of task `{producer}` and {problem}"),
                    "collect a loop's outputs after the loop, from a task created directly in its `for_each` closure",
                )
                .at(location_of(location)),
            );
        }
    }

    /// A fresh task (or call) name for `stem` where component calls are recorded now.
    fn fresh_name(&mut self, stem: &str) -> String {
        let stem = namer::task_stem(stem);
        // In the pipeline's own body (the common case) the name needs no prefix.
        let key = if self.prefix.is_empty() {
            stem.clone()
        } else {
            format!("{}{stem}", self.prefix)
        };
        let occurrence = self.names.entry(key).or_insert(0);
        *occurrence += 1;
        let name = namer::task_name(&stem, *occurrence);
        if self.prefix.is_empty() {
            name
        } else {
            format!("{}{name}", self.prefix)
        }
    }

    /// Resolves a value bound for a task of region `region`; `None` (reported) when a
    /// constant could not be encoded. `what` names the receiving end for messages.
    fn argument(
        &mut self,
        bound: Bound,
        what: &dyn Fn() -> String,
        region: RegionId,
        location: &'static Location<'static>,
    ) -> Option<Argument> {
        Some(match bound {
            Bound::Constant(text) => Argument::Constant(text),
            Bound::Invalid(why) => {
                let pipeline = self.pipeline.name.clone();
                self.problems.push(
                    Diagnostic::error(
                        Code::BadValue,
                        &pipeline,
                        format!("the constant passed to {} cannot be encoded: {why}", what()),
                        "pass a value serde can serialise to JSON (maps need string keys)",
                    )
                    .at(location_of(location)),
                );
                return None;
            }
            Bound::PipelineParam(p) => Argument::PipelineParam(p.to_owned()),
            Bound::External(kind, source) => Argument::External {
                kind: kind.to_owned(),
                source,
            },
            Bound::Run(value) => Argument::Run(value),
            // A recursive call's output past the bound never exists: the options that
            // remain choose (at the last level, this level's own output).
            Bound::OneOf(options) => {
                if let Some((handle, _)) = options.first()
                    && options.iter().all(|(h, _)| h.past_bound)
                {
                    let what = format!("the `one_of` passed to {}", what());
                    self.refuse_past_bound(*handle, &what, Some(location));
                    return None;
                }
                Argument::OneOf(
                    options
                        .into_iter()
                        .filter(|(handle, _)| !handle.past_bound)
                        .map(|(handle, output)| (self.task_ref(handle), output.to_owned()))
                        .collect(),
                )
            }
            Bound::LoopItem(handle, field) => {
                let inside = handle.trace == self.trace
                    && crate::ir::region_contains(&self.pipeline.regions, handle.region, region);
                if !inside {
                    // Only reachable through a hand-made handle: an `Item` cannot leave its
                    // closure (a lifetime), so this is a guard.
                    let pipeline = self.pipeline.name.clone();
                    let here = crate::ir::describe_region(&self.pipeline.regions, region);
                    self.problems.push(
                        Diagnostic::error(
                            Code::OutOfScope,
                            &pipeline,
                            format!("{} in {here} reads the item of a loop it is not inside", what()),
                            "use a loop's item only inside its `for_each` closure; to use what the iterations produced afterwards, return the output from the closure and pass the loop's collected list",
                        )
                        .at(location_of(location)),
                    );
                    return None;
                }
                Argument::LoopItem {
                    region: handle.region,
                    field: field.map(str::to_owned),
                }
            }
            Bound::Collected(handle, output) => {
                let task = if handle.trace == self.trace {
                    self.check_collected(handle, region, &what(), location);
                    TaskRef::Local(handle.id)
                } else {
                    foreign_ref(handle)
                };
                Argument::Collected {
                    task,
                    output: output.to_owned(),
                }
            }
            Bound::Format(pieces) => {
                let mut parts: Vec<FormatPart> = Vec::with_capacity(pieces.len());
                for piece in pieces {
                    let part = match piece {
                        FormatBound::Text(text) => match parts.last_mut() {
                            // Adjacent text is one piece.
                            Some(FormatPart::Text(previous)) => {
                                previous.push_str(&text);
                                continue;
                            }
                            _ => FormatPart::Text(text),
                        },
                        FormatBound::Param(name, display) => FormatPart::PipelineParam {
                            name: name.to_owned(),
                            display,
                        },
                        FormatBound::Output(handle, output, display) => {
                            if handle.trace == self.trace {
                                let what = format!("the formatted string passed to {}", what());
                                self.check_visible(handle, region, &what, Some(location));
                            }
                            FormatPart::TaskOutput {
                                task: self.task_ref(handle),
                                output: output.to_owned(),
                                display,
                            }
                        }
                    };
                    parts.push(part);
                }
                // Known when compiling: a plain constant.
                match &parts[..] {
                    [] => Argument::Constant(crate::value::encode_text("")),
                    [FormatPart::Text(text)] => Argument::Constant(crate::value::encode_text(text)),
                    _ => Argument::Format(parts),
                }
            }
            Bound::Output(handle, output) => {
                if handle.trace == self.trace {
                    self.check_visible(handle, region, &what(), Some(location));
                }
                Argument::TaskOutput {
                    task: self.task_ref(handle),
                    output: output.to_owned(),
                }
            }
        })
    }

    fn task_ref(&self, handle: TaskHandle) -> TaskRef {
        if handle.trace == self.trace {
            TaskRef::Local(handle.id)
        } else {
            foreign_ref(handle)
        }
    }

    /// Resolves what a pipeline body returned, in the current region: each must be an output
    /// of a task (A0029 otherwise).
    fn outputs(
        &mut self,
        outputs: Vec<(&'static str, Bound)>,
        location: &'static Location<'static>,
    ) -> IndexMap<String, Argument> {
        let mut resolved = IndexMap::with_capacity(outputs.len());
        for (name, bound) in outputs {
            if !matches!(bound, Bound::Output(..)) {
                let pipeline = self.pipeline.name.clone();
                self.problems.push(
                    Diagnostic::error(
                        Code::UnsupportedConstruct,
                        &pipeline,
                        format!("pipeline output `{name}` is not an output of one of its tasks"),
                        "return a task's output (`task.output`, `task.model`); to return a parameter or a constant, pass it through a component",
                    )
                    .at(location_of(location)),
                );
                continue;
            }
            let what = || format!("pipeline output `{name}`");
            if let Some(argument) = self.argument(bound, &what, self.current, location) {
                resolved.insert(name.to_owned(), argument);
            }
        }
        resolved
    }

    /// Reports A0028 unless a task in region `from` can see `handle`'s task.
    fn check_visible(
        &mut self,
        handle: TaskHandle,
        from: RegionId,
        what: &str,
        location: Option<&'static Location<'static>>,
    ) {
        if handle.past_bound {
            self.refuse_past_bound(handle, what, location);
            return;
        }
        if crate::ir::region_sees(&self.pipeline.regions, from, handle.region) {
            return;
        }
        let producer = &self.pipeline.tasks[handle.id.index()];
        let made_at = producer
            .location
            .as_ref()
            .map(|l| format!(" (created at {l})"))
            .unwrap_or_default();
        let region = crate::ir::describe_region(&self.pipeline.regions, handle.region);
        let here = crate::ir::describe_region(&self.pipeline.regions, from);
        let message = format!(
            "{what} in {here} uses task `{}`{made_at}, which belongs to {region} and cannot be seen from there",
            producer.name
        );
        let pipeline = self.pipeline.name.clone();
        let d = Diagnostic::error(
            Code::OutOfScope,
            &pipeline,
            message,
            "use the value inside that region, or pass it out through the construct (the branch that ran, the loop's collected list, the sub-pipeline's outputs)",
        );
        self.problems
            .push(d.at_opt(location.map(location_of).as_ref()));
    }

    fn register<Native>(&mut self, def: &ComponentDef<Native>) -> String {
        let name = self.register_spec((def.spec)());
        if def.native.is_some() {
            self.natives.insert(name.clone());
        }
        self.by_key.insert(def.key, name.clone());
        name
    }

    /// Adds `spec` to the pipeline's components (A0008 if another spec has its name).
    fn register_spec(&mut self, spec: ComponentSpec) -> String {
        let name = spec.name.clone();
        match self.pipeline.components.get(&name) {
            Some(existing) if *existing != spec => {
                let pipeline = self.pipeline.name.clone();
                self.problems.push(Diagnostic::error(
                    Code::NameCollision,
                    &pipeline,
                    format!("two different components are both named `{name}`"),
                    "give one of them another name with #[component(name = \"…\")]",
                ));
            }
            Some(_) => {}
            None => {
                self.pipeline.components.insert(name.clone(), spec);
            }
        }
        name
    }
}

fn location_of(location: &'static Location<'static>) -> SourceLocation {
    SourceLocation {
        file: location.file().to_owned(),
        line: location.line(),
        column: location.column(),
    }
}

impl LoopHandle {
    /// The loop's region.
    pub fn region(self) -> RegionId {
        self.region
    }
}

impl TaskHandle {
    /// The task's index in its pipeline.
    pub fn id(self) -> TaskId {
        self.id
    }
}
