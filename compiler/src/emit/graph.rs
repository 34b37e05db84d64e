//! Pictures of a pipeline: `compile --format mermaid|dot`.
//!
//! One node per pipeline parameter and per task, one edge per binding: a task reading a
//! pipeline parameter, a parameter edge (task output → task input), an artifact edge (drawn
//! heavier), and an ordering-only edge from `.after(&task)` or `.depends_on(…)` (dotted,
//! labelled with the result it waits for, such as `failed`). The exit handler's tasks are drawn
//! in a box of their own, and so are each conditional branch's (labelled with its condition),
//! nested as the branches are. Constants are not drawn.
//! Node identifiers are positional (`p0`, `t3`), so no user name has to be made into one;
//! names appear only in labels, escaped for each syntax. Like every backend it reads a
//! [`ValidPipeline`], so only a pipeline that compiles can be drawn, and the same pipeline
//! always gives the same bytes.

use crate::ir::{Argument, Depends, FormatPart, HookEvent, RegionId, RegionKind, TaskRef};
use crate::validate::ValidPipeline;

/// What an edge carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EdgeKind {
    /// A pipeline parameter or a task's output parameter.
    Parameter,
    /// An artifact.
    Artifact,
    /// `.after(&task)`: ordering only.
    Order,
}

/// One edge: from a node id to a task, with a label.
struct Edge {
    from: String,
    to: usize,
    label: String,
    kind: EdgeKind,
}

/// Nodes and edges in pipeline order: parameters, then tasks in creation order, each task's
/// incoming edges in its arguments' order, then its ordering-only edges.
struct Graph {
    name: String,
    params: Vec<String>,
    /// Each task's name, and its component's when the name does not already say it.
    tasks: Vec<(String, Option<String>)>,
    /// The region of each task.
    region_of: Vec<RegionId>,
    /// Each region's parent and, for all but the root, the label of its box.
    regions: Vec<(Option<RegionId>, String)>,
    /// Regions not drawn: the levels of a recursion below the first, which the first level's
    /// recursive call stands for (a node `↻ …` in its branch).
    hidden: Vec<bool>,
    edges: Vec<Edge>,
}

impl Graph {
    /// Writes region `r` at `depth`: its tasks (each line from `node`), then each region
    /// directly inside it as a box, between the lines `open(child, label, indent)` and
    /// `close`. Shared by both syntaxes, which differ only in those lines.
    fn write_region(
        &self,
        r: RegionId,
        depth: usize,
        node: &dyn Fn(usize) -> String,
        open: &dyn Fn(RegionId, &str, &str) -> String,
        close: &str,
        s: &mut String,
    ) {
        let pad = "    ".repeat(depth);
        for i in (0..self.tasks.len()).filter(|&i| self.region_of[i] == r) {
            s.push_str(&format!("{pad}{}", node(i)));
        }
        let children = self
            .regions
            .iter()
            .enumerate()
            .filter(|(child, (parent, _))| *parent == Some(r) && !self.hidden[*child]);
        for (child, (_, label)) in children {
            let child = RegionId(child as u32);
            s.push_str(&open(child, label, &pad));
            self.write_region(child, depth + 1, node, open, close, s);
            s.push_str(&format!("{pad}{close}\n"));
        }
    }
}

/// Each task a `depends` expression names, with what it waits for (`""` for "finished
/// well", else the result: `failed`, `!failed`, …), in the order written.
fn waits(d: &Depends, negated: bool, out: &mut Vec<(TaskRef, String)>) {
    let bang = if negated { "!" } else { "" };
    match d {
        Depends::Done(t) => out.push((
            t.clone(),
            if negated {
                "!done".into()
            } else {
                String::new()
            },
        )),
        Depends::Result { task, result } => out.push((
            task.clone(),
            format!("{bang}{}", result.as_str().to_lowercase()),
        )),
        Depends::AnySucceeded(t) => out.push((t.clone(), format!("{bang}any succeeded"))),
        Depends::AllFailed(t) => out.push((t.clone(), format!("{bang}all failed"))),
        Depends::And(v) | Depends::Or(v) => v.iter().for_each(|d| waits(d, negated, out)),
        Depends::Not(d) => waits(d, !negated, out),
    }
}

