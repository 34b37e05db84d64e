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

/// Text in a container command that Argo would substitute (values are escaped; text is not).
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn braces_constant() {
    braces_in_command();
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
    let first = summarize_config(config)
        .rates(vec![0.5])
        .verbose(false)
        .label("first")
        .offset(1);
    summarize_config(TrainConfig {
        depth: 2,
        family: "yes".into(),
    })
    .offset(-1)
    .label("no")
    .verbose(true)
    .rates(vec![1e5, 0.0])
    .after(&first);
    summarize_config(first.output)
        .rates(vec![])
        .verbose(true)
        .label("~")
        .offset(0);
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
        .arg(concat(("value=", value)))
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
    // One write per line: tasks running at once append to one log, and `writeln!` may split a
    // line into two writes that another task's line can land between.
    file.write_all(format!("{line}\n").as_bytes())?;
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

/// `fail_fast = true` (Argo's template `failFast` on the DAG): once `bad` has failed, no
/// other task starts and its retries are not tried; `alert`, which would handle the failure,
/// never runs, so the run fails.
#[pipeline(image = "example.com/fixtures:1.0", fail_fast = true)]
pub fn fails_fast(#[default("")] log: Param<String>) {
    let bad = broken("fails at once").set_retry(2);
    let slow = tally(log, "independent");
    tally(log, "after-independent").after(&slow);
    tally(log, "alert").depends_on(bad.failed());
}

/// `depends` on results: `alert` runs because `bad` failed, and `cleanup` runs when `alert`
/// did not fail. The failure is handled (every branch from it ends in a success), so the run
/// succeeds, as Argo's `assessDAGPhase` judges a DAG.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn handles_a_failure(#[default("")] log: Param<String>) {
    let bad = broken("the model is worse than the baseline");
    let alert = tally(log, "alert").depends_on(bad.failed());
    tally(log, "cleanup").depends_on(!alert.failed());
}

/// `deploy` needs `bad` to succeed; `bad` fails, so `deploy` is omitted — and, as the last
/// task of a branch whose failure nothing handled, it fails the run (an omitted target
/// inherits the phase of the branch it is on, in Argo's `assessDAGPhase`).
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn omits_on_a_result(#[default("")] log: Param<String>) {
    let bad = broken("the model is worse than the baseline");
    tally(log, "deploy").depends_on(bad.succeeded());
}

/// Every form of result dependency, for the manifest: `finished` (continue on failure),
/// `|`, `&`, `!`, `done`, and the group results of a (here plain) task.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn result_forms(#[default("")] log: Param<String>) {
    let a = tally(log, "a");
    let b = tally(log, "b");
    tally(log, "continues").depends_on(a.finished());
    tally(log, "either").depends_on(a.failed() | b.errored());
    tally(log, "both").depends_on(a.succeeded() & !b.skipped() & b.omitted());
    tally(log, "grouped").depends_on((a.done() | b.any_succeeded()) & !b.all_failed());
}

/// Conditions on every kind of operand: a string with a quote, a slash and a hyphen (which
/// govaluate alone would misread), a task output compared with a parameter in a nested branch
/// (read from outside both branches), floats and integers, and a branch that reads an
/// artifact and an output parameter from outside it. Each counted task appends to `log`.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn conditions_probe(
    #[default("it's a/b-c")] word: Param<String>,
    #[default(0.75)] score: Param<f64>,
    #[default(5)] limit: Param<i64>,
    #[default("")] log: Param<String>,
) {
    use argot_examples::quickstart::{evaluate, prepare, train};
    let said = echo(word);
    let data = prepare(50);
    let trained = train(data.data).epochs(50);
    when(said.output.eq("it's a/b-c"), || {
        let inner = tally(log, said.output).name("matched");
        when(said.output.ne(word), || {
            tally(log, "never");
        });
        tally(log, inner.output).name("matched-again");
        evaluate(data.data, trained.model, trained.output);
    });
    when(score.ge(0.5) & !limit.lt(3), || {
        tally(log, "scored");
    })
    .else_when(trained.output.gt(2.0), || {
        tally(log, "impossible");
    })
    .otherwise(|| {
        tally(log, "low");
    });
}

/// A branch whose condition reads a task that fails: the branch is omitted (its DAG task's
/// `depends` is false), and the run fails.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn branch_after_failure(#[default("")] log: Param<String>) {
    let f = flaky(log, 99);
    when(f.output.gt(0), || {
        tally(log, "after");
    });
}

/// Appends `attempt` to `log`, then fails unless `log` has `succeed_at` lines: a task that
/// succeeds on a given attempt, for retries.
#[component]
pub fn flaky(log: String, succeed_at: u32) -> Result<u32> {
    append_line(&log, "attempt")?;
    let attempts = std::fs::read_to_string(&log)?.lines().count() as u32;
    ensure!(
        attempts >= succeed_at,
        "attempt {attempts} fails (succeeds at {succeed_at})"
    );
    Ok(attempts)
}

/// The value of environment variable `name` in the task's process (empty if unset).
#[component]
pub fn env_echo(name: String) -> Result<String> {
    Ok(std::env::var(&name).unwrap_or_default())
}

/// One task per local setting: retries (`flaky`), a time limit (`gated`, whose gate never
/// opens unless the test makes it), the environment (`env_echo`), caching (`tally`). The
/// tests give each task its settings by editing the traced IR.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn settings_probe(
    #[default("")] flaky_log: Param<String>,
    #[default(3)] succeed_at: Param<u32>,
    #[default("")] gate: Param<String>,
    #[default("")] tally_log: Param<String>,
) {
    flaky(flaky_log, succeed_at);
    gated(gate, "", "waits");
    env_echo("GREETING");
    tally(tally_log, "counted");
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

/// Writes `{{workflow.name}}` into its command, where it is text, not a value (see
/// `braces_constant`).
#[container_component]
pub fn braces_in_command() -> Container {
    Container::new("busybox:1.36").command(["echo", "{{workflow.name}}"])
}

// --- Fixtures of the wire form: every serde shape, mirrored by native components, so a value
// can be followed from the DSL through the manifest (or `run`) to the function and back. ---

/// An untagged enum with a `String` variant: decoding must not take the text for it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Loose {
    /// A number.
    Number(i64),
    /// A flag.
    Flag(bool),
    /// A list of texts.
    List(Vec<String>),
    /// Any text (also `"5"` or `"true"`).
    Text(String),
}

