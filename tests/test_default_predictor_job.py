"The default predictor's training job, run end to end through papermill with a tiny budget."
import json
import papermill as pm
import torch

def test_train_default_predictor_job(tmp_path, root, monkeypatch):
    monkeypatch.setenv('RUDRA_ML_LOG_PATH', str(tmp_path/'train.log'))
    save = tmp_path/'default_predictor'
    store = f"sqlite:///{tmp_path/'registry'/'mlflow.db'}"
    pm.execute_notebook(str(root/'nbs'/'jobs'/'train_default_predictor.ipynb'), str(tmp_path/'job.ipynb'), cwd=str(root),
                        kernel_name='python3', progress_bar=False,
                        parameters=dict(tracking_uri=store, num_simulations=8, epochs=3, seed=1, save_dir=str(save), n_jobs=1, progress=False))
    for f in ('best_model.pt', 'model_card.json', 'MODEL_CARD.md', 'results.json', 'training.png', 'test_curves.png'):
        assert (save/f).exists(), f
    meta = torch.load(save/'best_model.pt', weights_only=True)
    assert len(meta['feature_names']) == 20 and meta['temperature'] > 0
    card = json.loads((save/'model_card.json').read_text())
    assert 'test_ece' in card['metrics'] and not any(k.startswith('val_') for k in card['metrics'])   # test figures only
    protocol = json.loads((save/'results.json').read_text())['protocol']
    assert set(protocol) == {'all', 'undecided'} and all('metrics' in r or 'absent' in r for r in protocol.values())
    assert (tmp_path/'train.log').exists()
    # the job is one tracked MLflow run and a new registered version, not promoted
    from rudra_ml.registry.model_manager import ModelRegistry
    run = json.loads((save/'run.json').read_text())
    reg = ModelRegistry(store)
    assert run['version'] == 1 and reg.get_version('default_predictor', 1).run_id == run['run_id'] and reg.aliases('default_predictor') == {}
    r = reg.client.get_run(run['run_id'])
    assert r.info.status == 'FINISHED' and r.data.params['seed'] and any(k.startswith('val_') for k in r.data.metrics)
