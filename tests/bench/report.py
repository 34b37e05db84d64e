#!/usr/bin/env python3
"""Turns tests/bench/bench.py's results.json into BENCHMARKS.md tables and bench-compile.svg.

Only the part of BENCHMARKS.md between the `generated` markers is rewritten; the rest (the
analysis) is kept. Stdlib only. `python3 report.py results.json OUT_DIR` redoes the report
from saved results without rerunning anything.
"""

import json
import math
import os
import sys

BEGIN = "<!-- generated:begin (tests/bench/run.sh rewrites everything down to generated:end) -->"
END = "<!-- generated:end -->"

# Targets of issue 5.
HERA_X = 100
KFP_X = 1000
N_TARGET = 1000
N_BIG = 50000
WELL_UNDER_S = 0.5
# Argo's default MAX_WORKFLOW_SIZE (the budget of argot's rule A0013).
LIMIT_BYTES = 1024 * 1024


def fmt_time(s):
    if s is None:
        return "–"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.3g} ms" if s < 0.1 else f"{s * 1e3:.0f} ms"
    return f"{s:.2f} s"


def fmt_int(x):
    return "–" if x is None else f"{round(x):,}"


def fmt_x(x):
    if x is None:
        return "–"
    return f"{x:,.0f}×" if x >= 10 else f"{x:.2f}×"


def index(results):
    argot = {(r["variant"], r["n"]): r for r in results["argot"]}
    peers = {(r["peer"], r["n"]): r for r in results["peers"]}
    return argot, peers


def ratio(a, b):
    return a / b if a is not None and b else None


def get(d, key, field):
    r = d.get(key)
    return None if r is None else r.get(field)