/// A struct with nested optional and free-form values.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    /// A name.
    pub name: String,
    /// Tags.
    pub tags: Vec<String>,
    /// A note, or none.
    pub note: Option<String>,
    /// Anything.
    pub extra: serde_json::Value,
}

/// Returns its `String` input.
#[component]
pub fn mirror_text(value: String) -> Result<String> {
    Ok(value)
}

/// Returns its `Option<String>` input.
#[component]
pub fn mirror_maybe(value: Option<String>) -> Result<Option<String>> {
    Ok(value)
}

/// Returns its `serde_json::Value` input.
#[component]
pub fn mirror_json(value: serde_json::Value) -> Result<serde_json::Value> {
    Ok(value)
}

/// Returns its untagged-enum input.
#[component]
pub fn mirror_loose(value: Loose) -> Result<Loose> {
    Ok(value)
}

/// Returns its struct input.
#[component]
pub fn mirror_record(value: Record) -> Result<Record> {
    Ok(value)
}

/// One value of each shape.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    /// For `mirror_text`.
    pub text: String,
    /// For `mirror_maybe`.
    pub maybe: Option<String>,
    /// For `mirror_json`.
    pub json: serde_json::Value,
    /// For `mirror_loose`.
    pub loose: Loose,
    /// For `mirror_record`.
    pub record: Record,
}

/// Each shape submitted as a pipeline parameter, mirrored twice (native → native).
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn round_trip(
    text: Param<String>,
    maybe: Param<Option<String>>,
    json: Param<serde_json::Value>,
    loose: Param<Loose>,
    record: Param<Record>,
) {
    mirror_text(mirror_text(text).output);
    mirror_maybe(mirror_maybe(maybe).output);
    mirror_json(mirror_json(json).output);
    mirror_loose(mirror_loose(loose).output);
    mirror_record(mirror_record(record).output);
}

thread_local! {
    static SAMPLE: std::cell::RefCell<Option<Sample>> = const { std::cell::RefCell::new(None) };
}

/// Sets the values `round_trip_constants` passes (per thread).
pub fn set_sample(sample: Sample) {
    SAMPLE.with(|s| *s.borrow_mut() = Some(sample));
}

/// Each shape passed as a constant (set with [`set_sample`]), mirrored twice.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn round_trip_constants() {
    let s = SAMPLE
        .with(|s| s.borrow().clone())
        .expect("call set_sample first");
    mirror_text(mirror_text(s.text).output);
    mirror_maybe(mirror_maybe(s.maybe).output);
    mirror_json(mirror_json(s.json).output);
    mirror_loose(mirror_loose(s.loose).output);
    mirror_record(mirror_record(s.record).output);
}

/// 200 KiB of text that Argo and the kubelet would rewrite if they could: more than one
/// command-line argument may hold.
pub fn big_hostile_text() -> String {
    let head = "$(HOME) $$ {{workflow.uid}} {{workflow.parameters.text}}\n";
    let mut s = head.to_owned();
    while s.len() < 200 * 1024 - head.len() {
        s.push_str("plain line of text\n");
    }
    s.push_str(head);
    s
}

/// A hostile `-p` value and a 200 KiB hostile constant, each flowing native → native.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn hostile_chain(text: Param<String>) {
    mirror_text(mirror_text(text).output).name("text-again");
    mirror_text(mirror_text(big_hostile_text()).name("big").output).name("big-again");
}

/// Writes `text` as its output, raw, like any image would (run by `argot-fake-runtime`, which
/// turns `<<`/`>>` into `{{`/`}}`): a value argot does not control.
#[container_component]
pub fn plain_output(out: OutputParam<String>) -> Container {
    Container::new("example.com/fake:1.0")
        .command(["write"])
        .arg(&out)
        .arg("<<workflow.name>> <<workflow.parameters.tag>> $(HOME) $$ <<nope>>")
}

/// Writes the value it receives in its argv as its output (what the container saw).
#[container_component]
pub fn seen_in_argv(value: Param<String>, out: OutputParam<String>) -> Container {
    Container::new("example.com/fake:1.0")
        .command(["write"])
        .arg(&out)
        .arg(value)
}

/// A container's plain output read by a native and by a container component: the local run
/// must rewrite it as Argo and the kubelet would.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn uncontrolled(#[default("t1")] tag: Param<String>) {
    let _ = tag;
    let raw = plain_output();
    mirror_text(raw.out);
    seen_in_argv(raw.out);
}

/// Every workflow setting a namespace outside Argo's quick-start needs, set by the attribute.
#[pipeline(
    image = "example.com/fixtures:1.0",
    service_account = "argot-runner",
    artifact_repository_ref = "artifact-repositories:ml-bucket",
    image_pull_secrets = ["regcred", "mirror-cred"],
    pod_gc = "OnPodSuccess",
    ttl = "24h",
    active_deadline = 7200,
    run_as_user = 1000, telemetry = false
)]
pub fn namespaced() {
    let first = step(1);
    step(first.output);
}

/// How carefully to work: a unit-variant enum whose schema lists its serde names, so `-p`
/// values are checked against them.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Care {
    /// Fast.
    Quick,
    /// Slow.
    Thorough,
}

impl argot::Schema for Care {
    fn schema() -> argot::TypeSchema {
        argot::TypeSchema::enum_of(&[Care::Quick, Care::Thorough])
    }
}

/// An alias: the schema comes from the type it names, not from how it is spelled.
pub type Small = u8;

/// Describes one value of each checked shape.
#[component]
pub fn shaped(
    small: Small,
    sizes: Vec<u16>,
    care: Care,
    ratio: f64,
    limit: Option<u32>,
) -> Result<String> {
    Ok(format!("{small} {sizes:?} {care:?} {ratio} {limit:?}"))
}

/// Parameters of every shape `run -p` checks against their schema.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn shaped_params(
    #[default(1)] small: Param<Small>,
    sizes: Param<Vec<u16>>,
    care: Param<Care>,
    #[default(0.5)] ratio: Param<f64>,
    #[default(None)] limit: Param<Option<u32>>,
) {
    shaped(small, sizes, care, ratio, limit);
}

