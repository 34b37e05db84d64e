//! Property tests: random pipelines, built directly as IR (up to 500 tasks; random
//! parameters, defaults, artifacts, container commands, names — hostile ones included — data
//! and ordering edges, budgets), are either refused with an error diagnostic, or compile to a
//! manifest that
//!
//! - matches Argo's JSON schema with strict keys,
//! - passes an independent model of Argo's validator (`argot_tests::argo_sim::violations`),
//! - is byte-for-byte deterministic,
//! - reads back as the same data with serde-saphyr, and with PyYAML (YAML 1.1) when small,
//! - fits the size budget (a manifest over it is always refused with A0013, never let through),
//! - delivers every known value to its container byte for byte: in a file Argo writes for a
//!   native component, as one argv element for a container component.
//!
//! A second family of properties follows random serde values of every shape (`String`,
//! `Option<String>`, `serde_json::Value`, an untagged enum with a `String` variant, a struct)
//! through the real path: the DSL encodes them (constants) or `submit -p` does (pipeline
//! parameters), the manifest is compiled, Argo's substitution is applied by the model
//! (`argo_sim::pods`: `ProcessArgs`, `SubstituteParams`, raw artifacts), and the fixtures
//! binary's `component` entrypoint decodes them, returns them and a second task reads them
//! back (native → native); the same values also go through `run -p`.
//!
//! A third property holds the parameter schema to serde: for random JSON and the std types
//! argot describes, `run -p`'s schema check accepts a value exactly when the component's own
//! decoding (`argot::value::decode::<T>`) does.
//!
//! "Tame" pipelines (valid names, references and values) must always be accepted.
//!
//! Cases are kept modest for CI (64 per property, sizes mostly small, about 10 s in all).
//! Run more with `PROPTEST_CASES=2000 cargo test -p argot-tests --test props`.

use std::collections::BTreeMap;

use argot::emit::argo::{Format, render_manifest, workflow};
use argot::ir::{
    Argument, CmdArg, ComponentSpec, ContainerImpl, Implementation, InputSpec, IoKind, OutputSpec,
    Piece, Pipeline, PipelineParam, Task, TaskId, TaskRef,
};
use argot::{Code, Diagnostics, Limits, Severity, ValidPipeline, ValidateOptions};
use argot_tests::argo_sim::{self, RUNTIME};
use argot_tests::fixtures;
use argot_tests::schema::{self, Kind};
use argot_tests::yaml11;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;

/// What `compile` checks: validation, then the Argo backend's rules (images, size budget,
/// metadata), since these tests judge the manifests Argo would receive.
fn validate(pipeline: &Pipeline, options: &ValidateOptions) -> Result<ValidPipeline, Diagnostics> {
    argot::emit::argo::validate_and_emit(pipeline.clone(), options).map(|(valid, _)| valid)
}

const KINDS: [&str; 4] = ["Artifact", "Dataset", "Model", "Metrics"];

const HOSTILE_NAMES: &[&str] = &[
    "", "2x", "Upper", "a_b", "a.b", "-a", "a-", "{{x}}", "träin", "a b", "$(X)", "a/b", "x\u{0}",
    "yes", "~", "0x10", "step", "output", "a--b",
];

const HOSTILE_VALUES: &[&str] = &[
    "",
    " ",
    "yes",
    "off",
    "~",
    "null",
    "0x10",
    "1e5",
    "012",
    "1:20",
    "- a",
    "#",
    "a: b",
    "{{workflow.name}}",
    "}}",
    "{",
    "$(HOME)",
    "$(rm -rf /)",
    "$$",
    "$",
    "a$",
    "(HOME)",
    "`id`",
    "'\"",
    "\\",
    "a\nb",
    "\r",
    "\t",
    "\u{0}",
    "\u{85}",
    "\u{2028}",
    "\u{feff}",
    "🦀",
    "--output",
    "--",
];

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        max_shrink_iters: 200,
        max_shrink_time: 20_000,
        // Failures print their minimal input; no regression files are written into the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn tame_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,6}(_[a-z0-9]{1,4})?"
}

fn wild_name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => tame_name(),
        2 => select(HOSTILE_NAMES).prop_map(str::to_owned),
        1 => "\\PC{0,12}",
        1 => (100usize..140).prop_map(|n| "n".repeat(n)),
    ]
}

fn tame_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 ._:/-]{0,16}",
        2 => "[a-zA-Z0-9 .,;:=+*/#!?@%&'\"()\\[\\]<>|-]{0,24}",
        1 => "\\PC{0,16}".prop_filter("no `{{`, `$`", |s| !s.contains("{{") && !s.contains('$')),
    ]
}

fn wild_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => tame_value(),
        4 => select(HOSTILE_VALUES).prop_map(str::to_owned),
        2 => "\\PC{0,24}",
        1 => any::<String>(),
    ]
}

/// Values for the few defaults: sometimes around the limits.
fn wild_default() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => wild_value(),
        1 => select(vec![1_000usize, 131_071, 131_072, 262_144, 262_145, 300_000]).prop_map(|n| "v".repeat(n)),
    ]
}

#[derive(Clone, Debug)]
enum PiecePlan {
    Literal(String),
    Value(usize),
    InputPath(usize),
    OutputPath(usize),
    OutputParamPath(usize),
    Bogus(String),
}

