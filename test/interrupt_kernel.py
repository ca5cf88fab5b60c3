"""Drive a live tslab kernel like Jupyter's Kernel > Interrupt does, for test/interrupt.test.ts.

usage: /usr/bin/python3 test/interrupt_kernel.py PROJECT_ROOT WORK_DIR

Starts the project's own tslab (scripts/tslab-kernel, as registered, through a kernelspec written to
WORK_DIR, so no registration is needed) in PROJECT_ROOT/notebooks with MAML_CHECKPOINTS in
WORK_DIR, runs cells that train and evaluate, sends SIGINT to the kernel (what Interrupt does
for a kernel with interrupt_mode "signal", tslab's) and records what the cell printed, its
reply, the time from the interrupt to the kernel's idle status, the kernel's CPU time after it,
and the files in the checkpoint folder. Prints one JSON object; the assertions are in the test.
"""
import json
import os
import sys
import time

from jupyter_client.manager import KernelManager

root, work = sys.argv[1], sys.argv[2]
spec_dir = os.path.join(work, 'jupyter', 'kernels', 'maml-sine-test')
os.makedirs(spec_dir, exist_ok=True)
with open(os.path.join(spec_dir, 'kernel.json'), 'w') as f:
    json.dump({'argv': [os.path.join(root, 'scripts', 'tslab-kernel'), 'kernel', '--config-path', '{connection_file}'],
               'display_name': 'tslab (interrupt test)', 'language': 'typescript', 'interrupt_mode': 'signal'}, f)
os.environ['JUPYTER_PATH'] = os.path.join(work, 'jupyter')
checkpoints = os.path.join(work, 'checkpoints')

km = KernelManager(kernel_name='maml-sine-test')
env = dict(os.environ, MAML_CHECKPOINTS=checkpoints, MAML_WORKERS='2')
km.start_kernel(cwd=os.path.join(root, 'notebooks'), env=env)
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=120)


def kernel_cpu_seconds():
    pid = km.provisioner.process.pid
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    ticks = os.sysconf('SC_CLK_TCK')
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime (threads included)


def run(code, interrupt_after=None, wait_for=None, timeout=600):
    """Execute `code`; optionally interrupt `interrupt_after` s after `wait_for` appears in its output."""
    msg_id = kc.execute(code)
    out = []
    started = time.monotonic()
    seen_at = None
    interrupted_at = None
    idle_at = None
    while idle_at is None:
        if time.monotonic() - started > timeout:
            raise SystemExit(f'timeout waiting for the cell: {"".join(out)[-2000:]}')
        try:
            msg = kc.get_iopub_msg(timeout=0.05)
        except Exception:
            msg = None
        now = time.monotonic()
        if msg is not None and msg['parent_header'].get('msg_id') == msg_id:
            kind, content = msg['msg_type'], msg['content']
            if kind == 'stream':
                out.append(content['text'])
            elif kind in ('display_data', 'update_display_data', 'execute_result'):
                out.append(content['data'].get('text/plain', '') + '\n')
            elif kind == 'error':
                out.append('\n'.join(content['traceback']) + '\n')
            elif kind == 'status' and content['execution_state'] == 'idle':
                idle_at = now
            if seen_at is None and (wait_for is None or wait_for in ''.join(out)):
                seen_at = now
        if interrupt_after is not None and interrupted_at is None and seen_at is not None and now - seen_at >= interrupt_after:
            km.interrupt_kernel()
            interrupted_at = time.monotonic()
    reply = kc.get_shell_msg(timeout=30)
    while reply['parent_header'].get('msg_id') != msg_id:
        reply = kc.get_shell_msg(timeout=30)
    cpu_before = kernel_cpu_seconds()
    time.sleep(1.0)
    cpu_after = kernel_cpu_seconds()
    return {
        'output': ''.join(out),
        'status': reply['content']['status'],
        'secondsToIdle': None if interrupted_at is None else idle_at - interrupted_at,
        'cpuSecondsInTheSecondAfter': cpu_after - cpu_before,
        'files': sorted(os.listdir(checkpoints)) if os.path.isdir(checkpoints) else [],
    }


result = {}
try:
    result['setup'] = run("import * as ms from './lib/index';\nimport { progressBar } from './lib/display/display';\n"
                          "console.log('ready');")
    # the full recipe's MAML (200,000 tasks), interrupted three times: on the fast engine (half a
    # minute on 2 cores), since the default wasm-f32 engine trains it in ~5 s, before a third
    # interrupt two seconds after the progress bar lands
    long_cell = ("const LONG = await ms.trainOrLoad({ ...ms.recipe('maml', ms.SCALES.full), engine: 'fast' as const }, progressBar('MAML (second order)'));\n"
                 "console.log('AFTER TRAINING');")
    result['long'] = [run(long_cell, interrupt_after=2.0, wait_for='MAML (second order)') for _ in range(3)]
    # a short config: interrupted, then run again to the end and compared with serial train()
    # on the fast engine: the wasm engine finishes this run before an interrupt a second in lands
    short_cfg = "{ algo: 'maml' as const, tasks: 3000, epochs: 2, replicas: 2, seed: 5, engine: 'fast' as const }"
    short_cell = (f"const SHORT = await ms.trainOrLoad({short_cfg}, progressBar('short MAML'));\n"
                  "console.log('AFTER TRAINING', SHORT.cached ? 'cached' : 'trained');")
    result['short'] = [run(short_cell, interrupt_after=1.0, wait_for='short MAML'), run(short_cell)]
    result['compare'] = run(f"const REF = ms.train({short_cfg});\n"
                            "const same = REF.replicas.every((t, r) => Buffer.from(t.buffer).equals(Buffer.from(SHORT.replicas[r].buffer)));\n"
                            "console.log('IDENTICAL', same, JSON.stringify(REF.history) === JSON.stringify(SHORT.history));")
    # evaluation on workers
    eval_cell = ("const EV = await ms.evaluateParallel(ms.randomModels(5), ms.paramLayout(), ms.heldOutTasks(20000), { steps: 100 });\n"
                 "console.log('AFTER EVALUATION');")
    result['evaluation'] = [run("console.log('evaluating'); " + eval_cell, interrupt_after=1.5, wait_for='evaluating') for _ in range(3)]
    # the kernel still works afterwards, and tslab's own interrupt is back in place (vm sets
    # SIGINT listeners aside while a cell's synchronous part runs: count them after it)
    result['after'] = run("await new Promise((r) => setImmediate(r));\nconsole.log('still alive', process.listenerCount('SIGINT'));")
    result['tslabInterrupt'] = run("await new Promise((r) => setTimeout(r, 5000));\nconsole.log('AFTER SLEEP');", interrupt_after=0.5)
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
print(json.dumps(result))
