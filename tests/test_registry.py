"The model registry across processes and with damaged artefacts: what does not fit nbs/registry/00_model_manager.ipynb."
import json, os, shutil, subprocess, sys, textwrap, time
from pathlib import Path

import pytest

from rudra_ml.checkpoint import CheckpointError
from rudra_ml.config import shipped_path

ROOT = Path(__file__).resolve().parent.parent
N_PROCS, PER_PROC = 2, 4

WORKER = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    from rudra_ml.registry.model_manager import ModelRegistry
    uri, ckpt, go, tag, n = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    while not go.exists(): time.sleep(0.01)          # start together, imports done: both meet the fresh store
    reg = ModelRegistry(tracking_uri=uri)
    for i in range(n):
        mv = reg.register_model('default_predictor', ckpt, {'val_auc': 0.9}, version=f'{tag}-{i}')
        print(mv.version, flush=True)
''')


@pytest.fixture
def ckpt(tmp_path):
    "A copy of the shipped default-predictor folder (checkpoint and model card)."
    dst = tmp_path/'models'/'default_predictor'
    shutil.copytree(shipped_path('ml_models', 'default_predictor'), dst)
    return dst/'best_model.pt'


def test_concurrent_registration_on_a_fresh_store(tmp_path, ckpt):
    "Two processes create the store and register at once: versions 1..N, none lost or duplicated, one history entry each."
    uri, go = f"sqlite:///{tmp_path/'store'/'mlflow.db'}", tmp_path/'go'
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get('PYTHONPATH', ''))
    procs = [subprocess.Popen([sys.executable, '-c', WORKER, uri, str(ckpt), str(go), f'p{k}', str(PER_PROC)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for k in range(N_PROCS)]
    time.sleep(4)  # let both finish importing mlflow and torch
    go.touch()
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (out, err) in zip(procs, outs): assert p.returncode == 0, err[-2000:]
    got = sorted(int(v) for out, _ in outs for v in out.split())
    assert got == list(range(1, N_PROCS*PER_PROC + 1))

    from rudra_ml.registry.model_manager import ModelRegistry
    reg = ModelRegistry(tracking_uri=uri)
    infos = reg.list_models()['default_predictor']
    assert [i.version for i in infos] == got
    assert sorted(i.tags['version'] for i in infos) == sorted(f'p{k}-{i}' for k in range(N_PROCS) for i in range(PER_PROC))
    assert len({i.run_id for i in infos}) == len(infos)
    h = reg.history('default_predictor')
    assert [e['seq'] for e in h] == list(range(1, len(got) + 1))
    assert sorted(e['to'] for e in h if e['action'] == 'register') == got


def test_corrupt_artefact_is_a_checkpoint_error(tmp_path, ckpt):
    "A production artefact damaged in the store: `production_path` raises CheckpointError; after a rollback to 0, None."
    from rudra_ml.registry.model_manager import ModelRegistry
    reg = ModelRegistry(tracking_uri=f"sqlite:///{tmp_path/'store'/'mlflow.db'}", cache_dir=tmp_path/'cache')
    mv = reg.register_model('default_predictor', ckpt, {'val_auc': 0.9}, stage='production')
    art = Path(reg.client.get_run(mv.run_id).info.artifact_uri.removeprefix('file://'))/'model'/'best_model.pt'
    assert art.is_file() and art.read_bytes() == ckpt.read_bytes()
    art.write_bytes(art.read_bytes()[:1000])                      # truncated in the store
    with pytest.raises(CheckpointError, match='is corrupt'): reg.production_path('default_predictor')
    assert not any((tmp_path/'cache').rglob('best_model.pt'))     # nothing damaged left in the cache
    art.unlink()                                                  # gone from the store
    with pytest.raises(CheckpointError, match='cannot download the checkpoint of default_predictor version 1'):
        reg.production_path('default_predictor')
    reg.rollback_model('default_predictor', target_version='0')
    assert reg.production_path('default_predictor') is None


def test_corrupt_checkpoint_with_matching_hash(tmp_path, ckpt):
    "A file that was never a checkpoint cannot be registered, so a hash match alone never serves junk: the load check runs too."
    from rudra_ml.registry.model_manager import ModelRegistry
    reg = ModelRegistry(tracking_uri=f"sqlite:///{tmp_path/'store'/'mlflow.db'}", cache_dir=tmp_path/'cache')
    mv = reg.register_model('default_predictor', ckpt, {'val_auc': 0.9}, stage='production')
    art = Path(reg.client.get_run(mv.run_id).info.artifact_uri.removeprefix('file://'))/'model'/'best_model.pt'
    art.write_bytes(b'junk')
    reg.client.set_model_version_tag('default_predictor', '1', 'sha256', __import__('hashlib').sha256(b'junk').hexdigest())
    with pytest.raises(CheckpointError, match='cannot read checkpoint'): reg.production_path('default_predictor')
