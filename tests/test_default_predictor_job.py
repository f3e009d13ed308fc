"The default predictor's training job, run end to end through papermill with a tiny budget."
import json
import papermill as pm
import torch

def test_train_default_predictor_job(tmp_path, root, monkeypatch):
    monkeypatch.setenv('RUDRA_ML_LOG_PATH', str(tmp_path/'train.log'))
    save = tmp_path/'default_predictor'
    pm.execute_notebook(str(root/'nbs'/'jobs'/'train_default_predictor.ipynb'), str(tmp_path/'job.ipynb'), cwd=str(root),
                        kernel_name='python3', progress_bar=False,
                        parameters=dict(num_simulations=6, epochs=3, seed=1, save_dir=str(save), n_jobs=1, progress=False))
    for f in ('best_model.pt', 'model_card.json', 'MODEL_CARD.md', 'training.png'):
        assert (save/f).exists(), f
    meta = torch.load(save/'best_model.pt', weights_only=True)
    assert len(meta['feature_names']) == 20 and meta['temperature'] > 0
    card = json.loads((save/'model_card.json').read_text())
    assert 'val_auc' in card['metrics']
    assert (tmp_path/'train.log').exists()
