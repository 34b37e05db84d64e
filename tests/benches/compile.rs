//! Compile benchmark: the peers' topology (`tests/bench/peers/topology.py`: a chain of N/2
//! tasks, then N/2 tasks fanning out from the chain's last task, each passing a string output
//! parameter on, task 0 reading the pipeline parameter `seed`) built with argot's DSL and
//! compiled in-process: trace + validate + emit + serialise to YAML.
//!
//! ```text
//! cargo bench -p argot-tests --bench compile                    # N = 10 … 50,000
//! cargo bench -p argot-tests --bench compile -- --smoke         # N = 10, 100; a few runs
//! cargo bench -p argot-tests --bench compile -- --n 1000 5000   # chosen N
//! cargo bench -p argot-tests --bench compile -- --variant peer-names
//! cargo bench -p argot-tests --bench compile -- --variant loop-output --variant loop-static --n 1000 10000
//! ```
//!
//! Two variants of the pipeline: `default` (argot's own names, as a user writes it) and
//! `peer-names` (the names the peer generators use, so bytes compare formats, not names).
//! Two more, run only when asked for, measure loops: `loop-output` (N iterations of a loop
//! over a task's list output, `withParam`: N is a run-time value) and `loop-static` (a loop
//! over N items known when compiling, `withItems`).
//! Prints one JSON line per N and variant, in the shape of the peers' `run_bench.sh`: `tool`,
//! `variant`, `n`, `compile_s` (median of the timed runs), `compile_min_s`, `runs`; the
//! median of each stage (`trace_s`, `validate_s`: the target-neutral rules, `emit_s`: the Argo
//! backend's checks and the workflow, `serialise_s`) from separate runs; `bytes`, `bytes_per_task`, `maxrss_mb`; and, for comparison, `serialise_json_s`
//! and `json_bytes` (the same workflow as JSON, `compile --format json`). Each N and variant
//! runs in a child process of its own, so `maxrss_mb` (the child's `VmHWM` after one
//! compile) is that run's peak, like the peers' whole-process figure.
//! `ARGOT_BENCH_SMOKE=1` is the same as `--smoke`; `ARGOT_BENCH_OUT=DIR` keeps each
//! manifest as `DIR/argot-VARIANT-N.yaml`.
//!
//! Nothing here asserts on time: the benchmark reports, it never fails a build.

use std::cell::Cell;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use argot::emit::argo::{self, Format};
use argot::prelude::*;
use argot::{CompileOptions, Limits, ValidateOptions};

/// The N the benchmark runs by default (the issue's list).
const DEFAULT_NS: &[usize] = &[10, 100, 1_000, 5_000, 10_000, 50_000];
/// The N of the smoke mode.
const SMOKE_NS: &[usize] = &[10, 100];
/// Where the binary runs inside the image (as the CLI's default would put it).
const BINARY_PATH: &str = "/usr/local/bin/bench";

thread_local! {
    /// The task count the pipeline body builds; set before tracing.
    static TASKS: Cell<usize> = const { Cell::new(0) };
}

/// One step of the chain or the fan-out: reads a string, passes it on. (Not `step`: that is
/// the peers' name, which `step_xy` takes; a binary cannot register two components under one
/// name, A0008.)
#[component]
pub fn pass_on(input: String) -> Result<String> {
    Ok(input + ".")
}

/// The peers' topology with `TASKS` tasks, written as an argot user would: default task
/// names (`pass-on`, `pass-on-2`, …), the input named after the Rust parameter, the return value
/// as output `output`.
#[pipeline(image = "example.com/bench:1.0")]
pub fn chain_fan(#[default("a")] seed: Param<String>) {
    let n = TASKS.get();
    let chain = (n / 2).max(1);
    let mut last = pass_on(seed);
    for _ in 1..chain {
        last = pass_on(last.output);
    }
    for _ in chain..n {
        pass_on(last.output);
    }
}

