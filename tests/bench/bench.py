#!/usr/bin/env python3
"""Runs the side-by-side benchmark of issue 5 and writes its report (stdlib only).

Started by tests/bench/run.sh, which creates the peers' virtual environments first. Steps:
  1. Builds argot's benchmark, `cargo bench -p argot-tests --bench compile` (release;
     tests/benches/compile.rs), which prints one JSON line per (N, variant).
  2. For each N, --rounds rounds (default 3) of argot, then the peers
     tests/bench/peers/{hera_gen,kfp_v1_gen}.py, back to back, so the load of a shared machine
     weighs on all alike. Each tool's figure is its best round (argot's round: the median of
     its timed runs; a peer's round: one process), with the median of the rounds kept beside
     it; the peers' peak RSS is the whole process's, from wait4(2).
  3. The shape of every manifest (templates, DAG tasks) by tests/bench/peers/stats.py.
  4. cargo build of the examples crate in a copy of the workspace: clean, incremental after
     editing one component's body, and the cost of the macros (see build_timings()).
  5. results.json under --work, then BENCHMARKS.md (the part between the `generated` markers;
     the rest of the file is kept) and bench-compile.svg.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import report  # noqa: E402  (tests/bench/report.py)

FULL_NS = [10, 100, 1000, 5000, 10000, 50000]
SMOKE_NS = [10, 100]


def log(msg):
    print(f"--- {msg}", file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, **kw)


def output(cmd, **kw):
    try:
        return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine(repo):
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kib = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
    except OSError:
        pass
    commit = output(["git", "-C", repo, "rev-parse", "--short", "HEAD"])
    dirty = output(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"])
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_gib": round(mem_kib / 1024 / 1024, 1) if mem_kib else None,
        "kernel": platform.release(),
        "rustc": output(["rustc", "--version"]),
        "cargo": output(["cargo", "--version"]),
        "python": platform.python_version(),
        "commit": (commit or "?") + (" (with uncommitted changes)" if dirty else ""),
        "loadavg_start": loadavg(),
    }


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return None


def argot_executable(repo):
    """Builds the benchmark (release) and returns its executable."""
    cmd = ["cargo", "bench", "-p", "argot-tests", "--bench", "compile", "--no-run", "--message-format=json"]
    log(" ".join(cmd))
    out = sh(cmd, cwd=repo, stdout=subprocess.PIPE).stdout
    for line in out.splitlines():
        d = json.loads(line) if line.startswith("{") else {}
        if d.get("reason") == "compiler-artifact" and d["target"]["name"] == "compile" and d.get("executable"):
            return d["executable"]
    raise SystemExit("cargo did not report the benchmark's executable")


def run_argot_once(exe, n, smoke, yaml_dir):
    """One round of the argot benchmark at N: one JSON line per variant."""
    cmd = [exe, "--n", str(n)] + (["--smoke"] if smoke else [])
    log(f"argot N={n}")
    out = sh(cmd, env=dict(os.environ, ARGOT_BENCH_OUT=yaml_dir), stdout=subprocess.PIPE).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def merge_argot(samples, yaml_dir):
    """Rounds of one (variant, N) into one row. Each round's figure is the median of its timed
    runs; the row takes the best round (`compile_s`, and each stage's best) and keeps the median
    of the rounds too (`compile_median_s`): load from other tenants of a shared machine only
    ever slows a round down."""
    r = dict(samples[0])
    for k in ("compile_s", "trace_s", "validate_s", "emit_s", "serialise_s", "serialise_json_s"):
        r[k] = min(x[k] for x in samples)
    r["compile_median_s"] = statistics.median(x["compile_s"] for x in samples)
    r["round_compile_s"] = [x["compile_s"] for x in samples]
    r["compile_min_s"] = min(x["compile_min_s"] for x in samples)
    r["runs"] = sum(x["runs"] for x in samples)
    r["rounds"] = len(samples)
    r["maxrss_mb"] = max(x["maxrss_mb"] for x in samples)
    r["yaml"] = os.path.join(yaml_dir, f"argot-{r['variant']}-{r['n']}.yaml")
    return r


def peer_tools(venvs):
    peers = os.path.join(HERE, "peers")
    return {
        "hera": (os.path.join(venvs, ".venv-hera", "bin", "python"), os.path.join(peers, "hera_gen.py")),
        "kfp": (os.path.join(venvs, ".venv-kfp", "bin", "python"), os.path.join(peers, "kfp_v1_gen.py")),
    }


def run_peer_once(python, gen, n, yaml):
    """One generator process: its JSON line plus wall time and peak RSS (wait4)."""
    t0 = time.perf_counter()
    p = subprocess.Popen([python, gen, str(n), yaml], stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"{gen} {n} failed with exit code {p.returncode}")
    d = json.loads(out.strip().splitlines()[-1])
    d.update(wall_s=wall, maxrss_mb=usage.ru_maxrss / 1024)
    return d


def merge_peer(t, n, s, yaml_dir):
    """A peer's processes at one N into one row: the best (`compile_s`) and the median."""
    return {
        "tool": s[0]["tool"],
        "peer": t,
        "n": n,
        "compile_s": min(x["compile_s"] for x in s),
        "compile_median_s": statistics.median(x["compile_s"] for x in s),
        "round_compile_s": [x["compile_s"] for x in s],
        "runs": len(s),
        "rounds": len(s),
        "import_s": statistics.median(x["import_s"] for x in s),
        "wall_s": statistics.median(x["wall_s"] for x in s),
        "maxrss_mb": max(x["maxrss_mb"] for x in s),
        "bytes": s[-1]["bytes"],
        "bytes_per_task": s[-1]["bytes"] / n,
        "yaml": os.path.join(yaml_dir, f"{t}-{n}.yaml"),
    }


def run_all(exe, venvs, ns, kfp_max, rounds, smoke, yaml_dir):
    """For each N, `rounds` rounds of argot, Hera and KFP back to back, so that the load of a
    shared machine weighs on all three alike."""
    tools = peer_tools(venvs)
    argot_rows, peer_rows = [], []
    for n in ns:
        names = ["hera"] + (["kfp"] if n <= kfp_max else [])
        argot_samples = {}
        samples = {t: [] for t in names}
        for _ in range(rounds):
            for row in run_argot_once(exe, n, smoke, yaml_dir):
                argot_samples.setdefault(row["variant"], []).append(row)
            for t in names:
                python, gen = tools[t]
                log(f"{t} N={n}")
                samples[t].append(run_peer_once(python, gen, n, os.path.join(yaml_dir, f"{t}-{n}.yaml")))
        argot_rows += [merge_argot(s, yaml_dir) for s in argot_samples.values()]
        peer_rows += [merge_peer(t, n, samples[t], yaml_dir) for t in names]
    return argot_rows, peer_rows


def add_shapes(rows, venvs):
    """templates / dag_tasks of every manifest, read outside the timed processes."""
    python = os.path.join(venvs, ".venv-hera", "bin", "python")
    stats = os.path.join(HERE, "peers", "stats.py")
    for r in rows:
        if os.path.exists(r["yaml"]):
            r.update(json.loads(output([python, stats, r["yaml"]]) or "{}"))


# ---------------------------------------------------------------- cargo build timings

def copy_workspace(repo, dest):
    """The workspace's files (tracked and untracked, not ignored), without target dirs."""
    files = output(["git", "-C", repo, "ls-files", "-co", "--exclude-standard", "-z"])
    if files is None:
        raise SystemExit("cannot list the workspace's files with git")
    if os.path.exists(dest):
        shutil.rmtree(dest)
    for rel in files.split("\0"):
        if not rel:
            continue
        src = os.path.join(repo, rel)
        if not os.path.isfile(src):
            continue
        dst = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)


