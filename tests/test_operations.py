"Registry and operations under real processes: concurrent promote and rollback, a locked registry database, the spec's shapes and the network store over uvicorn."
import json, os, shutil, sqlite3, subprocess, sys, textwrap, time, uuid
from pathlib import Path

import httpx
import pytest

from rudra_ml.config import shipped_path
from test_api import API, Server, environment

ROOT = Path(__file__).resolve().parent.parent
TOKEN = 'ops-token-' + uuid.uuid4().hex
AUTH = {'Authorization': f'Bearer {TOKEN}'}

MOVER = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    from rudra_ml.registry.model_manager import ModelRegistry
    uri, go, seed, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    while not go.exists(): time.sleep(0.01)
    reg = ModelRegistry(tracking_uri=uri)
    promoted = rolled = 0
    for i in range(n):
        try:
            if (i + seed) % 2: reg.promote_model('default_predictor', 1 + (i + seed) % 3, force=True); promoted += 1
            else: reg.rollback_model('default_predictor'); rolled += 1
        except ValueError: pass   # nothing to roll back to: refused, nothing written
    print(promoted, rolled, flush=True)
''')

@pytest.fixture
def store(tmp_path):
    "A fresh registry with three versions of the default predictor (copies of the shipped checkpoint)."
    from rudra_ml.registry.model_manager import ModelRegistry
    src = tmp_path/'m'; shutil.copytree(shipped_path('ml_models', 'default_predictor'), src)
    uri = f"sqlite:///{tmp_path/'store'/'mlflow.db'}"
    reg = ModelRegistry(uri)
    for k in range(3): reg.register_model('default_predictor', src/'best_model.pt', {'val_auc': 0.9}, version=f'v{k}')
    return uri, reg


def test_concurrent_promote_and_rollback(tmp_path, store):
    "Two processes promote and roll back at once: every move that succeeded is one history entry, the chain is intact, the aliases follow it."
    from rudra_ml.registry.ledger import production_stack
    uri, reg = store
    go = tmp_path/'go'
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get('PYTHONPATH', ''))
    procs = [subprocess.Popen([sys.executable, '-c', MOVER, uri, str(go), str(k), '8'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for k in range(2)]
    time.sleep(4)
    go.touch()
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs): assert p.returncode == 0, err[-2000:]
    promoted, rolled = (sum(int(out.split()[k]) for out, _ in outs) for k in (-2, -1))
    h = reg.history('default_predictor')
    assert [e['seq'] for e in h] == list(range(1, len(h) + 1))
    prod = [e for e in h if e['alias'] == 'production']
    # every rollback writes one entry; a promote writes one unless its version already served (a no-op, nothing written)
    assert len([e for e in prod if e['action'] == 'rollback']) == rolled
    assert 0 < len(prod) <= promoted + rolled
    assert reg.verify_history('default_predictor') == {'entries': len(h), 'intact': True, 'first_bad': None}
    top = production_stack(h)[-1]
    assert reg.aliases('default_predictor').get('production', 0) == top


def test_locked_registry_database(store):
    "A registry database held by another program: promote and rollback fail fast with the cause, and nothing changes."
    from rudra_ml.registry.model_manager import RegistryUnavailable
    uri, reg = store
    reg.promote_model('default_predictor', 1, force=True)
    before = (reg.aliases('default_predictor'), len(reg.history('default_predictor')))
    con = sqlite3.connect(uri.removeprefix('sqlite:///'), isolation_level=None); con.execute('BEGIN EXCLUSIVE')
    try:
        for move in (lambda: reg.promote_model('default_predictor', 2, force=True), lambda: reg.rollback_model('default_predictor')):
            t0 = time.monotonic()
            with pytest.raises(RegistryUnavailable, match='database is locked'): move()
            assert time.monotonic() - t0 < 10
    finally: con.execute('ROLLBACK'); con.close()
    assert (reg.aliases('default_predictor'), len(reg.history('default_predictor'))) == before


def test_rollback_walks_back_and_never_around_the_gate(store):
    "Rollback goes back along production's path to version 0; a version that never served needs promote (gate or force)."
    uri, reg = store
    for v in (1, 2): reg.promote_model('default_predictor', v, force=True)
    with pytest.raises(ValueError, match="has not served on production's path"): reg.rollback_model('default_predictor', 3)
    assert reg.rollback_model('default_predictor').version == 1
    assert reg.rollback_model('default_predictor') is None          # the shipped checkpoint, version 0
    with pytest.raises(ValueError, match='nothing to roll back to'): reg.rollback_model('default_predictor')
    assert [e['action'] for e in reg.history('default_predictor')][-4:] == ['promote', 'promote', 'rollback', 'rollback']


@pytest.fixture(scope='module')
def served(tmp_path_factory):
    "A service on uvicorn with a cap of 3 networks and two versions registered; its folder already holding 3 uploads for the restart test."
    base = tmp_path_factory.mktemp('ops')
    env = environment(base/'svc', TOKEN, RUDRA_ML_API_MAX_NETWORKS='3')
    from rudra_ml.registry.model_manager import ModelRegistry
    src = base/'m'; shutil.copytree(shipped_path('ml_models', 'default_predictor'), src)
    reg = ModelRegistry(env['RUDRA_ML_MLFLOW_TRACKING_URI'])
    for k in range(2): reg.register_model('default_predictor', src/'best_model.pt', {'val_auc': 0.9}, version=f'v{k}')
    srv = Server(base/'svc', env).wait()
    try: yield srv, env, base
    finally: srv.stop()


def test_spec_shapes_over_http(served):
    "\"stage\": \"Production\", \"version\": \"1\", \"target_version\": \"0\" are accepted as the Python API accepts them."
    srv, env, _ = served
    c = httpx.Client(base_url=srv.url, timeout=120)
    r = c.post(f'{API}/registry/promote', json={'model_name': 'default_predictor', 'version': '1', 'stage': 'Production'}, headers=AUTH)
    assert r.status_code == 200 and 'production' in r.json()['aliases'], r.text     # a copy of the shipped checkpoint: identical, passes
    r = c.post(f'{API}/registry/promote', json={'model_name': 'default_predictor', 'version': '2', 'stage': 'STAGING'}, headers=AUTH)
    assert r.status_code == 200 and r.json()['aliases'] == ['staging'], r.text
    for bad in ({'version': 'v1'}, {'version': '1', 'stage': 'Archived'}, {'version': True}):
        r = c.post(f'{API}/registry/promote', json={'model_name': 'default_predictor', **bad}, headers=AUTH)
        assert r.status_code == 422 and r.json()['detail'][0]['loc'][1] in bad, r.text
    r = c.post(f'{API}/registry/rollback', json={'model_name': 'default_predictor', 'target_version': '2'}, headers=AUTH)
    assert r.status_code == 409 and "has not served" in r.json()['detail'], r.text   # staged, never production: not a rollback target
    r = c.post(f'{API}/registry/rollback', json={'model_name': 'default_predictor', 'target_version': '0'}, headers=AUTH)
    assert r.status_code == 200 and r.json()['production_version'] == 0, r.text
    m = c.get(f'{API}/registry/models').json()
    h = m['history']['default_predictor']
    assert h['chain']['intact'] and [e['action'] for e in h['entries']][-3:] == ['promote', 'promote', 'rollback']
    assert h['entries'][-3]['gate']['test'] == 'identical checkpoint'


def _net(nid:str)->dict:
    ids = [str(uuid.uuid4()) for _ in range(3)]
    bank = dict(cash=5., securities=10., loans=80., external_liabilities=70., risk_appetite=.5)
    return {'network_id': nid, 'institutions': [{'institution_id': u, **bank} for u in ids],
            'debts': [{'debtor': ids[0], 'creditor': ids[1], 'amount': 3.0}]}


def test_network_store_routes(served):
    "GET lists a network's institutions, DELETE (token) forgets it, the cap answers 409 naming it; a restart with a lower cap warns and serves."
    srv, env, base = served
    c = httpx.Client(base_url=srv.url, timeout=60)
    for nid in ('a1', 'a2'): assert c.post(f'{API}/networks', json=_net(nid), headers=AUTH).status_code == 201
    r = c.post(f'{API}/networks', json=_net('a3'), headers=AUTH)          # EBA 2018 + 2 uploads = the cap of 3
    assert r.status_code == 409 and 'at most 3 networks' in r.json()['detail'], r.text
    d = c.get(f'{API}/networks/a1').json()
    assert len(d['institutions']) == 3 and d['builtin'] is False and set(d['institutions'][0]) >= {'institution_id', 'capital_ratio', 'defaulted'}
    assert c.get(f'{API}/networks/nope').status_code == 404
    assert c.delete(f'{API}/networks/a1').status_code == 401
    assert c.delete(f'{API}/networks/eba_2018', headers=AUTH).status_code == 409
    assert c.delete(f'{API}/networks/a1', headers=AUTH).status_code == 204
    assert c.get(f'{API}/networks/a1').status_code == 404 and 'a1' not in {n['network_id'] for n in c.get(f'{API}/networks').json()}
    assert c.post(f'{API}/networks', json=_net('a3'), headers=AUTH).status_code == 201   # room again
    low = Server(base/'low', {**env, 'RUDRA_ML_API_MAX_NETWORKS': '1'})                  # the same folder, a lower cap
    try:
        low.wait()
        ids = {n['network_id'] for n in httpx.get(f'{low.url}{API}/networks', timeout=30).json()}
        assert ids == {'eba_2018', 'a2', 'a3'}
    finally: low.stop()
    assert 'more than RUDRA_ML_API_MAX_NETWORKS=1' in (base/'low'/'server.log').read_text()


def test_locked_registry_over_http(served):
    "A locked registry database: promote answers 503 naming the cause, predictions go on, nothing served changes."
    srv, env, _ = served
    c = httpx.Client(base_url=srv.url, timeout=60)
    state = dict(institution_id=str(uuid.uuid4()), capital_ratio=0.1, liquidity_buffer=0.3, credit_exposure=100.0,
                 default_probability=0.02, stress_level=0.2, risk_appetite=0.5)
    before = c.post(f'{API}/predict', json=state).json()['model_version']
    con = sqlite3.connect(env['RUDRA_ML_MLFLOW_TRACKING_URI'].removeprefix('sqlite:///'), isolation_level=None); con.execute('BEGIN EXCLUSIVE')
    try:
        r = c.post(f'{API}/registry/promote', json={'model_name': 'default_predictor', 'version': 1, 'force': True}, headers=AUTH)
        assert r.status_code == 503 and 'database is locked' in r.json()['detail'], r.text
    finally: con.execute('ROLLBACK'); con.close()
    assert c.post(f'{API}/predict', json=state).json()['model_version'] == before


def test_update_flow_from_another_regime(served):
    "Outcomes from a large-shock regime posted to the service: drift flagged; `rudra-ml update` trains and registers a candidate, promoted exactly when better on the recent window and through the gate."
    from rudra_ml.data.synthetic_generator import SyntheticDataGenerator
    from rudra_ml.registry.model_manager import ModelRegistry
    srv, env, base = served
    c = httpx.Client(base_url=srv.url, timeout=300)
    df = SyntheticDataGenerator(sizes=(30,), steps=12, seed=11, n_jobs=1, shock_range=(0.15, 0.3)).generate(10, progress=False)
    fields = ('capital_ratio', 'liquidity_buffer', 'credit_exposure', 'stress_level', 'risk_appetite')
    obs = [{'institution_id': str(uuid.uuid5(uuid.NAMESPACE_OID, f'{r.simulation_id}-{r.institution}')), 'defaulted': bool(r.label),
            'default_probability': float(min(max(r.bayes_pd, 0.0), 1.0)), **{f: float(getattr(r, f)) for f in fields}} for r in df.itertuples()]
    assert c.post(f'{API}/observations', json={'observations': obs[:5]}).status_code == 401
    r = c.post(f'{API}/observations', json={'observations': obs, 'source': 'test'}, headers=AUTH)
    assert r.status_code == 201 and r.json()['stored'] == len(obs), r.text
    t0 = time.monotonic()
    while ((d := c.get(f'{API}/drift').json())['status'] == 'pending' or d.get('stale')) and time.monotonic() - t0 < 600: time.sleep(2)   # the reference set is built once
    assert d['status'] == 'drift' and d['rows'] == len(obs) and (d['shifted'] or d['calibration']['ece'] >= 0.1), d
    assert c.get(f'{API}/health').json()['drift']['status'] in ('drift', 'pending')
    reg = ModelRegistry(env['RUDRA_ML_MLFLOW_TRACKING_URI'])
    before = reg.aliases('default_predictor').get('production', 0)
    p = subprocess.run([sys.executable, '-c', 'from rudra_ml.cli import main; main()', 'update', '--epochs', '3', '--lr', '1e-3', '--min-rows', '100'],
                       env=env, cwd=base/'svc', capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    u = json.loads(p.stdout[p.stdout.index('{'):])
    assert u['status'] == 'trained' and u['base_version'] == before and u['observations'] == len(obs), u
    both = u['recent']['passed'] and bool(u.get('common', {}).get('passed'))
    assert u['promoted'] == both, u
    assert reg.aliases('default_predictor').get('production', 0) == (u['version'] if both else before)
    print({k: u.get(k) for k in ('version', 'promoted', 'reason')}, {k: u['recent'][k] for k in ('candidate', 'production', 'upper', 'passed')})
