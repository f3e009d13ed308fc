"Shared fixtures of the pytest suite: the project root and the virtual environment's tools."
import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

@pytest.fixture(scope='session')
def root(): return ROOT

@pytest.fixture(scope='session')
def bin_dir(): return Path(sys.executable).parent

@pytest.fixture
def env(tmp_path):
    "The environment of a command under test: its model registry, runs and Celery folders in the test's own folder."
    return dict(os.environ, MPLBACKEND='Agg', RUDRA_ML_MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path/'registry'/'mlflow.db'}",
                RUDRA_ML_CELERY_DATA_PATH=str(tmp_path/'celery'),
                RUDRA_ML_OPTUNA_STORAGE=f"sqlite:///{tmp_path/'optuna.db'}")