#[derive(Clone, Debug)]
struct ComponentPlan {
    name: String,
    native: bool,
    image: String,
    /// (name, is artifact, kind index, default)
    inputs: Vec<(String, bool, usize, Option<String>)>,
    /// (name, is artifact, kind index)
    outputs: Vec<(String, bool, usize)>,
    command: Vec<Vec<PiecePlan>>,
}

#[derive(Clone, Debug)]
enum BindingPlan {
    Constant(String),
    /// A value of the pipeline's pool of hostile values (so their number does not grow with
    /// the number of tasks).
    Pooled(usize),
    Param(usize),
    /// An output of an earlier task: (how far back, which output).
    Output(usize, usize),
    Omit,
    /// An output of a later task (may close a cycle).
    Forward(usize, usize),
}

#[derive(Clone, Debug)]
struct TaskPlan {
    component: usize,
    bindings: Vec<BindingPlan>,
    /// How far back each `.after` points; a 0 points at a later task.
    after: Vec<usize>,
    name: Option<String>,
}

#[derive(Clone, Debug)]
struct PipelinePlan {
    name: String,
    description: Option<String>,
    image: Option<String>,
    params: Vec<(String, Option<String>)>,
    components: Vec<ComponentPlan>,
    tasks: Vec<TaskPlan>,
    budget: usize,
    /// 0: only values are hostile; 1: names too; 2: the structure too.
    chaos: u8,
    /// Hostile values the tasks' constants draw from.
    pool: Vec<String>,
}

fn piece(tame: bool) -> BoxedStrategy<PiecePlan> {
    let literal = if tame {
        tame_value().boxed()
    } else {
        wild_value().boxed()
    };
    let mut options = vec![
        (4, literal.prop_map(PiecePlan::Literal).boxed()),
        (3, (0usize..4).prop_map(PiecePlan::Value).boxed()),
        (1, (0usize..4).prop_map(PiecePlan::InputPath).boxed()),
        (1, (0usize..4).prop_map(PiecePlan::OutputPath).boxed()),
        (1, (0usize..4).prop_map(PiecePlan::OutputParamPath).boxed()),
    ];
    if !tame {
        options.push((1, wild_name().prop_map(PiecePlan::Bogus).boxed()));
    }
    proptest::strategy::Union::new_weighted(options).boxed()
}

fn component(tame: bool) -> impl Strategy<Value = ComponentPlan> {
    let name = if tame {
        tame_name().boxed()
    } else {
        wild_name().boxed()
    };
    let io_name = if tame {
        tame_name().boxed()
    } else {
        wild_name().boxed()
    };
    let default = if tame {
        proptest::option::weighted(0.3, tame_value()).boxed()
    } else {
        proptest::option::weighted(0.3, wild_default()).boxed()
    };
    let image = if tame {
        Just("example.com/img:1.0".to_owned()).boxed()
    } else {
        prop_oneof![
            8 => Just("example.com/img:1.0".to_owned()),
            1 => select(vec!["busybox", "img:latest", "Bad/Image", "", "a@sha256:00"]).prop_map(str::to_owned),
        ]
        .boxed()
    };
    (
        name,
        any::<bool>(),
        image,
        vec(
            (
                io_name.clone(),
                prop::bool::weighted(0.3),
                0usize..4,
                default,
            ),
            0..4,
        ),
        vec((io_name, prop::bool::weighted(0.4), 0usize..4), 0..3),
        vec(vec(piece(tame), 1..3), 0..4),
    )
        .prop_map(
            |(name, native, image, inputs, outputs, command)| ComponentPlan {
                name,
                native,
                image,
                inputs: inputs
                    .into_iter()
                    .map(|(n, art, k, d)| (n, art, k, if art { None } else { d }))
                    .collect(),
                outputs,
                command,
            },
        )
}

fn binding(tame: bool) -> BoxedStrategy<BindingPlan> {
    if tame {
        prop_oneof![
            3 => tame_value().prop_map(BindingPlan::Constant),
            2 => (0usize..4).prop_map(BindingPlan::Param),
            4 => (1usize..6, 0usize..3).prop_map(|(b, o)| BindingPlan::Output(b, o)),
        ]
        .boxed()
    } else {
        prop_oneof![
            25 => tame_value().prop_map(BindingPlan::Constant),
            10 => (0usize..8).prop_map(BindingPlan::Pooled),
            20 => (0usize..5).prop_map(BindingPlan::Param),
            40 => (1usize..6, 0usize..3).prop_map(|(b, o)| BindingPlan::Output(b, o)),
            1 => Just(BindingPlan::Omit),
            1 => (1usize..4, 0usize..3).prop_map(|(f, o)| BindingPlan::Forward(f, o)),
        ]
        .boxed()
    }
}

fn task(tame: bool, components: usize) -> impl Strategy<Value = TaskPlan> {
    let name = if tame {
        Just(None).boxed()
    } else {
        proptest::option::weighted(0.1, wild_name()).boxed()
    };
    let after = if tame {
        vec(1usize..4, 0..2).boxed()
    } else {
        vec(0usize..4, 0..2).boxed()
    };
    (0..components, vec(binding(tame), 4), after, name).prop_map(
        |(component, bindings, after, name)| TaskPlan {
            component,
            bindings,
            after,
            name,
        },
    )
}