/// The same step with the peers' names: input `x`, output parameter `y`.
#[component(name = "step")]
pub fn step_xy(x: String, y: OutputParam<String>) -> Result<()> {
    y.set(&(x + "."))?;
    Ok(())
}

/// The same topology with the names the peer generators use (tasks `t0`, `t1`, …; input
/// `x`; output `y`), so manifest bytes compare the formats rather than the chosen names.
#[pipeline(name = "chain-fanout", image = "example.com/bench:1.0")]
pub fn chain_fan_peer_names(#[default("a")] seed: Param<String>) {
    let n = TASKS.get();
    let chain = (n / 2).max(1);
    let mut last = step_xy(seed).name("t0");
    for i in 1..chain {
        last = step_xy(last.y).name(format!("t{i}"));
    }
    for i in chain..n {
        step_xy(last.y).name(format!("t{i}"));
    }
}

/// `count` item names, made at run time.
#[component]
pub fn make_items(count: u32) -> Result<Vec<String>> {
    Ok((0..count).map(|i| format!("i{i}")).collect())
}

/// Joins the collected outputs.
#[component]
pub fn join_all(parts: Vec<String>) -> Result<String> {
    Ok(parts.concat())
}

/// A loop of `TASKS` iterations over a task's output (`withParam`), collected: the manifest
/// is the same whatever N, since the items exist only at run time.
#[pipeline(image = "example.com/bench:1.0")]
pub fn loop_output() {
    let listed = make_items(TASKS.get() as u32);
    let parts = for_each(listed.output, |item| pass_on(item).output);
    join_all(parts);
}

/// A loop over `TASKS` items known when compiling (`withItems`), collected: the items are in
/// the manifest, the body once.
#[pipeline(image = "example.com/bench:1.0")]
pub fn loop_static() {
    let items: Vec<String> = (0..TASKS.get()).map(|i| format!("i{i}")).collect();
    let parts = for_each(items, |item| pass_on(item).output);
    join_all(parts);
}

/// Which pipeline to build.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// [`chain_fan`]: argot's own names.
    Default,
    /// [`chain_fan_peer_names`]: the peers' names.
    PeerNames,
    /// [`loop_output`]: N iterations of a loop over a task's list output (`withParam`).
    LoopOutput,
    /// [`loop_static`]: a loop over N items known when compiling (`withItems`).
    LoopStatic,
}

impl Variant {
    fn definition(self) -> argot::PipelineDef {
        match self {
            Variant::Default => chain_fan::definition(),
            Variant::PeerNames => chain_fan_peer_names::definition(),
            Variant::LoopOutput => loop_output::definition(),
            Variant::LoopStatic => loop_static::definition(),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Variant::Default => "default",
            Variant::PeerNames => "peer-names",
            Variant::LoopOutput => "loop-output",
            Variant::LoopStatic => "loop-static",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Variant::Default,
            Variant::PeerNames,
            Variant::LoopOutput,
            Variant::LoopStatic,
        ]
        .into_iter()
        .find(|v| v.label() == s)
    }
}

/// How one child measures.
#[derive(Clone, Copy)]
struct Plan {
    /// Warm-up time before timing (at least one run).
    warm_up: Duration,
    /// Timed runs: at least this many …
    min_runs: usize,
    /// … and more, up to `max_runs`, while under `budget` (a wide window of time, so a burst
    /// of load on a shared machine moves the median less).
    max_runs: usize,
    budget: Duration,
}

const FULL: Plan = Plan {
    warm_up: Duration::from_millis(300),
    min_runs: 11,
    max_runs: 2001,
    budget: Duration::from_secs(2),
};

const SMOKE: Plan = Plan {
    warm_up: Duration::from_millis(20),
    min_runs: 3,
    max_runs: 5,
    budget: Duration::from_millis(200),
};

