"""The `RUDRA_ML_ENABLE_GPU` path, checked on a machine with a GPU: every training job of `JOBS` runs at a small size
on the CPU and on the GPU (each in a fresh process, since the setting is read at import), the GPU-trained checkpoint
is loaded again in a process that sees no GPU, and the held-out figures and training times are written side by side.

    python scripts/gpu_check.py --out bench/gpu_check.json [--models default_predictor,cascade_classifier]

Without a GPU it still runs both passes on the CPU and says so (`cuda_available: false`): the check, not the speed-up,
is what it is for there."""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Small sizes: enough data that every job has held-out positives, few epochs. Parameters a job lacks are dropped.
SMALL = {'num_simulations': 60, 'epochs': 6, 'patience': 6, 'n_jobs': 8, 'scenarios_per_network': 6,
         'samples_per_epoch': 4096, 'finetune_epochs': 1, 'steps': 40}
PER_MODEL = {'cascade_classifier': {'num_simulations': 80}, 'state_forecaster': {'num_simulations': 120, 'epochs': 3}}

ONE_JOB = r"""
import json, sys, time, torch
a = json.loads(sys.argv[1])
from rudra_ml.config import ml_config
from rudra_ml.training.trainer import run_job
if torch.cuda.is_available(): torch.cuda.reset_peak_memory_stats()
t0 = time.perf_counter()
res = run_job(a['model'], save_dir=a['save_dir'], progress=False, track=False, **a['params'])
out = {'device': str(ml_config.device), 'wall_s': time.perf_counter() - t0,
       'cuda_peak_mb': torch.cuda.max_memory_allocated()/2**20 if torch.cuda.is_available() else 0.0,
       'metrics': {k: v for k, v in res['metrics'].items() if isinstance(v, (int, float)) and k.startswith(('test_', 'val_'))},
       'timings': {k: v for k, v in res['timings'].items() if isinstance(v, (int, float))},
       'epochs_run': res.get('epochs_run'), 'checkpoint': res['checkpoint']}
print('GPU_CHECK ' + json.dumps(out))
"""

LOAD_ON_CPU = r"""
import json, sys, torch
a = json.loads(sys.argv[1])
assert not torch.cuda.is_available(), 'this process must not see a GPU'
from rudra_ml.inference.loading import load_model
m = load_model(a['model'], a['checkpoint'])
m = m[0] if isinstance(m, tuple) else m    # some loaders return (model, info)
nets = [m] if isinstance(m, torch.nn.Module) else [v for v in vars(m).values() if isinstance(v, torch.nn.Module)]
devs = sorted({str(p.device) for n in nets for p in n.parameters()})
assert devs in (['cpu'], []), f'parameters on {devs}'   # [] : the loader folds the network into numpy (no torch module)
print('GPU_CHECK ' + json.dumps({'loaded': type(m).__name__, 'modules': len(nets), 'parameter_devices': devs}))
"""

def child(code:str, args:dict, env:dict)->dict:
    "Run `code` in a fresh Python with `args`; its `GPU_CHECK` line as a dict (a RuntimeError with the stderr tail if it fails)."
    p = subprocess.run([sys.executable, '-c', code, json.dumps(args)], capture_output=True, text=True, env=env, cwd=ROOT)
    lines = [l for l in p.stdout.splitlines() if l.startswith('GPU_CHECK ')]
    if p.returncode != 0 or not lines: raise RuntimeError(f'{args} failed ({p.returncode}):\n{p.stderr[-3000:]}')
    return json.loads(lines[-1][len('GPU_CHECK '):])

def check_model(model:str, tmp:Path, base_env:dict)->dict:
    "One model: the job on the CPU and on the GPU, then the GPU checkpoint loaded where no GPU is visible."
    from rudra_ml.training.trainer import JOBS
    accepted = JOBS[model].parameters()
    params = {k: v for k, v in {**SMALL, **PER_MODEL.get(model, {})}.items() if k in accepted}
    runs = {}
    for dev, flag in (('cpu', '0'), ('gpu', '1')):
        env = {**base_env, 'RUDRA_ML_ENABLE_GPU': flag}
        runs[dev] = child(ONE_JOB, {'model': model, 'save_dir': str(tmp/model/dev), 'params': params}, env)
    runs['gpu_checkpoint_on_cpu'] = child(LOAD_ON_CPU, {'model': model, 'checkpoint': runs['gpu']['checkpoint']},
                                          {**base_env, 'CUDA_VISIBLE_DEVICES': ''})
    c, g = runs['cpu']['timings'].get('train_s'), runs['gpu']['timings'].get('train_s')
    runs['train_speedup'] = round(c/g, 3) if c and g else None
    runs['params'] = params
    for r in ('cpu', 'gpu'): runs[r].pop('checkpoint')
    return runs

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default='bench/gpu_check.json', help='where the JSON goes')
    ap.add_argument('--models', default='', help="comma-separated jobs (default: every job in JOBS)")
    a = ap.parse_args()
    import torch
    from rudra_ml.training.trainer import JOBS
    models = [m.strip() for m in a.models.split(',') if m.strip()] or list(JOBS)
    unknown = sorted(set(models) - set(JOBS))
    if unknown: sys.exit(f'--models: unknown {unknown}; accepted: {sorted(JOBS)}')
    out = {'torch': torch.__version__, 'cuda_available': torch.cuda.is_available(),
           'gpu': torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
           'cpus': os.cpu_count(), 'started': time.strftime('%Y-%m-%d %H:%M:%S %Z'), 'models': {}, 'failures': {}}
    tmp = Path(tempfile.mkdtemp(prefix='rudra_gpu_'))
    base_env = {**os.environ, 'RUDRA_ML_MLFLOW_TRACKING_URI': f"sqlite:///{tmp/'mlflow.db'}", 'PYTHONUNBUFFERED': '1',
                'PYTHONPATH': os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')])}
    for m in models:
        t0 = time.perf_counter()
        try: out['models'][m] = check_model(m, tmp, base_env)
        except Exception as e: out['failures'][m] = str(e)[-2000:]
        print(f'{m}: {time.perf_counter() - t0:.0f}s', json.dumps(out['models'].get(m) or out['failures'][m])[:800], flush=True)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(f'wrote {a.out}; failures: {sorted(out["failures"]) or "none"}')
    sys.exit(1 if out['failures'] else 0)

if __name__ == '__main__': main()
