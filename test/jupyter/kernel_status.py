#!/usr/bin/python3
"""Drive a live tslab kernel with jupyter_client and print what it published on iopub, as JSON.

usage: kernel_status.py TSLAB_BINARY

Sends two execute requests back to back (the first sleeps 1.5 s, the second 0.5 s) and, while
the first runs, a completion request (what JupyterLab's completer and inspector send as you type).
Prints {"requests": {name: msg_id}, "replies": {name: status}, "iopub": [[msg_type, parent_id,
execution_state or null], ...]} in arrival order, until every request has its reply and its idle.
The kernel runs from a throwaway kernel spec (JUPYTER_PATH) so no registered kernel is used.
"""
import json
import sys
import time

from throwaway_kernelspec import use_throwaway_kernelspec


def main(binary):
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name=use_throwaway_kernelspec(binary), startup_timeout=60)
    try:
        # drain the start-up chatter (kernel_info's busy/idle)
        while True:
            try:
                kc.get_iopub_msg(timeout=0.5)
            except Exception:
                break
        requests = {
            'first': kc.execute('await new Promise((r) => setTimeout(r, 1500));\nconsole.log("first done");'),
        }
        time.sleep(0.2)
        requests['complete'] = kc.complete('Mat', 3)
        requests['second'] = kc.execute('await new Promise((r) => setTimeout(r, 500));\nconsole.log("second done");')
        names = {v: k for k, v in requests.items()}
        replies, idle, iopub = {}, set(), []
        deadline = time.time() + 60
        while (len(replies) < len(requests) or len(idle) < len(requests)) and time.time() < deadline:
            try:
                msg = kc.get_iopub_msg(timeout=0.1)
                parent = msg['parent_header'].get('msg_id')
                state = msg['content'].get('execution_state')
                iopub.append([msg['msg_type'], names.get(parent, parent), state])
                if state == 'idle' and parent in names:
                    idle.add(parent)
            except Exception:
                pass
            while True:
                try:
                    reply = kc.get_shell_msg(timeout=0)
                except Exception:
                    break
                parent = reply['parent_header'].get('msg_id')
                if parent in names:
                    replies[names[parent]] = reply['content'].get('status')
        # anything published right after the last idle belongs to the sequence too
        end = time.time() + 0.3
        while time.time() < end:
            try:
                msg = kc.get_iopub_msg(timeout=0.1)
                parent = msg['parent_header'].get('msg_id')
                iopub.append([msg['msg_type'], names.get(parent, parent), msg['content'].get('execution_state')])
            except Exception:
                pass
        print(json.dumps({'requests': requests, 'replies': replies, 'iopub': iopub}))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == '__main__':
    main(sys.argv[1])