/// The size limits of the benchmark: past about 6,500 tasks this topology's manifest is over
/// Argo's default 1 MiB budget (A0013), so the budget is raised as a user would with
/// `--max-manifest-bytes`; the size rule still runs (and measures the manifest) at every N.
fn limits() -> Limits {
    Limits {
        max_manifest_bytes: 1 << 32,
        ..Limits::default()
    }
}

fn options() -> CompileOptions {
    CompileOptions {
        binary_path: BINARY_PATH.to_owned(),
        limits: limits(),
        ..CompileOptions::default()
    }
}

/// Trace + validate + emit + serialise, as `compile` does; returns the YAML.
fn compile_once(variant: Variant, n: usize) -> String {
    TASKS.set(n);
    let compiled = variant
        .definition()
        .compile(&options())
        .unwrap_or_else(|e| panic!("the benchmark pipeline must be valid: {e}"));
    argo::render_manifest(&compiled.workflow, Format::Yaml).expect("the manifest serialises")
}

/// The same work, stage by stage; returns each stage's seconds.
fn stages_once(variant: Variant, n: usize) -> [f64; 4] {
    TASKS.set(n);
    let t0 = Instant::now();
    let traced = variant
        .definition()
        .trace(BINARY_PATH)
        .unwrap_or_else(|e| panic!("the benchmark pipeline must trace: {e}"));
    let t1 = Instant::now();
    let validate_options = ValidateOptions {
        limits: limits(),
        ..ValidateOptions::default()
    };
    let valid = argot::validate(&traced.pipeline, &validate_options)
        .unwrap_or_else(|e| panic!("the benchmark pipeline must be valid: {e}"));
    let t2 = Instant::now();
    let argo_options = argo::ArgoOptions {
        limits: limits(),
        ..argo::ArgoOptions::default()
    };
    let workflow = argo::emit(&valid, &argo_options)
        .unwrap_or_else(|e| panic!("the benchmark pipeline must pass Argo's checks: {e}"))
        .workflow;
    let t3 = Instant::now();
    let yaml = argo::render_manifest(&workflow, Format::Yaml).expect("the manifest serialises");
    let t4 = Instant::now();
    std::hint::black_box(yaml);
    [t1 - t0, t2 - t1, t3 - t2, t4 - t3].map(|d| d.as_secs_f64())
}

/// Warm up, then time `f` `plan`-many times; returns the sorted seconds.
fn measure(plan: Plan, mut f: impl FnMut() -> f64) -> Vec<f64> {
    let start = Instant::now();
    loop {
        f();
        if start.elapsed() >= plan.warm_up {
            break;
        }
    }
    let start = Instant::now();
    let mut times = Vec::new();
    while times.len() < plan.min_runs
        || (times.len() < plan.max_runs && start.elapsed() < plan.budget)
    {
        times.push(f());
    }
    times.sort_by(f64::total_cmp);
    times
}

fn median(sorted: &[f64]) -> f64 {
    let m = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[m]
    } else {
        (sorted[m - 1] + sorted[m]) / 2.0
    }
}