fn pipeline(tame: bool) -> impl Strategy<Value = PipelinePlan> {
    let sizes = prop_oneof![6 => 1usize..12, 3 => 12usize..80, 1 => 80usize..=500];
    let name = if tame {
        tame_name().boxed()
    } else {
        wild_name().boxed()
    };
    let param = if tame {
        (tame_name(), proptest::option::weighted(0.9, tame_value())).boxed()
    } else {
        (wild_name(), proptest::option::weighted(0.8, wild_default())).boxed()
    };
    let description = if tame {
        proptest::option::of(tame_value()).boxed()
    } else {
        proptest::option::of(wild_default()).boxed()
    };
    let image = if tame {
        Just(Some("example.com/pipeline:1.0".to_owned())).boxed()
    } else {
        prop_oneof![
            6 => Just(Some("example.com/pipeline:1.0".to_owned())),
            1 => Just(None),
            1 => Just(Some("pipeline:latest".to_owned())),
        ]
        .boxed()
    };
    let budget =
        prop_oneof![3 => Just(Limits::DEFAULT_MAX_MANIFEST_BYTES), 1 => 2_000usize..60_000];
    (
        (name, description, image),
        vec(param, 0..4),
        vec(component(tame), 1..5),
        sizes,
        budget,
        (0u8..3, vec(wild_value(), 1..6)),
    )
        .prop_flat_map(move |(head, params, components, n, budget, chaos)| {
            let count = components.len();
            (
                Just((head, params, components, budget, chaos)),
                vec(task(tame, count), n),
            )
        })
        .prop_map(
            |(((name, description, image), params, components, budget, (chaos, pool)), tasks)| {
                PipelinePlan {
                    name,
                    description,
                    image,
                    params,
                    components,
                    tasks,
                    budget,
                    chaos,
                    pool,
                }
            },
        )
}

/// How much of a plan's hostility the builder keeps.
#[derive(Clone, Copy, Debug)]
struct Mode {
    /// Replace generated names by unique, valid ones.
    tame_names: bool,
    /// Bind every input to something that fits; no cycles, no dangling references.
    tame_structure: bool,
}

impl Mode {
    const TAME: Mode = Mode {
        tame_names: true,
        tame_structure: true,
    };

    /// Wild plans: a third keeps only hostile values, a third adds hostile names, a third
    /// also breaks the structure.
    fn wild(chaos: u8) -> Mode {
        Mode {
            tame_names: chaos == 0,
            tame_structure: chaos < 2,
        }
    }
}

/// `name` if it looks like what [`tame_name`] generates, else `fallback`.
fn sanitized(name: &str, fallback: &str) -> String {
    let mut parts = name.splitn(2, '_');
    let head = parts.next().unwrap_or("");
    let ok = head.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        && name.matches('_').count() <= 1
        && !name.ends_with('_');
    if ok {
        name.to_owned()
    } else {
        fallback.to_owned()
    }
}

