"The state-forecaster training job (papermill), run end to end with tiny parameters into a temporary folder."
import hashlib, json
import papermill as pm
import pytest
from rudra_ml.checkpoint import ARTIFACTS

def _digest(p): return hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None

@pytest.mark.slow
def test_train_state_forecaster_job(tmp_path, root):
    shipped = root/'ml_models'/'state_forecaster'/'best_model.pt'
    before = _digest(shipped)
    out = tmp_path/'sf'
    store = f"sqlite:///{tmp_path/'registry'/'mlflow.db'}"
    pm.execute_notebook(str(root/'nbs'/'jobs'/'train_state_forecaster.ipynb'), str(tmp_path/'job.ipynb'), cwd=str(root),
                        kernel_name='python3', progress_bar=False,
                        parameters=dict(tracking_uri=store, num_simulations=14, epochs=1, samples_per_epoch=256, hidden_dim=8, steps=40,
                                        seed=0, save_dir=str(out), threads=1, progress=False))
    for f in (*ARTIFACTS.values(), 'test_errors.png', 'forecasts.png', 'run.json'):
        assert (out/f).exists(), f
    s = json.loads((out/'results.json').read_text())
    assert s['metrics']['test_rmse'] > 0 and s['timings']['train_s'] > 0 and set(s) >= {'metrics', 'checkpoint', 'timings', 'data'}
    from rudra_ml.models.state_forecaster import EarlyWarningSystem
    ews = EarlyWarningSystem.from_checkpoint(out/'best_model.pt', device='cpu')
    assert ews.calibrated and ews.model.hidden_dim == 8
    assert _digest(shipped) == before  # the shipped checkpoint is never touched by tests
    # the job is one tracked MLflow run and a new registered version, not promoted
    from rudra_ml.registry.model_manager import ModelRegistry
    run = json.loads((out/'run.json').read_text())
    reg = ModelRegistry(store)
    assert run['version'] == 1 and reg.get_version('state_forecaster', 1).run_id == run['run_id'] and reg.aliases('state_forecaster') == {}
    r = reg.client.get_run(run['run_id'])
    assert r.info.status == 'FINISHED' and r.data.params['seed'] and any(k.startswith('val_') for k in r.data.metrics)
