#!/usr/bin/python3
"""Execute one notebook with nbclient, save the executed copy, sign it.

usage: execute_notebook.py IN.ipynb OUT.ipynb

tslab reports a failing cell without an error name or message (it writes the error to the
cell's stderr stream), so on failure this prints the cell and everything it wrote, then exits 1.
"""
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.sign import NotebookNotary


def main(src, dst):
    nb = nbformat.read(src, as_version=4)
    client = NotebookClient(nb, timeout=None, kernel_name='tslab', resources={'metadata': {'path': str(__import__('pathlib').Path(src).parent)}})
    start = time.time()
    try:
        client.execute()
    except CellExecutionError:
        print(f'\nFAILED: {src}', file=sys.stderr)
        for cell in nb.cells:
            if cell.cell_type != 'code':
                continue
            problems = [o for o in cell.outputs if o.get('output_type') == 'error'
                        or (o.get('output_type') == 'stream' and o.get('name') == 'stderr')]
            if problems:
                print('--- cell ---\n' + cell.source + '\n--- what it wrote to stderr ---', file=sys.stderr)
                for o in problems:
                    print(o.get('text') or '\n'.join(o.get('traceback', [])), file=sys.stderr)
        sys.exit(1)
    nb.metadata['maml_sine'] = {'executed_seconds': round(time.time() - start, 1)}
    NotebookNotary().sign(nb)
    # atomic: a run stopped here (Ctrl-C, a full disk) leaves the previous copy whole
    tmp = f'{dst}.{os.getpid()}.tmp'
    try:
        nbformat.write(nb, tmp)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    print(f'{src}: {time.time() - start:.1f}s', file=sys.stderr)


if __name__ == '__main__':
    main(*sys.argv[1:])
