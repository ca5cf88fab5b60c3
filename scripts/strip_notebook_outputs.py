#!/usr/bin/python3
"""Git clean filter for notebooks/*.ipynb: what git stores is the notebook without its outputs.

    git config filter.strip-notebook-outputs.clean '/usr/bin/python3 scripts/strip_notebook_outputs.py'
    (scripts/setup.sh does this; .gitattributes applies it to notebooks/*.ipynb)

Reads a notebook on stdin, writes it on stdout with every code cell's outputs and execution
count cleared, the per-run metadata Jupyter adds dropped (cell timings, scroll/collapse state,
the kernel's full language_info, widget state, the report's execution time), in the layout
Jupyter itself saves (nbformat: one-space indent, sorted keys, a final newline). The file on disk
keeps its outputs: only git's copy is cleaned, so running and saving a notebook in JupyterLab or
the classic notebook leaves `git status` clean. Input that is not a notebook passes unchanged.
Standard library only, so any Python 3 can run it.
"""
import json
import sys

CELL_METADATA_PER_RUN = ('execution', 'ExecuteTime', 'collapsed', 'scrolled')
NOTEBOOK_METADATA_PER_RUN = ('widgets', 'maml_sine', 'signature')
LANGUAGE_INFO_KEPT = ('file_extension', 'mimetype', 'name')


def strip(nb):
    for cell in nb.get('cells', []):
        if cell.get('cell_type') == 'code':
            cell['outputs'] = []
            cell['execution_count'] = None
        for key in CELL_METADATA_PER_RUN:
            cell.get('metadata', {}).pop(key, None)
    meta = nb.get('metadata', {})
    for key in NOTEBOOK_METADATA_PER_RUN:
        meta.pop(key, None)
    if isinstance(meta.get('language_info'), dict):
        meta['language_info'] = {k: v for k, v in meta['language_info'].items() if k in LANGUAGE_INFO_KEPT}
    return nb


def main():
    raw = sys.stdin.buffer.read()
    try:
        nb = json.loads(raw.decode('utf-8'))
        if not isinstance(nb, dict) or 'cells' not in nb:
            raise ValueError('no "cells"')
    except ValueError as err:  # a half-written file or a merge conflict: store it as it is
        print(f'strip_notebook_outputs: not a notebook ({err}); stored unchanged', file=sys.stderr)
        sys.stdout.buffer.write(raw)
        return
    text = json.dumps(strip(nb), indent=1, sort_keys=True, ensure_ascii=False, separators=(',', ': '))
    sys.stdout.buffer.write((text + '\n').encode('utf-8'))


if __name__ == '__main__':
    main()