MACRO_K = 100


def synthetic_crates(ws):
    """Two crates with MACRO_K one-input components: with the macros, and as plain functions."""
    for name, with_macros in (("macro-cost-components", True), ("macro-cost-plain", False)):
        d = os.path.join(ws, name)
        os.makedirs(os.path.join(d, "src"), exist_ok=True)
        with open(os.path.join(d, "Cargo.toml"), "w") as f:
            f.write(f'[package]\nname = "{name}"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n'
                    '[dependencies]\nargot = { path = "../compiler" }\nanyhow = "1"\n')
        lines = ["//! Synthetic crate for the macro-cost measurement.", "#![allow(missing_docs)]"]
        if with_macros:
            lines.append("use argot::prelude::*;")
        for i in range(MACRO_K):
            if with_macros:
                lines.append("#[component]")
            ret = "Result<String>" if with_macros else "anyhow::Result<String>"
            lines.append(f"pub fn c{i}(input: String) -> {ret} {{ Ok(input + \"{i}\") }}")
        if with_macros:
            lines.append('#[pipeline(image = "example.com/m:1")]')
            lines.append("pub fn all(seed: Param<String>) {")
            lines.append("    let t = c0(seed);")
            for i in range(1, MACRO_K):
                lines.append(f"    let t = c{i}(t.output);")
            lines.append("    let _ = t;\n}")
        else:
            lines.append("pub fn all(seed: String) -> anyhow::Result<String> {")
            lines.append("    let t = c0(seed)?;")
            for i in range(1, MACRO_K):
                lines.append(f"    let t = c{i}(t)?;")
            lines.append("    Ok(t)\n}")
        with open(os.path.join(d, "src", "lib.rs"), "w") as f:
            f.write("\n".join(lines) + "\n")


