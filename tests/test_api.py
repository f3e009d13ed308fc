"The HTTP service over real servers: uvicorn subprocesses on free loopback ports, a real Celery worker, curl, schemathesis."
import json, os, shutil, socket, subprocess, sys, time, uuid
from pathlib import Path

import httpx
import pytest

from rudra_ml.tasks.ml_tasks import spawn_worker

ROOT = Path(__file__).resolve().parent.parent
API = '/api/v1/ml'
TOKEN = 'test-token-' + uuid.uuid4().hex
AUTH = {'Authorization': f'Bearer {TOKEN}'}
TINY = {'num_simulations': 6, 'epochs': 3, 'sizes': [30], 'n_jobs': 1}   # a default-predictor task of a few seconds
SPEC = dict(capital_ratio=0.10, liquidity_buffer=0.5, credit_exposure=200.0, default_probability=0.02, stress_level=0.3, risk_appetite=0.5)

def free_port()->int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def environment(d:Path, token:str|None, **extra)->dict:
    "A service's environment: everything under `d`."
    env = {k: v for k, v in os.environ.items() if not k.startswith('RUDRA_ML_')}
    env.update(RUDRA_ML_CELERY_DATA_PATH=str(d/'celery'), RUDRA_ML_MODELS_PATH=str(d/'models'),
               RUDRA_ML_MLFLOW_TRACKING_URI=f"sqlite:///{d/'registry'/'mlflow.db'}", RUDRA_ML_OPTUNA_STORAGE=f"sqlite:///{d/'optuna.db'}",
               RUDRA_ML_LOG_PATH=str(d/'logs'/'ml_training.log'), OMP_NUM_THREADS='1', MPLBACKEND='Agg',
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')]), **extra)
    if token: env['RUDRA_ML_API_TOKEN'] = token
    return env

class Server:
    "`rudra-ml serve` on a free loopback port, in its own process group; stopped by its PID."
    def __init__(self, d:Path, env:dict, workers:int=1):
        self.port, self.env, self.d = free_port(), env, d
        self.url = f'http://127.0.0.1:{self.port}'
        d.mkdir(parents=True, exist_ok=True)
        self.log = open(d/'server.log', 'wb')
        self.proc = subprocess.Popen([sys.executable, '-c', 'from rudra_ml.cli import main; main()', 'serve', '--port', str(self.port),
                                      '--workers', str(workers), '--log-level', 'warning'], env=env, cwd=d, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self, timeout:float=90)->'Server':
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None: raise RuntimeError((self.d/'server.log').read_text())
            try:
                if httpx.get(f'{self.url}{API}/health', timeout=2).status_code == 200: return self
            except httpx.TransportError: pass
            time.sleep(0.2)
        raise TimeoutError(f'server not up after {timeout}s: {(self.d/"server.log").read_text()}')

    def stop(self):
        self.proc.terminate()
        try: self.proc.wait(15)
        except subprocess.TimeoutExpired: self.proc.kill(); self.proc.wait()
        self.log.close()

@pytest.fixture(scope='module')
def servers(tmp_path_factory):
    "live: token, a worker, max batch 50; fuzz: token, no worker (tasks queue, never run); open: no token."
    base = tmp_path_factory.mktemp('api')
    envs = {'live': environment(base/'live', TOKEN, RUDRA_ML_API_MAX_BATCH='50', RUDRA_ML_API_MAX_BODY_BYTES=str(2**20)),
            'fuzz': environment(base/'fuzz', TOKEN), 'open': environment(base/'open', None)}
    srv = {k: Server(base/k, e) for k, e in envs.items()}
    worker = None
    try:
        for s in srv.values(): s.wait()
        worker = spawn_worker(envs['live'])     # after the server created the registry database
        yield srv
    finally:
        if worker is not None: worker.stop()
        for s in srv.values(): s.stop()

@pytest.fixture(scope='module')
def live(servers): return httpx.Client(base_url=servers['live'].url, timeout=30)

@pytest.fixture(scope='module')
def eba_ids(live):
    from rudra_ml.engine.network import eba_network
    return [str(u) for u in eba_network().nodes]

def loc(r)->list: return r.json()['detail'][0]['loc']

def test_curl_spec_example(servers):
    "The Training Guide's curl example as written, plus the bearer token: 202 and a task id whose state can be read."
    curl = shutil.which('curl')
    if curl is None: pytest.skip('no curl binary')
    url = servers['fuzz'].url
    cmd = [curl, '-s', '-w', '\n%{http_code}', '-X', 'POST', f'{url}/api/v1/ml/train', '-H', 'Content-Type: application/json',
           '-H', f'Authorization: Bearer {TOKEN}', '-d', '''{
    "num_simulations": 200,
    "epochs": 100,
    "batch_size": 64,
    "learning_rate": 0.001,
    "hyperparameter_search": true
  }''']
    body, code = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.rsplit('\n', 1)
    assert code == '202', body
    out = json.loads(body)
    assert out['model'] == 'default_predictor' and out['state'] == 'PENDING'
    st = httpx.get(url + out['status_url']).json()
    assert st['state'] == 'PENDING' and st['task_id'] == out['task_id']
    no_token = subprocess.run(cmd[:-4] + cmd[-2:], capture_output=True, text=True).stdout.rsplit('\n', 1)[1]
    assert no_token == '401'

def test_predict(live, eba_ids):
    alone = live.post(f'{API}/predict', json={'institution_id': str(uuid.uuid4()), **SPEC})
    assert alone.status_code == 200, alone.text
    a = alone.json()
    assert {'institution_id', 'predicted_probability', 'confidence', 'model_version', 'inference_time_ms', 'should_use_prediction'} <= set(a)
    assert a['network_id'] is None and 'pagerank' in a['assumed_features'] and 'neighbor_avg_stress' in a['assumed_features']
    known = live.post(f'{API}/predict', json={'institution_id': eba_ids[3], **SPEC}).json()
    assert known['network_id'] == 'eba_2018' and known['assumed_features'] == []
    assert live.post(f'{API}/predict', json={'institution_id': eba_ids[3], 'network_id': 'eba_2018', **SPEC}).json()['predicted_probability'] == known['predicted_probability']

def test_concurrent_predictions_equal_single_ones(servers, live, eba_ids):
    "64 requests at once (they share model passes on the server) get the answers each gets alone, bad ones among them their own 422."
    import asyncio
    bodies = [{'institution_id': eba_ids[k % len(eba_ids)], **SPEC, 'stress_level': 0.01*k} for k in range(60)]
    bodies += [{'institution_id': str(uuid.uuid4()), **SPEC}, {'institution_id': str(uuid.uuid4()), **SPEC, 'capital_ratio': 2.0}]*2
    async def all_at_once():
        async with httpx.AsyncClient(base_url=servers['live'].url, timeout=30) as c:
            return await asyncio.gather(*(c.post(f'{API}/predict', json=b) for b in bodies))
    together = asyncio.run(all_at_once())
    for b, r in zip(bodies, together):
        alone = live.post(f'{API}/predict', json=b)
        assert r.status_code == alone.status_code, (r.text, alone.text)
        if r.status_code != 200: assert loc(r) == loc(alone) == ['body', 'capital_ratio']; continue
        x, y = r.json(), alone.json()
        assert x['institution_id'] == b['institution_id'] and x['should_use_prediction'] == y['should_use_prediction']
        for k in ('predicted_probability', 'model_probability', 'confidence'): assert abs(x[k] - y[k]) < 1e-6, (k, x[k], y[k])

@pytest.mark.parametrize('change,field', [({'capital_ratio': 1.5}, 'capital_ratio'), ({'stress_level': -0.1}, 'stress_level'),
                                          ({'risk_appetite': False}, 'risk_appetite'), ({'network_id': 'nowhere'}, 'network_id'),
                                          ({'leverage': 3.0}, 'leverage'), ({'institution_id': 'not-a-uuid'}, 'institution_id')])
def test_predict_422_names_the_field(live, change, field):
    r = live.post(f'{API}/predict', json={'institution_id': str(uuid.uuid4()), **SPEC, **change})
    assert r.status_code == 422 and loc(r)[-1] == field, r.text

def test_predict_nan_and_wrong_network(live, eba_ids):
    raw = json.dumps({'institution_id': str(uuid.uuid4()), **SPEC}).replace('0.3', 'NaN')
    r = live.post(f'{API}/predict', content=raw, headers={'Content-Type': 'application/json'})
    assert r.status_code == 422 and loc(r)[-1] == 'stress_level', r.text
    r = live.post(f'{API}/predict', json={'institution_id': str(uuid.uuid4()), 'network_id': 'eba_2018', **SPEC})
    assert r.status_code == 422 and loc(r)[-1] == 'institution_id' and 'not in network' in r.text

def test_explain(live, eba_ids):
    "The /predict request explained: the largest contributions on the log-odds scale, adding up to the served model's logit."
    body = {'institution_id': eba_ids[3], **SPEC}
    r = live.post(f'{API}/explain', json={**body, 'top': 3})
    assert r.status_code == 200, r.text
    x = r.json()
    assert len(x['contributions']) == 3 and x['scale'].startswith('log-odds') and x['network_id'] == 'eba_2018'
    assert {'feature', 'value', 'contribution'} == set(x['contributions'][0]) and 'SyntheticDataGenerator' in x['background']
    assert abs(x['base_value'] + sum(c['contribution'] for c in x['contributions']) + x['other_contributions'] - x['logit']) < 1e-4
    assert x['additivity_error'] < 1e-4
    p = live.post(f'{API}/predict', json=body).json()
    assert x['model_version'] == p['model_version'] and abs(x['model_probability'] - p['model_probability']) < 1e-5
    alone = live.post(f'{API}/explain', json={'institution_id': str(uuid.uuid4()), **SPEC}).json()
    assert len(alone['contributions']) == 5 and 'pagerank' in alone['assumed_features']
    for top in (0, 21, 2.0):
        r = live.post(f'{API}/explain', json={**body, 'top': top})
        assert r.status_code == 422 and loc(r)[-1] == 'top', r.text

@pytest.mark.slow
def test_explain_without_a_model_503(tmp_path):
    "An unreadable checkpoint: /predict falls back to the Bayesian estimate, /explain answers 503 with the reason, no made-up attributions."
    bad = tmp_path/'nomodel'/'models'/'default_predictor'/'best_model.pt'
    bad.parent.mkdir(parents=True); bad.write_bytes(b'not a checkpoint')
    srv = Server(tmp_path/'nomodel', environment(tmp_path/'nomodel', None)).wait()
    try:
        body = {'institution_id': str(uuid.uuid4()), **SPEC}
        assert httpx.post(f'{srv.url}{API}/predict', json=body).json()['fallback_reason'].startswith('no usable model')
        r = httpx.post(f'{srv.url}{API}/explain', json=body)
        assert r.status_code == 503 and 'no usable model to explain' in r.json()['detail'], r.text
    finally: srv.stop()

@pytest.mark.slow
def test_predict_from_the_contagion_model(tmp_path):
    "RUDRA_ML_PD_MODEL=contagion_model: /predict and /predict/batch answer institutions of known networks from the contagion model (the engine loop's answer when a row repeats the stored state), others from the default predictor; /explain points to /contagion/assess."
    from rudra_ml.api.contagion import ContagionAnswers
    from rudra_ml.config import shipped_path
    from rudra_ml.engine.game_theory import STATE_RANGES
    from rudra_ml.engine.network import eba_network
    from rudra_ml.features.request_features import known_network
    from rudra_ml.models.contagion_model import load_contagion_model
    net = known_network('eba_2018', eba_network())
    shipped = load_contagion_model(shipped_path('ml_models', 'contagion_model', 'best_model.pt'))[0]
    pred, st, _ = ContagionAnswers(mechanism='eisenberg_noe', loader=lambda: (shipped, 0))._for(net)
    loop = pred.predict_system(st)[0]                      # what the engine's loop gets at the no-shock state
    row = lambda k: {'institution_id': str(net.ids[k]), **{f: float(getattr(st, f)[k]) for f in STATE_RANGES}}
    srv = Server(tmp_path/'cm', environment(tmp_path/'cm', None, RUDRA_ML_PD_MODEL='contagion_model')).wait()
    try:
        a = httpx.post(f'{srv.url}{API}/predict', json=row(5)).json()
        assert (a['model'], a['network_id'], a['model_version'], a['fallback_reason'], a['confidence']) == ('contagion_model', 'eba_2018', '0', None, None), a
        assert abs(a['predicted_probability'] - loop[5]) < 1e-6, (a, loop[5])
        alone = httpx.post(f'{srv.url}{API}/predict', json={'institution_id': str(uuid.uuid4()), **SPEC}).json()
        assert alone['model'] == 'default_predictor' and alone['network_id'] is None
        b = httpx.post(f'{srv.url}{API}/predict/batch', json={'institutions': [row(5), {'institution_id': str(uuid.uuid4()), **SPEC}, row(9)]})
        assert b.status_code == 200, b.text
        preds = b.json()['predictions']
        assert [p['model'] for p in preds] == ['contagion_model', 'default_predictor', 'contagion_model']
        assert abs(preds[0]['predicted_probability'] - loop[5]) < 1e-6 and abs(preds[2]['predicted_probability'] - loop[9]) < 1e-6
        r = httpx.post(f'{srv.url}{API}/explain', json=row(5))
        assert r.status_code == 409 and 'contagion/assess' in r.json()['detail'], r.text
    finally: srv.stop()

def test_batch(live, eba_ids):
    rows = [{'institution_id': u, **SPEC} for u in eba_ids[:3]] + [{'institution_id': str(uuid.uuid4()), **SPEC}]
    r = live.post(f'{API}/predict/batch', json={'institutions': rows})
    assert r.status_code == 200, r.text
    preds = r.json()['predictions']
    assert [p['institution_id'] for p in preds] == [x['institution_id'] for x in rows]
    assert [p['network_id'] for p in preds] == ['eba_2018']*3 + [None]
    assert live.post(f'{API}/predict/batch', json={'institutions': []}).status_code == 422
    over = live.post(f'{API}/predict/batch', json={'institutions': [{'institution_id': str(uuid.uuid4()), **SPEC} for _ in range(51)]})
    assert over.status_code == 422 and loc(over)[-1] == 'institutions'
    dup = live.post(f'{API}/predict/batch', json={'institutions': rows[:1]*2})
    assert dup.status_code == 422 and loc(dup) == ['body', 'institutions', 1, 'institution_id']

def test_body_limit_413(live):
    r = live.post(f'{API}/predict', content=b' '*(2**20 + 1), headers={'Content-Type': 'application/json'})
    assert r.status_code == 413 and 'RUDRA_ML_API_MAX_BODY_BYTES' in r.text

def test_networks(live):
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    bank = dict(cash=5., securities=10., loans=80., external_liabilities=85., risk_appetite=.5)
    net = {'network_id': 'two-banks', 'institutions': [{'institution_id': a, **bank}, {'institution_id': b, **bank}],
           'debts': [{'debtor': a, 'creditor': b, 'amount': 3.}]}
    assert live.post(f'{API}/networks', json=net).status_code == 401
    assert live.post(f'{API}/networks', json=net, headers={'Authorization': 'Bearer wrong'}).status_code == 401
    assert 'two-banks' not in [n['network_id'] for n in live.get(f'{API}/networks').json()]   # the handler never ran
    r = live.post(f'{API}/networks', json=net, headers=AUTH)
    assert r.status_code == 201 and r.json()['institutions'] == 2 and r.json()['debts'] == 1, r.text
    assert live.post(f'{API}/networks', json=net, headers=AUTH).status_code == 422        # the id is taken
    p = live.post(f'{API}/predict', json={'institution_id': a, **SPEC}).json()
    assert p['network_id'] == 'two-banks' and p['assumed_features'] == []
    bad = {**net, 'network_id': 'bad', 'debts': [{'debtor': a, 'creditor': str(uuid.uuid4()), 'amount': 1.}]}
    r = live.post(f'{API}/networks', json=bad, headers=AUTH)
    assert r.status_code == 422 and loc(r) == ['body', 'debts', 0, 'creditor']
    import networkx as nx
    from rudra_ml.engine.network import generate_network
    g = generate_network('scale_free', n=12, seed=1)
    h = nx.DiGraph(); h.add_nodes_from((str(u), d) for u, d in g.nodes(data=True)); h.add_edges_from((str(u), str(v), d) for u, v, d in g.edges(data=True))
    text = '\n'.join(nx.generate_graphml(h))
    r = live.post(f'{API}/networks', json={'network_id': 'graphml-12', 'graphml': text}, headers=AUTH)
    assert r.status_code == 201 and r.json()['institutions'] == 12, r.text
    r = live.post(f'{API}/networks', json={'graphml': '<!DOCTYPE x [<!ENTITY a "b">]><graphml/>'}, headers=AUTH)
    assert r.status_code == 422 and loc(r)[-1] == 'graphml'

def test_open_server_refuses_mutations_but_reads(servers):
    c = httpx.Client(base_url=servers['open'].url)
    for path, body in (('/train', {}), ('/registry/rollback', {'model_name': 'default_predictor'}), ('/networks', {'graphml': 'x'})):
        r = c.post(API + path, json=body, headers=AUTH)
        assert r.status_code == 403 and 'RUDRA_ML_API_TOKEN' in r.text, (path, r.text)
    assert c.post(f'{API}/predict', json={'institution_id': str(uuid.uuid4()), **SPEC}).status_code == 200
    assert c.get(f'{API}/registry/models').status_code == 200

def test_health_and_docs_offline(live):
    h = live.get(f'{API}/health').json()
    assert h['status'] == 'ok' and h['registry']['reachable'] and h['broker']['reachable'] and h['networks'] >= 1, h
    assert h['workers']['count'] == 1 and h['workers']['training'] == 'ok' and 0 <= h['workers']['last_heartbeat_s'] < 10, h
    for text in (json.dumps(h), live.get(f'{API}/registry/models').text):   # no absolute path to an anonymous caller
        assert str(ROOT) not in text and '/tmp/' not in text, text
    html = live.get('/docs').text
    assert '/static/swagger-ui/swagger-ui-bundle.js' in html and 'cdn.jsdelivr' not in html
    js = live.get('/static/swagger-ui/swagger-ui-bundle.js')
    assert js.status_code == 200 and len(js.content) > 100_000
    assert live.get('/static/swagger-ui/swagger-ui.css').status_code == 200

def test_train_promote_rollback(live):
    "A tiny task on the real worker: PENDING -> TRAINING -> SUCCESS with version 1; promoted through the API, the next /predict serves it."
    assert live.get(f'{API}/train/{uuid.uuid4()}').status_code == 404
    r = live.post(f'{API}/train', json={'model': 'cascade_classifier', 'sizes': [30]}, headers=AUTH)
    assert r.status_code == 422 and loc(r)[-1] == 'sizes'
    r = live.post(f'{API}/train', json={'model': 'default_predictor', **TINY}, headers=AUTH)
    assert r.status_code == 202, r.text
    url, seen, t0 = r.json()['status_url'], [], time.monotonic()
    while time.monotonic() - t0 < 120:
        st = live.get(url).json()
        if not seen or seen[-1] != st['state']: seen.append(st['state'])
        if st['state'] in ('SUCCESS', 'FAILURE'): break
        time.sleep(0.05)
    assert st['state'] == 'SUCCESS', st
    assert 'TRAINING' in seen and st['result']['version'] == 1, (seen, st)
    body = {'institution_id': str(uuid.uuid4()), **SPEC}
    before = live.post(f'{API}/predict', json=body).json()['model_version']
    assert before.startswith('sha-')
    assert live.post(f'{API}/registry/promote', json={'model_name': 'default_predictor', 'version': 9}, headers=AUTH).status_code == 422
    r = live.post(f'{API}/registry/promote', json={'model_name': 'default_predictor', 'version': 1, 'force': True}, headers=AUTH)
    assert r.status_code == 200 and 'production' in r.json()['aliases'], r.text
    assert live.post(f'{API}/predict', json=body).json()['model_version'] == '1'
    models = live.get(f'{API}/registry/models').json()
    assert models['production']['default_predictor'] == 1 and models['models']['default_predictor'][0]['version'] == 1
    r = live.post(f'{API}/registry/rollback', json={'model_name': 'default_predictor', 'target_version': 0}, headers=AUTH)
    assert r.status_code == 200 and r.json()['production_version'] == 0
    assert live.post(f'{API}/predict', json=body).json()['model_version'] == before
    assert live.post(f'{API}/registry/rollback', json={'model_name': 'default_predictor'}, headers=AUTH).status_code == 409

def test_promotion_by_another_process_is_seen(servers, live):
    "A promotion written by another process (the CLI, a job) reaches the next request through the registry file's signature."
    from rudra_ml.registry.model_manager import ModelRegistry
    reg = ModelRegistry(servers['live'].env['RUDRA_ML_MLFLOW_TRACKING_URI'])
    if not reg.list_models().get('default_predictor'): pytest.skip('needs the version trained by test_train_promote_rollback')
    body = {'institution_id': str(uuid.uuid4()), **SPEC}
    reg.promote_model('default_predictor', 1, 'production', force=True)
    assert live.post(f'{API}/predict', json=body).json()['model_version'] == '1'
    reg.rollback_model('default_predictor', '0')
    assert live.post(f'{API}/predict', json=body).json()['model_version'].startswith('sha-')

def _assess_checks(r):
    "What an assessment of the EBA banks with one explanation must hold."
    assert r.status_code == 200 and len(r.json()['institutions']) == 48, r.text
    assert [e['name'] for e in r.json()['explanations']] == ['AT01'] and len(r.json()['explanations'][0]['neighbours']) == 3

SERVED = {   # model name -> (route, body, the answer's version key, checks of the first answer)
    'intervention_policy': ('interventions/recommend', {'network_id': 'eba_2018', 'shock': 0.05, 'budget': 0.02, 'baselines': False}, 'policy_version', None),
    'contagion_model': ('contagion/assess', {'network_id': 'eba_2018', 'shock': 0.05, 'mechanism': 'debtrank', 'explain': ['AT01'], 'top': 3},
                        'model_version', _assess_checks)}

@pytest.mark.parametrize('name', sorted(SERVED))
def test_model_follows_production(servers, live, name):
    "The policy and the contagion model are gated and served like the other models: a version promoted over HTTP answers the next request; a rollback brings back the shipped checkpoint (version 0)."
    from rudra_ml.registry.model_manager import ModelRegistry
    from rudra_ml.config import shipped_path
    route, body, key, checks = SERVED[name]
    reg = ModelRegistry(servers['live'].env['RUDRA_ML_MLFLOW_TRACKING_URI'])
    v = reg.register_model(name, shipped_path('ml_models', name, 'best_model.pt')).version
    r = live.post(f'{API}/{route}', json=body)
    assert r.status_code == 200 and r.json()[key] == 0, r.text
    if checks: checks(r)
    r = live.post(f'{API}/registry/promote', json={'model_name': name, 'version': v}, headers=AUTH)
    assert r.status_code == 200, r.text      # the same weights as the shipped checkpoint: the gate passes them
    assert live.post(f'{API}/{route}', json=body).json()[key] == v
    r = live.post(f'{API}/registry/rollback', json={'model_name': name}, headers=AUTH)
    assert r.status_code == 200, r.text
    assert live.post(f'{API}/{route}', json=body).json()[key] == 0

@pytest.mark.parametrize('change,field', [({'mechanism': 'rumours'}, 'mechanism'), ({'shock': 1.5}, 'shock'), ({'top': 0}, 'top'),
                                          ({'explain': ['no such bank']}, 'explain.0'), ({'network_id': 'nowhere'}, 'network_id')])
def test_contagion_assess_422_names_the_field(live, change, field):
    "A bad assessment request is refused with the field named (from the error's field, never from its message)."
    body = {'network_id': 'eba_2018', 'shock': 0.05, 'mechanism': 'debtrank', **change}
    r = live.post(f'{API}/contagion/assess', json=body)
    assert r.status_code == 422 and '.'.join(map(str, r.json()['detail'][0]['loc'][1:])) == field, r.text

@pytest.mark.slow
def test_schemathesis(servers, tmp_path):
    "Every check on, over 1,000 generated cases, on the server without a worker (queued tasks never run); mutating routes fuzzed with the token."
    cfg = tmp_path/'schemathesis.toml'
    # referential validity (an unknown network, institution or registry version) is not expressible in OpenAPI: a schema-valid
    # request may still get 422 naming the field, as the issue asks; every other check keeps its defaults
    cfg.write_text('[checks.positive_data_acceptance]\nexpected-statuses = ["2xx", 401, 403, 404, 409, 422]\n')
    st = Path(sys.executable).parent/'schemathesis'
    r = subprocess.run([str(st), '--config-file', str(cfg), 'run', f"{servers['fuzz'].url}/openapi.json", '--checks', 'all',
                        '--max-examples', '100', '--seed', '1', '-H', f'Authorization: Bearer {TOKEN}', '--wait-for-schema', '10'],
                       capture_output=True, text=True, timeout=240, cwd=tmp_path)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    import re
    n = int(re.search(r'(\d+) generated', out).group(1))
    assert n >= 1000 and 'failure' not in out.split('Test cases:')[1].split('\n')[1], out[-2000:]


@pytest.mark.slow
def test_two_worker_processes_share_uploaded_networks(tmp_path):
    "`rudra-ml serve --workers 2`: a network uploaded to one process is known to the other (new connection per request)."
    srv = Server(tmp_path/'two', environment(tmp_path/'two', TOKEN), workers=2).wait()
    try:
        a, b = str(uuid.uuid4()), str(uuid.uuid4())
        bank = dict(cash=5., securities=10., loans=80., external_liabilities=85., risk_appetite=.5)
        net = {'network_id': 'shared', 'institutions': [{'institution_id': a, **bank}, {'institution_id': b, **bank}],
               'debts': [{'debtor': a, 'creditor': b, 'amount': 3.}]}
        assert httpx.post(f'{srv.url}{API}/networks', json=net, headers=AUTH).status_code == 201
        pids, answers = set(), []
        for _ in range(24):   # a fresh connection each time: the kernel spreads them over both processes
            r = httpx.post(f'{srv.url}{API}/predict', json={'institution_id': a, **SPEC}, headers={'Connection': 'close'})
            answers.append((r.status_code, r.json().get('network_id')))
        assert set(answers) == {(200, 'shared')}, answers
        taken = [httpx.post(f'{srv.url}{API}/networks', json=net, headers=AUTH).status_code for _ in range(4)]
        assert set(taken) == {422}, taken   # the id is taken in every process
    finally: srv.stop()
