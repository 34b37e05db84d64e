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

/// Doubles `x`; the one component of `panics_in_body_when_asked`.
#[component]
pub fn unaffected(x: u32) -> Result<u32> {
    let doubled = x * 2;
    Ok(doubled)
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

/// Panics while traced when `ARGOT_TEST_PANIC_IN_BODY` is set; its component runs regardless.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn panics_in_body_when_asked() {
    assert!(std::env::var_os("ARGOT_TEST_PANIC_IN_BODY").is_none());
    unaffected(1);
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

// --- Fixtures of the compile-time rules (size budget, hostile values, generated names). ---

thread_local! {
    static HOSTILE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The value the `hostile_*` pipelines pass; set it with [`set_hostile`] before tracing.
pub fn hostile() -> String {
    HOSTILE.with(|h| h.borrow().clone())
}

/// Sets the value the `hostile_*` pipelines pass (per thread).
pub fn set_hostile(value: &str) {
    HOSTILE.with(|h| *h.borrow_mut() = value.to_owned());
}

/// Passes the hostile value as a constant to a native component.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn hostile_constant() {
    echo(hostile());
}

/// Prints `value=<value>` with a stock tool: the value shares one argv element with text.
#[container_component]
pub fn labelled(value: Param<String>) -> Container {
    Container::new("busybox:1.36")
        .command(["printf", "%s"])
        .arg(concat([
            argot::ir::CmdArg::from("value="),
            argot::ir::CmdArg::from(value),
        ]))
}

/// Passes the hostile value to a container component, inside a larger argument.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn hostile_in_text() {
    labelled(hostile());
}

/// The configuration of one shard: 800 bytes of `key=value` pairs.
pub fn shard_config(shard: u32) -> String {
    let mut s = format!("shard={shard:04}");
    let mut i = 0;
    while s.len() < 800 {
        s.push_str(&format!(
            ";w{i}=0.{:06}",
            (shard as u64 * 7919 + i * 104_729) % 1_000_000
        ));
        i += 1;
    }
    s.truncate(800);
    s
}

/// 1,500 tasks, each passing an 800-byte configuration: a manifest over the 1 MiB budget.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn too_big() {
    for shard in 0..1500 {
        echo(shard_config(shard));
    }
}

/// `first` only orders `second`: its output is never read.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn ordering_only() {
    let first = step(1);
    step(2).after(&first);
}

/// A task takes, with `.name(…)`, the name generated for a later call of the same component.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn name_taken() {
    step(1).name("step-2");
    step(2);
    step(3);
}

// --- Fixtures of the local runner (`run`): executions counted in side files, a gate to hold a
// task while the runner is killed, a failing branch beside a healthy one, no-op benchmarks. ---

fn append_line(log: &str, line: &str) -> Result<()> {
    use std::io::Write;
    if log.is_empty() {
        return Ok(());
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {log}"))?;
    writeln!(file, "{line}")?;
    Ok(())
}

/// Appends `line` to the file `log` (unless `log` is empty) and returns it: counts how many
/// times a task really ran.
#[component]
pub fn tally(log: String, line: String) -> Result<String> {
    append_line(&log, &line)?;
    Ok(line)
}

/// Appends `started <line>` to `log`, waits until the file `gate` exists (if `gate` is not
/// empty), then appends `line`.
#[component]
pub fn gated(gate: String, log: String, line: String) -> Result<String> {
    append_line(&log, &format!("started {line}"))?;
    while !gate.is_empty() && !std::path::Path::new(&gate).exists() {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    append_line(&log, &line)?;
    Ok(line)
}

/// A failing task with a dependant, beside an independent task: the dependant is omitted, the
/// independent task (started at the same time) finishes.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn fails_one_branch(#[default("")] log: Param<String>) {
    let bad = broken("the left branch fails");
    tally(log, "after-broken").after(&bad);
    tally(log, "independent");
}

/// Appends `line` in capitals to the file `log` (unless `log` is empty) and returns it.
#[component]
pub fn shout(log: String, line: String) -> Result<String> {
    let line = line.to_uppercase();
    append_line(&log, &line)?;
    Ok(line)
}

/// Two counted tasks, the second reading the first's output: cache hits and misses.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn counted(#[default("")] log: Param<String>, #[default("a")] line: Param<String>) {
    let first = tally(log, line);
    shout(log, first.output);
}

/// Three counted tasks in a row; the middle one waits for the file `gate`, so the runner can
/// be killed while it waits and the run resumed.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn gated_chain(#[default("")] log: Param<String>, #[default("")] gate: Param<String>) {
    let first = tally(log, "first");
    let second = gated(gate, log, "second").after(&first);
    tally(log, "third").after(&second);
}

/// Does nothing: what one task costs the runner.
#[component]
pub fn noop(x: u32) -> Result<u32> {
    Ok(x)
}

/// The size of the no-op benchmarks: `ARGOT_BENCH_TASKS`, default 1,000.
pub fn bench_tasks() -> usize {
    std::env::var("ARGOT_BENCH_TASKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// `ARGOT_BENCH_TASKS` no-op tasks in a chain, each reading the previous one's output.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn noop_chain() {
    let mut previous = noop(0);
    for _ in 1..bench_tasks() {
        previous = noop(previous.output);
    }
}

/// One no-op task, then `ARGOT_BENCH_TASKS - 1` no-op tasks reading its output.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn noop_fan_out() {
    let root = noop(0);
    for _ in 1..bench_tasks() {
        noop(root.output);
    }
}

/// A pipeline function that panics while it is traced (for A0022).
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn panics_while_tracing(#[default(3)] n: Param<u32>) {
    let sizes: Vec<u32> = Vec::new();
    step(sizes[n.name().len()]);
}
