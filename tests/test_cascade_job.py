"The cascade-classifier training job, run end to end with tiny parameters into a temporary folder."
import json
import papermill as pm
import pytest
from rudra_ml.checkpoint import ARTIFACTS, RESULT_KEYS


@pytest.mark.slow
def test_train_cascade_classifier_job(tmp_path, root):
    shipped = root/'ml_models'/'cascade_classifier'/ARTIFACTS['checkpoint']
    before = shipped.stat().st_mtime_ns if shipped.exists() else None
    out = tmp_path/'cascade_classifier'
    store = f"sqlite:///{tmp_path/'registry'/'mlflow.db'}"
    pm.execute_notebook(str(root/'nbs'/'jobs'/'train_cascade_classifier.ipynb'), str(tmp_path/'train_cascade_classifier.ipynb'),
                        cwd=str(root), kernel_name='python3', progress_bar=False,
                        parameters=dict(tracking_uri=store, num_simulations=16, scenarios_per_network=6, epochs=2, n_jobs=1, hidden_channels=16,
                                        save_dir=str(out)))
    for name in (*(ARTIFACTS[k] for k in ('checkpoint', 'card', 'card_md', 'results', 'curves')),
                 'confusion_matrix.png', 'reliability.png', 'run.json'):
        assert (out/name).exists(), name
    res = json.loads((out/ARTIFACTS['results']).read_text())
    assert set(RESULT_KEYS) <= set(res) and {'data_s', 'train_s', 'search_s', 'eval_s'} <= set(res['timings'])
    assert res['epochs_run'] <= 2 and res['temperature'] > 0 and 0 <= res['metrics']['test_macro_f1'] <= 1
    assert res['checkpoint'] == str(out/ARTIFACTS['checkpoint'])
    assert (out/ARTIFACTS['checkpoint']).stat().st_size < 1_000_000
    from rudra_ml.models.cascade_classifier import load_cascade_classifier
    model, meta = load_cascade_classifier(out/ARTIFACTS['checkpoint'])
    assert model.hidden_channels == 16 and meta['classes'] == ['no_cascade', 'local_cascade', 'systemic_cascade']
    # the shipped checkpoint is untouched
    assert (shipped.stat().st_mtime_ns if shipped.exists() else None) == before
    # the job is one tracked MLflow run and a new registered version, not promoted
    from rudra_ml.registry.model_manager import ModelRegistry
    run = json.loads((out/'run.json').read_text())
    reg = ModelRegistry(store)
    assert run['version'] == 1 and reg.get_version('cascade_classifier', 1).run_id == run['run_id'] and reg.aliases('cascade_classifier') == {}
    r = reg.client.get_run(run['run_id'])
    assert r.info.status == 'FINISHED' and r.data.params['seed'] and any(k.startswith('val_') for k in r.data.metrics)
    assert 'test_macro_f1' in r.data.metrics and r.data.params['num_simulations'] == '16'
    logged = {f.path for f in reg.client.list_artifacts(run['run_id'], 'job')}   # the plots are part of the run
    assert {'job/confusion_matrix.png', 'job/reliability.png', 'job/training.png'} <= logged, logged