/// This process's peak resident set (`VmHWM`), in MiB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Measures one N in this process and prints its JSON line.
fn child(variant: Variant, n: usize, plan: Plan) {
    // The first compile, alone, so `maxrss_mb` is one compile's peak plus the baseline.
    let yaml = compile_once(variant, n);
    let maxrss_mb = peak_rss_mb();
    if let Ok(dir) = std::env::var("ARGOT_BENCH_OUT") {
        let path = std::path::Path::new(&dir).join(format!("argot-{}-{n}.yaml", variant.label()));
        std::fs::write(&path, &yaml).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
    let bytes = yaml.len();
    drop(yaml);

    let totals = measure(plan, || {
        let t = Instant::now();
        let yaml = compile_once(variant, n);
        let dt = t.elapsed().as_secs_f64();
        std::hint::black_box(yaml);
        dt
    });
    let mut stages: [Vec<f64>; 4] = Default::default();
    measure(plan, || {
        let s = stages_once(variant, n);
        for (all, one) in stages.iter_mut().zip(s) {
            all.push(one);
        }
        s.iter().sum()
    });
    // For comparison: the same workflow serialised as JSON (`compile --format json`).
    let workflow = variant
        .definition()
        .compile(&options())
        .expect("the benchmark pipeline is valid")
        .workflow;
    let json_bytes = argo::render_manifest(&workflow, Format::Json)
        .expect("the manifest serialises")
        .len();
    let json = measure(plan, || {
        let t = Instant::now();
        let text = argo::render_manifest(&workflow, Format::Json).expect("the manifest serialises");
        let dt = t.elapsed().as_secs_f64();
        std::hint::black_box(text);
        dt
    });
    drop(workflow);
    let stage = |i: usize| {
        let mut v = stages[i].clone();
        v.sort_by(f64::total_cmp);
        median(&v)
    };
    let line = serde_json::json!({
        "tool": format!("argot {}", env!("CARGO_PKG_VERSION")),
        "variant": variant.label(),
        "n": n,
        "compile_s": median(&totals),
        "compile_min_s": totals[0],
        "runs": totals.len(),
        "trace_s": stage(0),
        "validate_s": stage(1),
        "emit_s": stage(2),
        "serialise_s": stage(3),
        "serialise_json_s": median(&json),
        "json_bytes": json_bytes,
        "bytes": bytes,
        "bytes_per_task": (bytes as f64 / n as f64).round(),
        "maxrss_mb": maxrss_mb.map(|m| (m * 10.0).round() / 10.0),
    });
    println!("{line}");
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: compile [--smoke] [--n N ...] [--variant default|peer-names ...]\n\
         environment: ARGOT_BENCH_SMOKE=1 (same as --smoke), ARGOT_BENCH_OUT=DIR (keep the YAML)"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut smoke = std::env::var("ARGOT_BENCH_SMOKE").is_ok_and(|v| !v.is_empty() && v != "0");
    let mut ns: Vec<usize> = Vec::new();
    let mut variants: Vec<Variant> = Vec::new();
    let mut child_n: Option<usize> = None;
    let mut in_ns = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // `cargo bench` passes `--bench`.
            "--bench" => {}
            "--smoke" => smoke = true,
            "--n" => in_ns = true,
            "--variant" => match args.next().as_deref().and_then(Variant::parse) {
                Some(v) => variants.push(v),
                None => return usage(),
            },
            "--child" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => child_n = Some(n),
                None => return usage(),
            },
            "-h" | "--help" => return usage(),
            other if in_ns && !other.starts_with('-') => match other.parse() {
                Ok(n) if n > 0 => ns.push(n),
                _ => return usage(),
            },
            // Other libtest-style flags and name filters: accepted and ignored.
            _ => {}
        }
    }
    let plan = if smoke { SMOKE } else { FULL };
    if variants.is_empty() {
        variants = vec![Variant::Default, Variant::PeerNames];
    }
    if let Some(n) = child_n {
        child(variants[0], n, plan);
        return ExitCode::SUCCESS;
    }
    if ns.is_empty() {
        ns = if smoke { SMOKE_NS } else { DEFAULT_NS }.to_vec();
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("cannot find this benchmark's executable: {e}");
            return ExitCode::FAILURE;
        }
    };
    // One child process per (N, variant), so each peak-memory figure is that run's own.
    for n in ns {
        for &variant in &variants {
            let mut cmd = Command::new(&exe);
            cmd.args(["--child", &n.to_string(), "--variant", variant.label()]);
            if smoke {
                cmd.arg("--smoke");
            }
            match cmd.status() {
                Ok(s) if s.success() => {}
                Ok(s) => {
                    eprintln!("the benchmark of N = {n} ({}) failed: {s}", variant.label());
                    return ExitCode::FAILURE;
                }
                Err(e) => {
                    eprintln!("cannot run the benchmark of N = {n}: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    ExitCode::SUCCESS
}
