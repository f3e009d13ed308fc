"The package's layer graph: a module imports only from its own layer or the layers below it (DESIGN.md, Layers)."
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1]/'rudra_ml'
# bottom to top; a module of layer k may import layers 0..k
# registry sits just above the base: the models and the predictor load their production version from it
LAYERS = [('config', 'checks', 'checkpoint', 'calibration', '_modidx', ''), ('registry',), ('engine',), ('features',),
          ('data',), ('models',), ('training',), ('inference',), ('explain',), ('tasks',), ('api',), ('docs',), ('cli',)]
RANK = {name: k for k, names in enumerate(LAYERS) for name in names}
# the one import that points up: the spec's `SimulationEngine(enable_ml=True)` loads the default predictor
ALLOWED_UP = {('rudra_ml.engine.simulation', 'rudra_ml.inference.predictor')}


def module_name(path:Path)->str:
    parts = path.relative_to(PKG.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def imports(path:Path)->set:
    "Every rudra_ml module `path` imports, at any depth (function-level imports included), as absolute names."
    mod, out = module_name(path), set()
    pkg = mod if path.name == '__init__.py' else mod.rpartition('.')[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import): names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = pkg.split('.')[:len(pkg.split('.')) - node.level + 1]
                base = '.'.join(anchor + ([base] if base else []))
            names = [base] + [f'{base}.{a.name}' for a in node.names]
        else: continue
        out |= {n for n in names if n == 'rudra_ml' or n.startswith('rudra_ml.')}
    return out


def layer(name:str)->int:
    "Rank of a module name; a name that is an attribute of a module (from x import f) takes its module's rank."
    parts = name.split('.')
    top = parts[1] if len(parts) > 1 else ''
    if top not in RANK: top = ''   # `from rudra_ml import __version__`
    return RANK[top]


def edges():
    for path in sorted(PKG.rglob('*.py')):
        src = module_name(path)
        for dst in imports(path):
            if (PKG/Path(*dst.split('.')[1:])).with_suffix('.py').exists() or (PKG/Path(*dst.split('.')[1:])).is_dir() or dst == 'rudra_ml':
                yield src, dst


def test_every_top_folder_has_a_layer():
    folders = {p.name for p in PKG.iterdir() if p.is_dir() and not p.name.startswith('_')}
    modules = {p.stem for p in PKG.glob('*.py')}
    assert folders | modules <= set(RANK) | {'__init__'}, (folders | modules) - set(RANK)


def test_no_import_points_up():
    up = [(s, d) for s, d in edges() if layer(d) > layer(s) and (s, d) not in ALLOWED_UP]
    assert not up, 'imports from a layer above:\n' + '\n'.join(f'  {s} -> {d}' for s, d in up)


def test_the_one_exception_is_still_needed():
    "engine.simulation -> inference.predictor is the only upward import, and it exists (else drop it from ALLOWED_UP)."
    found = {(s, d) for s, d in edges() if layer(d) > layer(s)}
    assert found == ALLOWED_UP


def test_the_walker_sees_relative_and_nested_imports(tmp_path):
    f = PKG/'engine'/'simulation.py'
    assert 'rudra_ml.inference.predictor' in imports(f)   # imported inside a function
    assert any(d.startswith('rudra_ml.engine.network') for d in imports(f))