/// The sum of `values`.
#[component]
pub fn sum_of(values: Vec<u32>) -> Result<u32> {
    Ok(values.iter().sum())
}

/// Appends `started <line>` to `log`, sleeps `millis`, then appends `line`: overlapping runs
/// show in the log as two `started` lines in a row.
#[component]
pub fn slow_tally(log: String, line: String, millis: u64) -> Result<String> {
    append_line(&log, &format!("started {line}"))?;
    std::thread::sleep(std::time::Duration::from_millis(millis));
    append_line(&log, &line)?;
    Ok(line)
}

/// Loops in every shape the runner unrolls: items that travel quoted in the wire form; a
/// list parameter over a two-task body with a nested loop and conditions inside (on a task
/// and on the item), each iteration collecting the inner loop's outputs; the outer outputs
/// collected after it and passed to a sub-pipeline; and a loop bounded to one task at a time.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn loops_probe(
    #[default("")] log: Param<String>,
    #[default(vec![2, 4])] sizes: Param<Vec<u32>>,
    #[default(0)] millis: Param<u64>,
) {
    for_each(vec!["plain".to_owned(), " a{b} $x ".to_owned()], |word| {
        tally(log, word);
    });
    let totals = for_each(sizes, |size| {
        let first = step(size);
        let inner = for_each([10u32, 20], |k| step(k).output);
        when(first.output.gt(4), || {
            tally(log, "big");
        });
        when(size.ge(4), || {
            tally(log, "size at least 4");
        });
        let summed = sum_of(inner);
        step(summed.output).after(&first).output
    });
    let grand = sum_of(totals).name("grand-total");
    // A sub-pipeline called on what the loop collected: its tasks wait for the loop too.
    step(checked_double(grand.output, 1000)).name("after-call");
    for_each(
        ["one".to_owned(), "two".to_owned(), "three".to_owned()],
        |line| {
            slow_tally(log, line, millis);
        },
    )
    .parallelism(1);
}

// ---------------------------------------------------------------------------------------------
// Sub-pipelines
// ---------------------------------------------------------------------------------------------

/// Fails when `value` is `bad`; else returns it.
#[component]
pub fn refuse(value: u32, bad: u32) -> Result<u32> {
    ensure!(value != bad, "refused {value}");
    Ok(value)
}

/// `a + b`.
#[component]
pub fn sum(a: u32, b: u32) -> Result<u32> {
    Ok(a + b)
}

/// Checks `x` (failing when it is `bad`) and, independently, doubles it: what it returns does
/// not depend on the check.
#[pipeline]
pub fn checked_double(x: Param<u32>, bad: Param<u32>) -> ParamRef<u32> {
    refuse(x, bad);
    sum(x, x).output
}

/// Calls `checked_double` (a call inside a call) and adds one; returns both.
#[pipeline(outputs = ["total", "doubled"])]
pub fn double_plus_one(y: Param<u32>, bad: Param<u32>) -> (ParamRef<u32>, ParamRef<u32>) {
    let doubled = checked_double(y, bad);
    let total = sum(doubled, 1).name("plus-one");
    (total.output, doubled)
}

/// Two calls of `double_plus_one`, one fed by a task's output and one by constants, and a sum
/// of what they return. With `bad=2` the first call's check fails.
#[pipeline(image = "example.com/fixtures:1.0", outputs = ["total"])]
pub fn calls_probe(#[default(1)] bad: Param<u32>) -> ParamRef<u32> {
    let start = step(1);
    let (first, _) = double_plus_one(start.output, bad);
    let (second, doubled) = double_plus_one(5, 7);
    let apart = sum(second, doubled).name("apart");
    sum(first, apart.output).name("together").output
}

/// Doubles `x` when it is above `limit`, else adds one: a condition inside a sub-pipeline,
/// on the call's parameters.
#[pipeline]
pub fn double_or_increment(x: Param<u32>, limit: Param<u32>) -> ParamRef<u32> {
    let (mut big, mut small) = (None, None);
    when(x.gt(limit), || {
        big = Some(sum(x, x));
    })
    .otherwise(|| {
        small = Some(sum(x, 1));
    });
    let (big, small) = (big.expect("traced"), small.expect("traced"));
    sum(one_of([big.output, small.output]), 0)
        .name("picked")
        .output
}

/// Two calls of `double_or_increment`: one on the run's `x`, one on constants; a third
/// inside a branch (`x > 5`), on a task's output read from outside the branch; and branches
/// on what the calls return.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn branching_calls(#[default(3)] x: Param<u32>) -> ParamRef<u32> {
    let first = double_or_increment(x, 5);
    let second = double_or_increment(10, 5);
    let seed = sum(x, 1).name("seed");
    when(x.gt(5), || {
        double_or_increment(seed.output, 0);
    });
    // A condition on what a call returns; what calls return read inside a branch; and the
    // output of the branch that ran, one of whose options a call in the branch returns.
    let (mut high, mut low) = (None, None);
    when(first.gt(10), || {
        high = Some(double_or_increment(second, 100));
    })
    .otherwise(|| {
        low = Some(sum(first, second).name("low"));
    });
    let (high, low) = (high.expect("traced"), low.expect("traced"));
    sum(one_of([high, low.output]), 0).name("chosen");
    sum(first, second).name("both").output
}

// ---------------------------------------------------------------------------------------------
// Pod and run settings
// ---------------------------------------------------------------------------------------------

/// What every `heavy` task gets: a GPU, two CPUs and an hour.
fn heavy_settings(s: ComponentSettings) -> ComponentSettings {
    s.set_accelerator_limit("nvidia.com/gpu", 1)
        .set_cpu_request("2")
        .set_timeout("1h")
}

/// A component with settings of its own.
#[component(settings = heavy_settings)]
pub fn heavy(x: u32) -> Result<u32> {
    Ok(x)
}

