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
def env():
    e = dict(os.environ, MPLBACKEND='Agg')
    return e