/// Builds the IR a plan describes.
fn build(plan: &PipelinePlan, mode: Mode) -> Pipeline {
    let tame = mode.tame_names;
    let mut params: Vec<PipelineParam> = Vec::new();
    for (i, (name, default)) in plan.params.iter().enumerate() {
        let name = if tame {
            format!("{}{i}", sanitized(name, "param"))
        } else {
            name.clone()
        };
        params.push(PipelineParam {
            name,
            rust_type: "String".into(),
            schema: argot::schema::TypeSchema::Text,
            default: default.clone(),
        });
    }
    let mut components: indexmap::IndexMap<String, ComponentSpec> = indexmap::IndexMap::new();
    for (c, cp) in plan.components.iter().enumerate() {
        let name = if tame {
            format!("{}-c{c}", sanitized(&cp.name, "comp"))
        } else {
            cp.name.clone()
        };
        let rename = |n: &str, i: usize, side: &str| {
            if tame {
                format!("{}_{side}{i}", sanitized(n, "io"))
            } else {
                n.to_owned()
            }
        };
        // Component 0 reads no artifact, so a task always has something to run.
        let inputs: Vec<InputSpec> = cp
            .inputs
            .iter()
            .filter(|(_, art, _, _)| !(c == 0 && *art))
            .enumerate()
            .map(|(i, (n, art, k, default))| InputSpec {
                name: rename(n, i, "i"),
                kind: if *art {
                    IoKind::Artifact {
                        kind: KINDS[*k].into(),
                    }
                } else {
                    IoKind::Parameter {
                        rust_type: "String".into(),
                        schema: argot::schema::TypeSchema::Text,
                    }
                },
                default: default.clone(),
                optional: false,
            })
            .collect();
        let outputs: Vec<OutputSpec> = cp
            .outputs
            .iter()
            .enumerate()
            .map(|(i, (n, art, k))| OutputSpec {
                name: rename(n, i, "o"),
                kind: if *art {
                    IoKind::Artifact {
                        kind: KINDS[(*k).max(1)].into(),
                    }
                } else {
                    IoKind::Parameter {
                        rust_type: "String".into(),
                        schema: argot::schema::TypeSchema::Text,
                    }
                },
            })
            .collect();
        let pick = |items: Vec<&str>, i: usize| {
            (!items.is_empty()).then(|| items[i % items.len()].to_owned())
        };
        let params_in: Vec<&str> = inputs
            .iter()
            .filter(|i| !i.kind.is_artifact())
            .map(|i| i.name.as_str())
            .collect();
        let arts_in: Vec<&str> = inputs
            .iter()
            .filter(|i| i.kind.is_artifact())
            .map(|i| i.name.as_str())
            .collect();
        let params_out: Vec<&str> = outputs
            .iter()
            .filter(|o| !o.kind.is_artifact())
            .map(|o| o.name.as_str())
            .collect();
        let arts_out: Vec<&str> = outputs
            .iter()
            .filter(|o| o.kind.is_artifact())
            .map(|o| o.name.as_str())
            .collect();
        let implementation = if cp.native {
            Implementation::Native
        } else {
            let args = cp
                .command
                .iter()
                .map(|pieces| {
                    CmdArg(
                        pieces
                            .iter()
                            .map(|p| match p {
                                PiecePlan::Literal(s) => Piece::Literal(s.clone()),
                                PiecePlan::Value(i) => pick(params_in.clone(), *i)
                                    .map_or(Piece::Literal("v".into()), Piece::InputValue),
                                PiecePlan::InputPath(i) => pick(arts_in.clone(), *i)
                                    .map_or(Piece::Literal("i".into()), Piece::InputPath),
                                PiecePlan::OutputPath(i) => pick(arts_out.clone(), *i)
                                    .map_or(Piece::Literal("o".into()), Piece::OutputPath),
                                PiecePlan::OutputParamPath(i) => pick(params_out.clone(), *i)
                                    .map_or(Piece::Literal("p".into()), Piece::OutputParamPath),
                                PiecePlan::Bogus(_) if mode.tame_structure => {
                                    Piece::Literal("b".into())
                                }
                                PiecePlan::Bogus(n) => Piece::InputValue(n.clone()),
                            })
                            .collect(),
                    )
                })
                .collect();
            Implementation::Container(ContainerImpl {
                image: cp.image.clone(),
                command: vec![CmdArg(vec![Piece::Literal("run".into())])],
                args,
                output_paths: Default::default(),
            })
        };
        components.insert(
            name.clone(),
            ComponentSpec {
                name,
                description: None,
                inputs,
                outputs,
                implementation,
                code_hash: None,
                config: Default::default(),
            },
        );
    }
    let names: Vec<String> = components.keys().cloned().collect();
    let mut tasks: Vec<Task> = Vec::new();
    let n = plan.tasks.len();
    for (i, tp) in plan.tasks.iter().enumerate() {
        let mut component = names[tp.component % names.len()].clone();
        let mut arguments = indexmap::IndexMap::new();
        'bind: for _attempt in 0..2 {
            arguments.clear();
            let spec = &components[&component];
            for (input, bp) in spec.inputs.iter().zip(&tp.bindings) {
                // An output of `task` that fits `input`, if any.
                let output_of = |task: usize, which: usize| -> Option<Argument> {
                    let producer = match tasks.get(task) {
                        Some(built) => &components[&built.component],
                        None => &components[&names[plan.tasks[task].component % names.len()]],
                    };
                    let fitting: Vec<&OutputSpec> = producer
                        .outputs
                        .iter()
                        .filter(|o| match (&input.kind, &o.kind) {
                            (IoKind::Parameter { .. }, IoKind::Parameter { .. }) => true,
                            (IoKind::Artifact { kind: want }, IoKind::Artifact { kind: have }) => {
                                want == "Artifact" || want == have
                            }
                            _ => false,
                        })
                        .collect();
                    let o = match (fitting.is_empty(), mode.tame_structure) {
                        (false, _) => fitting[which % fitting.len()],
                        (true, true) => return None,
                        (true, false) => producer.outputs.get(which)?,
                    };
                    Some(Argument::TaskOutput {
                        task: TaskRef::Local(TaskId(task as u32)),
                        output: o.name.clone(),
                    })
                };
                let back = |b: usize| (i > 0).then(|| i - 1 - (b - 1) % i);
                let earlier = |which: usize| (0..i).rev().find_map(|t| output_of(t, which));
                let artifact = input.kind.is_artifact();
                let argument = match bp {
                    BindingPlan::Constant(v) if !artifact || !mode.tame_structure => {
                        Some(Argument::Constant(v.clone()))
                    }
                    BindingPlan::Pooled(k) if !artifact || !mode.tame_structure => {
                        Some(Argument::Constant(plan.pool[k % plan.pool.len()].clone()))
                    }
                    BindingPlan::Param(p) if !params.is_empty() && !artifact => Some(
                        Argument::PipelineParam(params[p % params.len()].name.clone()),
                    ),
                    BindingPlan::Param(p) if !mode.tame_structure => {
                        Some(Argument::PipelineParam(format!("missing{p}")))
                    }
                    BindingPlan::Output(b, which) => back(*b)
                        .and_then(|t| output_of(t, *which))
                        .or_else(|| earlier(*which)),
                    BindingPlan::Forward(f, which) if !mode.tame_structure && i + f < n => {
                        output_of(i + f, *which)
                    }
                    BindingPlan::Omit if !mode.tame_structure => None,
                    BindingPlan::Constant(_)
                    | BindingPlan::Pooled(_)
                    | BindingPlan::Param(_)
                    | BindingPlan::Forward(..)
                    | BindingPlan::Omit => {
                        if artifact {
                            earlier(0)
                        } else {
                            Some(Argument::Constant("c".into()))
                        }
                    }
                };
                match argument {
                    Some(a) => {
                        arguments.insert(input.name.clone(), a);
                    }
                    None if mode.tame_structure && artifact => {
                        // Nothing earlier produces this artifact: run component 0 instead.
                        component = names[0].clone();
                        continue 'bind;
                    }
                    None if mode.tame_structure && input.default.is_none() => {
                        arguments.insert(input.name.clone(), Argument::Constant("x".into()));
                    }
                    None => {}
                }
            }
            break;
        }
        let after: Vec<TaskRef> = tp
            .after
            .iter()
            .filter_map(|&back| match back {
                0 if i + 1 < n && !mode.tame_structure => {
                    Some(TaskRef::Local(TaskId((i + 1) as u32)))
                }
                0 => None,
                b if i > 0 => Some(TaskRef::Local(TaskId((i - 1 - (b - 1) % i) as u32))),
                _ => None,
            })
            .collect();
        let (name, named_by_user) = match (&tp.name, tame) {
            (_, true) => (format!("t{i}"), true),
            (Some(name), false) => (name.clone(), true),
            (None, false) => (
                argot::namer::task_name(&argot::namer::task_stem(&component), i as u32 + 1),
                false,
            ),
        };
        tasks.push(Task {
            name,
            named_by_user,
            component,
            arguments,
            region: argot::ir::RegionId::ROOT,
            depends: after
                .into_iter()
                .map(argot::ir::Depends::Done)
                .reduce(argot::ir::Depends::and),
            config: Default::default(),
            location: None,
            template_ref: None,
        });
    }
    Pipeline {
        name: if tame {
            format!("{}-pipeline", sanitized(&plan.name, "p"))
        } else {
            plan.name.clone()
        },
        description: plan.description.clone(),
        image: plan.image.clone(),
        binary_path: "/usr/local/bin/pipeline".into(),
        binary_delivery: None,
        params,
        components,
        tasks,
        settings: Default::default(),
        regions: argot::ir::Region::root_only(),
        defaults: Default::default(),
        outputs: Default::default(),
        publish: Default::default(),
    }
}

