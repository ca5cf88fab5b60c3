"""A kernel spec in a temporary JUPYTER_PATH, so a test starts BINARY and no registered kernel."""
import atexit
import json
import os
import shutil
import tempfile

NAME = 'tslab-under-test'


def use_throwaway_kernelspec(binary):
    """Writes kernels/tslab-under-test/kernel.json (argv: BINARY kernel ...) and points JUPYTER_PATH at it; returns its name. The folder goes when the process exits."""
    spec_root = tempfile.mkdtemp(prefix='maml-sine-kernelspec-')
    atexit.register(shutil.rmtree, spec_root, ignore_errors=True)
    os.makedirs(os.path.join(spec_root, 'kernels', NAME))
    with open(os.path.join(spec_root, 'kernels', NAME, 'kernel.json'), 'w') as f:
        json.dump({'argv': [binary, 'kernel', '--config-path', '{connection_file}'],
                   'display_name': 'tslab under test', 'language': 'typescript'}, f)
    os.environ['JUPYTER_PATH'] = spec_root
    return NAME
