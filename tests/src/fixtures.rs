//! Fixture pipelines: one per rule they break, plus a few valid shapes the examples lack.
//! The diagnostics tests and the CLI tests (through the `argot-fixtures` binary) use them.

use std::cell::Cell;

use argot::prelude::*;

/// Add one.
#[component]
pub fn step(x: u32) -> Result<u32> {
    Ok(x + 1)
}

/// Print a message.
#[component]
pub fn echo(message: String) -> Result<String> {
    Ok(message)
}

/// Always fails.
#[component]
pub fn broken(reason: String) -> Result<()> {
    bail!("{reason}")
}

/// A different component that claims `step`'s name.
#[component(name = "step")]
pub fn impostor(y: String) -> Result<()> {
    let _ = y;
    Ok(())
}

/// A → B → C, then A `.after` C: a cycle of three.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn cyclic() {
    let a = step(1);
    let b = step(a.output);
    let c = step(b.output);
    a.after(&c);
}

/// Two tasks given the same name.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn duplicate_names() {
    step(1).name("same");
    step(2).name("same");
}

/// No tasks at all.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn empty() {}

/// Native tasks but no image.
#[pipeline]
pub fn no_image() {
    step(1);
}

/// A constant Argo would substitute.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn braces_constant() {
    echo("{{workflow.name}}");
}

/// A task name Argo refuses.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn bad_task_name() {
    step(1).name("Bad_Name");
}

thread_local! {
    static LEAKED: Cell<Option<step::Task>> = const { Cell::new(None) };
}

/// Leaks a task handle out of its trace (tests only).
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn leaks_a_task() {
    LEAKED.set(Some(step(1)));
}

/// Uses the handle `leaks_a_task` leaked: an edge to a task of another pipeline.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn uses_foreign_task() {
    let foreign = LEAKED.get().expect("trace `leaks_a_task` first");
    step(foreign.output);
}

/// The pipeline's DAG template and the component `step` get the same name.
#[pipeline(name = "step", image = "example.com/fixtures:1.0")]
pub fn named_like_a_component() {
    step(1);
}

/// Two different components both named `step`.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn two_components_one_name() {
    step(1);
    impostor("x");
}

/// An image that is not pinned (a warning, not an error).
#[pipeline(image = "example.com/fixtures:latest")]
pub fn unpinned_image() {
    step(1);
}

/// One component used by many tasks: one template, many tasks.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn fan_out(#[default(1)] start: Param<u32>) {
    let root = step(start);
    for _ in 0..4 {
        step(root.output);
    }
}

/// A pipeline whose only task fails (for exit codes).
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn fails() {
    broken("this task always fails");
}

/// A user-defined parameter type: any serde struct travels as JSON.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    /// Tree depth.
    pub depth: u32,
    /// Model family.
    pub family: String,
}

/// Summarise typed inputs of every serde shape; returns a struct.
#[component]
pub fn summarize_config(
    config: TrainConfig,
    #[default(vec![0.1, 0.01])] rates: Vec<f64>,
    #[default(true)] verbose: bool,
    #[default("run")] label: String,
    #[default(-3)] offset: i64,
) -> Result<TrainConfig> {
    let scale = rates.len() as i64 + offset + i64::from(verbose);
    Ok(TrainConfig {
        depth: config.depth + scale.unsigned_abs() as u32,
        family: format!("{label}:{}", config.family),
    })
}

/// Struct, vector, bool, string and signed parameters, with defaults, end to end.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn typed_values(config: Param<TrainConfig>) {
    let first = summarize_config(config, vec![0.5], false, "first", 1);
    summarize_config(
        TrainConfig {
            depth: 2,
            family: "yes".into(),
        },
        vec![1e5, 0.0],
        true,
        "no",
        -1,
    )
    .after(&first);
    summarize_config(first.output, vec![], true, "~", 0);
}