def tables(results):
    argot, peers = index(results)
    ns = results["ns"]
    m = results["machine"]
    out = []
    w = out.append
    w(BEGIN)
    w("")
    w("## Latest run")
    w("")
    w(f"- **Command** (from the repository root): `{results['command']}` — {m['date']}, commit {m['commit']}; "
      f"whole run {results.get('elapsed_s', 0) / 60:.1f} min.")
    w(f"- **Machine**: {m['nproc']} CPUs (`nproc`), {m['cpu']} (`/proc/cpuinfo`), {m['mem_gib']} GiB memory, "
      f"Linux {m['kernel']}; {m['rustc']}, {m['cargo']}; Python {m['python']} (peers: their own venvs "
      f"from PyPI, pinned in `tests/bench/peers/requirements-*.txt`).")
    w(f"- **Load average** (1, 5, 15 min) at the start {m.get('loadavg_start')}, after the compile runs "
      f"{m.get('loadavg_end_compile')}, at the end {m.get('loadavg_end')}: the machine is shared, so absolute "
      "figures carry noise; the ratios come from runs interleaved in one session.")
    rounds = max((r.get("rounds", 1) for r in results["argot"]), default=1)
    w(f"- **How**: for each N, {rounds} round(s) of argot, Hera and KFP back to back, so that the load of the "
      "shared machine weighs on all three alike. Each tool's time is its best round — argot's round is the "
      "median of its timed runs, a peer's round is one process — since load from other tenants only ever slows "
      "a round down; the medians of the rounds follow the main table.")
    w("- **argot**: `cargo bench -p argot-tests --bench compile` (release profile), in-process "
      "`definition().compile()` + `render_manifest(Yaml)`: trace + validate (every rule, including the "
      "manifest-size rule) + emit + serialise. In each round: warm-up, then the median of the timed runs "
      + ("(smoke: 3 to 5). " if results.get("smoke") else "(at least 11, more while under 2 s). ")
      + "Each N in a child process of its own; peak memory is that process's `VmHWM` after one compile.")
    w("- **Peers**: `tests/bench/peers/{hera_gen,kfp_v1_gen}.py` (copies of the team's reference generators), "
      "one process per round; compile time is the generator's own in-process build + serialise (imports "
      "excluded); peak memory is the whole process's `ru_maxrss` (wait4).")
    w("")

    w("### Compile time and ratios")
    w("")
    w("| N | argot | Hera 7.1.0 | KFP 1.8.22 | Hera / argot | KFP / argot |")
    w("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in ns:
        a = get(argot, ("default", n), "compile_s")
        h = get(peers, ("hera", n), "compile_s")
        k = get(peers, ("kfp", n), "compile_s")
        w(f"| {n:,} | {fmt_time(a)} | {fmt_time(h)} | {fmt_time(k)} | {fmt_x(ratio(h, a))} | {fmt_x(ratio(k, a))} |")
    w("")
    w("The same, with each tool's median round instead of its best:")
    w("")
    w("| N | argot | Hera 7.1.0 | KFP 1.8.22 | Hera / argot | KFP / argot |")
    w("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in ns:
        a = get(argot, ("default", n), "compile_median_s")
        h = get(peers, ("hera", n), "compile_median_s")
        k = get(peers, ("kfp", n), "compile_median_s")
        w(f"| {n:,} | {fmt_time(a)} | {fmt_time(h)} | {fmt_time(k)} | {fmt_x(ratio(h, a))} | {fmt_x(ratio(k, a))} |")
    w("")
    w(f"KFP runs up to N = {results['kfp_max']:,} only (it takes minutes beyond). argot's column is the pipeline "
      "written as a user would (default task names); the same topology with the peers' names "
      "(next table) compiles in:")
    w("")
    w("| N | " + " | ".join(f"{n:,}" for n in ns) + " |")
    w("| --- | " + " | ".join("---:" for _ in ns) + " |")
    w("| argot, peers' names | " + " | ".join(fmt_time(get(argot, ("peer-names", n), "compile_s")) for n in ns) + " |")
    w("")

    w("### Manifest size")
    w("")
    w("| N | argot bytes | argot B/task | argot, peers' names: B/task | Hera bytes | Hera B/task | KFP bytes | KFP B/task | Hera / argot bytes | KFP / argot bytes |")
    w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in ns:
        ab = get(argot, ("default", n), "bytes")
        pb = get(argot, ("peer-names", n), "bytes")
        hb = get(peers, ("hera", n), "bytes")
        kb = get(peers, ("kfp", n), "bytes")
        per = lambda b: None if b is None else b / n  # noqa: E731
        w(f"| {n:,} | {fmt_int(ab)} | {fmt_int(per(ab))} | {fmt_int(per(pb))} | {fmt_int(hb)} | {fmt_int(per(hb))} | "
          f"{fmt_int(kb)} | {fmt_int(per(kb))} | {fmt_x(ratio(hb, ab))} | {fmt_x(ratio(kb, ab))} |")
    w("")
    w("\"Peers' names\" is the same pipeline with the names the peer generators chose (tasks `t0`, `t1`, …, "
      "input `x`, output `y`) instead of argot's defaults (`step`, `step-2`, …, `input`, `output`): "
      "it compares the formats, not the names.")
    diffs = []
    for n in ns:
        pb, hb = get(argot, ("peer-names", n), "bytes"), get(peers, ("hera", n), "bytes")
        if pb is not None and hb is not None:
            diffs.append(pb - hb)
    if diffs:
        same = len(set(diffs)) == 1
        w("")
        w("argot with the peers' names minus Hera, in bytes, at each N: " + ", ".join(f"{d:+,}" for d in diffs)
          + (" — the same at every N: per task the two manifests are the same size, and the difference is "
             "argot's fixed metadata (labels naming the pipeline and the component, the pipeline's description "
             "annotation, and the component template's argv for the in-image entrypoint)." if same else "."))
    w("")
    shapes = []
    for n in ns:
        cells = []
        for label, d, key in (("argot", argot, ("default", n)), ("Hera", peers, ("hera", n)), ("KFP", peers, ("kfp", n))):
            r = d.get(key)
            if r and "dag_tasks" in r:
                cells.append(f"{label} {r['templates']}/{r['dag_tasks']:,}")
        shapes.append(f"N = {n:,}: " + ", ".join(cells))
    w("Templates / DAG tasks in each manifest (read back with `peers/stats.py`): " + "; ".join(shapes) + ".")
    w("")

    w("### Peak memory (whole process, MiB)")
    w("")
    w("| N | argot | Hera | KFP | Hera import s | KFP import s |")
    w("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in ns:
        cells = [get(argot, ("default", n), "maxrss_mb"), get(peers, ("hera", n), "maxrss_mb"),
                 get(peers, ("kfp", n), "maxrss_mb")]
        imp = [get(peers, ("hera", n), "import_s"), get(peers, ("kfp", n), "import_s")]
        w(f"| {n:,} | " + " | ".join("–" if c is None else f"{c:.1f}" for c in cells) + " | "
          + " | ".join("–" if c is None else f"{c:.2f}" for c in imp) + " |")
    w("")

    w("### argot stage by stage (each stage's best round; separate runs from the total)")
    w("")
    w("| N | trace | validate | emit | serialise (YAML) | total | fastest single run | runs | per task | serialise as JSON instead |")
    w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in ns:
        r = argot.get(("default", n))
        if not r:
            continue
        w(f"| {n:,} | {fmt_time(r['trace_s'])} | {fmt_time(r['validate_s'])} | {fmt_time(r['emit_s'])} | "
          f"{fmt_time(r['serialise_s'])} | {fmt_time(r['compile_s'])} | {fmt_time(r['compile_min_s'])} | "
          f"{r['runs']} | {r['compile_s'] / n * 1e6:.2f} µs | {fmt_time(r.get('serialise_json_s'))} |")
    w("")
    w("`validate` runs every rule; the manifest rules (size budget, metadata) emit the workflow and measure its "
      "compact JSON, so it includes one emit and one JSON serialisation. The last column serialises the same "
      "workflow as JSON (`compile --format json`, which Argo and kubectl accept) instead of YAML.")
    w("")
    big = [n for n in ns if n >= 1000]
    if len(big) >= 2:
        lo, hi = big[0], big[-1]
        t_lo, t_hi = get(argot, ("default", lo), "compile_s"), get(argot, ("default", hi), "compile_s")
        b_lo, b_hi = get(argot, ("default", lo), "bytes"), get(argot, ("default", hi), "bytes")
        w(f"Scaling from {lo:,} to {hi:,} tasks ({hi // lo}× the tasks): time ×{t_hi / t_lo:.1f}, "
          f"bytes ×{b_hi / b_lo:.1f} (linear would be ×{hi / lo:.0f}); time per task "
          f"{t_lo / lo * 1e6:.2f} µs → {t_hi / hi * 1e6:.2f} µs, bytes per task {b_lo / lo:.0f} → {b_hi / hi:.0f}.")
        w("")

    w("### Targets (issue 5)")
    w("")
    w("| target | measured in this run | met? |")
    w("| --- | --- | --- |")
    a1 = get(argot, ("default", N_TARGET), "compile_s")
    h1 = get(peers, ("hera", N_TARGET), "compile_s")
    k1 = get(peers, ("kfp", N_TARGET), "compile_s")
    yes = lambda c: "–" if c is None else ("yes" if c else "**no**")  # noqa: E731
    rh, rk = ratio(h1, a1), ratio(k1, a1)
    if rh is not None:
        w(f"| ≥ {HERA_X}× faster than Hera at N = {N_TARGET:,} | {fmt_x(rh)} ({fmt_time(h1)} / {fmt_time(a1)}) | {yes(rh >= HERA_X)} |")
    if rk is not None:
        w(f"| ≥ {KFP_X:,}× faster than KFP at N = {N_TARGET:,} | {fmt_x(rk)} ({fmt_time(k1)} / {fmt_time(a1)}) | {yes(rk >= KFP_X)} |")
    ab, pb, hb = (get(argot, ("default", N_TARGET), "bytes"), get(argot, ("peer-names", N_TARGET), "bytes"),
                  get(peers, ("hera", N_TARGET), "bytes"))
    if ab and hb:
        w(f"| bytes per task ≤ Hera's (N = {N_TARGET:,}), argot's default names | {ab / N_TARGET:.0f} vs {hb / N_TARGET:.0f} | {yes(ab <= hb)} |")
    if pb and hb:
        w(f"| bytes per task ≤ Hera's (N = {N_TARGET:,}), the peers' names | {pb / N_TARGET:.0f} vs {hb / N_TARGET:.0f} | {yes(pb <= hb)} |")
    big = [n for n in ns if n >= N_TARGET]
    if len(big) >= 2:
        lo, hi = big[0], big[-1]

        def slope(d, key):
            b_lo, b_hi = get(d, (key, lo), "bytes"), get(d, (key, hi), "bytes")
            return None if b_lo is None or b_hi is None else (b_hi - b_lo) / (hi - lo)

        sh, sd, sp = slope(peers, "hera"), slope(argot, "default"), slope(argot, "peer-names")
        if sh is not None and sp is not None and sd is not None:
            w(f"| bytes each extra task adds (N = {lo:,} → {hi:,}) ≤ Hera's, the peers' names | {sp:.1f} vs {sh:.1f} | {yes(sp <= sh + 1e-9)} |")
            w(f"| bytes each extra task adds (N = {lo:,} → {hi:,}) ≤ Hera's, argot's default names | {sd:.1f} vs {sh:.1f} | {yes(sd <= sh + 1e-9)} |")
    t50 = get(argot, ("default", N_BIG), "compile_s")
    if t50 is not None:
        w(f"| {N_BIG:,} tasks well under a second (taken as ≤ {WELL_UNDER_S} s) | {fmt_time(t50)} | {yes(t50 <= WELL_UNDER_S)} |")
    w("")

    b = results.get("build")
    if b:
        w("### cargo build of the examples crate (dev profile)")
        w("")
        w("Measured in a copy of the workspace (so the working tree is never edited) with its own target "
          f"folder, {b['jobs']} jobs; incremental and rebuild figures are medians of {len(b.get('incremental_samples', [])) or 3} runs.")
        w("")
        w("| build | seconds |")
        w("| --- | ---: |")
        w(f"| clean: empty target folder, every dependency compiled (`cargo build -p argot-examples`) | {b['clean_s']:.1f} |")
        w(f"| argot's crates only (`cargo clean -p argot-examples -p argot-pipelines -p argot-macros`, then build) | {b['workspace_clean_s']:.1f} |")
        w(f"| incremental: one statement added to a `#[component]` body in `{b['incremental_file']}` | {b['incremental_s']:.1f} |")
        w("")
        units = b.get("units", {})
        if units:
            def unit(prefix):
                keys = [k for k in units if k == prefix or k.startswith(prefix + " ")]
                return sum(units[k] for k in keys) if keys else None
            rows = [("argot-macros (the proc-macro crate)", unit("argot-macros")),
                    ("syn + quote + proc-macro2 (what the macros are built on)",
                     sum(x for x in (unit("syn"), unit("quote"), unit("proc-macro2")) if x)),
                    ("argot-pipelines (the library)", unit("argot-pipelines")),
                    ("argot-examples (lib + binaries)", unit("argot-examples"))]
            w("Where the clean build's time goes, from `cargo build --timings` (per-crate compile seconds; "
              f"crates build in parallel, so they add up to more than the wall time: {b['units_total_s']:.1f} s in all):")
            w("")
            w("| crate | seconds |")
            w("| --- | ---: |")
            for label, s in rows:
                if s:
                    w(f"| {label} | {s:.1f} |")
            w("")
        mc, mp, k = b.get("macro_cost_components_s"), b.get("macro_cost_plain_s"), b.get("macro_k")
        if mc and mp:
            w(f"The macros' cost in a user's crate: a crate of {k} one-input components with `#[component]` and "
              f"a `#[pipeline]` calling them all, against the same {k} functions as plain Rust, each rebuilt whole "
              f"(`CARGO_INCREMENTAL=0`, dependencies built): {mc:.2f} s against {mp:.2f} s, so the macros add "
              f"{mc - mp:.2f} s, {(mc - mp) / k * 1e3:.1f} ms per component (expansion plus compiling the code "
              "they generate).")
            w("")
    w("![compile time and manifest bytes against N](bench-compile.svg)")
    w("")
    w(END)
    return "\n".join(out)


def write(results, md_path, svg_path):
    gen = tables(results)
    if os.path.exists(md_path):
        with open(md_path) as f:
            text = f.read()
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            _, tail = rest.split(END, 1)
            text = head + gen + tail
        else:
            text = text.rstrip() + "\n\n" + gen + "\n"
    else:
        text = "# Benchmarks\n\n" + gen + "\n"
    with open(md_path, "w") as f:
        f.write(text)
    with open(svg_path, "w") as f:
        f.write(svg(results))


def summary(results):
    argot, peers = index(results)
    lines = []
    for n in results["ns"]:
        a = get(argot, ("default", n), "compile_s")
        h = get(peers, ("hera", n), "compile_s")
        k = get(peers, ("kfp", n), "compile_s")
        lines.append(f"N={n:>6}: argot {fmt_time(a):>9}  hera {fmt_time(h):>9} ({fmt_x(ratio(h, a))})  "
                     f"kfp {fmt_time(k):>9} ({fmt_x(ratio(k, a))})")
    return "\n".join(lines)


# ---------------------------------------------------------------- SVG (log-log, two panels)

SERIES = [("argot", "default", "#d9480f"), ("Hera 7.1.0", "hera", "#1971c2"), ("KFP 1.8.22", "kfp", "#7048e8")]


def axis_label(field, e):
    """10^e as a time (field compile_s) or a size."""
    if field == "compile_s":
        units = [(0, "s"), (-3, "ms"), (-6, "µs"), (-9, "ns")]
    else:
        units = [(9, "GB"), (6, "MB"), (3, "kB"), (0, "B")]
    for base, unit in units:
        if e >= base:
            return f"{10 ** (e - base):,} {unit}"
    return f"1e{e}"


def svg(results):
    argot, peers = index(results)

    def points(key, field):
        pts = []
        for n in results["ns"]:
            r = argot.get(("default", n)) if key == "default" else peers.get((key, n))
            if r and r.get(field):
                pts.append((n, r[field]))
        return pts

    W, H = 960, 400
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
             'font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/>']
    panels = [("compile time (log scale)", "compile_s"), ("manifest size (log scale)", "bytes")]
    for i, (title, field) in enumerate(panels):
        x0, y0, pw, ph = 70 + i * 480, 40, 380, 300
        series = [(label, color, points(key, field)) for label, key, color in SERIES]
        ys = [y for _, _, pts in series for _, y in pts]
        xs = [x for _, _, pts in series for x, _ in pts]
        if not ys:
            continue
        lx0, lx1 = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
        ly0, ly1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
        lx1, ly1 = max(lx1, lx0 + 1), max(ly1, ly0 + 1)
        px = lambda x: x0 + (math.log10(x) - lx0) / (lx1 - lx0) * pw  # noqa: E731
        py = lambda y: y0 + ph - (math.log10(y) - ly0) / (ly1 - ly0) * ph  # noqa: E731
        parts.append(f'<text x="{x0 + pw / 2}" y="{y0 - 14}" text-anchor="middle" font-size="14" '
                     f'font-weight="bold">{title}</text>')
        for e in range(ly0, ly1 + 1):
            y = py(10 ** e)
            parts.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + pw}" y2="{y:.1f}" stroke="#ddd"/>')
            parts.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{axis_label(field, e)}</text>')
        for e in range(lx0, lx1 + 1):
            x = px(10 ** e)
            parts.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + ph}" stroke="#ddd"/>')
            parts.append(f'<text x="{x:.1f}" y="{y0 + ph + 16}" text-anchor="middle">{10 ** e:,}</text>')
        if field == "bytes" and 10 ** ly0 < LIMIT_BYTES < 10 ** ly1:
            y = py(LIMIT_BYTES)
            parts.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + pw}" y2="{y:.1f}" stroke="#c92a2a" '
                         'stroke-dasharray="5,4"/>')
            parts.append(f'<text x="{x0 + 6}" y="{y + 14:.1f}" fill="#c92a2a">'
                         "1 MiB: Argo's default limit</text>")
        parts.append(f'<rect x="{x0}" y="{y0}" width="{pw}" height="{ph}" fill="none" stroke="#555"/>')
        parts.append(f'<text x="{x0 + pw / 2}" y="{y0 + ph + 34}" text-anchor="middle">N (tasks), log scale</text>')
        for j, (label, color, pts) in enumerate(series):
            if not pts:
                continue
            path = " ".join(f"{'M' if k == 0 else 'L'}{px(x):.1f},{py(y):.1f}" for k, (x, y) in enumerate(pts))
            parts.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
            for x, y in pts:
                parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3.5" fill="{color}"/>')
            ly = y0 + 16 + j * 18
            parts.append(f'<line x1="{x0 + 10}" y1="{ly - 4}" x2="{x0 + 30}" y2="{ly - 4}" stroke="{color}" stroke-width="2"/>')
            parts.append(f'<text x="{x0 + 36}" y="{ly}">{label}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: report.py results.json OUT_DIR")
    with open(sys.argv[1]) as f:
        res = json.load(f)
    write(res, os.path.join(sys.argv[2], "BENCHMARKS.md"), os.path.join(sys.argv[2], "bench-compile.svg"))
