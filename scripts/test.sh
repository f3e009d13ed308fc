#!/usr/bin/env bash
# The README's test command: every notebook's tests (nbdev_test, 2 workers), then the pytest suite
# (command line, papermill jobs, end to end). Pass --slow to include cells flagged `#| slow`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
flags=()
[ "${1:-}" = "--slow" ] && flags=(--flags slow)
export MPLBACKEND=Agg
echo "== notebook tests (nbdev_test --n_workers 2) =="
.venv/bin/nbdev_test --n_workers 2 --do_print "${flags[@]}"
echo "== pytest =="
.venv/bin/python -m pytest -q tests
