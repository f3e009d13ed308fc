"""The package's import graph (DESIGN.md, Layers): a module imports only from its own layer or the layers below it,
and no import closes a circle.

The graph holds EVERY import between the package's modules, wherever it is written: `import` / `from ... import`
statements at module level or inside functions (relative ones resolved), and loads by literal name,
`importlib.import_module('rudra_ml.x')`, `import_module('rudra_ml.x')` and `__import__('rudra_ml.x')`.
A load whose name is computed at run time (a variable) cannot be seen; give it a literal where you can.
Imports under `if TYPE_CHECKING:` count too, on purpose: a circle through type annotations is still two modules that
cannot be read one without the other. Name what a function reads as a `Protocol` instead (`features.extractor.StepArrays`)."""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1]/'rudra_ml'
# bottom to top; a module of layer k may import layers 0..k
# registry sits just above the base: the models and the predictor load their production version from it
LAYERS = [('config', 'checks', 'checkpoint', 'calibration', 'evaluation', '_modidx', ''), ('registry',), ('engine',), ('features',),
          ('data',), ('models',), ('training',), ('inference',), ('monitoring',), ('explain',), ('science',), ('interventions',), ('tasks',), ('api',), ('docs',), ('cli',)]
RANK = {name: k for k, names in enumerate(LAYERS) for name in names}
# The imports allowed to point up, as (importer, imported) module names: edit this set when one moves.
# Today one: the spec's `SimulationEngine(enable_ml=True)` loads the default predictor.
ALLOWED_UP = {('rudra_ml.engine.simulation', 'rudra_ml.inference.serving'), ('rudra_ml.engine.simulation', 'rudra_ml.inference.fallback')}
LOADERS = {'import_module', '__import__'}   # calls that import the module named by their first argument


# ---- the walker: files -> names they import -> module graph -> cycles ----

def module_name(path:Path, root:Path=PKG)->str:
    "Dotted name of the module in `path` (a file under the package folder `root`)."
    parts = path.relative_to(root.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def package_of(path:Path, root:Path=PKG)->str:
    "The package a relative import in `path` starts from: the module itself for an `__init__.py`, else its parent."
    mod = module_name(path, root)
    return mod if path.name == '__init__.py' else mod.rpartition('.')[0]


def from_base(node:ast.ImportFrom, pkg:str)->str:
    "Absolute name of the module a `from ... import` reads from, its dots resolved against the package `pkg`."
    if not node.level: return node.module or ''
    anchor = pkg.split('.')[:len(pkg.split('.')) - node.level + 1]
    return '.'.join(anchor + ([node.module] if node.module else []))


def literal_load(node:ast.Call)->str|None:
    "The module name of `importlib.import_module('x')`, `import_module('x')` or `__import__('x')`; None for any other call."
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
    if name not in LOADERS or not node.args: return None
    arg = node.args[0]
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def imported_names(path:Path, root:Path=PKG)->dict:
    "`{name: [line, ...]}` of every name under the package that `path` imports, at any depth, as absolute names (`from m import f`: `m.f`)."
    top, pkg, out = root.name, package_of(path, root), {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import): names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom): names = [f'{from_base(node, pkg)}.{a.name}' for a in node.names]
        elif isinstance(node, ast.Call) and (name := literal_load(node)): names = [name]
        else: continue
        for n in names:
            if n == top or n.startswith(top + '.'): out.setdefault(n, []).append(node.lineno)
    return out


def modules(root:Path=PKG)->dict:
    "`{module name: path}` of every module of the package under `root`."
    return {module_name(p, root): p for p in sorted(root.rglob('*.py'))}


def module_of(name:str, mods)->str|None:
    "The module an imported name loads: the longest prefix of `name` that is a module (`pkg.m.f` -> `pkg.m`); None if none."
    parts = name.split('.')
    return next(('.'.join(parts[:k]) for k in range(len(parts), 0, -1) if '.'.join(parts[:k]) in mods), None)


def import_graph(root:Path=PKG)->dict:
    "`{importer: {imported: [line, ...]}}` over the package's modules (a module importing itself is left out)."
    mods, graph = modules(root), {}
    for src, path in mods.items():
        edges = graph.setdefault(src, {})
        for name, lines in imported_names(path, root).items():
            dst = module_of(name, mods)
            if dst and dst != src: edges[dst] = sorted(set(edges.get(dst, [])) | set(lines))
    return graph


def reachable(graph:dict, start:str)->set:
    "Every node a path of `graph` leads to from `start` (`start` itself only through a circle)."
    seen, todo = set(), list(graph.get(start, ()))
    while todo:
        v = todo.pop()
        if v not in seen: seen.add(v); todo.extend(graph.get(v, ()))
    return seen


def strongly_connected(graph:dict)->list:
    "Strongly connected components of `graph` with more than one node (modules that import each other, directly or not), each sorted."
    reach = {v: reachable(graph, v) for v in graph}
    comps = {tuple(sorted({v} | {w for w in reach[v] if v in reach.get(w, ())})) for v in graph}
    return sorted(c for c in comps if len(c) > 1)