fn options(budget: usize) -> ValidateOptions {
    ValidateOptions {
        limits: Limits {
            max_manifest_bytes: budget,
            ..Limits::default()
        },
        ..ValidateOptions::default()
    }
}

/// The value each parameter input of `task` receives, when known before the run.
fn known_inputs(p: &Pipeline, task: &Task) -> BTreeMap<String, Option<String>> {
    let spec = &p.components[&task.component];
    spec.inputs
        .iter()
        .filter(|i| !i.kind.is_artifact())
        .map(|i| {
            let v = match task.arguments.get(&i.name) {
                Some(Argument::Constant(v)) => Some(v.clone()),
                Some(Argument::PipelineParam(n)) => p
                    .params
                    .iter()
                    .find(|q| &q.name == n)
                    .and_then(|q| q.default.clone()),
                Some(
                    Argument::TaskOutput { .. }
                    | Argument::Run(_)
                    | Argument::OneOf(_)
                    | Argument::LoopItem { .. }
                    | Argument::Collected { .. }
                    | Argument::Format(_)
                    | Argument::External { .. },
                ) => None,
                None => i.default.clone(),
            };
            (i.name.clone(), v)
        })
        .collect()
}

/// Everything an accepted pipeline's manifest must satisfy.
fn check_accepted(
    p: &Pipeline,
    valid: &argot::ValidPipeline,
    budget: usize,
) -> Result<(), TestCaseError> {
    let wf = workflow(valid);
    let yaml = render_manifest(&wf, Format::Yaml).unwrap();
    let json_text = render_manifest(&wf, Format::Json).unwrap();
    let json: Value = serde_json::from_str(&json_text).unwrap();

    let compact = serde_json::to_vec(&wf).unwrap().len();
    prop_assert!(
        compact <= budget,
        "a {compact}-byte manifest passed a {budget}-byte budget"
    );

    let again = validate(p, &options(budget)).expect("validation is deterministic");
    prop_assert_eq!(
        &yaml,
        &render_manifest(&workflow(&again), Format::Yaml).unwrap(),
        "not deterministic"
    );

    let v = schema::violations(Kind::Workflow, &json);
    prop_assert!(v.is_empty(), "schema: {}", v.join("\n"));
    let v = argo_sim::violations(&json);
    prop_assert!(v.is_empty(), "Argo would refuse: {}", v.join("\n"));

    let saphyr: Value = serde_saphyr::from_str(&yaml).expect("serde-saphyr reads it back");
    prop_assert_eq!(&saphyr, &json, "serde-saphyr reads other data");
    if yaml.len() < 64 * 1024
        && let Some(v) = yaml11::parse(&yaml)
    {
        prop_assert_eq!(&v, &json, "PyYAML (YAML 1.1) reads other data");
    }

    let pods = argo_sim::pods(&json, &BTreeMap::new(), &mut |_, _| None);
    for task in &p.tasks {
        let spec = &p.components[&task.component];
        let known = known_inputs(p, task);
        let pod = &pods[&task.name];
        let got = &pod.argv;
        match &spec.implementation {
            Implementation::Native => {
                // argv: binary, `component`, name, then `--param-file NAME PATH` / `--input NAME
                // PATH`; each value is the content of the file Argo writes at PATH.
                for (k, input) in spec.inputs.iter().enumerate() {
                    let Some(value) = known.get(&input.name) else {
                        continue;
                    };
                    prop_assert_eq!(&got[3 + 3 * k], "--param-file");
                    prop_assert_eq!(&got[4 + 3 * k], &input.name);
                    let file = &pod.files[&got[5 + 3 * k]];
                    match value {
                        Some(v) => {
                            prop_assert_eq!(file, v, "task `{}` input `{}`", task.name, input.name)
                        }
                        None => prop_assert!(file.contains(RUNTIME)),
                    }
                }
            }
            Implementation::Container(c) => {
                let elements: Vec<&CmdArg> = c.command.iter().chain(&c.args).collect();
                prop_assert_eq!(elements.len(), got.len());
                for (element, got) in elements.iter().zip(got) {
                    let mut expected = String::new();
                    let mut complete = true;
                    for piece in &element.0 {
                        match piece {
                            Piece::Literal(s) => expected.push_str(s),
                            Piece::InputValue(n) => match known.get(n).cloned().flatten() {
                                Some(v) => expected.push_str(&v),
                                None => complete = false,
                            },
                            Piece::InputPath(n) => {
                                expected.push_str(&argot::protocol::input_artifact_path(n))
                            }
                            Piece::OutputPath(n) => {
                                expected.push_str(&argot::protocol::output_artifact_path(n))
                            }
                            Piece::OutputParamPath(n) => {
                                expected.push_str(&argot::protocol::output_parameter_path(n))
                            }
                        }
                    }
                    if complete {
                        prop_assert_eq!(got, &expected, "task `{}`", task.name);
                    }
                }
            }
            // The generated pipelines hold no resource steps: no pod of ours to compare.
            Implementation::Resource(_) => {}
        }
    }
    Ok(())
}

