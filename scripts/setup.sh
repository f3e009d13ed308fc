#!/usr/bin/env bash
# Shared set-up of the README's commands: a virtual environment at .venv/ with torch's CPU build first,
# then rudra_ml (editable) with its dev extras. Idempotent: when nothing changed it takes a second.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
PY="${PYTHON:-python3}"
TORCH_SPEC="torch==2.13.0"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=".venv/.rudra_ml_setup"
want="$(cat settings.ini setup.py scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && .venv/bin/python -c "import rudra_ml, torch" 2>/dev/null; then
  exit 0
fi
echo "setting up .venv (torch CPU build, then rudra_ml[dev]) ..."
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
# torch first: a plain 'torch' requirement could pull a multi-GB CUDA build
.venv/bin/python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null \
  || .venv/bin/python -m pip install -q "$TORCH_SPEC" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install -q -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" | grep -v "^  " | grep -iv "deprecat\|!!\|\*\*\*" || true
.venv/bin/python -c "import rudra_ml, torch" 
.venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
echo "$want" > "$stamp"
echo "setup done: $(.venv/bin/python -c 'import rudra_ml, torch; print("rudra_ml", rudra_ml.__version__, "torch", torch.__version__)')"
