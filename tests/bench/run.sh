#!/usr/bin/env bash
# argot against KFP 1.8.22 and Hera 7.1.0, side by side, in one run (issue 5).
#
#   tests/bench/run.sh            # full run: N = 10 … 50,000 (KFP up to 1,000), cargo build
#                                 # timings; writes BENCHMARKS.md and bench-compile.svg at the
#                                 # repository root (about 15 minutes on 2 cores)
#   tests/bench/run.sh --smoke    # N = 10, 100, one peer run each, no cargo build timings;
#                                 # writes its report under $BENCH_WORK_DIR/smoke, not the root
#
# Any other arguments go to tests/bench/bench.py (see `bench.py --help`), e.g. `--skip-build`.
# Environment: CARGO_TARGET_DIR (default: <repo>/target), BENCH_WORK_DIR (default:
# $CARGO_TARGET_DIR/bench: raw results, manifests, the build-timing workspace copy),
# PEERS_VENV_DIR (default: $BENCH_WORK_DIR/venvs: the peers' virtual environments).
# Needs: cargo, python3 (3.9+, with venv and pip) and PyPI for the peers' pinned packages.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}
work=${BENCH_WORK_DIR:-$CARGO_TARGET_DIR/bench}
venvs=${PEERS_VENV_DIR:-$work/venvs}
mkdir -p "$work" "$venvs"

# The peers' virtual environments, from PyPI, pinned (tests/bench/peers/requirements-*.txt).
# An existing environment that imports its tool is kept.
for tool in hera kfp; do
  venv=$venvs/.venv-$tool
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import $tool, yaml" 2>/dev/null; then
    continue
  fi
  echo "--- creating $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/peers/requirements-$tool.txt"
done

exec python3 "$here/bench.py" --repo "$repo" --work "$work" --venvs "$venvs" "$@"