/// What a refused pipeline must satisfy.
fn check_refused(p: &Pipeline, d: &argot::Diagnostics, budget: usize) -> Result<(), TestCaseError> {
    prop_assert!(d.error_count() > 0, "refused without an error: {d}");
    let again = validate(p, &options(budget)).expect_err("validation is deterministic");
    prop_assert_eq!(d, &again);
    if d.codes().contains(&Code::ManifestTooLarge) {
        // Manifest rules run only on valid IR: the only other error can be metadata.
        let manifest_rules = |x: &argot::Diagnostic| {
            matches!(x.code, Code::ManifestTooLarge | Code::InvalidMetadata)
        };
        prop_assert!(
            d.iter()
                .filter(|x| x.severity == Severity::Error)
                .all(manifest_rules),
            "{:?}",
            d.codes()
        );
        match validate(p, &options(usize::MAX)) {
            Ok(roomy) => {
                let size = serde_json::to_vec(&workflow(&roomy)).unwrap().len();
                prop_assert!(
                    size > budget,
                    "refused as too large at {} bytes under a {}-byte budget",
                    size,
                    budget
                );
            }
            Err(e) => prop_assert!(
                e.iter()
                    .filter(|x| x.severity == Severity::Error)
                    .all(|x| x.code == Code::InvalidMetadata),
                "{}",
                e.codes().len()
            ),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_pipeline_is_refused_or_compiles_to_a_manifest_argo_accepts(plan in pipeline(false)) {
        let p = build(&plan, Mode::wild(plan.chaos));
        match validate(&p, &options(plan.budget)) {
            Ok(valid) => check_accepted(&p, &valid, plan.budget)?,
            Err(d) => check_refused(&p, &d, plan.budget)?,
        }
    }

    #[test]
    fn tame_pipelines_are_accepted_unless_over_the_budget(plan in pipeline(true)) {
        let p = build(&plan, Mode::TAME);
        match validate(&p, &options(plan.budget)) {
            Ok(valid) => check_accepted(&p, &valid, plan.budget)?,
            Err(d) => {
                let errors: Vec<Code> = d.iter().filter(|x| x.severity == Severity::Error).map(|x| x.code).collect();
                prop_assert_eq!(errors, vec![Code::ManifestTooLarge], "a tame pipeline was refused:\n{}", d);
                check_refused(&p, &d, plan.budget)?;
            }
        }
    }
}

// --- Values of every serde shape, end to end. ---

const BIN: &str = env!("CARGO_BIN_EXE_argot-fixtures");

/// Text made of pieces Argo, the kubelet, YAML or JSON could take for syntax, and any
/// character (`nul` decides whether NUL may appear: argv cannot carry it).
fn wild_text(nul: bool) -> BoxedStrategy<String> {
    let piece = prop_oneof![
        select(vec![
            "{{workflow.uid}}",
            "{{workflow.name}}",
            "{{workflow.parameters.text}}",
            "{{inputs.parameters.value}}",
            "{{=1+1}}",
            "$(HOME)",
            "$(ARGO_TEMPLATE)",
            "$$",
            "$",
            "{",
            "}",
            "\"",
            "\\",
            "\\u0024",
            "\n",
            "\t",
            "\r",
            " ",
            "null",
            "true",
            "42",
            "- a",
            "yes",
        ])
        .prop_map(str::to_owned),
        "[a-z0-9]{1,4}",
        any::<char>().prop_map(String::from),
    ];
    vec(piece, 0..8)
        .prop_map(move |parts| {
            let s = parts.concat();
            if nul { s } else { s.replace('\0', "") }
        })
        .boxed()
}

fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        wild_text(true).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec((wild_text(true), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
    .boxed()
}

fn sample() -> impl Strategy<Value = fixtures::Sample> {
    let loose = prop_oneof![
        any::<i64>().prop_map(fixtures::Loose::Number),
        any::<bool>().prop_map(fixtures::Loose::Flag),
        vec(wild_text(true), 0..3).prop_map(fixtures::Loose::List),
        wild_text(true).prop_map(fixtures::Loose::Text),
    ];
    let record = (
        wild_text(true),
        vec(wild_text(true), 0..3),
        proptest::option::of(wild_text(true)),
        json_value(),
    )
        .prop_map(|(name, tags, note, extra)| fixtures::Record {
            name,
            tags,
            note,
            extra,
        });
    (
        wild_text(false),
        proptest::option::of(wild_text(true)),
        json_value(),
        loose,
        record,
    )
        .prop_map(|(text, maybe, json, loose, record)| fixtures::Sample {
            text,
            maybe,
            json,
            loose,
            record,
        })
}

/// The `-p NAME=VALUE` texts a user would type for `sample`: a `String` as itself, any other
/// type as JSON.
fn typed_by_hand(sample: &fixtures::Sample) -> Vec<(&'static str, String)> {
    let json = |v: Value| v.to_string();
    vec![
        ("text", sample.text.clone()),
        ("maybe", json(serde_json::json!(sample.maybe))),
        ("json", json(sample.json.clone())),
        ("loose", json(serde_json::json!(sample.loose))),
        ("record", json(serde_json::json!(sample.record))),
    ]
}

/// Checks that each task's output (a file's content, one trailing newline removed as Argo's
/// executor does) decodes to the value of `sample` its component mirrors.
fn check_outputs(
    what: &str,
    sample: &fixtures::Sample,
    outputs: &BTreeMap<String, String>,
) -> Result<(), TestCaseError> {
    use argot::value::decode;
    prop_assert_eq!(outputs.len(), 10, "{}: {:?}", what, outputs.keys());
    for (task, text) in outputs {
        let component = task.trim_end_matches("-2");
        let ok = match component {
            "mirror-text" => decode::<String>(text).ok() == Some(sample.text.clone()),
            "mirror-maybe" => decode::<Option<String>>(text).ok() == Some(sample.maybe.clone()),
            "mirror-json" => decode::<Value>(text).ok() == Some(sample.json.clone()),
            "mirror-loose" => decode::<fixtures::Loose>(text).ok() == Some(sample.loose.clone()),
            "mirror-record" => decode::<fixtures::Record>(text).ok() == Some(sample.record.clone()),
            other => panic!("unexpected task `{other}`"),
        };
        prop_assert!(ok, "{}: task `{}` returned {:?}", what, task, text);
    }
    Ok(())
}

/// Runs every task of `manifest` as Argo would (per `argo_sim::pods`), each in the fixtures
/// binary's `component` entrypoint, feeding outputs to dependants; returns each task's output.
fn run_in_argo_model(
    manifest: &Value,
    submitted: &BTreeMap<String, String>,
    dir: &std::path::Path,
) -> BTreeMap<String, String> {
    let mut outputs: BTreeMap<String, String> = BTreeMap::new();
    loop {
        let pods = argo_sim::pods(manifest, submitted, &mut |task, name| {
            assert_eq!(name, "output");
            outputs.get(task).cloned()
        });
        let ready: Vec<(String, argo_sim::Pod)> = pods
            .into_iter()
            .filter(|(task, pod)| {
                !outputs.contains_key(task)
                    && !pod.files.values().any(|f| f.contains(RUNTIME))
                    && !pod.argv.iter().any(|a| a.contains(RUNTIME))
            })
            .collect();
        if ready.is_empty() {
            return outputs;
        }
        for (task, pod) in ready {
            let local = dir.join(&task);
            let place = |path: &str| -> String {
                match path.strip_prefix("/tmp/argot/") {
                    Some(rest) => local.join(rest).display().to_string(),
                    None => path.to_owned(),
                }
            };
            for (path, content) in &pod.files {
                let file = place(path);
                std::fs::create_dir_all(std::path::Path::new(&file).parent().unwrap()).unwrap();
                std::fs::write(&file, content).unwrap();
            }
            let args: Vec<String> = pod.argv[1..].iter().map(|a| place(a)).collect();
            let run = std::process::Command::new(BIN)
                .args(&args)
                .output()
                .expect("the fixtures binary runs");
            assert!(
                run.status.success(),
                "task `{task}` failed: {}",
                String::from_utf8_lossy(&run.stderr)
            );
            let text = std::fs::read_to_string(local.join("outputs/output")).unwrap();
            let text = text.strip_suffix('\n').unwrap_or(&text).to_owned();
            outputs.insert(task, text);
        }
    }
}

/// A fixture pipeline traced, validated and rendered: the manifest Argo would receive.
fn compiled(def: argot::PipelineDef) -> (Pipeline, Value) {
    let p = def
        .trace("/usr/local/bin/argot-fixtures")
        .unwrap_or_else(|d| panic!("{d}"))
        .pipeline;
    let valid = validate(&p, &ValidateOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    let json =
        serde_json::from_str(&render_manifest(&workflow(&valid), Format::Json).unwrap()).unwrap();
    (p, json)
}

fn value_cases() -> u32 {
    (cases() / 4).max(4)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: value_cases(), ..config() })]

    #[test]
    fn serde_values_reach_the_component_through_the_manifest(sample in sample()) {
        let dir = tempfile::tempdir().unwrap();
        // As constants, encoded by the DSL.
        fixtures::set_sample(sample.clone());
        let (_, json) = compiled(fixtures::round_trip_constants::definition());
        let outputs = run_in_argo_model(&json, &BTreeMap::new(), &dir.path().join("constants"));
        check_outputs("constants", &sample, &outputs)?;

        // As pipeline parameters, checked and encoded as `submit -p` does.
        let (p, json) = compiled(fixtures::round_trip::definition());
        let submitted: BTreeMap<String, String> = typed_by_hand(&sample)
            .into_iter()
            .map(|(name, text)| {
                let wire = argot::run::override_to_wire(&p, name, &text)
                    .unwrap_or_else(|e| panic!("-p {name}: {e}"));
                (name.to_owned(), wire)
            })
            .collect();
        let outputs = run_in_argo_model(&json, &submitted, &dir.path().join("submitted"));
        check_outputs("submit -p", &sample, &outputs)?;
    }

    #[test]
    fn serde_values_reach_the_component_through_a_local_run(sample in sample()) {
        let dir = tempfile::tempdir().unwrap();
        let workdir = dir.path().join("runs");
        let store = dir.path().join("metadata.db");
        let mut args: Vec<String> = vec!["run".into(), "round_trip".into()];
        for (name, text) in typed_by_hand(&sample) {
            args.push("-p".into());
            args.push(format!("{name}={text}"));
        }
        args.extend([
            "--no-cache".into(),
            "--workdir".into(),
            workdir.display().to_string(),
            "--store".into(),
            store.display().to_string(),
        ]);
        let out = std::process::Command::new(BIN)
            .args(&args)
            .env_remove("ARGOT_CONTAINER_RUNTIME")
            .output()
            .unwrap();
        prop_assert!(out.status.success(), "run failed: {}", String::from_utf8_lossy(&out.stderr));
        let run = std::fs::read_dir(&workdir).unwrap().next().unwrap().unwrap().path();
        let mut outputs = BTreeMap::new();
        for entry in std::fs::read_dir(&run).unwrap() {
            let path = entry.unwrap().path();
            let output = path.join("outputs/output");
            if output.is_file() {
                let text = std::fs::read_to_string(&output).unwrap();
                let text = text.strip_suffix('\n').unwrap_or(&text).to_owned();
                outputs.insert(path.file_name().unwrap().to_string_lossy().into_owned(), text);
            }
        }
        check_outputs("run -p", &sample, &outputs)?;
    }
}

/// Random JSON near the edges of the std types' schemas: integers around the bounds of `u8`,
/// `i8`, `u16`, `u32`, `i64` and `u64`, whole and fractional floats, one- and two-character
/// strings, short arrays and objects whose keys may read as integers.
fn edge_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            -300i64..70_000,
            Just(i64::MIN),
            Just(i64::MAX),
            Just(-129),
            Just(4_294_967_296),
        ]
        .prop_map(|n| json!(n)),
        Just(json!(u64::MAX)),
        prop_oneof![Just(1.0f64), Just(2.5), Just(-0.5), Just(255.0)].prop_map(|f| json!(f)),
        prop_oneof![
            Just(""),
            Just("a"),
            Just("é"),
            Just("ab"),
            Just("7"),
            Just("fast")
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            vec(
                (
                    prop_oneof![
                        Just("a"),
                        Just("7"),
                        Just("-1"),
                        Just("700"),
                        Just("7.0"),
                        Just("x")
                    ],
                    inner
                ),
                0..3
            )
            .prop_map(|entries| {
                serde_json::Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            }),
        ]
    })
}

