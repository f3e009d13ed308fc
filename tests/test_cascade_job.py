"The cascade-classifier training job, run end to end with tiny parameters into a temporary folder."
import json
import papermill as pm


def test_train_cascade_classifier_job(tmp_path, root):
    shipped = root/'ml_models'/'cascade_classifier'/'best_model.pt'
    before = shipped.stat().st_mtime_ns if shipped.exists() else None
    out = tmp_path/'cascade_classifier'
    pm.execute_notebook(str(root/'nbs'/'jobs'/'train_cascade_classifier.ipynb'), str(tmp_path/'train_cascade_classifier.ipynb'),
                        cwd=str(root), kernel_name='python3', progress_bar=False,
                        parameters=dict(num_networks=16, scenarios_per_network=6, epochs=2, n_jobs=1, hidden_channels=16,
                                        save_dir=str(out)))
    for name in ('best_model.pt', 'MODEL_CARD.md', 'model_card.json', 'training_results.json',
                 'confusion_matrix.png', 'reliability.png', 'learning_curves.png'):
        assert (out/name).exists(), name
    summary = json.loads((out/'training_results.json').read_text())
    assert summary['epochs_run'] <= 2 and summary['temperature'] > 0 and 0 <= summary['test_macro_f1'] <= 1
    assert (out/'best_model.pt').stat().st_size < 1_000_000
    from rudra_ml.models.cascade_classifier import load_cascade_classifier
    model, meta = load_cascade_classifier(out/'best_model.pt')
    assert model.hidden_channels == 16 and meta['classes'] == ['no_cascade', 'local_cascade', 'systemic_cascade']
    # the shipped checkpoint is untouched
    assert (shipped.stat().st_mtime_ns if shipped.exists() else None) == before