impl Graph {
    fn of(valid: &ValidPipeline) -> Graph {
        let p = valid.pipeline();
        let params: Vec<String> = p.params.iter().map(|param| param.name.clone()).collect();
        let tasks: Vec<(String, Option<String>)> = p
            .tasks
            .iter()
            .map(|t| {
                // `write_corpus` runs as task `write-corpus`: the component adds nothing.
                let says_it = valid
                    .names()
                    .component_templates
                    .get(&t.component)
                    .is_some_and(|n| n == crate::ir::local_name(&t.name));
                (t.name.clone(), (!says_it).then(|| t.component.clone()))
            })
            .collect();
        let mut edges = Vec::new();
        for (to, task) in p.tasks.iter().enumerate() {
            let spec = &p.components[&task.component];
            let mut readers = Vec::new();
            for (input, argument) in &task.arguments {
                let artifact = spec.input(input).is_some_and(|i| i.kind.is_artifact());
                // A value of the task's settings (an environment variable, a label, the image).
                let input = if crate::ir::is_setting_input(input) {
                    "settings"
                } else {
                    input.as_str()
                };
                match argument {
                    Argument::Constant(_)
                    | Argument::Run(_)
                    | Argument::LoopItem { .. }
                    | Argument::External { .. } => {}
                    Argument::Collected {
                        task: TaskRef::Local(from),
                        output,
                    } => {
                        readers.push(from.index());
                        edges.push(Edge {
                            from: format!("t{}", from.index()),
                            to,
                            label: format!("every {output} → {input}"),
                            kind: EdgeKind::Parameter,
                        });
                    }
                    Argument::Collected { .. } => {}
                    Argument::OneOf(options) => {
                        for (from, output) in options {
                            if let TaskRef::Local(from) = from {
                                readers.push(from.index());
                                edges.push(Edge {
                                    from: format!("t{}", from.index()),
                                    to,
                                    label: format!("one of: {output} → {input}"),
                                    kind: EdgeKind::Parameter,
                                });
                            }
                        }
                    }
                    Argument::PipelineParam(name) => {
                        // Inside a sub-pipeline call, what the call binds to the parameter.
                        let from = match crate::ir::param_origin(p, task.region, name) {
                            crate::ir::ParamOrigin::Run(run) => params
                                .iter()
                                .position(|n| n == run)
                                .map(|i| format!("p{i}")),
                            crate::ir::ParamOrigin::Bound(Argument::TaskOutput {
                                task: TaskRef::Local(t),
                                ..
                            }) => {
                                readers.push(t.index());
                                Some(format!("t{}", t.index()))
                            }
                            _ => None,
                        };
                        if let Some(from) = from {
                            edges.push(Edge {
                                from,
                                to,
                                label: if name == input {
                                    input.to_owned()
                                } else {
                                    format!("{name} → {input}")
                                },
                                kind: EdgeKind::Parameter,
                            });
                        }
                    }
                    Argument::TaskOutput {
                        task: TaskRef::Local(from),
                        output,
                    } => {
                        readers.push(from.index());
                        edges.push(Edge {
                            from: format!("t{}", from.index()),
                            to,
                            label: if output == input {
                                input.to_owned()
                            } else {
                                format!("{output} → {input}")
                            },
                            kind: if artifact {
                                EdgeKind::Artifact
                            } else {
                                EdgeKind::Parameter
                            },
                        });
                    }
                    // Validation refuses tasks of another pipeline (A0003).
                    Argument::TaskOutput { .. } => {}
                    Argument::Format(parts) => {
                        for part in parts {
                            let (from, what) = match part {
                                FormatPart::Text(_) => continue,
                                FormatPart::PipelineParam { name, .. } => {
                                    match params.iter().position(|n| n == name) {
                                        Some(index) => (format!("p{index}"), name),
                                        None => continue,
                                    }
                                }
                                FormatPart::TaskOutput {
                                    task: TaskRef::Local(from),
                                    output,
                                    ..
                                } => {
                                    readers.push(from.index());
                                    (format!("t{}", from.index()), output)
                                }
                                FormatPart::TaskOutput { .. } => continue,
                            };
                            edges.push(Edge {
                                from,
                                to,
                                label: format!("{what} → {input} (formatted)"),
                                kind: EdgeKind::Parameter,
                            });
                        }
                    }
                }
            }
            let mut ordering = Vec::new();
            if let Some(d) = &task.depends {
                waits(d, false, &mut ordering);
            }
            for (after, label) in ordering {
                if let TaskRef::Local(from) = after
                    && (!readers.contains(&from.index()) || !label.is_empty())
                {
                    readers.push(from.index());
                    edges.push(Edge {
                        from: format!("t{}", from.index()),
                        to,
                        label,
                        kind: EdgeKind::Order,
                    });
                }
            }
        }
        // A recursion is drawn once: its first level, and in the branch that recurses a
        // node standing for the call of itself, with the bound; the deeper levels (the same
        // template on Argo) are not drawn, and what they return comes from that node.
        let hidden: Vec<bool> = (0..p.regions.len())
            .map(|r| {
                crate::ir::ancestry(&p.regions, RegionId(r as u32))
                    .any(|(id, _)| crate::ir::is_recursive_call(&p.regions, id))
            })
            .collect();
        let mut tasks = tasks;
        let mut region_of: Vec<RegionId> = p.tasks.iter().map(|t| t.region).collect();
        // The recursion node standing for each hidden region: its outermost recursive call.
        let mut stands_for: Vec<Option<(usize, RegionId)>> = vec![None; p.regions.len()];
        for (r, region) in p.regions.iter().enumerate() {
            let RegionKind::Call {
                pipeline,
                name,
                arguments,
                ..
            } = &region.kind
            else {
                continue;
            };
            let Some(parent) = region.parent else {
                continue;
            };
            if !hidden[r] || hidden[parent.index()] {
                continue;
            }
            let bound = match &p.regions[parent.index()].kind {
                RegionKind::Branch { condition } => condition.max_depth(),
                _ => None,
            };
            let node = tasks.len();
            let levels = bound
                .map(|n| format!(" (≤ {n} levels)"))
                .unwrap_or_default();
            tasks.push((format!("↻ {name}: pipeline {pipeline}{levels}"), None));
            region_of.push(parent);
            for (inner, around) in hidden.iter().enumerate() {
                if *around
                    && crate::ir::region_contains(
                        &p.regions,
                        RegionId(r as u32),
                        RegionId(inner as u32),
                    )
                {
                    stands_for[inner] = Some((node, RegionId(r as u32)));
                }
            }
            for (param, argument) in arguments {
                let artifact = |t: &crate::ir::TaskId, output: &str| {
                    p.components[&p.tasks[t.index()].component]
                        .output(output)
                        .is_some_and(|o| o.kind.is_artifact())
                };
                let mut kind = EdgeKind::Parameter;
                let from = match argument {
                    Argument::TaskOutput {
                        task: TaskRef::Local(t),
                        output,
                    } => {
                        if artifact(t, output) {
                            kind = EdgeKind::Artifact;
                        }
                        Some((format!("t{}", t.index()), output))
                    }
                    Argument::PipelineParam(name) => match crate::ir::param_origin(p, parent, name)
                    {
                        crate::ir::ParamOrigin::Run(run) => params
                            .iter()
                            .position(|n| n == run)
                            .map(|i| (format!("p{i}"), name)),
                        crate::ir::ParamOrigin::Bound(Argument::TaskOutput {
                            task: TaskRef::Local(t),
                            output,
                        }) => Some((format!("t{}", t.index()), output)),
                        _ => None,
                    },
                    _ => None,
                };
                if let Some((from, what)) = from {
                    edges.push(Edge {
                        from,
                        to: node,
                        label: if what == param {
                            param.clone()
                        } else {
                            format!("{what} → {param}")
                        },
                        kind,
                    });
                }
            }
        }
        let task_hidden = |i: usize| i < p.tasks.len() && hidden[p.tasks[i].region.index()];
        let edges: Vec<Edge> = edges
            .into_iter()
            .filter(|e| !task_hidden(e.to))
            .map(|mut e| {
                if let Some(i) = e
                    .from
                    .strip_prefix('t')
                    .and_then(|i| i.parse::<usize>().ok())
                    && task_hidden(i)
                    && let Some((node, call)) = stands_for[p.tasks[i].region.index()]
                {
                    e.from = format!("t{node}");
                    // Named as the call returns it, not as the deeper level's task does.
                    if let RegionKind::Call { outputs, .. } = &p.regions[call.index()].kind
                        && let Some((prefix, rest)) = e.label.split_once(" → ")
                        && let Some((returned, _)) = outputs.iter().find(|(_, a)| {
                            matches!(a, Argument::TaskOutput { task: TaskRef::Local(t), output }
                                if t.index() == i && prefix.ends_with(output.as_str()))
                        })
                    {
                        let lead = prefix.strip_prefix("one of: ").map_or("", |_| "one of: ");
                        e.label = format!("{lead}{returned} → {rest}");
                    }
                }
                e
            })
            .collect();
        Graph {
            hidden,
            name: p.name.clone(),
            params,
            tasks,
            region_of,
            regions: p
                .regions
                .iter()
                .enumerate()
                .map(|(r, region)| {
                    let label = match &region.kind {
                        RegionKind::Root => String::new(),
                        RegionKind::ExitHandler => {
                            "exit handler: runs last, whatever happened".to_owned()
                        }
                        RegionKind::Branch { condition } => {
                            let name = valid.names().branches[r]
                                .as_ref()
                                .map_or_else(String::new, |b| format!("{}: ", b.task));
                            format!(
                                "{name}when {}",
                                condition.describe(&|t| p.tasks[t.index()].name.clone())
                            )
                        }
                        RegionKind::Loop { items, parallelism } => {
                            let name = valid.names().branches[r]
                                .as_ref()
                                .map_or_else(String::new, |b| format!("{}: ", b.task));
                            let over = match items {
                                crate::ir::LoopItems::Static(items) => {
                                    format!("each of {} items", items.len())
                                }
                                crate::ir::LoopItems::PipelineParam(n) => {
                                    format!("each item of parameter {n}")
                                }
                                crate::ir::LoopItems::TaskOutput {
                                    task: TaskRef::Local(t),
                                    output,
                                } => {
                                    format!("each item of {output} of {}", p.tasks[t.index()].name)
                                }
                                crate::ir::LoopItems::TaskOutput { .. } => "each item".to_owned(),
                            };
                            let limit = parallelism
                                .map(|n| format!(", {n} at a time"))
                                .unwrap_or_default();
                            format!("{name}for {over}{limit}")
                        }
                        RegionKind::Call { pipeline, name, .. } => {
                            format!("{name}: pipeline {pipeline}")
                        }
                        RegionKind::Hook { task, on } => {
                            let when = match on {
                                HookEvent::Success => "succeeds",
                                HookEvent::Failure => "fails",
                                HookEvent::Exit => "has run",
                            };
                            let name = p.tasks.get(task.index()).map_or("?", |t| &t.name);
                            format!("hook: when {name} {when}")
                        }
                    };
                    (region.parent, label)
                })
                .collect(),
            edges,
        }
    }
}

