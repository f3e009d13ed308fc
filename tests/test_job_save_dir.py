"One save_dir rule for every way of training: without one, a job writes a fresh run folder, never the serving checkpoint's."
import json, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = """
import json, sys
from rudra_ml.training.default_predictor import train_default_predictor
res = train_default_predictor(num_simulations=6, epochs=1, sizes=[30], n_jobs=1, progress=False)
print(json.dumps({'save_dir': res['save_dir'], 'checkpoint': res['checkpoint'], 'plots': res['plots']}))
"""

def test_no_save_dir_writes_a_fresh_run_folder(tmp_path):
    models = tmp_path/'models'
    serving = models/'default_predictor'; serving.mkdir(parents=True)
    (serving/'best_model.pt').write_bytes(b'the serving checkpoint')
    env = dict(os.environ, RUDRA_ML_MODELS_PATH=str(models), RUDRA_ML_LOG_PATH=str(tmp_path/'train.log'), MPLBACKEND='Agg',
               OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')]))
    runs = []
    for _ in range(2):
        r = subprocess.run([sys.executable, '-c', CODE], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        runs.append(json.loads(r.stdout.strip().splitlines()[-1]))
    folders = [Path(x['save_dir']) for x in runs]
    assert folders[0] != folders[1] and all(f.parent == serving/'runs' for f in folders), folders
    for x in runs:
        assert Path(x['checkpoint']).parent == Path(x['save_dir']) and set(x['plots']) == {'training.png', 'test_curves.png'}
    assert (serving/'best_model.pt').read_bytes() == b'the serving checkpoint'
    assert sorted(p.name for p in serving.iterdir()) == ['best_model.pt', 'runs']
