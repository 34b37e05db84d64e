//! Loops on this machine: each loop's body is unrolled once its items are known, into one
//! instance of each of its tasks per item, as Argo expands a looped DAG task
//! (`expandTask` in `workflow/controller/dag.go`).
//!
//! A run goes in stages. Each stage unrolls every loop whose items are known (a list
//! constant, a pipeline parameter, or the output of a task that has finished), and holds back
//! what cannot be decided yet: the body of a loop over the output of a task that has not run,
//! a task reading a loop's collected outputs before every iteration has finished, whatever
//! depends on those, and the exit handler while any of the body waits. The scheduler runs a
//! stage to its end; the next stage starts from what finished.
//!
//! An instance is named after its task and its items' indices, outermost loop first:
//! `train(0)`, `train(1)`, `clean(2,0)` (Argo names the iteration `loop-1(0:…)`). It receives
//! the item as Argo substitutes `{{item}}` and `{{item.FIELD}}` (`processItem` in
//! `workflow/controller/operator.go`; [`crate::value::argo_item_text`]). A collected output is
//! the JSON list Argo aggregates (`processAggregateNodeOutputs`; [`crate::value::aggregate`]):
//! the succeeded iterations' values in item order; a collected artifact is the list of the
//! succeeded instances (`{"output": …, "instances": […]}`, in item order), whose artifacts the
//! scheduler gathers into the
//! reader's collection folder. The reader waits for the whole loop and is
//! `Omitted` when an instance in it failed (Argo: the loop's node failed), or when the task
//! giving the loop its list did not succeed.

use std::collections::{BTreeMap, HashMap, HashSet};

use argot_client::Phase;
use indexmap::IndexMap;

use super::TaskReport;
use crate::ir::{
    Argument, Condition, Depends, FormatPart, LoopItems, Operand, Region, RegionId, RegionKind,
    Task, TaskId, TaskRef, TaskResult,
};
use crate::validate::ValidPipeline;

/// One stage of a run with loops.
pub(crate) struct Stage {
    /// The pipeline with the loops known so far unrolled.
    pub(crate) valid: ValidPipeline,
    /// True when some tasks wait for a later stage.
    pub(crate) deferred: bool,
    /// For each task, the loops around it that bound how many of their tasks run at once:
    /// (the loop instance's index, its limit).
    pub(crate) limits: Vec<Vec<(usize, usize)>>,
    /// How many loop instances `limits` counts.
    pub(crate) loops: usize,
}

/// True when `valid` has a loop (and must be run in stages).
pub(crate) fn has_loops(valid: &ValidPipeline) -> bool {
    valid
        .pipeline()
        .regions
        .iter()
        .any(|r| matches!(r.kind, RegionKind::Loop { .. }))
}

/// A position in the loops around something: the item index of each, outermost first.
type Ctx = Vec<usize>;

struct Unroller<'a> {
    valid: &'a ValidPipeline,
    params: &'a BTreeMap<String, String>,
    done: &'a HashMap<String, TaskReport>,
    /// For each region, the loops around it (itself included), outermost first.
    loops_of: Vec<Vec<RegionId>>,
    tasks: Vec<Task>,
    task_templates: Vec<u32>,
    regions: Vec<Region>,
    branches: Vec<Option<crate::rules::BranchNames>>,
    region_map: HashMap<(RegionId, Ctx), RegionId>,
    instances: HashMap<(TaskId, Ctx), TaskId>,
    items: HashMap<(RegionId, Ctx), Option<Vec<serde_json::Value>>>,
    /// The task instance that gave a loop instance its list.
    sources: HashMap<(RegionId, Ctx), TaskId>,
    /// Every task instance inside a loop instance.
    members: HashMap<(RegionId, Ctx), Vec<TaskId>>,
    /// Loop instances some of whose tasks wait for a later stage.
    incomplete: HashSet<(RegionId, Ctx)>,
    limit_keys: IndexMap<(RegionId, Ctx), ()>,
    /// The sub-pipeline calls made, whose outputs still name the original tasks.
    calls: Vec<(RegionId, Ctx)>,
    limits: Vec<Vec<(usize, usize)>>,
    deferred: bool,
}