/// Tasks with pod and run settings set through the DSL, over pipeline-wide defaults: a
/// training step with a GPU, memory and CPU, a node selector and a toleration, retries with
/// backoff and both time limits; one step asking for more CPUs than a laptop has; one
/// without caching; and a component's own settings (`heavy`), under a task's.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn settings_dsl() {
    task_defaults()
        .set_retry(1)
        .set_memory_request("256Mi")
        .set_env_variable("LOG_LEVEL", "info");
    let first = step(1)
        .name("train")
        .set_cpu_request("1")
        .set_cpu_limit("2")
        .set_memory_request("1Gi")
        .set_memory_limit("4Gi")
        .set_accelerator_limit("nvidia.com/gpu", 1)
        .set_resource_request("ephemeral-storage", "10Gi")
        .add_node_selector_constraint("cloud.google.com/gke-accelerator", "nvidia-tesla-t4")
        .add_toleration(argot::Toleration {
            key: Some("nvidia.com/gpu".into()),
            operator: Some("Exists".into()),
            effect: Some("NoSchedule".into()),
            ..Default::default()
        })
        .add_pod_label("team", "vision")
        .add_pod_annotation("example.com/owner", "ml-platform")
        .set_image_pull_policy(ImagePullPolicy::IfNotPresent)
        .set_service_account("trainer")
        .set_priority_class("high-priority")
        .set_scheduler_name("volcano")
        .set_retry(3)
        .set_retry_policy(RetryOn::Always)
        .set_retry_backoff("10s", Some(2), Some("5m"))
        .set_timeout("2h")
        .set_active_deadline(3600);
    step(first.output)
        .name("greedy")
        .set_cpu_request("64")
        .set_env_variable("LOG_LEVEL", "debug");
    step(1).name("fresh").set_caching_options(false);
    // The component's settings, and a task's own over them.
    heavy(1).name("heavy-default");
    heavy(2).name("heavy-longer").set_timeout("3h");
    // A secret, read as an environment variable: only its name and key are in the manifest.
    secret_length("BUCKET_TOKEN")
        .set_env_from_secret("BUCKET_TOKEN", &Secret::new("bucket-creds", "token"));
}

/// Environment variables only a pod has: from a config map and from the downward API
/// (compiled; `run` refuses them, A0031).
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn cluster_env() {
    step(1)
        .set_env_from_config_map("REGION", "cluster-info", "region")
        .set_env_from_field("POD_NAME", "metadata.name")
        .set_env_from_field("TEAM", "metadata.labels['team']");
}

/// How long the value of environment variable `var` is (a secret's value is never an
/// output).
#[component]
pub fn secret_length(var: String) -> Result<u64> {
    let value = std::env::var(&var).with_context(|| format!("`{var}` is not set"))?;
    Ok(value.len() as u64)
}

// --- Formatted strings (`format_arg!`). ---

/// Writes `text` to the file `path`, exactly (no newline added); nothing when `path` is empty.
#[component]
pub fn write_text(path: String, text: String) -> Result<()> {
    if !path.is_empty() {
        std::fs::write(&path, text)?;
    }
    Ok(())
}

/// Formatted strings of parameters, outputs and constants, in the body and in a branch (whose
/// values arrive as its template's inputs): the component receives exactly what `format!`
/// gives, whatever the values hold (quotes, `$(HOME)`, `{{workflow.uid}}`, a newline).
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn formatted(
    #[default("it's \"q\" $(HOME) {{workflow.uid}}\nnext")] word: Param<String>,
    #[default(0.5)] rate: Param<f64>,
    #[default("")] out: Param<String>,
) {
    let said = echo(word);
    let counted = step(41);
    write_text(
        out,
        format_arg!(
            "gs://b/{}/{}-{}-{}-{}{{x}}",
            said.output,
            counted.output,
            rate,
            1.0f64,
            '$'
        ),
    );
    when(counted.output.eq(42), || {
        write_text(
            format_arg!("{}.branch", out),
            format_arg!("[{}]", said.output),
        );
    });
    write_inside(out, said.output);
}

/// A sub-pipeline formatting its own parameters (its template's inputs on Argo).
#[pipeline]
pub fn write_inside(path: Param<String>, word: Param<String>) {
    write_text(format_arg!("{}.call", path), format_arg!("<{}>", word));
    // In a branch of the call, its parameters arrive as the branch's inputs.
    when(word.ne(""), || {
        write_text(
            format_arg!("{}.call-branch", path),
            format_arg!("({})", word),
        );
    });
}

// --- Lifecycle hooks. ---

/// Hooks on a task that succeeds and on one that fails: the hooks for other results are
/// skipped, a dependant starts once its dependency's hooks have finished, and a failing hook
/// fails nothing (as on Argo; see `argot::hooks`).
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn hooked(#[default("")] log: Param<String>) {
    let first = tally(log, "first")
        .name("first")
        .on_success(|| {
            tally(log, "first succeeded").name("on-success");
            broken("a failing hook fails nothing").name("failing-hook");
        })
        .on_failure(|| {
            tally(log, "first failed").name("never");
        });
    tally(log, format_arg!("after {}", first.output)).name("after-first");
    let fails = broken("on purpose")
        .name("fails")
        .on_failure(|| {
            tally(log, "fails failed").name("on-failure");
        })
        .on_exit(|| {
            tally(log, "fails ended").name("on-exit");
        });
    tally(log, "handled")
        .name("handled")
        .depends_on(fails.failed());
    // A hook on a task of a conditional branch: the branch's template carries it.
    when(first.output.eq("first"), || {
        tally(log, "in branch").name("branched").on_exit(|| {
            tally(log, "branch hook").name("branch-hook");
        });
    });
}

/// Appends `start NAME` to `log`, waits a moment, then appends `end NAME`.
#[component]
pub fn log_span(log: String, name: String) -> Result<()> {
    append_line(&log, &format!("start {name}"))?;
    std::thread::sleep(std::time::Duration::from_millis(100));
    append_line(&log, &format!("end {name}"))
}

/// Three independent tasks in a pipeline that runs one task at a time (Argo
/// `spec.parallelism: 1`).
#[pipeline(image = "example.com/fixtures:1.0", parallelism = 1)]
pub fn one_at_a_time(log: Param<String>) {
    for name in ["a", "b", "c"] {
        log_span(log, name);
    }
}

/// Four independent tasks that take a slot of one semaphore (Argo
/// `synchronization.semaphores`), whose limit is key `gpu` of config map `argot-limits`.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn rationed(log: Param<String>) {
    for name in ["a", "b", "c", "d"] {
        log_span(log, name).add_semaphore("argot-limits", "gpu");
    }
}

