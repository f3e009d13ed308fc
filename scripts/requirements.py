"""Write requirements.txt from settings.ini's `requirements` (the one source of the dependencies).

    python scripts/requirements.py          # (re)write requirements.txt
    python scripts/requirements.py --check  # exit 1 when the committed file differs from what this writes
"""
import re, sys
from configparser import ConfigParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def torch_spec(root:Path=ROOT)->str:
    "The torch pin of scripts/setup.sh (its CPU build is installed first)."
    m = re.search(r'^TORCH_SPEC="([^"]+)"', (root/'scripts'/'setup.sh').read_text(), re.M)
    if not m: raise ValueError("scripts/setup.sh must set TORCH_SPEC=\"torch==X.Y.Z\"")
    return m.group(1)

def render(root:Path=ROOT)->str:
    "The text of requirements.txt: settings.ini's runtime requirements, one a line, after a header."
    cfg = ConfigParser(delimiters=['='])
    cfg.read(root/'settings.ini', encoding='utf-8')
    reqs = cfg['DEFAULT'].get('requirements', '').split()
    if not reqs: raise ValueError("settings.ini has no `requirements`")
    head = ["# Generated from settings.ini by scripts/requirements.py; edit settings.ini, then rerun the script.",
            "# Install PyTorch's CPU build first, as scripts/setup.sh does (a plain 'torch' can pull a multi-GB CUDA build):",
            f"#   pip install '{torch_spec(root)}' --index-url https://download.pytorch.org/whl/cpu",
            "#   pip install -r requirements.txt"]
    return '\n'.join(head + reqs) + '\n'

if __name__ == '__main__':
    out, text = ROOT/'requirements.txt', render()
    if '--check' in sys.argv[1:]:
        ok = out.exists() and out.read_text() == text
        print('requirements.txt is up to date' if ok else 'requirements.txt differs from settings.ini: run python scripts/requirements.py')
        sys.exit(0 if ok else 1)
    out.write_text(text)
    print(f"wrote {out}")