/// The pipeline as a Mermaid flowchart (top to bottom), for Markdown that renders Mermaid.
pub fn mermaid(valid: &ValidPipeline) -> String {
    let g = Graph::of(valid);
    let mut s = String::from("flowchart TD\n");
    for (i, name) in g.params.iter().enumerate() {
        s.push_str(&format!("    p{i}[/\"{}\"/]\n", mermaid_text(name)));
    }
    let node = |i: usize, (name, component): &(String, Option<String>)| {
        let label = match component {
            None => mermaid_text(name),
            Some(c) => format!("{}<br/><i>{}</i>", mermaid_text(name), mermaid_text(c)),
        };
        format!("t{i}[\"{label}\"]\n")
    };
    g.write_region(
        RegionId::ROOT,
        1,
        &|i| node(i, &g.tasks[i]),
        &|child, label, pad| format!("{pad}subgraph r{}[\"{}\"]\n", child.0, mermaid_text(label)),
        "end",
        &mut s,
    );
    for e in &g.edges {
        let arrow = match e.kind {
            EdgeKind::Parameter => "-->",
            EdgeKind::Artifact => "==>",
            EdgeKind::Order => "-.->",
        };
        if e.label.is_empty() {
            s.push_str(&format!("    {} {arrow} t{}\n", e.from, e.to));
        } else {
            s.push_str(&format!(
                "    {} {arrow}|\"{}\"| t{}\n",
                e.from,
                mermaid_text(&e.label),
                e.to
            ));
        }
    }
    s
}