/// Three independent tasks that hold one mutex: they never run at once (Argo
/// `synchronization.mutexes`).
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn mutually_exclusive(log: Param<String>) {
    for name in ["a", "b", "c"] {
        log_span(log, name).add_mutex("printer");
    }
}

/// An image that cannot be told where to write: it writes its result at `write_to` (run by
/// `argot-fake-runtime`), and `output_at` collects it from `/tmp/results.txt`.
#[container_component]
pub fn legacy_tool(write_to: Param<String>, results: Output<Dataset>) -> Container {
    Container::new("example.com/fake:1.0")
        .command(["write"])
        .arg(write_to)
        .arg("rows: 3")
        .output_at(&results, "/tmp/results.txt")
}

/// The text of an artifact of any kind.
#[component]
pub fn read_text(data: Input<Artifact>) -> Result<String> {
    Ok(std::fs::read_to_string(data.path())?)
}

/// A container output collected from the image's own path, read by a native component.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn own_paths(#[default("/tmp/results.txt")] write_to: Param<String>) -> ParamRef<String> {
    read_text(legacy_tool(write_to).results).output
}

/// Collects outputs from paths no container can use (A0051).
#[container_component]
pub fn bad_output_paths(a: Output<Dataset>, b: Output<Dataset>, c: OutputParam<u32>) -> Container {
    Container::new("example.com/fake:1.0")
        .output_at(&a, "results.txt")
        .output_at(&b, "/tmp/argot/outputs/b")
        .output_at(&c, "/out/../etc/c")
}

/// Uses `bad_output_paths`.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn bad_output_paths_pipeline() {
    bad_output_paths();
}

/// Two outputs of one container, one inside the other (A0051).
#[container_component]
pub fn nested_output_paths(a: Output<Dataset>, b: Output<Model>) -> Container {
    Container::new("example.com/fake:1.0")
        .output_at(&a, "/out")
        .output_at(&b, "/out/model")
}

/// Uses `nested_output_paths`.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn nested_output_paths_pipeline() {
    nested_output_paths();
}

/// Artifacts from outside the pipeline Argo could not fetch (A0050), one from a parameter
/// whose default is not a URL.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn unfetchable(#[default("file:///etc/passwd")] url: Param<String>
) {
    read_text(Dataset::from_url(url));
    read_text(Dataset::from_url("ftp://example.com/data.csv"));
    read_text(Dataset::from_url("s3://bucket/key"));
    read_text(Model::from_s3("", "models/m.bin"));
    read_text(Artifact::raw("hello {{workflow.name}}"));
    read_text(Artifact::from_s3_endpoint("https://minio:9000", "b", "k"));
}

/// Every artifact source, each of a kind its input takes: compiles, and `run` refuses what it
/// cannot fetch (A0031). Its artifacts are deleted with the Workflow object.
#[pipeline(image = "example.com/fixtures:1.0", artifact_gc = "OnWorkflowDeletion")]
pub fn every_source() {
    read_text(Dataset::from_url("https://example.com/iris.csv")).name("http");
    read_text(Markdown::raw("# notes")).name("raw");
    read_text(Model::from_s3("ml-models", "m/1.bin")).name("s3");
    read_text(Dataset::from_s3_endpoint(
        "minio.example.com:9000",
        "data",
        "d.csv",
    ))
    .name("minio");
    read_text(Dataset::from_gcs("ml-data", "iris.csv")).name("gcs");
    read_text(Artifact::from_git(
        "https://github.com/argoproj/argo-workflows.git",
        "v4.1.2",
    ))
    .name("git");
}

/// The lines of `base`, plus those of `extra` when the task passes it.
#[component]
pub fn count_lines(base: Input<Dataset>, extra: Option<Input<Artifact>>) -> Result<u64> {
    let count = |path: &std::path::Path| -> Result<u64> {
        Ok(std::fs::read_to_string(path)?.lines().count() as u64)
    };
    let extra = match &extra {
        Some(input) => count(input.path())?,
        None => 0,
    };
    Ok(count(base.path())? + extra)
}

/// An optional artifact input, passed to one task and left out of the other.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn optional_inputs() {
    let without = count_lines(Dataset::raw("a\nb\n")).name("without");
    let _ = without;
    count_lines(Dataset::raw("a\nb\n"))
        .extra(Markdown::raw("c\nd\ne\n"))
        .name("with");
}

/// A model folder and a metrics file, both naming the version they were fitted for.
#[component]
pub fn train_keyed(version: String, model: Output<Model>, score: Output<Metrics>) -> Result<()> {
    std::fs::create_dir_all(model.path())?;
    std::fs::write(
        model.path().join("weights.txt"),
        format!("weights {version}"),
    )?;
    std::fs::write(score.path(), format!("{{\"version\": \"{version}\"}}"))?;
    Ok(())
}

/// A tag chosen at run time.
#[component]
pub fn pick_tag() -> Result<String> {
    Ok("best".to_owned())
}

/// Every task of `write_report` stores its page under a key of its own pod.
fn keyed_report(s: ComponentSettings) -> ComponentSettings {
    s.set_output_key(
        "report",
        OutputKey::new("reports/")
            .workflow_name()
            .text("/")
            .pod_name()
            .text(".html"),
    )
}

/// A page with a title; its key comes from the component's settings.
#[component(settings = keyed_report)]
pub fn write_report(title: String, report: Output<Html>) -> Result<()> {
    Ok(std::fs::write(report.path(), format!("<h1>{title}</h1>"))?)
}

