"The serving home (`rudra_ml.inference.serving`): models read checkpoint files and never the registry; one fallback rule, the engine's too; one loader for every model."
import ast
from pathlib import Path

import numpy as np

PKG = Path(__file__).resolve().parents[1]/'rudra_ml'


def test_models_do_not_import_the_registry():
    "Where a model is served is the serving home's business, not the model's."
    for f in sorted((PKG/'models').glob('*.py')):
        tree = ast.parse(f.read_text())
        mods = {n.module or '' for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
               {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not any('registry' in m for m in mods), f'{f.name} imports the registry: {sorted(mods)}'


def test_the_engine_applies_use_prediction():
    "The engine's phase-2 decision is `use_prediction` with its threshold and the defaulted institutions."
    from rudra_ml.engine.network import generate_network
    from rudra_ml.engine.simulation import SimulationEngine
    from rudra_ml.inference.fallback import use_prediction
    n, conf = 20, np.linspace(0, 1, 20)
    class Fixed:   # a PDPredictor: 0.3 everywhere, the confidence rising along the rows
        def predict_system(self, state): return np.full(len(state.ids), 0.3), conf
    e = SimulationEngine(generate_network('erdos_renyi', n=n, seed=1), max_timesteps=2, enable_ml=True, ml_predictor=Fixed(),
                         confidence_threshold=0.5, seed=0)
    st = e.run_simulation(shock=0.05, record_states=True).states[-1]
    dead = np.zeros(n, bool); dead[:3] = dead[-2] = True
    est, used = e._update_ml_predictions(st, dead)
    v = use_prediction(np.full(n, 0.3), conf, st.default_probability, 0.5, dead)
    assert (used == v.used).all() and (est == v.estimate).all()
    assert not used[dead].any() and used[~dead & (conf >= 0.5)].all()


def test_load_model_serves_every_model(tmp_path):
    "With an empty registry each model is its shipped checkpoint, version 0."
    from rudra_ml.inference.loading import load_model
    uri = f"sqlite:///{tmp_path/'mlflow.db'}"
    p = load_model('default_predictor', tracking_uri=uri)
    gnn, meta = load_model('cascade_classifier', tracking_uri=uri)
    ews = load_model('state_forecaster', tracking_uri=uri, device='cpu')
    assert p.is_available and p.served.version == 0 and meta['model_version'] == 0 and ews.meta['model_version'] == 0
    assert type(gnn).__name__ == 'CascadeClassifierGNN' and type(ews).__name__ == 'EarlyWarningSystem'
