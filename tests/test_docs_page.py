"The OpenAPI page in a real browser: headless Chromium renders `/docs` from the service's own Swagger UI files (no CDN)."
import os, re, shutil, subprocess

import pytest

from test_api import Server, environment

SPEC_ROUTES = ('/api/v1/ml/predict', '/api/v1/ml/predict/batch', '/api/v1/ml/train', '/api/v1/ml/registry/models',
               '/api/v1/ml/registry/promote')

def chromium()->str:
    "Chromium's binary; Debian's `chromium` is installed (about 480 MB) when it is missing."
    found = next((shutil.which(n) for n in ('chromium', 'chromium-browser', 'chromium-headless-shell') if shutil.which(n)), None)
    if found: return found
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    subprocess.run(['apt-get', 'update'], check=True, capture_output=True, timeout=900, env=env)
    subprocess.run(['apt-get', 'install', '-y', '--no-install-recommends', 'chromium'], check=True, capture_output=True, timeout=1800, env=env)
    return shutil.which('chromium')

@pytest.fixture(scope='module')
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp('docs'), environment(tmp_path_factory.mktemp('docs_env'), None)).wait()
    yield s
    s.stop()

@pytest.mark.slow
def test_docs_page_renders_the_spec_routes(server):
    browser = chromium()
    r = subprocess.run([browser, '--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=20000',
                        '--dump-dom', f'{server.url}/docs'], capture_output=True, text=True, timeout=120)
    dom = r.stdout
    paths = set(re.findall(r'data-path="([^"]+)"', dom))   # one per operation Swagger UI rendered
    assert 'Unable to render this definition' not in dom, dom[:2000]
    assert set(SPEC_ROUTES) <= paths, (sorted(paths), r.stderr[-2000:])
