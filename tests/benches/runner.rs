//! Local runner benchmark: what one no-op task costs `run`, next to what spawning a trivial
//! process costs on the same machine in the same minute.
//!
//! ```text
//! cargo bench -p argot-tests --bench runner                  # 1,000 tasks, 3 rounds
//! ARGOT_BENCH_TASKS=200 ARGOT_BENCH_ROUNDS=1 cargo bench -p argot-tests --bench runner
//! ARGOT_BENCH_BIN=/path/to/old/argot-fixtures cargo bench -p argot-tests --bench runner
//! ```
//!
//! Each round times, in this order: `/bin/true` spawned and waited for N times from Rust
//! (`std::process::Command`, as the runner starts tasks); `argot-fixtures component noop`
//! spawned N times the same way (a task's process alone); `argot-fixtures run noop_chain
//! --no-cache` (N tasks, each reading the previous one's output); `argot-fixtures run
//! noop_fan_out --no-cache` (one task, then N - 1 reading its output, default parallelism).
//! Each run gets a fresh store and work folder, under `ARGOT_BENCH_DIR` if set (the system's
//! temporary folder otherwise): the file system decides much of the runner's own cost. Wall time and CPU time (user + system of the
//! children, from `/proc/self/stat`) are divided by N; the table shows the best and the
//! median round, and the ratios of the runner's wall and CPU time per task to one spawn of
//! `/bin/true` and to one spawn of the task's process alone (`component noop`: what the runner
//! adds); the fan-out runs two tasks at a time, the spawns run one at a time. Linux only (it reads `/proc`). Nothing here asserts on time: the benchmark
//! reports, it never fails a build.

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The pipeline binary built with this bench's profile (release); `ARGOT_BENCH_BIN=PATH`
/// measures another build of it instead (an older commit's, for a before/after).
fn binary() -> String {
    std::env::var("ARGOT_BENCH_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_argot-fixtures").to_owned())
}

/// One measurement: wall time and the children's CPU time.
#[derive(Clone, Copy, Debug)]
struct Cost {
    wall: Duration,
    cpu: Duration,
}

/// CPU time (user + system) of every child this process has waited for, from fields 16 and 17
/// of `/proc/self/stat` (`cutime`, `cstime`), in clock ticks of 1/100 s (`USER_HZ`, 100 on
/// every Linux ABI that matters here; reading it exactly needs `sysconf`, hence libc).
fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat (Linux only)");
    let after_name = &stat[stat.rfind(')').expect("stat has `(comm)`") + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // `after_name` starts at field 3 (state): field k is at index k - 3.
    let ticks = |k: usize| -> u64 { fields[k - 3].parse().expect("a tick count") };
    Duration::from_millis((ticks(16) + ticks(17)) * 10)
}

fn measure(work: impl FnOnce()) -> Cost {
    let cpu = children_cpu();
    let clock = Instant::now();
    work();
    Cost {
        wall: clock.elapsed(),
        cpu: children_cpu() - cpu,
    }
}

fn spawn_true(n: usize) -> Cost {
    measure(|| {
        for _ in 0..n {
            let status = Command::new("/bin/true")
                .stdout(Stdio::null())
                .status()
                .expect("/bin/true runs");
            assert!(status.success());
        }
    })
}

/// The process a native task is: `component noop` as the runner starts it (parameter from a
/// file, output parameter to a file, the lifeline pipe as stdin), spawned and waited for N
/// times. What a task costs beyond this is the runner's own part.
fn spawn_component(n: usize, dir: &Path) -> Cost {
    let param = dir.join("x");
    std::fs::write(&param, "1").expect("a scratch file");
    let output = dir.join("output");
    measure(|| {
        for _ in 0..n {
            let mut child = Command::new(binary())
                .args(["component", "noop", "--param-file", "x"])
                .arg(&param)
                .args(["--output-param", "output"])
                .arg(&output)
                .env("ARGOT_LIFELINE", "1")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .expect("the fixture binary runs");
            // Held open until the child exits (`wait` would close it first, and the
            // component then stops as orphaned).
            let lifeline = child.stdin.take();
            let status = child.wait().expect("waiting for the fixture binary");
            drop(lifeline);
            assert!(status.success());
        }
    })
}

