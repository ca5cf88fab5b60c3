/**
 * The kernel's busy/idle status against a live tslab kernel (jupyter_client, Debian's Python):
 * two cells sent back to back plus a completion request while the first runs. JupyterLab shows
 * the kernel's state from the last status message, whatever request it belongs to; unpatched,
 * tslab 1.0.22 said "idle" when the first request finished although the second still ran.
 * patches/tslab+1.0.22.patch (applied by `npm ci` through postinstall) fixes that.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.join(__dirname, '..');

test('tslab stays busy until the last queued request finishes, and every request gets its idle', () => {
  const r = spawnSync('/usr/bin/python3', [path.join(__dirname, 'jupyter', 'kernel_status.py'), path.join(root, 'scripts', 'tslab-kernel')], {
    encoding: 'utf8', timeout: 120_000,
  });
  assert.equal(r.status, 0, `kernel_status.py failed:\n${r.stderr.slice(-3000)}`);
  const run = JSON.parse(r.stdout) as { replies: Record<string, string>; iopub: [string, string, string | null][] };
  assert.deepEqual(run.replies, { first: 'ok', complete: 'ok', second: 'ok' }, 'every request answered');
  const shown = run.iopub.map(([type, parent, state]) => `${type}:${parent}${state ? `:${state}` : ''}`).join('\n');
  const statuses = run.iopub.filter(([type]) => type === 'status');
  for (const name of ['first', 'complete', 'second']) {
    assert.ok(statuses.some(([, parent, state]) => parent === name && state === 'idle'), `${name} got its idle (clients finish a request on it)\n${shown}`);
  }
  // the state a client shows = the last status message seen; an idle immediately followed by a
  // busy is how ipykernel moves from one queued request to the next, never shown as idle
  const last = run.iopub.length - 1;
  assert.deepEqual(run.iopub[last], ['status', 'second', 'idle'], `the last message is the second cell's idle\n${shown}`);
  let state = 'starting';
  run.iopub.forEach(([type, parent, next], i) => {
    if (type === 'status') {
      if (next === 'idle' && i < last) {
        const following = run.iopub[i + 1];
        assert.ok(following[0] === 'status' && following[2] === 'busy', `message ${i} (${type}:${parent}:idle) left the kernel idle while a request still ran\n${shown}`);
      }
      state = next!;
    } else {
      assert.equal(state, 'busy', `output ${type} of ${parent} arrived while the kernel said ${state}\n${shown}`);
    }
  });
  // outputs of both cells arrived (the second ran after the first)
  assert.ok(run.iopub.findIndex(([t, p]) => t === 'stream' && p === 'first') < run.iopub.findIndex(([t, p]) => t === 'stream' && p === 'second'), shown);
});
