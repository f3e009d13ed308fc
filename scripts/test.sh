#!/usr/bin/env bash
# The README's test command.
#   bash scripts/test.sh          every notebook's tests (nbdev_test, 2 workers), then the pytest suite without the
#                                 tests marked `slow` (pytest -m "not slow"): the check for every change.
#   bash scripts/test.sh --slow   everything: the notebook cells flagged `#| slow` too, and every pytest test
#                                 (real trainings, servers, browsers, benchmark sections, the wheel). CI runs this.
# `--slow` is a superset of the default run, so running it alone runs every test once.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
case "${1:-}" in
  '') slow=0 ;;
  --slow) slow=1 ;;
  *) echo "usage: bash scripts/test.sh [--slow]" >&2; exit 2 ;;
esac
bash scripts/setup.sh
export MPLBACKEND=Agg
nb_flags=(); marks=(-m 'not slow')
if [ "$slow" = 1 ]; then nb_flags=(--flags slow); marks=(); fi
echo "== notebook tests (nbdev_test --n_workers 2${nb_flags[*]:+ ${nb_flags[*]}}) =="
.venv/bin/nbdev_test --n_workers 2 --do_print "${nb_flags[@]}"
echo "== pytest${marks[*]:+ -m \"not slow\"} =="
rc=0
.venv/bin/python -m pytest -q --durations=10 "${marks[@]}" tests || rc=$?
if [ "$rc" = 5 ]; then echo "pytest: no test selected"; rc=0; fi   # exit code 5: nothing collected, not a failure
exit "$rc"