/// Unrolls what can be unrolled of `valid`'s loops, given the run's parameters and the tasks
/// finished so far (by instance name).
pub(crate) fn unroll(
    valid: &ValidPipeline,
    params: &BTreeMap<String, String>,
    done: &HashMap<String, TaskReport>,
) -> Stage {
    let p = valid.pipeline();
    let loops_of = (0..p.regions.len())
        .map(|r| {
            let mut v: Vec<RegionId> = crate::ir::ancestry(&p.regions, RegionId(r as u32))
                .filter(|(_, region)| matches!(region.kind, RegionKind::Loop { .. }))
                .map(|(id, _)| id)
                .collect();
            v.reverse();
            v
        })
        .collect();
    let mut u = Unroller {
        valid,
        params,
        done,
        loops_of,
        tasks: Vec::new(),
        task_templates: Vec::new(),
        regions: vec![p.regions[0].clone()],
        branches: vec![valid.names().branches.first().cloned().flatten()],
        region_map: HashMap::from([((RegionId::ROOT, Vec::new()), RegionId::ROOT)]),
        instances: HashMap::new(),
        items: HashMap::new(),
        sources: HashMap::new(),
        members: HashMap::new(),
        incomplete: HashSet::new(),
        limit_keys: IndexMap::new(),
        calls: Vec::new(),
        limits: Vec::new(),
        deferred: false,
    };
    // The exit handler runs after the whole body: it waits while any of the body waits.
    // Tasks are instantiated after the tasks they need (`.after(&task(…))` may name one
    // traced later), in pipeline order otherwise.
    let order = instantiation_order(valid);
    for exit in [false, true] {
        for &i in &order {
            let t = &p.tasks[i];
            if crate::ir::in_exit_handler(&p.regions, t.region) != exit {
                continue;
            }
            if exit && u.deferred {
                continue;
            }
            for ctx in u.contexts(t.region) {
                u.instantiate(TaskId(i as u32), ctx);
            }
        }
    }
    // What each call returns, now that its tasks have their instances (an output whose task
    // waits for a later stage is left out until then).
    for (call, ctx) in std::mem::take(&mut u.calls) {
        let mapped: Option<IndexMap<String, Argument>> = match &u.regions[call.index()].kind {
            RegionKind::Call { outputs, .. } => Some(
                outputs
                    .iter()
                    .filter_map(|(k, a)| Some((k.clone(), u.map_plain(a, &ctx)?)))
                    .collect(),
            ),
            _ => None,
        };
        if let (Some(mapped), RegionKind::Call { outputs, .. }) =
            (mapped, &mut u.regions[call.index()].kind)
        {
            *outputs = mapped;
        }
    }
    // What the pipeline returns names tasks outside every loop: their one instance.
    let outputs = p
        .outputs
        .iter()
        .filter_map(|(k, a)| Some((k.clone(), u.map_plain(a, &[])?)))
        .collect();
    let mut pipeline = p.clone();
    pipeline.outputs = outputs;
    pipeline.tasks = u.tasks;
    pipeline.regions = u.regions;
    let loops = u.limit_keys.len();
    Stage {
        valid: valid.unrolled(pipeline, u.task_templates, u.branches),
        deferred: u.deferred,
        limits: u.limits,
        loops,
    }
}

/// The pipeline's tasks, each after every task it depends on (`ValidPipeline::dependencies`),
/// otherwise in pipeline order (`super::dependency_order`).
fn instantiation_order(valid: &ValidPipeline) -> Vec<usize> {
    let deps: Vec<Vec<usize>> = (0..valid.pipeline().tasks.len())
        .map(|i| {
            valid
                .dependencies(TaskId(i as u32))
                .iter()
                .map(|d| d.index())
                .collect()
        })
        .collect();
    super::dependency_order(&deps)
}

