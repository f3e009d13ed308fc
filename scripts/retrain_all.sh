#!/usr/bin/env bash
# Retrain every shipped model (ml_models/<name>/) with its job and the parameters it was shipped with, in order,
# after a change to the engine or the data changes what every simulation does. Each job's executed notebook and log
# go to ${OUT:-/tmp/rudra_ml_retrain}/. Then rerun the benchmark (every section) and re-execute the chapters whose
# outputs show engine runs or models.
#   bash scripts/retrain_all.sh                       all six models
#   bash scripts/retrain_all.sh contagion_model ...   only those named
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export PATH="$root/.venv/bin:$PATH" MPLBACKEND=Agg
out="${OUT:-/tmp/rudra_ml_retrain}"; mkdir -p "$out"
all=(default_predictor cascade_classifier state_forecaster network_forecaster intervention_policy contagion_model)
todo=("$@"); [ ${#todo[@]} -eq 0 ] && todo=("${all[@]}")
job() { papermill "nbs/jobs/train_$1.ipynb" "$out/$1.ipynb" -p save_dir "ml_models/$1" -p track False --cwd "$root" -k python3 "${@:2}"; }
rc=0
for m in "${todo[@]}"; do
  t0=$(date +%s); echo "== $m: started $(date +%T)"
  case "$m" in
    default_predictor|state_forecaster) job "$m" -p progress False ;;
    cascade_classifier|intervention_policy) job "$m" ;;
    contagion_model) job "$m" -p num_simulations 600 ;;
    network_forecaster) python -c "
from pathlib import Path
from rudra_ml.training.network_forecaster import train_network_forecaster
r = train_network_forecaster(save_dir=Path('ml_models/network_forecaster'), n_jobs=2, progress=False)
print(r['metrics'])" ;;
    *) echo "unknown model '$m': one of ${all[*]}" >&2; exit 2 ;;
  esac > "$out/$m.log" 2>&1
  r=$?; [ $r -ne 0 ] && rc=$r
  [ -f "ml_models/$m/results.json" ] && sed -i "s#\"checkpoint\": \"$root/#\"checkpoint\": \"#" "ml_models/$m/results.json"   # the repo-relative path
  echo "== $m: exit $r after $(( $(date +%s) - t0 )) s (log: $out/$m.log)"
done
exit $rc