/// Does the schema of `T` accept `text` exactly when `T`'s decoding does?
fn schema_agrees_with_serde<T: argot::Schema + argot::ParamType>(
    text: &str,
) -> Result<(), TestCaseError> {
    let schema = T::schema();
    let by_schema = argot::run::check_wire(&schema, argot::value::WireForm::Json, text);
    let by_serde = argot::value::decode::<T>(text).map(|_| ());
    prop_assert_eq!(
        by_schema.is_ok(),
        by_serde.is_ok(),
        "{} on {}: schema says {:?}, serde says {:?}",
        std::any::type_name::<T>(),
        text,
        by_schema,
        by_serde.map_err(|e| e.to_string())
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() * 4, ..config() })]

    #[test]
    fn the_schema_check_agrees_with_serde_for_std_types(value in edge_json()) {
        use std::collections::BTreeMap;
        let text = value.to_string();
        schema_agrees_with_serde::<u8>(&text)?;
        schema_agrees_with_serde::<i8>(&text)?;
        schema_agrees_with_serde::<u16>(&text)?;
        schema_agrees_with_serde::<u32>(&text)?;
        schema_agrees_with_serde::<i64>(&text)?;
        schema_agrees_with_serde::<u64>(&text)?;
        schema_agrees_with_serde::<usize>(&text)?;
        schema_agrees_with_serde::<f64>(&text)?;
        schema_agrees_with_serde::<bool>(&text)?;
        schema_agrees_with_serde::<char>(&text)?;
        schema_agrees_with_serde::<Vec<u8>>(&text)?;
        schema_agrees_with_serde::<Vec<Option<i8>>>(&text)?;
        schema_agrees_with_serde::<Option<u16>>(&text)?;
        schema_agrees_with_serde::<(u8, bool)>(&text)?;
        schema_agrees_with_serde::<[u8; 2]>(&text)?;
        schema_agrees_with_serde::<BTreeMap<String, u8>>(&text)?;
        schema_agrees_with_serde::<BTreeMap<u8, bool>>(&text)?;
        schema_agrees_with_serde::<std::num::NonZeroU8>(&text)?;
    }
}