/// The pipeline as a Graphviz `digraph` (`dot -Tsvg`).
pub fn dot(valid: &ValidPipeline) -> String {
    let g = Graph::of(valid);
    let mut s = format!(
        "digraph \"{}\" {{\n    rankdir=TB;\n    node [shape=box, fontname=\"sans-serif\"];\n    edge [fontname=\"sans-serif\", fontsize=10];\n",
        dot_text(&g.name)
    );
    for (i, name) in g.params.iter().enumerate() {
        s.push_str(&format!(
            "    p{i} [label=\"{}\", shape=parallelogram];\n",
            dot_text(name)
        ));
    }
    let node = |i: usize, (name, component): &(String, Option<String>)| {
        let label = match component {
            None => dot_text(name),
            Some(c) => format!("{}\\n({})", dot_text(name), dot_text(c)),
        };
        format!("t{i} [label=\"{label}\"];\n")
    };
    g.write_region(
        RegionId::ROOT,
        1,
        &|i| node(i, &g.tasks[i]),
        &|child, label, pad| {
            format!(
                "{pad}subgraph cluster_r{} {{\n{pad}    label=\"{}\";\n{pad}    style=dashed;\n",
                child.0,
                dot_text(label)
            )
        },
        "}",
        &mut s,
    );
    for e in &g.edges {
        let style = match e.kind {
            EdgeKind::Parameter => "",
            EdgeKind::Artifact => ", penwidth=2",
            EdgeKind::Order => ", style=dotted",
        };
        s.push_str(&format!(
            "    {} -> t{} [label=\"{}\"{style}];\n",
            e.from,
            e.to,
            dot_text(&e.label)
        ));
    }
    s.push_str("}\n");
    s
}

/// Text inside a quoted Mermaid label: `"` and the characters Mermaid reads as markup are
/// written as its `#…;` entity codes.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a double-quoted DOT string: `"` and `\` escaped, line breaks as `\n`.
fn dot_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mermaid_labels_cannot_break_out_of_their_quotes() {
        assert_eq!(
            mermaid_text("a\"b|c<d>#e\n"),
            "a#quot;b#124;c#lt;d#gt;#35;e "
        );
    }

    #[test]
    fn dot_labels_cannot_break_out_of_their_quotes() {
        assert_eq!(dot_text("a\"b\\c\nd\u{7}"), "a\\\"b\\\\c\\nd ");
    }
}
