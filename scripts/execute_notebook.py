#!/usr/bin/python3
"""Execute one notebook with nbclient, save the executed copy, sign it, and export it as HTML.

usage: execute_notebook.py IN.ipynb OUT.ipynb [TEMPLATE_DIR TEMPLATE]

With a template (npm run report: scripts/nbconvert, maml-sine), OUT.html is written beside
OUT.ipynb in the same process: `python3 -m nbconvert` afterwards cost ~2 s of CPU per notebook,
most of it starting Python and importing nbconvert again.

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


def write_atomic(dst, write):
    """write(tmp) then rename: a run stopped here (Ctrl-C, a full disk) leaves the previous copy whole."""
    tmp = f'{dst}.{os.getpid()}.tmp'
    try:
        write(tmp)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def cache_relaxed_validators():
    """nbconvert validates the notebook after each of its 11 preprocessors with relaxed schema
    rules, and nbformat 5.5 (Debian 12's) caches only the strict validator: each relaxed one is
    compiled afresh (fastjsonschema, ~35 ms here), ~0.4 s of CPU per export. A relaxed validator
    is a function of the arguments only (the schema files of that nbformat version), so the
    cache gives the export what a fresh compile would. (nbformat 5.5 also stores each relaxed
    validator in place of the strict one, so a strict validation after a relaxed one is relaxed;
    installed only for the export, after the last strict validation here, the cache changes
    none of this script's strict validations.)"""
    import functools
    from nbformat import validator
    if not hasattr(validator.get_validator, 'cache_info'):
        validator.get_validator = functools.lru_cache(maxsize=None)(validator.get_validator)


def export_html(nb, dst, template_dir, template):
    from nbconvert import HTMLExporter
    cache_relaxed_validators()
    exporter = HTMLExporter(template_name=template, extra_template_basedirs=[template_dir])
    body, _ = exporter.from_notebook_node(nb, resources={'metadata': {'name': os.path.splitext(os.path.basename(dst))[0]}})

    def write(tmp):
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(body)
    write_atomic(os.path.splitext(dst)[0] + '.html', write)


def stop_when_orphaned():
    """Interrupts this process (as Ctrl-C would: nbclient then shuts the kernel down) once its
    parent has gone, e.g. `npm run report` killed outright: the notebooks run in sessions of their
    own, so nothing else would stop them, and they would go on training and writing unseen."""
    import signal
    import threading
    # the report names itself: the parent may already have gone while this process imported nbclient
    parent = int(os.environ.get('MAML_REPORT_PID') or os.getppid())

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        try:
            print(f'execute_notebook: the process that started this one ({parent}) is gone: stopping', file=sys.stderr)
        except OSError:
            pass  # stderr was a pipe to that process: nobody reads it any more
        # to the main thread itself, so that the signal also wakes its wait for kernel messages
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    threading.Thread(target=watch, daemon=True).start()


def main(src, dst, template_dir=None, template=None):
    stop_when_orphaned()
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
    write_atomic(dst, lambda tmp: nbformat.write(nb, tmp))
    if template is not None:
        export_html(nb, dst, template_dir, template)
    print(f'{src}: {time.time() - start:.1f}s', file=sys.stderr)


if __name__ == '__main__':
    main(*sys.argv[1:])
