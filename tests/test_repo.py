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