/// Outputs stored under keys the pipeline names (`set_output_key`): a fixed key (a gzipped
/// tarball, Argo's default archive), keys built from the run's variables, a pipeline
/// parameter and a task's output, and in a loop one per pod. The `plain` task, without a
/// key, keeps the component's plain template: the keyed tasks get templates of their own.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn repo_keys(#[default("v1")] version: Param<String>) {
    let tag = pick_tag();
    train_keyed(version)
        .name("latest")
        .set_output_key("model", "models/latest/model.tgz")
        .set_output_key(
            "score",
            OutputKey::new("scores/")
                .workflow_name()
                .text("/")
                .value(version)
                .text("/score.json"),
        );
    train_keyed(version)
        .name("dated")
        .set_output_archive("model", Archive::None)
        .set_output_key(
            "model",
            OutputKey::new("models/")
                .created(TimePart::Year)
                .text("/")
                .created(TimePart::Month)
                .text("/")
                .value(tag.output)
                .text("-")
                .workflow_uid(),
        );
    for_each(["a".to_owned(), "b".to_owned()], |shard| {
        train_keyed(shard).name("shard").set_output_key(
            "model",
            OutputKey::new("shards/")
                .workflow_namespace()
                .text("/")
                .pod_name()
                .text(".tgz"),
        );
    });
    train_keyed("plain").name("plain");
    // A key from the component's settings, on both of its tasks.
    write_report("first");
    write_report("second");
}

/// Keys Argo would store wrongly, or that outputs of a run always share (A0049).
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn bad_repo_keys(#[default("v1")] version: Param<String>) {
    train_keyed("a")
        .name("slash")
        .set_output_key("model", "/models/m.tgz")
        .set_output_key("score", "scores/{{workflow.name}}.json");
    train_keyed("b")
        .name("packing")
        .set_output_key("model", "models/m.bin")
        .set_output_key("score", "scores/s.zip");
    train_keyed("c")
        .name("climbs")
        .set_output_key("model", "models/../m.tgz")
        .set_output_key("score", "");
    train_keyed("d")
        .name("first")
        .set_output_key("model", "shared/m.tgz");
    train_keyed("e")
        .name("second")
        .set_output_key("model", "shared/m.tgz");
    for_each(["x".to_owned(), "y".to_owned()], |v| {
        train_keyed(v).name("looped").set_output_key(
            "model",
            OutputKey::new("loop/")
                .workflow_name()
                .text("/")
                .value(version)
                .text(".tgz"),
        );
    });
    // In a branch, a shared key does not always collide.
    when(pick_tag().output.eq("best"), || {
        train_keyed("f")
            .name("maybe")
            .set_output_key("model", "shared/m.tgz");
    });
}

/// An artifact GC strategy Argo does not know (A0052).
#[pipeline(image = "example.com/fixtures:1.0", artifact_gc = "onworkflowdeletion")]
pub fn unknown_artifact_gc() {
    read_text(Artifact::raw("x"));
}

/// Steps one up per level while below 100, at most 3 levels; at the last level the bound stops
/// the first branch, so `otherwise` runs in its place and gives that level's value.
#[pipeline(max_depth = 3)]
pub fn deepen(x: Param<u32>) -> ParamRef<u32> {
    let here = step(x);
    let (mut deeper, mut last) = (None, None);
    when(here.output.lt(100u32), || {
        deeper = Some(deepen(here.output))
    })
    .otherwise(|| {
        last = Some(step(here.output).output);
    });
    let (deeper, last) = (deeper.expect("traced"), last.expect("traced"));
    step(one_of([deeper, last])).output
}

/// Calls `deepen` from 0.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn deepens() -> ParamRef<u32> {
    deepen(0u32)
}

// --- Run-time values in settings' text. ---

/// The value of environment variable `var`.
#[component]
pub fn env_value(var: String) -> Result<String> {
    std::env::var(&var).with_context(|| format!("`{var}` is not set"))
}

/// What its container sees, as its output: the image it runs and the value of environment
/// variable `var` (run by `argot-fake-runtime`'s `describe`).
#[container_component]
pub fn image_and_env(var: Param<String>, out: OutputParam<String>) -> Container {
    Container::new("example.com/fake:1.0")
        .command(["describe"])
        .arg(&out)
        .arg(var)
}

/// Pipeline parameters and task outputs in settings' text, wherever Argo substitutes them:
/// environment values, pod label and annotation values, and the image, of a native and of a
/// container component.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn setting_values(#[default("v1.2")] tag: Param<String>, #[default(7)] build: Param<u32>) {
    let made = echo("model-a");
    env_value("MODEL")
        .name("native")
        .set_env_variable(
            "MODEL",
            format_arg!("models/{}/{}-{}", tag, made.output, build),
        )
        .add_pod_label("tag", tag)
        .add_pod_annotation("example.com/build", build)
        .set_container_image(format_arg!("example.com/fixtures:{}", tag));
    image_and_env("MODEL")
        .name("container")
        .set_env_variable("MODEL", made.output)
        .set_container_image(format_arg!("example.com/fake:{}", tag));
}

// --- The typed escape hatch: template edits. ---

/// Where it runs and what environment variable `var` holds: `<working directory> <value>`.
#[component]
pub fn where_and_env(var: String) -> Result<String> {
    let dir = std::env::current_dir().context("no working directory")?;
    let value = std::env::var(&var).with_context(|| format!("`{var}` is not set"))?;
    Ok(format!("{} {value}", dir.display()))
}