def shortest_circle(graph:dict, comp:list)->list:
    "One shortest circle `[a, b, ..., a]` through the first node of the component `comp` (breadth-first inside it)."
    start, inside = comp[0], set(comp)
    prev, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v]):
                if w == start:
                    path = [v]
                    while prev[path[-1]] is not None: path.append(prev[path[-1]])
                    return path[::-1] + [start]
                if w in inside and w not in prev: prev[w] = v; nxt.append(w)
        frontier = nxt
    raise ValueError(f"{comp} is not a strongly connected component of the graph")


def cycles(graph:dict)->list:
    "One circle `[a, b, ..., a]` for every group of modules that import each other."
    return [shortest_circle(graph, c) for c in strongly_connected(graph)]


def describe(graph:dict, cycle:list, root:Path=PKG)->str:
    "A circle as its imports, one per line, with where each is written: `a -> b (pkg/a.py:12)`."
    where = {m: p.relative_to(root.parent) for m, p in modules(root).items()}
    return '\n'.join(f'  {a} -> {b} ({where[a]}:{",".join(map(str, graph[a][b]))})' for a, b in zip(cycle, cycle[1:]))


# ---- the layers ----

def layer(name:str)->int:
    "Rank of a module name in LAYERS (by its top folder or module; the package itself ranks with the base)."
    parts = name.split('.')
    return RANK[parts[1] if len(parts) > 1 else '']


def edges(root:Path=PKG):
    "Every (importer, imported) pair of the package."
    return [(s, d) for s, ds in import_graph(root).items() for d in ds]


# ---- tests of the package ----

def test_every_top_folder_has_a_layer():
    folders = {p.name for p in PKG.iterdir() if p.is_dir() and not p.name.startswith('_')}
    mods = {p.stem for p in PKG.glob('*.py')}
    assert folders | mods <= set(RANK) | {'__init__'}, (folders | mods) - set(RANK)


def test_no_import_points_up():
    up = [(s, d) for s, d in edges() if layer(d) > layer(s) and (s, d) not in ALLOWED_UP]
    assert not up, 'imports from a layer above:\n' + '\n'.join(f'  {s} -> {d}' for s, d in up)


def test_the_exceptions_are_still_needed():
    "Every import of ALLOWED_UP exists and is the only kind that points up (else drop it from ALLOWED_UP)."
    found = {(s, d) for s, d in edges() if layer(d) > layer(s)}
    assert found == ALLOWED_UP


def test_no_import_circles():
    graph = import_graph()
    found = cycles(graph)
    assert not found, 'import circles:\n' + '\n\n'.join(describe(graph, c) for c in found)


def test_the_walker_sees_relative_and_nested_imports():
    graph = import_graph()
    assert ALLOWED_UP and all(d in graph[s] for s, d in ALLOWED_UP)    # each written inside a function
    assert 'rudra_ml.engine.network' in graph['rudra_ml.engine.simulation']   # `from .network import ...`


# ---- tests of the walker, on a package written for them ----

def write_package(root:Path, files:dict)->Path:
    "A package folder `root/pkg` with `files` (`{'a.py': source}`), for the walker's tests."
    pkg = root/'pkg'
    for name, src in {'__init__.py': '', **files}.items():
        (pkg/name).parent.mkdir(parents=True, exist_ok=True)
        (pkg/name).write_text(src)
    return pkg


def test_walker_finds_circles_through_functions_and_importlib(tmp_path):
    pkg = write_package(tmp_path, {
        'a.py': 'def f():\n    from . import b\n',                            # function-level, relative
        'b.py': 'import importlib\nM = importlib.import_module("pkg.c")\n',  # by literal name
        'c.py': 'from .sub.d import g\n',
        'sub/__init__.py': '',
        'sub/d.py': 'def g():\n    return __import__("pkg.a")\n',             # __import__, closes a -> b -> c -> d -> a
        'e.py': 'from importlib import import_module\nimport_module("pkg.f")\nfrom pkg.a import f\n',
        'f.py': 'from .c import g\n'})
    graph = import_graph(pkg)
    assert graph['pkg.a'] == {'pkg.b': [2]} and graph['pkg.e'] == {'pkg.f': [2], 'pkg.a': [3]}
    assert cycles(graph) == [['pkg.a', 'pkg.b', 'pkg.c', 'pkg.sub.d', 'pkg.a']]
    assert describe(graph, cycles(graph)[0], pkg).splitlines()[0] == '  pkg.a -> pkg.b (pkg/a.py:2)'


def test_walker_finds_no_false_circle(tmp_path):
    pkg = write_package(tmp_path, {
        'a.py': 'from . import b\nfrom .b import x\nimport pkg.b as bb\nimport os, importlib\nimportlib.import_module(os.sep)\n',
        'b.py': 'x = 1\nimport json\nimportlib = None\n',           # imports nothing of the package
        'c.py': 'from .a import *\ndef f(name):\n    return __import__(name)\n'})   # computed name: not seen
    graph = import_graph(pkg)
    assert graph == {'pkg': {}, 'pkg.a': {'pkg.b': [1, 2, 3]}, 'pkg.b': {}, 'pkg.c': {'pkg.a': [1]}}
    assert cycles(graph) == []
