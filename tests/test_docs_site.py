"The docs site, offline: `rudra-ml docs` renders every notebook; headless Chromium opens every page; no page without a title, no broken link, no missing image, every saved plot shown."
import json, os, re, socket, subprocess, sys, time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from test_docs_page import chromium

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT/'bench'/'docs'

class Page(HTMLParser):
    "A page's title, element ids and every `href`/`src`, by tag."
    def __init__(self, text):
        super().__init__(); self.title, self.ids, self.refs, self._in_title = '', set(), [], False
        self.feed(text)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a: self.ids.add(a['id'])
        self._in_title |= tag == 'title'
        self.refs += [(tag, k, a[k]) for k in ('href', 'src') if a.get(k) is not None]
    def handle_endtag(self, tag): self._in_title &= tag != 'title'
    def handle_data(self, d):
        if self._in_title: self.title += d

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('site')/'_site'
    t = time.perf_counter()
    r = subprocess.run([sys.executable, '-c', 'import sys; from rudra_ml.cli import main; main(sys.argv[1:])', 'docs', '--out', str(out)], cwd=ROOT, capture_output=True, text=True, timeout=900,
                       env={**os.environ, 'MPLBACKEND': 'Agg'})
    assert r.returncode == 0, r.stderr[-3000:]
    return out, time.perf_counter() - t

@pytest.fixture(scope='module')
def pages(site):
    out, _ = site
    return {p.relative_to(out).as_posix(): Page(p.read_text()) for p in sorted(out.rglob('*.html'))}

@pytest.fixture(scope='module')
def server(site):
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    p = subprocess.Popen([sys.executable, '-m', 'http.server', str(port), '--bind', '127.0.0.1', '--directory', str(site[0])],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try: socket.create_connection(('127.0.0.1', port), timeout=0.2).close(); break
        except OSError: time.sleep(0.05)
    yield f'http://127.0.0.1:{port}'
    p.terminate(); p.wait(10)

def notebooks():
    "Every notebook the site renders: all of them under nbs/, found, not listed."
    return [p for p in sorted((ROOT/'nbs').rglob('*.ipynb')) if not any(s.startswith(('.', '_')) for s in p.relative_to(ROOT/'nbs').parts)]

@pytest.mark.slow
def test_every_notebook_has_a_titled_page(site, pages):
    assert len(pages) == len(notebooks()), (len(pages), len(notebooks()))
    assert not [p for p, h in pages.items() if not h.title.strip()]

@pytest.mark.slow
def test_no_broken_link_no_missing_image_no_remote_asset(site, pages):
    out, _ = site
    broken, remote = [], []
    for name, h in pages.items():
        for tag, attr, ref in h.refs:
            if ref.startswith(('data:', 'mailto:')): continue
            if re.match(r'^[a-z]+://', ref):
                if tag != 'a': remote.append((name, ref))   # a script, stylesheet or image from the network: not offline
                continue
            target, _, anchor = ref.partition('#')
            dest = ((out/name).parent/target).resolve() if target else (out/name)
            rel = dest.relative_to(out.resolve()).as_posix() if dest.is_relative_to(out.resolve()) else None
            if not dest.is_file(): broken.append((name, ref))
            elif anchor and tag == 'a' and rel in pages and anchor not in pages[rel].ids and not anchor.startswith('_'): broken.append((name, ref))
    assert not broken, broken[:20]
    assert not remote, remote[:20]

@pytest.mark.slow
def test_every_saved_plot_is_shown(pages):
    from rudra_ml.docs import front_matter
    with_plots = []
    for nb_path in notebooks():
        nb = json.loads(nb_path.read_text())
        if any('image/png' in o.get('data', {}) for c in nb['cells'] for o in c.get('outputs', [])): with_plots.append(nb_path)
    assert with_plots, 'the tutorials keep their plots'
    for nb_path in with_plots:
        rel = nb_path.relative_to(ROOT/'nbs')
        page = next(p for p in pages if Path(p).parent == rel.parent and Path(p).stem == re.sub(r'^\d+_', '', rel.stem))
        assert any(t == 'img' and r.startswith('data:image/png') for t, _, r in pages[page].refs), page

@pytest.mark.slow
def test_chromium_renders_every_page(server, pages):
    browser = chromium()
    for name in pages:
        r = subprocess.run([browser, '--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', f'{server}/{name}'],
                           capture_output=True, text=True, timeout=60)
        dom = r.stdout
        assert '<nav class="sidebar">' in dom and '<h1 class="title">' in dom, (name, r.stderr[-1000:])
        assert f'<title>{pages[name].title}' in dom.replace('&amp;', '&') or pages[name].title in dom, name
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, shot in (('index.html', 'index.png'), ('tutorials/eba_contagion.html', 'tutorial_eba_contagion.png')):
        (SHOTS/shot).unlink(missing_ok=True)
        subprocess.run([browser, '--headless', '--no-sandbox', '--disable-gpu', f'--screenshot={SHOTS/shot}', '--window-size=1280,1600',
                        f'{server}/{name}'], capture_output=True, timeout=60)
        assert (SHOTS/shot).stat().st_size > 10_000, shot

@pytest.mark.slow
def test_no_raw_markdown_link_in_a_signature(site, pages):
    "nbdev's doclinks put `[`name`](url)` into show_doc's signature code blocks; the site shows them as links, never as raw text."
    import html as _html
    out, _ = site
    raw = []
    for name in pages:
        for block in re.findall(r'<pre><code[^>]*>(.*?)</code></pre>', (out/name).read_text(), re.S):
            text = _html.unescape(re.sub(r'<[^>]+>', '', block))
            raw += [(name, m) for m in re.findall(r'\[[^\]\n]+\]\([^)\s]+\)', text)]
    assert not raw, raw[:20]
