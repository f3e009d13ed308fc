#!/usr/bin/env bash
# The README's main job on the embedded default: build a network, run a stress simulation, write a report.
# Extra arguments go to `rudra-ml main` (see `.venv/bin/rudra-ml main --help`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
exec .venv/bin/rudra-ml main "$@"