/// Fields argot does not model, set with `edit_template` on the templates it generated: on
/// every task (`task_defaults()`) the termination message policy; on a native task a working
/// directory inside its volume, an environment variable, a `preStop` hook, a host alias
/// through the pod patch, a pod label, and memoization (the edit joins its key); on a
/// container task its image, an argument, its environment and working directory.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn template_edits() {
    use argot::k8s::{EnvVar, ExecAction, HostAlias, Lifecycle, LifecycleHandler};
    task_defaults().edit_template(|t| {
        t.container.termination_message_policy = Some("FallbackToLogsOnError".into());
    });
    where_and_env("STAGE")
        .name("native")
        .add_empty_dir_volume("scratch", "/scratch")
        .set_memoize("argot-memo", Some("24h"))
        .edit_template(|t| {
            t.container.working_dir = Some("/scratch/work".into());
            t.container.env.get_or_insert_with(Vec::new).push(EnvVar {
                name: "STAGE".into(),
                value: Some("edited in $(ARGOT_VOLUME_SCRATCH)".into()),
                value_from: None,
            });
            t.container.lifecycle = Some(Lifecycle {
                pre_stop: Some(LifecycleHandler {
                    exec: Some(ExecAction {
                        command: Some(vec!["sleep".into(), "5".into()]),
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            });
            t.pod.host_aliases = Some(vec![HostAlias {
                ip: "10.0.0.7".into(),
                hostnames: Some(vec!["data.internal".into()]),
            }]);
            t.labels.insert("team".into(), "vision".into());
        });
    image_and_env("UNUSED")
        .name("container")
        .edit_template(|t| {
            // The variable to describe: the edit's, in place of the input's placeholder.
            if let Some(args) = &mut t.container.args {
                args[1] = "MODEL".into();
            }
            t.container.image = Some("example.com/fake:2.0".into());
            t.container.env = Some(vec![EnvVar {
                name: "MODEL".into(),
                value: Some("from-the-edit".into()),
                value_from: None,
            }]);
            t.container.working_dir = Some("/work".into());
        });
}

// --- Security contexts and affinity. ---

/// A task with its own container and pod security contexts (over the secure defaults) and an
/// affinity: a node it must run on and pods of its kind it prefers not to share one with.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn guarded() {
    use argot::k8s::{
        Affinity, Capabilities, LabelSelector, NodeAffinity, NodeSelector, NodeSelectorRequirement,
        NodeSelectorTerm, PodAffinityTerm, PodAntiAffinity, PodSecurityContext, SecurityContext,
        WeightedPodAffinityTerm,
    };
    step(1)
        .name("locked-down")
        .set_security_context(SecurityContext {
            read_only_root_filesystem: Some(true),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                ..Default::default()
            }),
            ..Default::default()
        })
        .set_pod_security_context(PodSecurityContext {
            fs_group: Some(2000),
            ..Default::default()
        })
        .set_affinity(Affinity {
            node_affinity: Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                    node_selector_terms: vec![NodeSelectorTerm {
                        match_expressions: Some(vec![NodeSelectorRequirement {
                            key: "kubernetes.io/arch".into(),
                            operator: "In".into(),
                            values: Some(vec!["amd64".into()]),
                        }]),
                        ..Default::default()
                    }],
                }),
                ..Default::default()
            }),
            pod_anti_affinity: Some(PodAntiAffinity {
                preferred_during_scheduling_ignored_during_execution: Some(vec![
                    WeightedPodAffinityTerm {
                        weight: 50,
                        pod_affinity_term: PodAffinityTerm {
                            label_selector: Some(LabelSelector {
                                match_labels: Some(
                                    [("argot.dev/component".to_owned(), "step".to_owned())].into(),
                                ),
                                ..Default::default()
                            }),
                            topology_key: "kubernetes.io/hostname".into(),
                            ..Default::default()
                        },
                    },
                ]),
                ..Default::default()
            }),
            ..Default::default()
        });
    step(2).name("plain");
}

// --- Volumes of the run, secrets and config maps. ---

/// Writes the file `write` (holding its own name) into volume `volume` unless it is empty,
/// then returns the sorted names of the files there, each with its content: `name=content`.
#[component]
pub fn volume_files(volume: String, write: String) -> Result<String> {
    let dir = argot::volume_path(&volume)?;
    if !write.is_empty() {
        std::fs::write(dir.join(&write), &write)?;
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        files.push(format!("{name}={}", std::fs::read_to_string(&path)?));
    }
    files.sort();
    Ok(files.join(","))
}

/// A volume created for the run, written by one task and read by the next; a secret mounted
/// as a file.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn run_volumes() {
    let first = volume_files("scratch", "a")
        .name("writer")
        .add_run_volume("scratch", "1Gi", "/scratch");
    volume_files("scratch", "")
        .name("reader")
        .after(&first)
        .add_run_volume("scratch", "1Gi", "/data/scratch");
    volume_files("creds", "")
        .name("secret-reader")
        .add_secret_volume("creds", &Secret::new("bucket-creds", "token"), "/etc/creds");
}

/// A config map mounted as files (compiled; `run` refuses it, A0031).
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn config_map_volume() {
    volume_files("settings", "").add_config_map_volume("settings", "app-settings", "/etc/app");
}

// --- Sidecars and init containers. ---

/// A task with an init container that prepares a volume and a sidecar beside it (compiled;
/// `run` refuses them, A0031).
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn with_sidecars() {
    use argot::k8s::{Container, ContainerPort};
    volume_files("shared", "")
        .add_empty_dir_volume("shared", "/shared")
        .add_init_container(Container {
            name: "fetch".into(),
            image: Some("busybox:1.36".into()),
            command: Some(vec!["touch".into(), "/shared/ready".into()]),
            volume_mounts: Some(vec![argot::k8s::VolumeMount {
                name: "shared".into(),
                mount_path: "/shared".into(),
                ..Default::default()
            }]),
            ..Default::default()
        })
        .add_sidecar(Container {
            name: "cache".into(),
            image: Some("redis:7".into()),
            ports: Some(vec![ContainerPort {
                container_port: 6379,
                ..Default::default()
            }]),
            ..Default::default()
        });
}

// --- Volumes of container components. ---

/// Writes `text` to `path` in the container (the fake image's `write`).
#[container_component]
pub fn container_write(path: Param<String>, text: Param<String>) -> Container {
    Container::new("example.com/fake:1.0")
        .command(["write"])
        .arg(path)
        .arg(text)
}

/// Copies the file at `from` in the container to its output (the fake image's `copy`).
#[container_component]
pub fn container_copy(from: Param<String>, out: OutputParam<String>) -> Container {
    Container::new("example.com/fake:1.0")
        .command(["copy"])
        .arg(from)
        .arg(&out)
}

/// Container components with volumes: one writes into a run volume (at a `subPath` of it),
/// which the next reads (the whole volume); one reads a secret mounted as a file.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn container_volumes() {
    let writer = container_write("/ckpt/last", "from-a-container")
        .name("container-writer")
        .add_run_volume("scratch", "1Gi", "/ckpt");
    // No DSL method sets a mount's `subPath`: the settings are edited directly.
    argot::settings::SettingsTarget::__edit(&writer, &mut |c| {
        c.volume_mounts[0].sub_path = Some("epochs".into());
    });
    container_copy("/data/epochs/last")
        .name("container-reader")
        .after(&writer)
        .add_run_volume("scratch", "1Gi", "/data");
    container_copy("/etc/creds/token")
        .name("container-secret")
        .add_secret_volume("creds", &Secret::new("bucket-creds", "token"), "/etc/creds");
}

