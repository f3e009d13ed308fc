"The README's main job, run as a user runs it: the `rudra-ml` command in a fresh process."
import json, subprocess
import pytest

@pytest.mark.slow
def test_main_job_writes_report(tmp_path, bin_dir, env, root):
    out = tmp_path/'main'
    r = subprocess.run([str(bin_dir/'rudra-ml'), 'main', '--out', str(out), '--n', '40', '--steps', '8', '--seeds', '3',
                        '--shocks', '0.05,0.5', '--train_simulations', '6', '--epochs', '2'],
                       capture_output=True, text=True, env=dict(env, RUDRA_ML_LOG_PATH=str(tmp_path/'train.log')), cwd=root, timeout=600)
    assert r.returncode == 0, r.stderr
    assert 'report:' in r.stdout and 'against no shock on the same 3 seeds' in r.stdout
    s = json.loads((out/'summary.json').read_text())
    assert s['n'] == 40 and s['seeds'] == [0, 1, 2] and set(s['effects']) == {'0.05', '0.5'}
    assert set(s['levels']['ml_off']) == set(s['levels']['ml_on']) == {'0', '0.05', '0.5'}
    e = s['effects']
    assert e['0.5']['ml_off']['defaults']['mean'] >= e['0.05']['ml_off']['defaults']['mean']
    for k in e:   # every figure a paired effect: shocked minus no shock on the same seed, and ML on minus off
        for o in ('defaults', 'equity_lost'):
            off, on, no = e[k]['ml_off'][o], e[k]['ml_on'][o], s['levels']['ml_off']['0'][o]['per_seed']
            shocked = s['levels']['ml_off'][k][o]['per_seed']
            assert off['per_seed'] == pytest.approx([a - b for a, b in zip(shocked, no)], abs=1e-3)
            assert e[k]['ml_on_minus_off'][o]['per_seed'] == pytest.approx([a - b for a, b in zip(on['per_seed'], off['per_seed'])], abs=1e-3)
            assert off['p10'] <= off['mean'] <= off['p90']
    for f in ('simulation.png', 'simulation_ml.png', 'effects.png'): assert (out/f).stat().st_size > 10_000, f
    report = (out/'report.md').read_text()
    assert '| common loan shock | defaults, ML off | defaults, ML on | defaults, ML on - off |' in report
    assert '## With a budget of 1% of system equity: rescue these' in report and 'rescue:' in r.stdout   # the learned policy, largest shock
    assert s['intervention']['shock'] == 0.5 and s['intervention']['with']['loss'] <= s['intervention']['without']['loss']
    assert (out/'models'/'default_predictor'/'best_model.pt').exists() and 0 <= s['training']['default_predictor']['val_auc'] <= 1
    for m in ('cascade_classifier', 'state_forecaster'):
        assert (out/'models'/m/'best_model.pt').exists() and m in s['training'], m
    assert 0 <= s['ml']['0.5']['p_systemic_at_shock']['mean'] <= 1
    # trained through the tracked path: one registered version per model, promoted only if it beats the shipped model
    assert '## Model registry' in report and {r['model'] for r in s['registry']} == set(s['training'])
    for m, t in s['training'].items():
        assert t['version'] == 1 and t['run_id'] and t['serving_version'] == 0 and 'passed' in t['gate'], (m, t)
        assert t['promoted'] == t['gate']['passed'], (m, t)   # the registry's gate on the common evaluation set decides


@pytest.mark.slow
def test_registry_commands(tmp_path, bin_dir, env, root):
    "register through the API, then list / promote / roll back from the shell; a refused move changes nothing."
    from rudra_ml.registry.model_manager import ModelRegistry
    reg = ModelRegistry(env['RUDRA_ML_MLFLOW_TRACKING_URI'])
    for label in ('v1', 'v2'): reg.register_model('default_predictor', root/'ml_models'/'default_predictor'/'best_model.pt', version=label)
    run = lambda *a: subprocess.run([str(bin_dir/'rudra-ml'), 'registry', *a], capture_output=True, text=True, env=env, cwd=root, timeout=120)
    r = run('list'); assert r.returncode == 0 and 'v1' in r.stdout and 'v2' in r.stdout, r.stderr
    r = run('promote', 'default_predictor', '2'); assert r.returncode == 0 and 'version 2 is now production' in r.stdout, r.stderr
    r = run('promote', 'default_predictor', '7'); assert r.returncode != 0 and '7' in r.stderr
    r = run('rollback', 'default_predictor', '--to', '1'); assert r.returncode != 0 and 'has not served' in r.stderr, r.stderr   # never production
    assert reg.aliases('default_predictor') == {'production': 2}
    r = run('rollback', 'default_predictor'); assert r.returncode == 0 and 'shipped checkpoint' in r.stdout, r.stderr   # back to version 0
    assert reg.aliases('default_predictor') == {}
    r = run('rollback', 'default_predictor', '--to', '0'); assert r.returncode != 0 and 'roll back' in r.stderr.lower(), r.stderr
    r = run('history', 'default_predictor'); assert r.returncode == 0 and 'rollback' in r.stdout and 'history chain: intact' in r.stdout

