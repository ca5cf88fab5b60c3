#!/usr/bin/python3
"""Run cells in a live kernel started from BINARY and print what each cell showed, as JSON.

usage: run_cells.py BINARY CWD CELL [CELL ...]

The kernel runs from a throwaway kernel spec (JUPYTER_PATH) whose argv is BINARY kernel ...,
in CWD, with this process's environment (so MAML_KERNEL_SNAPSHOT reaches scripts/tslab-kernel).
Prints [{"status": ..., "text": stdout and results, "error": stderr and error names}, ...].
"""
import json
import sys

from throwaway_kernelspec import use_throwaway_kernelspec


def main(binary, cwd, cells):
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name=use_throwaway_kernelspec(binary), startup_timeout=60, cwd=cwd)
    results = []
    try:
        for code in cells:
            text, error = [], []

            def hook(msg):
                c = msg['content']
                if msg['msg_type'] == 'stream':
                    (error if c['name'] == 'stderr' else text).append(c['text'])
                elif msg['msg_type'] in ('execute_result', 'display_data'):
                    text.append(c['data'].get('text/plain', ''))
                elif msg['msg_type'] == 'error':
                    error.append(c['ename'] + ': ' + c['evalue'])
            reply = kc.execute_interactive(code, timeout=120, output_hook=hook)
            results.append({'status': reply['content']['status'], 'text': ''.join(text), 'error': ''.join(error)})
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print(json.dumps(results))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
