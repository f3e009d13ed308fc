"The repository stands on its own: no tracked file points at documents outside the clone (DESIGN.md is in the repo)."
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Paths of documents that live outside the repository. Spelled in two parts so that this file does not match itself.
OUTSIDE = tuple(a + b for a, b in (('../', 'shared'), ('shared/', 'DESIGN'), ('shared/', 'spec')))


def tracked_text_files(root:Path=ROOT)->list:
    "Every file git tracks under `root` that reads as UTF-8 text (binary files such as plots and checkpoints skipped)."
    names = subprocess.run(['git', 'ls-files', '-z'], cwd=root, capture_output=True, check=True).stdout.decode().split('\0')
    out = []
    for name in filter(None, names):
        path = root/name
        if not path.is_file(): continue   # deleted in the work tree, not yet committed
        data = path.read_bytes()
        if b'\0' in data: continue
        try: out.append((name, data.decode()))
        except UnicodeDecodeError: continue
    return out


def mentions(text:str, needles=OUTSIDE)->list:
    "`(line number, line)` of every line of `text` that contains one of `needles`."
    return [(k, line.strip()) for k, line in enumerate(text.splitlines(), 1) if any(n in line for n in needles)]


def test_no_file_points_outside_the_repo():
    found = [f'  {name}:{k}: {line[:120]}' for name, text in tracked_text_files() for k, line in mentions(text)]
    assert not found, 'files that refer to documents outside the repository (point to DESIGN.md instead):\n' + '\n'.join(found)


def test_mentions_finds_each_spelling():
    text = 'a\nsee ' + OUTSIDE[0] + '/x\n' + OUTSIDE[1] + '.md and ' + OUTSIDE[2] + '/y\nDESIGN.md\n'
    assert [k for k, _ in mentions(text)] == [2, 3]


def test_the_design_document_is_in_the_repo():
    assert (ROOT/'DESIGN.md').is_file()


MAX_FUNCTION_LINES, MAX_MODULE_LINES = 60, 650   # a function reads on one screen; a module is one concern

def package_modules(root:Path=ROOT)->list:
    "The package's modules, the generated `_modidx.py` (nbdev's index) left out."
    return [p for p in sorted((root/'rudra_ml').rglob('*.py')) if p.name != '_modidx.py']


def long_functions(path:Path, limit:int=MAX_FUNCTION_LINES)->list:
    "`(lines, name)` of every function or method in `path` longer than `limit` lines."
    import ast
    tree = ast.parse(path.read_text())
    return [(n.end_lineno - n.lineno + 1, n.name) for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > limit]


def test_long_functions_are_found(tmp_path):
    f = tmp_path/'m.py'
    f.write_text('def short():\n    return 1\n\ndef long():\n' + '    x = 1\n'*61)
    assert long_functions(f) == [(62, 'long')]


def test_no_function_over_the_limit():
    found = [f'  {p.relative_to(ROOT)}: {name} ({n} lines)' for p in package_modules() for n, name in long_functions(p)]
    assert not found, f'functions over {MAX_FUNCTION_LINES} lines (split them into named steps):\n' + '\n'.join(found)


def test_no_module_over_the_limit():
    found = [f'  {p.relative_to(ROOT)}: {n} lines' for p in package_modules() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES]
    assert not found, f'modules over {MAX_MODULE_LINES} lines (split them by concern):\n' + '\n'.join(found)
