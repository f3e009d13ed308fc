"""The built wheel on its own: a plain (non-editable) install in a fresh virtual environment, run from a folder
outside the repository, finds the shipped checkpoints and the EBA data; and requirements.txt is what
scripts/requirements.py writes from settings.ini.

The fresh environment gets rudra_ml from the wheel only (`--no-deps`); its dependencies (torch, ...) come from
this project's environment through a `.pth` file that lists their site-packages folders. A plain path line in a
`.pth` file is not processed for further `.pth` files, so the project's editable-install finder stays out, and
the test checks that `rudra_ml` is imported from the fresh environment's site-packages."""
import json, os, runpy, shutil, subprocess, sys, tempfile, textwrap
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
MODELS = ('default_predictor', 'cascade_classifier', 'state_forecaster', 'intervention_policy', 'contagion_model')

def _run(cmd, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout

def _source_tree(dest:Path)->Path:
    "A copy of the repository's files (tracked, and new ones git does not ignore): no stale build/ folder, no .venv."
    files = _run(['git', 'ls-files', '-co', '--exclude-standard', '-z'], cwd=ROOT).split('\0')
    for f in filter(None, files):
        src = ROOT/f
        if src.is_file():
            (dest/f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest/f)
    return dest

def _dependency_paths()->list[str]:
    "This environment's site-packages folders, minus any that holds a rudra_ml package folder."
    return [p for p in dict.fromkeys(sys.path) if p.endswith(('site-packages', 'dist-packages'))
            and Path(p).is_dir() and not (Path(p)/'rudra_ml').exists()]

@pytest.fixture(scope='module')
def fresh():
    "Build the wheel, install it into a fresh venv (no deps; deps through a .pth), yield (python, work dir, env)."
    tmp = Path(tempfile.mkdtemp(prefix='rudra_wheel_'))
    try:
        src = _source_tree(tmp/'src')
        _run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', tmp/'dist', src])
        wheel, = (tmp/'dist').glob('rudra_ml-*.whl')
        # an unrelated settings.ini and ml_models/ above the environment must not be taken for the project
        (tmp/'settings.ini').write_text('[DEFAULT]\nlib_name = rudra_ml\n')
        _run([sys.executable, '-m', 'venv', '--without-pip', tmp/'venv'])
        py = tmp/'venv'/'bin'/'python'
        clean = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'PYTHONHOME')}   # else pip may see the checkout's rudra_ml as installed
        _run([sys.executable, '-m', 'pip', '--python', py, 'install', '--no-deps', '-q', wheel], env=clean)
        purelib = Path(_run([py, '-c', "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
        (purelib/'_rudra_ml_test_deps.pth').write_text('\n'.join(_dependency_paths()) + '\n')
        work = tmp/'work'; work.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith('RUDRA_ML_') and k not in ('PYTHONPATH', 'PYTHONHOME')}
        env.update(MPLBACKEND='Agg', PYTHONNOUSERSITE='1')
        yield py, work, env, purelib
    finally: shutil.rmtree(tmp, ignore_errors=True)

def _check(fresh, code:str, **extra_env)->dict:
    "Run `code` (which prints one JSON object last) with the fresh environment's python in the work folder."
    py, work, env, _ = fresh
    out = _run([py, '-c', textwrap.dedent(code)], cwd=work, env={**env, **extra_env})
    return json.loads(out.strip().splitlines()[-1])

@pytest.mark.slow
def test_wheel_ships_checkpoints_and_eba(fresh):
    _, work, _, purelib = fresh
    r = _check(fresh, '''
        import json, torch, rudra_ml
        from rudra_ml.config import CHECKOUT, PROJECT_ROOT, ml_config, checkpoint_path, shipped_path, SHIPPED_MODELS
        from rudra_ml.engine.network import eba_network, eba_path
        ckpt = {m: str(checkpoint_path(m)) for m in SHIPPED_MODELS}
        loaded = {m: sorted(torch.load(p, map_location='cpu', weights_only=True)) for m, p in ckpt.items()}
        cards = {m: shipped_path('ml_models', m, 'model_card.json').is_file() for m in SHIPPED_MODELS}
        print(json.dumps(dict(file=rudra_ml.__file__, checkout=CHECKOUT and str(CHECKOUT), root=str(PROJECT_ROOT),
                              models_path=str(ml_config.ML_MODELS_PATH), ckpt=ckpt, loaded=loaded, cards=cards,
                              eba=str(eba_path()), banks=eba_network().number_of_nodes())))
    ''')
    assert Path(r['file']).is_relative_to(purelib), r['file']           # the wheel's copy, not the checkout
    assert r['checkout'] is None and Path(r['root']) == work           # no project folder mistaken for ours
    assert Path(r['models_path']) == work/'ml_models'                  # training writes to the working directory's ml_models
    shipped = purelib/'rudra_ml'/'_shipped'
    assert set(r['ckpt']) == set(MODELS)
    for m, p in r['ckpt'].items():
        assert Path(p) == shipped/'ml_models'/m/'best_model.pt' and Path(p).is_file()
        assert r['loaded'][m], f"{m}: empty checkpoint"
        assert r['cards'][m], f"{m}: model card missing"
    assert Path(r['eba']) == shipped/'eba_2018'/'EBA_2018.csv'
    assert r['banks'] == 48

@pytest.mark.slow
def test_wheel_trained_models_path_wins(fresh, tmp_path):
    "RUDRA_ML_MODELS_PATH is where training writes; a checkpoint there is read before the shipped one."
    trained = tmp_path/'models'; (trained/'cascade_classifier').mkdir(parents=True)
    (trained/'cascade_classifier'/'best_model.pt').write_bytes(b'')
    r = _check(fresh, '''
        import json
        from rudra_ml.config import ml_config, checkpoint_path
        print(json.dumps(dict(models_path=str(ml_config.ML_MODELS_PATH), cascade=str(checkpoint_path('cascade_classifier')),
                              default=str(checkpoint_path('default_predictor')))))
    ''', RUDRA_ML_MODELS_PATH=str(trained))
    assert Path(r['models_path']) == trained
    assert Path(r['cascade']) == trained/'cascade_classifier'/'best_model.pt'
    assert '_shipped' in Path(r['default']).parts

@pytest.mark.slow
def test_wheel_default_predictor_available(fresh):
    "The spec's `DefaultPredictor()` works from an installed wheel in any working directory."
    r = _check(fresh, '''
        import json
        from rudra_ml.inference.predictor import DefaultPredictor
        p = DefaultPredictor()
        print(json.dumps(dict(available=p.is_available, error=str(p.load_error), path=str(p.model_path))))
    ''')
    assert r['available'] is True, r

def test_requirements_txt_is_generated():
    "requirements.txt is exactly what scripts/requirements.py writes from settings.ini (rerun it after editing settings.ini)."
    render = runpy.run_path(str(ROOT/'scripts'/'requirements.py'))['render']
    assert (ROOT/'requirements.txt').read_text() == render(ROOT)