@pytest.mark.slow
def test_main_job_on_eba_banks(tmp_path, bin_dir, env, root):
    out = tmp_path/'eba'
    r = subprocess.run([str(bin_dir/'rudra-ml'), 'main', '--out', str(out), '--network', 'eba', '--steps', '5',
                        '--shocks', '0.2', '--seeds', '2', '--train', 'False', '--ml', 'False'], capture_output=True, text=True, env=env, cwd=root, timeout=300)
    assert r.returncode == 0, r.stderr
    s = json.loads((out/'summary.json').read_text())
    assert s['n'] == 48 and s['simulations'] == 4 and 'ml_on' not in s['levels']

def test_bad_argument_is_refused_with_its_name(tmp_path, bin_dir, env, root):
    r = subprocess.run([str(bin_dir/'rudra-ml'), 'main', '--out', str(tmp_path), '--shocks', '0.1,7'],
                       capture_output=True, text=True, env=env, cwd=root, timeout=120)
    assert r.returncode != 0 and 'shocks must be comma-separated numbers in [0, 1]' in r.stderr
    assert not (tmp_path/'summary.json').exists()
    for opt, msg in ((['--seeds', '1'], 'seeds must be an integer in [2, 1000], got 1'), (['--contagion', 'furfine'], "contagion must be one of 'eisenberg_noe', 'debtrank', 'gai_kapadia'"),
                     (['--ml', 'maybe'], "ml must be True or False, got 'maybe'")):
        r = subprocess.run([str(bin_dir/'rudra-ml'), 'main', '--out', str(tmp_path/'x'), *opt], capture_output=True, text=True, env=env, cwd=root, timeout=120)
        assert r.returncode != 0 and msg in r.stderr and 'Traceback' not in r.stderr, (opt, r.stderr)
        assert not (tmp_path/'x').exists(), opt

def test_bad_environment_variable_fails_at_start(bin_dir, env, root):
    env = dict(env, RUDRA_ML_DEFAULT_PREDICTOR_CONFIDENCE_THRESHOLD='1.5')
    r = subprocess.run([str(bin_dir/'rudra-ml'), 'main', '--help'], capture_output=True, text=True, env=env, cwd=root, timeout=120)
    assert r.returncode != 0 and 'RUDRA_ML_DEFAULT_PREDICTOR_CONFIDENCE_THRESHOLD' in r.stderr


def test_train_runs_the_job_notebook(tmp_path, bin_dir, env, root):
    "`rudra-ml train`: the job notebook runs the model's job into the run folder, plots and executed notebook in the MLflow run."
    out = tmp_path/'run'
    base = [str(bin_dir/'rudra-ml'), 'train', 'default_predictor', '-p', 'num_simulations=6', '-p', 'epochs=2', '-p', 'sizes=[30]',
            '-p', 'n_jobs=1', '-p', 'progress=False', '--out', str(out)]
    r = subprocess.run(base[:3] + ['-p', 'lr=0.01', '--out', str(out)], capture_output=True, text=True, env=env, cwd=root, timeout=120)
    assert r.returncode != 0 and 'unknown argument lr for the default_predictor job' in r.stderr and not out.exists(), r.stderr
    r = subprocess.run(base, capture_output=True, text=True, env=dict(env, RUDRA_ML_LOG_PATH=str(tmp_path/'train.log')), cwd=root, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    run = json.loads((out/'run.json').read_text())
    for f in ('best_model.pt', 'results.json', 'training.png', 'test_curves.png', 'job.ipynb'): assert (out/f).exists(), f
    from rudra_ml.registry.model_manager import ModelRegistry
    client = ModelRegistry(env['RUDRA_ML_MLFLOW_TRACKING_URI']).client
    logged = {f.path for f in client.list_artifacts(run['run_id'], 'job')}
    assert {'job/training.png', 'job/test_curves.png', 'job/job.ipynb'} <= logged, logged
    assert 'test_auc' in client.get_run(run['run_id']).data.metrics or 'test_ece' in client.get_run(run['run_id']).data.metrics

def test_intervene_prints_the_rescue_and_refuses_a_bad_budget(bin_dir, env, root):
    r = subprocess.run([str(bin_dir/'rudra-ml'), 'intervene', '--network', 'scale_free', '--n', '40', '--shock', '0.15', '--budget', '0.02'],
                       capture_output=True, text=True, env=env, cwd=root, timeout=300)
    assert r.returncode == 0, r.stderr
    assert 'rescue:' in r.stdout and 'learned policy' in r.stdout and 'greedy' in r.stdout
    r = subprocess.run([str(bin_dir/'rudra-ml'), 'intervene', '--budget', '0'], capture_output=True, text=True, env=env, cwd=root, timeout=300)
    assert r.returncode != 0 and 'budget must be in (0, 1]' in r.stderr and 'Traceback' not in r.stderr
