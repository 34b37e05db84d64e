//! The task graph: not empty, acyclic, no wasted outputs (A0001, A0006, A0017).

use petgraph::graph::{DiGraph, NodeIndex};

use super::{Checker, list, short_list};
use crate::diagnostics::Code;
use crate::ir::{Argument, TaskId, TaskRef};

impl Checker<'_> {
    /// A0006: a DAG needs at least one task.
    pub(crate) fn empty(&mut self) {
        let p = self.p;
        let body = p
            .tasks
            .iter()
            .filter(|t| !crate::ir::in_exit_handler(&p.regions, t.region))
            .count();
        if body == 0 {
            let exit_only = if p.tasks.is_empty() {
                ""
            } else {
                " (only its exit handler has)"
            };
            self.report(
                Code::EmptyPipeline,
                None,
                format!("pipeline `{}` has no tasks{exit_only}", p.name),
                "call at least one component in the pipeline function",
            );
        }
    }

    /// A0017: an output of a task other tasks depend on that no task reads. Reported once per
    /// component output, naming the tasks.
    pub(crate) fn unused_outputs(&mut self, deps: &[Vec<TaskId>]) {
        let p = self.p;
        let mut has_dependents = vec![false; p.tasks.len()];
        for d in deps {
            for t in d {
                has_dependents[t.index()] = true;
            }
        }
        // Per task, the distinct outputs other tasks read (a task has few outputs; a linear
        // scan beats a tree of (task, name) pairs, whose string compares made this O(n log n)).
        let mut read: Vec<Vec<&str>> = vec![Vec::new(); p.tasks.len()];
        // A loop's list is read by the loop itself.
        for region in &p.regions {
            if let crate::ir::RegionKind::Loop {
                items:
                    crate::ir::LoopItems::TaskOutput {
                        task: TaskRef::Local(from),
                        output,
                    },
                ..
            } = &region.kind
                && let Some(outputs) = read.get_mut(from.index())
                && !outputs.contains(&output.as_str())
            {
                outputs.push(output.as_str());
            }
        }
        // A branch's condition reads what it compares.
        for region in &p.regions {
            if let crate::ir::RegionKind::Branch { condition } = &region.kind {
                for operand in condition.operands() {
                    if let crate::ir::Operand::TaskOutput {
                        task: TaskRef::Local(from),
                        output,
                    } = operand
                        && let Some(outputs) = read.get_mut(from.index())
                        && !outputs.contains(&output.as_str())
                    {
                        outputs.push(output.as_str());
                    }
                }
            }
        }
        for task in &p.tasks {
            for argument in task.arguments.values() {
                for (from, output) in argument.outputs() {
                    if let TaskRef::Local(from) = from
                        && let Some(outputs) = read.get_mut(from.index())
                        && !outputs.contains(&output)
                    {
                        outputs.push(output);
                    }
                }
            }
        }
        // (component, output) → tasks that leave it unread.
        let mut unread: indexmap::IndexMap<(&str, &str), Vec<usize>> = indexmap::IndexMap::new();
        for (i, task) in p.tasks.iter().enumerate() {
            if !has_dependents[i] {
                continue;
            }
            let Some(spec) = p.components.get(&task.component) else {
                continue;
            };
            for output in &spec.outputs {
                if !read[i].contains(&output.name.as_str()) {
                    unread
                        .entry((spec.name.as_str(), output.name.as_str()))
                        .or_default()
                        .push(i);
                }
            }
        }
        for ((component, output), tasks) in unread {
            let names = short_list(tasks.iter().map(|&i| p.tasks[i].name.as_str()), 3);
            let noun = if tasks.len() == 1 { "task" } else { "tasks" };
            self.report(
                Code::UnusedOutput,
                Some(TaskId(tasks[0] as u32)),
                format!("output `{output}` of {noun} {names} (component `{component}`) is never read, although other tasks depend on {}", if tasks.len() == 1 { "it" } else { "them" }),
                format!("read `{output}` in a later task, drop it from `{component}`, or allow this with `--allow A0017`"),
            );
        }
    }

    /// A0001: the dependency graph must be acyclic. Returns each task's dependencies.
    pub(crate) fn cycles(&mut self) -> Vec<Vec<TaskId>> {
        let p = self.p;
        let mut deps: Vec<Vec<TaskId>> = Vec::with_capacity(p.tasks.len());
        for task in &p.tasks {
            let mut d: Vec<TaskId> = task
                .arguments
                .values()
                .flat_map(Argument::tasks)
                .chain(task.depends.iter().flat_map(|d| d.tasks()))
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
            self.report(
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
