"""Jupyter post-save hook: after a notebook is saved, git sees no change unless its code changed.

The repository stores notebooks through a git clean filter that drops outputs
(.gitattributes, scripts/strip_notebook_outputs.py), and the saved file on disk keeps them.
`git diff` then shows nothing, but `git status` still lists the file as modified: git compares
the file's size with the size recorded in its index before it runs any filter, and a file with
outputs is larger. This hook removes that false alarm: when the saved file, through the filter,
is exactly what the index holds, it re-records the file in the index (`git update-index`), which
stores the same blob and only refreshes the recorded size and time. A real change to the code or
text is left alone, for the user to commit. Any failure only logs a warning: saving never fails
because of this hook.

Installed by scripts/setup.sh for JupyterLab in .venv/ (FileContentsManager.post_save_hook in
.venv/etc/jupyter) and passed by scripts/classic.sh to Debian's classic notebook.
"""
import os
import subprocess


def _git(cwd, *args):
    return subprocess.run(['git', *args], cwd=cwd, capture_output=True, text=True, timeout=30)


def refresh_git_index(os_path, model=None, contents_manager=None, **_):
    log = getattr(contents_manager, 'log', None)
    if not os_path.endswith('.ipynb'):
        return
    folder, name = os.path.split(os.path.abspath(os_path))
    try:
        attr = _git(folder, 'check-attr', 'filter', '--', name)
        if attr.returncode != 0 or not attr.stdout.strip().endswith(': strip-notebook-outputs'):
            return  # not one of this project's filtered notebooks (or not in a git work tree)
        staged = _git(folder, 'ls-files', '--stage', '--', name)
        if staged.returncode != 0 or len(staged.stdout.strip().splitlines()) != 1:
            return  # untracked, or in a merge conflict: nothing single to compare with
        index_blob = staged.stdout.split()[1]
        # the blob git would store for the file as saved: hash-object runs the clean filter
        saved_blob = _git(folder, 'hash-object', '--path=' + name, '--', name)
        if saved_blob.returncode != 0:
            raise RuntimeError(saved_blob.stderr.strip())
        if saved_blob.stdout.strip() != index_blob:
            return  # the code or text changed: a real change, shown by git status as it should be
        done = _git(folder, 'update-index', '--', name)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip())
    except Exception as err:  # noqa: BLE001 - a save must never fail because of this hook
        if log is not None:
            log.warning('maml-sine: could not refresh git index for %s: %s', os_path, err)


if __name__ == '__main__':
    # python3 scripts/jupyter/maml_sine_save_hook.py NOTEBOOK...: the same for files saved
    # outside a server with the hook (git status lists them; git diff shows nothing)
    import logging
    import sys

    logging.basicConfig(format='%(message)s')

    class _Manager:
        log = logging.getLogger('maml-sine')

    for notebook in sys.argv[1:]:
        refresh_git_index(notebook, contents_manager=_Manager())