fn run_pipeline(pipeline: &str, n: usize, dir: &Path) -> Cost {
    let out = dir.join(pipeline);
    measure(|| {
        let result = Command::new(binary())
            .args(["run", pipeline, "--no-cache", "--store"])
            .arg(out.join("m.db"))
            .arg("--workdir")
            .arg(out.join("runs"))
            .env("ARGOT_BENCH_TASKS", n.to_string())
            .stdout(Stdio::null())
            .output()
            .expect("the fixture binary runs");
        assert!(
            result.status.success(),
            "{pipeline} failed: {}",
            String::from_utf8_lossy(&result.stderr)
        );
    })
}

fn per_task_ms(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e3 / n as f64
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; a filter or other flags mean nothing here.
    let n = env_usize("ARGOT_BENCH_TASKS", 1000).max(2);
    let rounds = env_usize("ARGOT_BENCH_ROUNDS", 3).max(1);
    let names = [
        "spawn /bin/true",
        "spawn `component noop`",
        "noop_chain",
        "noop_fan_out",
    ];
    let mut costs: Vec<Vec<Cost>> = vec![Vec::new(); names.len()];
    for round in 1..=rounds {
        let dir = match std::env::var_os("ARGOT_BENCH_DIR") {
            Some(parent) => tempfile::tempdir_in(parent),
            None => tempfile::tempdir(),
        }
        .expect("a scratch folder");
        costs[0].push(spawn_true(n));
        costs[1].push(spawn_component(n, dir.path()));
        costs[2].push(run_pipeline("noop_chain", n, dir.path()));
        costs[3].push(run_pipeline("noop_fan_out", n, dir.path()));
        eprintln!("round {round}/{rounds} done");
    }
    let best_and_median = |all: &[Cost], by: fn(&Cost) -> Duration| {
        let mut v: Vec<Duration> = all.iter().map(by).collect();
        v.sort();
        (v[0], v[v.len() / 2])
    };
    let (_, spawn_median) = best_and_median(&costs[0], |c| c.wall);
    let (_, spawn_cpu_median) = best_and_median(&costs[0], |c| c.cpu);
    // What the runner adds to the task's own process: the chain and fan-out against a spawn of
    // `component noop` alone (the issue's "within 2.5× of a spawn" read either way).
    let (_, component_median) = best_and_median(&costs[1], |c| c.wall);
    let (_, component_cpu_median) = best_and_median(&costs[1], |c| c.cpu);
    println!(
        "{n} no-op tasks, `--no-cache`, {rounds} round(s); per task (or per spawn): best / median"
    );
    println!();
    println!(
        "| | wall per task | CPU per task | ÷ spawn `/bin/true` (median wall, CPU) | ÷ spawn `component noop` (median wall, CPU) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, all) in names.iter().zip(&costs) {
        let (wall_best, wall_median) = best_and_median(all, |c| c.wall);
        let (cpu_best, cpu_median) = best_and_median(all, |c| c.cpu);
        println!(
            "| {name} | {:.2} / {:.2} ms | {:.2} / {:.2} ms | {:.1}×, {:.1}× | {:.2}×, {:.2}× |",
            per_task_ms(wall_best, n),
            per_task_ms(wall_median, n),
            per_task_ms(cpu_best, n),
            per_task_ms(cpu_median, n),
            wall_median.as_secs_f64() / spawn_median.as_secs_f64(),
            cpu_median.as_secs_f64() / spawn_cpu_median.as_secs_f64(),
            wall_median.as_secs_f64() / component_median.as_secs_f64(),
            cpu_median.as_secs_f64() / component_cpu_median.as_secs_f64(),
        );
    }
    ExitCode::SUCCESS
}
