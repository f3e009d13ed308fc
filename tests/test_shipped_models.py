"The shipped models of the registry share one set of artefacts and one result schema (issue: the house)."
import json
from pathlib import Path

import pytest

from rudra_ml.checkpoint import ARTIFACTS, RESULT_KEYS, check_results, load_checkpoint
from rudra_ml.config import SHIPPED_MODELS, shipped_path
from rudra_ml.models.cascade_classifier import CascadeClassifierGNN
from rudra_ml.models.default_predictor import DefaultPredictorModel
from rudra_ml.models.state_forecaster import StateForecastLSTM
from rudra_ml.interventions.policy import PolicyNet
from rudra_ml.models.contagion_model import ContagionModel

MODEL_CLS = {'default_predictor': DefaultPredictorModel, 'cascade_classifier': CascadeClassifierGNN,
             'state_forecaster': StateForecastLSTM, 'intervention_policy': PolicyNet, 'contagion_model': ContagionModel}


@pytest.mark.parametrize('model', SHIPPED_MODELS)
def test_shipped_artefacts(model):
    folder = shipped_path('ml_models', model)
    missing = [name for name in ARTIFACTS.values() if not (folder/name).exists()]
    assert not missing, f"{model}: missing {missing} in {folder}"
    res = check_results(json.loads((folder/ARTIFACTS['results']).read_text()))
    assert res['metrics'] and all(k.startswith(('val_', 'test_')) for k in res['metrics']), res['metrics']
    assert Path(res['checkpoint']).name == ARTIFACTS['checkpoint']
    net, meta = load_checkpoint(folder/ARTIFACTS['checkpoint'], MODEL_CLS[model])
    assert isinstance(net, MODEL_CLS[model])
    card = json.loads((folder/ARTIFACTS['card']).read_text())
    shared = set(res['metrics']) & set(card['metrics'])   # the card and results.json describe the same run
    assert shared, model
    for k in shared: assert card['metrics'][k] == pytest.approx(res['metrics'][k]), (model, k)


def test_one_schema():
    "results.json of the registry's models: the schema's keys, a flat `metrics` of numbers, `timings` in seconds."
    for m in SHIPPED_MODELS:
        res = json.loads((shipped_path('ml_models', m)/ARTIFACTS['results']).read_text())
        assert set(RESULT_KEYS) <= set(res), (m, set(res))
        assert all(isinstance(v, (int, float)) or v is None for v in res['metrics'].values()), m
        assert res['timings'] and all(isinstance(v, (int, float)) and v >= 0 for v in res['timings'].values()), m
