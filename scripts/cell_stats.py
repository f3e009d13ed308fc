#!/usr/bin/env python
"""Export-cell statistics of notebooks, to check they read as documentation.

Usage: python scripts/cell_stats.py [NOTEBOOK_OR_FOLDER ...] [--long 40] [--each]

For every notebook (default: every notebook under nbs/): the number of export cells (`#| export`, `#| exports`,
`#| exporti`), their line counts (every source line, directives included) (median, max, how many over `--long`), how many export cells have no markdown cell
right before them (a code cell of only directives/blank lines in between does not count as prose), and how many code
cells carry saved outputs. `--each` lists every long export cell and every export cell without prose before it.
"""
import argparse, json, statistics, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPORT = ('export', 'exports', 'exporti')

def directives(src:str)->set:
    "The `#| name` directive names of a code cell's source."
    return {l[2:].strip().split(':')[0].split()[0] for l in src.splitlines() if l.startswith('#|') and l[2:].strip()}

def is_export(cell:dict)->bool:
    "Whether `cell` is an nbdev export cell."
    return cell['cell_type'] == 'code' and bool(directives(''.join(cell['source'])) & set(EXPORT))

def code_lines(cell:dict)->int:
    "Lines of a cell's source, directives and blank lines included (the measure issue 24 used)."
    return len(''.join(cell['source']).splitlines())

def is_import_cell(cell:dict)->bool:
    "An export cell that only imports (no prose needed before it)."
    ls = [l for l in ''.join(cell['source']).splitlines() if l.strip() and not l.startswith('#|')]
    return bool(ls) and all(l.startswith(('import ', 'from ')) or l.startswith((' ', ')')) for l in ls)

def stats(path:Path, long:int=40)->dict:
    "Export-cell figures of one notebook."
    cells = json.loads(path.read_text())['cells']
    sizes, no_prose, long_cells = [], [], []
    for i, c in enumerate(cells):
        if not is_export(c): continue
        n = code_lines(c); sizes.append(n)
        first = next((l for l in ''.join(c['source']).splitlines() if l.strip() and not l.startswith('#|')), '')
        if n > long: long_cells.append((i, n, first[:70]))
        prev = cells[i-1] if i else None
        if not is_import_cell(c) and (prev is None or prev['cell_type'] != 'markdown'): no_prose.append((i, first[:70]))
    outs = sum(1 for c in cells if c['cell_type'] == 'code' and c.get('outputs'))
    return dict(n=len(sizes), median=statistics.median(sizes) if sizes else 0, max=max(sizes, default=0),
                long=long_cells, no_prose=no_prose, with_outputs=outs, code=sum(c['cell_type'] == 'code' for c in cells))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('paths', nargs='*', default=['nbs'])
    p.add_argument('--long', type=int, default=40)
    p.add_argument('--each', action='store_true')
    a = p.parse_args(argv)
    nbs = []
    for s in a.paths:
        q = Path(s)
        nbs += sorted(x for x in q.rglob('*.ipynb') if '.ipynb_checkpoints' not in x.parts) if q.is_dir() else [q]
    allsizes, tot_long, tot_np = [], 0, 0
    print(f'{"notebook":45} {"cells":>5} {"median":>6} {"max":>4} {">"+str(a.long):>4} {"noprose":>7} {"outputs":>9}')
    for nb in nbs:
        s = stats(nb, a.long)
        cells = json.loads(nb.read_text())['cells']
        allsizes += [code_lines(c) for c in cells if is_export(c)]
        tot_long += len(s['long']); tot_np += len(s['no_prose'])
        print(f'{str(nb):45} {s["n"]:5} {s["median"]:6} {s["max"]:4} {len(s["long"]):4} {len(s["no_prose"]):7} {s["with_outputs"]:4}/{s["code"]:<4}')
        if a.each:
            for i, n, first in s['long']: print(f'    long   cell {i:3} ({n} lines): {first}')
            for i, first in s['no_prose']: print(f'    noprose cell {i:3}: {first}')
    if allsizes:
        print(f'{"ALL":45} {len(allsizes):5} {statistics.median(allsizes):6} {max(allsizes):4} {tot_long:4} {tot_np:7}')

if __name__ == '__main__': main(sys.argv[1:])
