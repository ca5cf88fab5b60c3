/**
 * Progress text, character for character, at its edges: the minute boundary of durations, an
 * empty run (0 of 0 tasks), no label, and a non-terminal log whose first report is already past
 * 10%. The expected strings are written out by hand (test/cli-values.test.ts has the common cases).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatDuration, progressLine, terminalProgress } from '../lib/training/progress';
import { Progress, train } from '../lib/training/train';
import { trainParallel } from '../lib/runtime/parallel';

const at = (done: number, total: number, elapsedMs = 1000): Progress => ({ replica: 0, replicas: 1, done, total, loss: 2.5, elapsedMs });

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (s: string) => writes.push(s) > 0 } as unknown as NodeJS.WriteStream };
}

test('durations: seconds below a minute, then minutes and two-digit seconds', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(59_400), '59s');
  assert.equal(formatDuration(59_600), '1m00s'); // rounds to 60 s first
  assert.equal(formatDuration(60_000), '1m00s');
  assert.equal(formatDuration(61_000), '1m01s');
  assert.equal(formatDuration(3_725_000), '62m05s');
});

test('progress line without a label, and for an empty run (0 of 0 tasks counts as done)', () => {
  // 1 of 4 after 1 s: 25%, round(0.25 · 30) = 8 marks (7.5 rounds up), eta 1 s / 0.25 · 0.75 = 3 s
  assert.equal(progressLine(at(1, 4)), '[########......................]  25% 1/4 tasks, replica 1/1, loss 2.500, 1s (eta 3s)');
  assert.equal(progressLine(at(0, 0)), '[##############################] 100% 0/0 tasks, replica 1/1, last epoch loss 2.500, 1s');
  // nothing done yet: no estimate (it would be infinite)
  assert.equal(progressLine(at(0, 4), 'x'), 'x [..............................]   0% 0/4 tasks, replica 1/1, loss 2.500, 1s');
});

test('terminal progress: the exact text on a TTY, and no label by default', () => {
  const tty = fakeStream(true);
  const onTty = terminalProgress(undefined, tty.stream);
  onTty(at(1, 4));
  onTty(at(4, 4, 2000));
  assert.deepEqual(tty.writes, [
    '\r[########......................]  25% 1/4 tasks, replica 1/1, loss 2.500, 1s (eta 3s)',
    '\r[##############################] 100% 4/4 tasks, replica 1/1, last epoch loss 2.500, 2s\n',
  ]);
});

test('non-terminal progress: a first report already at 10% is printed, then one line per decile', () => {
  const log = fakeStream(false);
  const onLog = terminalProgress('', log.stream);
  for (const done of [10, 15, 20, 100]) onLog(at(done, 100));
  assert.deepEqual(
    log.writes.map((w) => /(\d+)\/100 tasks/.exec(w)![1]),
    ['10', '20', '100'],
  );
});

test('which replica: "replica k/n" one after the other; "n replicas, w at a time" on worker threads', () => {
  assert.equal(progressLine({ ...at(2, 4), replica: 1, replicas: 3, parallel: 1 }), '[###############...............]  50% 2/4 tasks, replica 2/3, loss 2.500, 1s (eta 1s)');
  assert.equal(progressLine({ ...at(2, 4), replica: 1, replicas: 5, parallel: 2 }), '[###############...............]  50% 2/4 tasks, 5 replicas, 2 at a time, loss 2.500, 1s (eta 1s)');
});

test('train() reports one replica at a time; trainParallel() how many train at once', async () => {
  const config = { algo: 'transfer' as const, tasks: 20, epochs: 1, replicas: 3, seed: 2 };
  const serial: Progress[] = [];
  train(config, { progressEvery: 5, onProgress: (p) => serial.push(p) });
  assert.ok(serial.length > 0 && serial.every((p) => p.parallel === 1));
  assert.deepEqual([...new Set(serial.map((p) => p.replica))], [0, 1, 2], 'the replica training now, in order');
  for (const [workers, atOnce] of [[2, 2], [4, 3]]) {
    const reports: Progress[] = [];
    await trainParallel(config, { workers, progressEvery: 5, onProgress: (p) => reports.push(p) });
    assert.ok(reports.length > 0 && reports.every((p) => p.parallel === atOnce), `${workers} workers for 3 replicas: ${atOnce} at a time`);
  }
});