// --- Memory requests on this machine. ---

/// Three independent tasks requesting 3Gi of memory each: `run --memory` bounds how many run
/// at once (on a cluster, the nodes' allocatable memory does).
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn memory_bound(log: Param<String>) {
    for name in ["a", "b", "c"] {
        log_span(log, name).set_memory_request("3Gi");
    }
}

// --- fail_fast across nested templates. ---

/// `fail_fast = true` over a condition, a loop (one iteration at a time), a sub-pipeline call
/// and a hook: every DAG template of the body gets Argo's `failFast`, so a failure anywhere
/// stops its own template at once and the rest of the run once that template's own running
/// tasks have finished (`checkParallelism`). `bad` picks the task that fails: `refuse(bad,
/// bad)`: 1 `first`, 2 the branch's, 3 to 6 the loop's iterations, 7 the call's check, 8
/// `hooked`. `slow` sleeps `millis`; the exit handler runs whatever happened.
#[pipeline(image = "example.com/fixtures:1.0", fail_fast = true)]
pub fn fails_fast_nested(
    #[default("")] log: Param<String>,
    #[default(0)] bad: Param<u32>,
    #[default(0)] millis: Param<u64>,
) {
    let slow = slow_tally(log, "slow", millis).name("slow");
    tally(log, "after slow").name("after-slow").after(&slow);
    let first = refuse(1, bad).name("first");
    when(first.output.eq(1), || {
        refuse(2, bad).name("in-branch");
    });
    for_each([3u32, 4, 5, 6], |x| {
        refuse(x, bad).name("iteration");
    })
    .parallelism(1);
    checked_double(7, bad);
    refuse(8, bad).name("hooked").on_failure(|| {
        tally(log, "hook").name("on-failure");
    });
    on_exit(|_| {
        tally(log, "exit handler").name("exit");
    });
}

/// Where Argo's `failFast` stops a run later than at once: the branch's DAG trips when
/// `broken` fails, starting nothing more of it, but is marked failed (and so trips the
/// pipeline's DAG) only once `slow-inside`, a task of its own, has finished
/// (`checkParallelism` waits for `getActivePods` of the DAG to be 0): meanwhile
/// `after-outside` still starts, and `after-last` (ready after that) does not.
#[pipeline(image = "example.com/fixtures:1.0", fail_fast = true)]
pub fn fails_fast_late(#[default("")] log: Param<String>) {
    let gate = step(1).name("gate");
    when(gate.output.gt(0), || {
        let inside = slow_tally(log, "slow inside", 3000).name("slow-inside");
        broken("fails in the branch");
        tally(log, "after slow inside")
            .name("after-inside")
            .after(&inside);
    });
    let outside = slow_tally(log, "slow outside", 1000).name("slow-outside");
    tally(log, "after slow outside")
        .name("after-outside")
        .after(&outside);
    let last = slow_tally(log, "slow last", 5000).name("slow-last");
    tally(log, "after slow last")
        .name("after-last")
        .after(&last);
}

/// A failure in one branch while the other branch's task runs: the pipeline's DAG, running no
/// task of its own, fails at once (`checkParallelism`), and Argo's `operate` starts the exit
/// handler then, while `slow-inside` still runs; nothing else starts.
#[pipeline(image = "example.com/fixtures:1.0", fail_fast = true)]
pub fn fails_fast_exits_early(#[default("")] log: Param<String>) {
    let gate = step(1).name("gate");
    when(gate.output.gt(0), || {
        let inside = slow_tally(log, "slow inside", 3000).name("slow-inside");
        tally(log, "after slow inside")
            .name("after-inside")
            .after(&inside);
    });
    when(gate.output.gt(0), || {
        broken("fails in the other branch");
    });
    on_exit(|run| {
        tally(log, run.status()).name("exit");
    });
}

// --- Collected artifacts. ---

/// Writes `model n` into a model file after sleeping `n × millis` ms (so later items may
/// finish first); fails when `n` is `bad`.
#[component]
pub fn fit_model(n: u32, bad: u32, millis: u64, model: Output<Model>) -> Result<()> {
    std::thread::sleep(std::time::Duration::from_millis(u64::from(n) * millis));
    ensure!(n != bad, "refused {n}");
    std::fs::write(model.path(), format!("model {n}"))?;
    Ok(())
}

/// The collected models' contents, in the collection's order, joined by `;`.
#[component]
pub fn list_models(models: Input<Collection<Model>>) -> Result<String> {
    let mut texts = Vec::new();
    for model in models.paths() {
        texts.push(std::fs::read_to_string(model)?);
    }
    Ok(texts.join(";"))
}

/// One model per item of `ns`, collected after the loop into one `Input<Collection<Model>>`;
/// with `bad` one of the items, its iteration fails. Then the same inside an outer loop.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn collected_models(
    #[default(vec![3, 1, 2])] ns: Param<Vec<u32>>,
    #[default(0)] bad: Param<u32>,
    #[default(0)] millis: Param<u64>,
) {
    let models = for_each(ns, |n| fit_model(n, bad, millis).model);
    list_models(models);
    // Collected inside an outer loop: each outer iteration reads its own inner models.
    for_each(vec![1u32, 2], |outer| {
        let first = step(outer);
        let inner = for_each(vec![10u32, 20], |n| {
            fit_model(n, 0, 0).name("fit-inner").after(&first).model
        });
        list_models(inner).name("list-inner");
    });
}

// --- Memoization without a max age. ---

/// A step memoized for ever (`set_memoize(…, None)`): the manifest still carries `maxAge`,
/// empty, which every Argo schema requires and the controller reads as no limit.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn memoized_for_ever() {
    step(1).set_memoize("argot-memo", None);
}

// --- A task awaiting another of the same inner loop body. ---

/// Nested loops whose inner body holds a task reading the outer item and a task that waits
/// for it (`.after`), the awaited task built second (it is `.after`'s argument): both run once
/// per inner iteration of each outer iteration.
#[pipeline(image = "example.com/fixtures:1.0")]
pub fn nested_after() {
    for_each(vec![1u32, 2], |outer| {
        for_each(vec![10u32, 20], |n| {
            step(n).name("x").after(&step(outer));
        });
    });
}