impl Unroller<'_> {
    /// Every position of the loops around `region` whose items are known; a loop whose items
    /// are not known yet holds its part back.
    fn contexts(&mut self, region: RegionId) -> Vec<Ctx> {
        let loops = self.loops_of[region.index()].clone();
        let mut ctxs: Vec<Ctx> = vec![Vec::new()];
        for (j, l) in loops.iter().enumerate() {
            let mut next = Vec::new();
            for ctx in ctxs {
                match self.items_of(*l, &ctx) {
                    Some(n) => next.extend((0..n).map(|k| {
                        let mut c = ctx.clone();
                        c.push(k);
                        c
                    })),
                    None => self.hold(&loops[..j], &ctx),
                }
            }
            ctxs = next;
        }
        ctxs
    }

    /// Notes that something inside the loops `loops` at `ctx` waits for a later stage.
    fn hold(&mut self, loops: &[RegionId], ctx: &[usize]) {
        self.deferred = true;
        for (j, l) in loops.iter().enumerate() {
            self.incomplete.insert((*l, ctx[..j].to_vec()));
        }
    }

    /// How many items loop `l` has at position `outer` of the loops around it, if known.
    fn items_of(&mut self, l: RegionId, outer: &[usize]) -> Option<usize> {
        self.item_list(l, outer).map(<[serde_json::Value]>::len)
    }

    fn item_list(&mut self, l: RegionId, outer: &[usize]) -> Option<&[serde_json::Value]> {
        let key = (l, outer.to_vec());
        if !self.items.contains_key(&key) {
            let found = self.resolve_items(l, outer)?;
            self.items.insert(key.clone(), Some(found));
        }
        self.items.get(&key).and_then(|v| v.as_deref())
    }

    fn resolve_items(&mut self, l: RegionId, outer: &[usize]) -> Option<Vec<serde_json::Value>> {
        let p = self.valid.pipeline();
        let RegionKind::Loop { items, .. } = &p.regions[l.index()].kind else {
            return Some(Vec::new());
        };
        // Argo reads `withParam` as a JSON list (`expandTask`); argot's wire form of a list
        // is one, so anything else is a loop without items here.
        let list =
            |text: &str| serde_json::from_str::<Vec<serde_json::Value>>(text).unwrap_or_default();
        match items {
            LoopItems::Static(items) => Some(
                items
                    .iter()
                    .filter_map(|i| serde_json::from_str(i).ok())
                    .collect(),
            ),
            LoopItems::PipelineParam(name) => {
                Some(self.params.get(name).map(|v| list(v)).unwrap_or_default())
            }
            LoopItems::TaskOutput {
                task: TaskRef::Local(x),
                output,
            } => {
                let instance = self.instance_of(*x, outer)?;
                let report = self.done.get(&self.tasks[instance.index()].name)?;
                self.sources.insert((l, outer.to_vec()), instance);
                if report.phase != Phase::Succeeded {
                    return Some(Vec::new());
                }
                Some(
                    report
                        .output_params
                        .iter()
                        .find(|(n, _)| n == output)
                        .map(|(_, v)| list(v))
                        .unwrap_or_default(),
                )
            }
            LoopItems::TaskOutput { .. } => Some(Vec::new()),
        }
    }

    /// The instance of task `x` seen from position `ctx` (whose loops include `x`'s).
    fn instance_of(&self, x: TaskId, ctx: &[usize]) -> Option<TaskId> {
        let p = self.valid.pipeline();
        let n = self.loops_of[p.tasks[x.index()].region.index()].len();
        self.instances.get(&(x, ctx.get(..n)?.to_vec())).copied()
    }

    fn map_ref(&self, r: &TaskRef, ctx: &[usize]) -> Option<TaskRef> {
        match r {
            TaskRef::Local(x) => self.instance_of(*x, ctx).map(TaskRef::Local),
            foreign => Some(foreign.clone()),
        }
    }

    /// An argument that reads tasks by reference only (a call's arguments and outputs).
    fn map_plain(&self, a: &Argument, ctx: &[usize]) -> Option<Argument> {
        Some(match a {
            Argument::TaskOutput { task, output } => Argument::TaskOutput {
                task: self.map_ref(task, ctx)?,
                output: output.clone(),
            },
            other => other.clone(),
        })
    }

    fn map_depends(&self, d: &Depends, ctx: &[usize]) -> Option<Depends> {
        Some(match d {
            Depends::Done(t) => Depends::Done(self.map_ref(t, ctx)?),
            Depends::Result { task, result } => Depends::Result {
                task: self.map_ref(task, ctx)?,
                result: *result,
            },
            Depends::AnySucceeded(t) => Depends::AnySucceeded(self.map_ref(t, ctx)?),
            Depends::AllFailed(t) => Depends::AllFailed(self.map_ref(t, ctx)?),
            Depends::And(v) => Depends::And(
                v.iter()
                    .map(|d| self.map_depends(d, ctx))
                    .collect::<Option<_>>()?,
            ),
            Depends::Or(v) => Depends::Or(
                v.iter()
                    .map(|d| self.map_depends(d, ctx))
                    .collect::<Option<_>>()?,
            ),
            Depends::Not(d) => Depends::Not(Box::new(self.map_depends(d, ctx)?)),
        })
    }

    fn map_condition(&self, c: &Condition, ctx: &[usize]) -> Option<Condition> {
        let operand = |o: &Operand| -> Option<Operand> {
            Some(match o {
                Operand::TaskOutput { task, output } => Operand::TaskOutput {
                    task: self.map_ref(task, ctx)?,
                    output: output.clone(),
                },
                // The item as Argo substitutes it into the expression's input.
                Operand::LoopItem { region: l, field } => {
                    let depth = self.loops_of[l.index()].len() - 1;
                    let k = *ctx.get(depth)?;
                    let items = self.items.get(&(*l, ctx[..depth].to_vec()))?.as_ref()?;
                    match crate::value::argo_item_text(items.get(k)?, field.as_deref()) {
                        Some(text) => Operand::Constant(text),
                        None => o.clone(),
                    }
                }
                o => o.clone(),
            })
        };
        Some(match c {
            Condition::Compare {
                left,
                op,
                right,
                kind,
            } => Condition::Compare {
                left: operand(left)?,
                op: *op,
                right: operand(right)?,
                kind: *kind,
            },
            Condition::And(v) => Condition::And(
                v.iter()
                    .map(|c| self.map_condition(c, ctx))
                    .collect::<Option<_>>()?,
            ),
            Condition::Or(v) => Condition::Or(
                v.iter()
                    .map(|c| self.map_condition(c, ctx))
                    .collect::<Option<_>>()?,
            ),
            Condition::Not(c) => Condition::Not(Box::new(self.map_condition(c, ctx)?)),
            Condition::WithinDepth { max_depth } => Condition::WithinDepth {
                max_depth: *max_depth,
            },
        })
    }

    /// The instance of region `r` at `ctx`, made (with the regions around it) if needed.
    fn region_instance(&mut self, r: RegionId, ctx: &[usize]) -> Option<RegionId> {
        let key = (r, ctx.get(..self.loops_of[r.index()].len())?.to_vec());
        if let Some(id) = self.region_map.get(&key) {
            return Some(*id);
        }
        let p = self.valid.pipeline();
        let original = &p.regions[r.index()];
        let parent = match original.parent {
            Some(parent) => Some(self.region_instance(parent, ctx)?),
            None => None,
        };
        let kind = match &original.kind {
            RegionKind::Branch { condition } => RegionKind::Branch {
                condition: self.map_condition(condition, ctx)?,
            },
            // The instance is one iteration: its items are the item it runs with.
            RegionKind::Loop { parallelism, .. } => RegionKind::Loop {
                items: LoopItems::Static(Vec::new()),
                parallelism: *parallelism,
            },
            // Not inside a loop (validation refuses that): its tasks keep their one instance.
            RegionKind::Call {
                pipeline,
                name,
                arguments,
                outputs,
            } => {
                let arguments = arguments
                    .iter()
                    .map(|(k, a)| Some((k.clone(), self.map_plain(a, ctx)?)))
                    .collect::<Option<_>>()?;
                // Its outputs are its own tasks', not made yet: mapped once they are.
                self.calls
                    .push((RegionId(self.regions.len() as u32), ctx.to_vec()));
                RegionKind::Call {
                    pipeline: pipeline.clone(),
                    name: name.clone(),
                    arguments,
                    outputs: outputs.clone(),
                }
            }
            // The hooked task of the same iteration.
            RegionKind::Hook { task, on } => RegionKind::Hook {
                task: match self.map_ref(&TaskRef::Local(*task), ctx)? {
                    TaskRef::Local(t) => t,
                    TaskRef::Foreign { .. } => return None,
                },
                on: *on,
            },
            kind => kind.clone(),
        };
        let id = RegionId(self.regions.len() as u32);
        self.regions.push(Region {
            kind,
            parent,
            location: original.location.clone(),
        });
        self.branches.push(
            self.valid
                .names()
                .branches
                .get(r.index())
                .cloned()
                .flatten(),
        );
        self.region_map.insert(key, id);
        Some(id)
    }

    /// Adds the instance of task `i` at `ctx`, or holds it back.
    fn instantiate(&mut self, i: TaskId, ctx: Ctx) {
        let p = self.valid.pipeline();
        let t = &p.tasks[i.index()];
        let loops = self.loops_of[t.region.index()].clone();
        match self.instance(i, &ctx) {
            Some(task) => {
                let id = TaskId(self.tasks.len() as u32);
                let mut bounds = Vec::new();
                for (j, l) in loops.iter().enumerate() {
                    let key = (*l, ctx[..j].to_vec());
                    self.members.entry(key.clone()).or_default().push(id);
                    if let RegionKind::Loop {
                        parallelism: Some(limit),
                        ..
                    } = p.regions[l.index()].kind
                    {
                        let (index, _) = self.limit_keys.insert_full(key, ());
                        bounds.push((index, limit as usize));
                    }
                }
                self.instances.insert((i, ctx), id);
                self.tasks.push(task);
                self.task_templates
                    .push(self.valid.names().task_templates[i.index()]);
                self.limits.push(bounds);
            }
            None => self.hold(&loops, &ctx),
        }
    }

    /// Task `i`'s instance at `ctx`, or `None` when something it needs is not known yet.
    fn instance(&mut self, i: TaskId, ctx: &[usize]) -> Option<Task> {
        let p = self.valid.pipeline();
        let t = &p.tasks[i.index()];
        let region = self.region_instance(t.region, ctx)?;
        let mut extra: Vec<Depends> = Vec::new();
        let mut arguments = IndexMap::with_capacity(t.arguments.len());
        for (input, argument) in &t.arguments {
            let mapped = match argument {
                Argument::TaskOutput { task, output } => Argument::TaskOutput {
                    task: self.map_ref(task, ctx)?,
                    output: output.clone(),
                },
                Argument::OneOf(options) => Argument::OneOf(
                    options
                        .iter()
                        .map(|(task, output)| Some((self.map_ref(task, ctx)?, output.clone())))
                        .collect::<Option<_>>()?,
                ),
                Argument::LoopItem { region: l, field } => {
                    let loops = &self.loops_of[t.region.index()];
                    let j = loops.iter().position(|x| x == l)?;
                    let k = ctx[j];
                    let outer = ctx[..j].to_vec();
                    let item = self.item_list(*l, &outer)?.get(k)?;
                    match crate::value::argo_item_text(item, field.as_deref()) {
                        Some(text) => Argument::Constant(text),
                        // Argo leaves `{{item.FIELD}}` unresolved and fails the task; the
                        // runner's resolution says why.
                        None => argument.clone(),
                    }
                }
                Argument::Collected {
                    task: TaskRef::Local(x),
                    output,
                } => self.collected(*x, output, ctx, &mut extra)?,
                Argument::Format(parts) => Argument::Format(
                    parts
                        .iter()
                        .map(|part| {
                            Some(match part {
                                FormatPart::TaskOutput {
                                    task,
                                    output,
                                    display,
                                } => FormatPart::TaskOutput {
                                    task: self.map_ref(task, ctx)?,
                                    output: output.clone(),
                                    display: *display,
                                },
                                other => other.clone(),
                            })
                        })
                        .collect::<Option<_>>()?,
                ),
                other => other.clone(),
            };
            arguments.insert(input.clone(), mapped);
        }
        let mut depends = match &t.depends {
            Some(d) => Some(self.map_depends(d, ctx)?),
            None => None,
        };
        for term in extra {
            depends = Some(match depends {
                None => term,
                Some(d) => d.and(term),
            });
        }
        let name = if ctx.is_empty() {
            t.name.clone()
        } else {
            let indices: Vec<String> = ctx.iter().map(usize::to_string).collect();
            format!("{}({})", t.name, indices.join(","))
        };
        Some(Task {
            name,
            named_by_user: t.named_by_user,
            component: t.component.clone(),
            arguments,
            region,
            depends,
            config: t.config.clone(),
            location: t.location.clone(),
            template_ref: t.template_ref.clone(),
        })
    }

    /// The collected outputs `output` of task `x` (directly in a loop body) as the reader at
    /// `ctx` gets them, once every task of that loop has finished; the terms the reader's
    /// `depends` gains go into `extra`.
    fn collected(
        &mut self,
        x: TaskId,
        output: &str,
        ctx: &[usize],
        extra: &mut Vec<Depends>,
    ) -> Option<Argument> {
        let p = self.valid.pipeline();
        let l = p.tasks[x.index()].region;
        let depth = self.loops_of[l.index()].len() - 1;
        let outer = ctx.get(..depth)?.to_vec();
        let n = self.items_of(l, &outer)?;
        let key = (l, outer.clone());
        if self.incomplete.contains(&key) {
            return None;
        }
        let members = self.members.get(&key).cloned().unwrap_or_default();
        let mut phases = Vec::with_capacity(members.len());
        for m in &members {
            phases.push(self.done.get(&self.tasks[m.index()].name)?.phase.clone());
        }
        if let Some(source) = self.sources.get(&key) {
            extra.push(Depends::Done(TaskRef::Local(*source)));
        }
        for m in &members {
            extra.push(Depends::Not(Box::new(Depends::Or(vec![
                Depends::Result {
                    task: TaskRef::Local(*m),
                    result: TaskResult::Failed,
                },
                Depends::Result {
                    task: TaskRef::Local(*m),
                    result: TaskResult::Errored,
                },
            ]))));
        }
        // A loop without iterations collects the empty list: Argo aggregates nothing and the
        // loop template's output falls back to its default, `[]` (`emit::regions`).
        let artifact = p
            .components
            .get(&p.tasks[x.index()].component)
            .and_then(|c| c.output(output))
            .is_some_and(|o| o.kind.is_artifact());
        let mut values = Vec::new();
        for k in 0..n {
            let mut at = outer.clone();
            at.push(k);
            let Some(instance) = self.instances.get(&(x, at)) else {
                continue;
            };
            let name = &self.tasks[instance.index()].name;
            let report = self.done.get(name)?;
            if report.phase != Phase::Succeeded {
                continue;
            }
            if artifact {
                // The succeeded instances themselves: the scheduler gathers their artifacts
                // into the reader's collection (`scheduler::collection`).
                values.push(name.clone());
            } else if let Some((_, v)) = report.output_params.iter().find(|(n, _)| n == output) {
                values.push(v.clone());
            }
        }
        if artifact {
            let collected = serde_json::json!({ "output": output, "instances": values });
            return Some(Argument::Constant(collected.to_string()));
        }
        Some(Argument::Constant(crate::value::aggregate(&values)))
    }
}