def timed(cmd, cwd, env):
    t0 = time.perf_counter()
    sh(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def unit_times(timing_html):
    """Per-crate durations from `cargo build --timings` (the UNIT_DATA array in its HTML)."""
    with open(timing_html) as f:
        text = f.read()
    m = re.search(r"const UNIT_DATA = (\[.*?\]);\s*\n", text, re.S)
    if not m:
        return {}
    units = {}
    for u in json.loads(m.group(1)):
        key = u["name"] + (f" ({u['target'].strip()})" if u.get("target", "").strip() else "")
        units[key] = units.get(key, 0.0) + u["duration"]
    return units


def edit_component_body(path, k):
    """Puts `let _ = k;` at the top of the first #[component] function's body."""
    with open(path) as f:
        lines = [line for line in f.read().split("\n") if "// argot-bench edit" not in line]
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("#[component")), None)
    body = next((i for i in range(start or 0, len(lines)) if lines[i].rstrip().endswith("{")), None)
    if start is None or body is None:
        raise SystemExit(f"no #[component] function body found in {path}")
    lines.insert(body + 1, f"    let _ = {k}; // argot-bench edit")
    with open(path, "w") as f:
        f.write("\n".join(lines))


def build_timings(repo, work, runs):
    ws = os.path.join(work, "build-ws")
    log(f"copying the workspace to {ws}")
    copy_workspace(repo, ws)
    synthetic_crates(ws)
    # The copy's workspace: the examples crate, what it needs, and the two synthetic crates.
    cargo_toml = os.path.join(ws, "Cargo.toml")
    with open(cargo_toml) as f:
        text = f.read()
    text = re.sub(r"members\s*=\s*\[[^\]]*\]",
                  'members = ["dsl-macros", "compiler", "examples", "macro-cost-components", "macro-cost-plain"]',
                  text, count=1)
    with open(cargo_toml, "w") as f:
        f.write(text)
    target = os.path.join(work, "build-target")
    env = dict(os.environ, CARGO_TARGET_DIR=target)
    env.pop("CARGO_INCREMENTAL", None)
    result = {"jobs": os.cpu_count(), "profile": "dev"}

    log("cargo build -p argot-examples (clean: empty target dir)")
    shutil.rmtree(target, ignore_errors=True)
    sh(["cargo", "fetch"], cwd=ws, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result["clean_s"] = timed(["cargo", "build", "-p", "argot-examples", "--timings"], ws, env)
    timings = os.path.join(target, "cargo-timings", "cargo-timing.html")
    units = unit_times(timings) if os.path.exists(timings) else {}
    result["units"] = units
    result["units_total_s"] = sum(units.values())

    ws_crates = ["argot-examples", "argot-pipelines", "argot-macros"]
    log("cargo build -p argot-examples (workspace crates only: dependencies already built)")
    samples = []
    for _ in range(runs):
        sh(["cargo", "clean", "-p", ws_crates[0], "-p", ws_crates[1], "-p", ws_crates[2]], cwd=ws, env=env,
           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(timed(["cargo", "build", "-p", "argot-examples"], ws, env))
    result["workspace_clean_s"] = statistics.median(samples)

    log("cargo build -p argot-examples (incremental, after editing a component's body)")
    quickstart = os.path.join(ws, "examples", "src", "quickstart.rs")
    samples = []
    for k in range(runs):
        edit_component_body(quickstart, k + 1)
        samples.append(timed(["cargo", "build", "-p", "argot-examples"], ws, env))
    result["incremental_s"] = statistics.median(samples)
    result["incremental_samples"] = samples
    result["incremental_file"] = "examples/src/quickstart.rs"

    log(f"macro cost: {MACRO_K} components with and without the macros")
    env_full = dict(env, CARGO_INCREMENTAL="0")  # whole-crate rebuilds: the crate's full cost
    for name in ("macro-cost-components", "macro-cost-plain"):
        sh(["cargo", "build", "-p", name], cwd=ws, env=env_full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for name in ("macro-cost-components", "macro-cost-plain"):
        lib = os.path.join(ws, name, "src", "lib.rs")
        samples = []
        for k in range(runs):
            with open(lib, "a") as f:
                f.write(f"// touch {k}\n")
            samples.append(timed(["cargo", "build", "-p", name], ws, env_full))
        result[name.replace("-", "_") + "_s"] = statistics.median(samples)
    result["macro_k"] = MACRO_K
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--venvs", required=True)
    ap.add_argument("--smoke", action="store_true", help="N = 10, 100; one peer run; no build timings")
    ap.add_argument("--n", type=int, nargs="+", help="the N to run (default: 10 … 50,000)")
    ap.add_argument("--kfp-max", type=int, default=1000, help="largest N for KFP (default 1000)")
    ap.add_argument("--rounds", dest="peer_runs", type=int,
                    help="rounds per N of argot, Hera and KFP back to back (default 3; smoke 1)")
    ap.add_argument("--build-runs", type=int, default=3, help="repeats of each cargo build timing")
    ap.add_argument("--skip-build", action="store_true", help="no cargo build timings")
    ap.add_argument("--out", help="folder for BENCHMARKS.md and bench-compile.svg "
                    "(default: the repository root; smoke: <work>/smoke)")
    a = ap.parse_args()

    ns = a.n or (SMOKE_NS if a.smoke else FULL_NS)
    peer_runs = a.peer_runs or (1 if a.smoke else 3)
    out_dir = a.out or (os.path.join(a.work, "smoke") if a.smoke else a.repo)
    yaml_dir = os.path.join(a.work, "yaml")
    os.makedirs(yaml_dir, exist_ok=True)
    os.makedirs(out_dir, exist_ok=True)

    started = time.time()
    results = {"machine": machine(a.repo), "ns": ns, "kfp_max": a.kfp_max, "smoke": a.smoke,
               "command": "tests/bench/run.sh" + (" --smoke" if a.smoke else "")}
    exe = argot_executable(a.repo)
    results["argot"], results["peers"] = run_all(exe, a.venvs, ns, a.kfp_max, peer_runs, a.smoke, yaml_dir)
    results["machine"]["loadavg_end_compile"] = loadavg()
    add_shapes(results["argot"] + results["peers"], a.venvs)
    if not (a.smoke or a.skip_build):
        results["build"] = build_timings(a.repo, a.work, a.build_runs)
    results["machine"]["loadavg_end"] = loadavg()
    results["elapsed_s"] = time.time() - started

    with open(os.path.join(a.work, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    md = os.path.join(out_dir, "BENCHMARKS.md")
    svg = os.path.join(out_dir, "bench-compile.svg")
    report.write(results, md, svg)
    log(f"wrote {md}, {svg} and {os.path.join(a.work, 'results.json')}")
    print(report.summary(results))


if __name__ == "__main__":
    main()
