/**
 * npm run report (scripts/report.ts) with notebooks side by side: bad arguments are refused
 * before anything runs, and a failing cell stops the whole run quickly, naming the cell, without
 * leaving the other notebook's kernel running or a half-written executed copy behind; Ctrl-C
 * stops it with one line after every kernel has shut down, keeping the training's snapshot.
 * (The real notebooks are run by test/notebooks.test.ts.)
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scratchDir } from './scratch';
import { readSnapshot } from '../lib/runtime/snapshot';
import { resolveTrainConfig } from '../lib/training/train';

const root = path.join(__dirname, '..');

function report(args: string[]) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'report.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 150_000, killSignal: 'SIGKILL' });
  return { ...r, seconds: (Date.now() - t0) / 1000 };
}

function notebook(cells: string[]): string {
  return JSON.stringify({
    cells: cells.map((source) => ({ cell_type: 'code', metadata: {}, source, outputs: [], execution_count: null })),
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
    nbformat: 4, nbformat_minor: 5,
  });
}

/** The processes for whose /proc/PID folder `matches` holds (one that vanishes or cannot be read does not). */
function processesWhere(matches: (proc: string) => boolean): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return matches(`/proc/${p}`); } catch { return false; }
  }).map(Number);
}

/** The processes whose working directory is `dir` (a tslab kernel runs in its notebook's folder). */
function processesIn(dir: string): number[] {
  const real = fs.realpathSync(dir);
  return processesWhere((proc) => fs.readlinkSync(`${proc}/cwd`) === real);
}

test('bad arguments: one line naming the value, exit code 2, nothing written', () => {
  const out = scratchDir('maml-sine-report-args-');
  for (const [args, message] of [
    [['--jobs', '0'], /^report: --jobs "0": expected a whole number of notebooks to run at once, 1 or more\n$/],
    [['--jobs', '1.5'], /^report: --jobs "1\.5": expected a whole number/],
    [['--frobnicate'], /^report: unknown argument "--frobnicate": expected --out DIR, --only 01,02, --jobs N or --notebooks DIR\n$/],
  ] as const) {
    const r = report([...args, '--out', path.join(out, 'reports')]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.ok(!fs.existsSync(path.join(out, 'reports')), 'nothing written');
  }
});

test('a failing cell stops the run: the other notebook is interrupted, its kernel shut down, the cell named, exit 1', () => {
  const dir = scratchDir('maml-sine-report-fail-');
  const out = path.join(dir, 'reports');
  // 01 runs for two minutes unless stopped; 02 fails after a few seconds
  fs.writeFileSync(path.join(dir, '01-slow.ipynb'), notebook(['await new Promise((r) => setTimeout(r, 120_000));']));
  fs.writeFileSync(path.join(dir, '02-fails.ipynb'), notebook(['const wave = 1;', 'await new Promise((r) => setTimeout(r, 3000));\nthrow new Error(`planted failure ${wave}`);']));
  const r = report(['--notebooks', dir, '--out', out, '--jobs', '2']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /planted failure 1/, 'the error is shown');
  assert.match(r.stderr, /throw new Error\(`planted failure/, 'the failing cell is shown');
  assert.match(r.stderr, /report: executing 02-fails\.ipynb failed/);
  assert.ok(r.seconds < 90, `stopped early (${r.seconds.toFixed(0)} s), not after the slow notebook's 120 s`);
  assert.ok(!fs.existsSync(path.join(out, '01-slow.ipynb')) && !fs.existsSync(path.join(out, '02-fails.ipynb')), 'no executed copy of an unfinished notebook');
  assert.deepEqual(fs.readdirSync(out).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  assert.deepEqual(processesIn(dir), [], 'no kernel left running in the notebooks\' folder');
});

/** The processes whose environment holds `entry` (a kernel inherits the report's environment). */
function processesWithEnv(entry: string): number[] {
  return processesWhere((proc) => fs.readFileSync(`${proc}/environ`, 'latin1').split('\0').includes(entry));
}

/**
 * Starts notebooks `only` at full scale (9 trains for minutes) in a report of its own, sends
 * `signal` to the report once the first training snapshot is written, and returns how it ended.
 */
async function interruptTraining(signal: NodeJS.Signals, only = '09') {
  const checkpoints = scratchDir('maml-sine-report-signal-');
  const out = path.join(scratchDir('maml-sine-report-signal-out-'), 'reports');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'report.ts'), '--only', only, '--out', out], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MAML_SCALE: 'full', MAML_CHECKPOINTS: checkpoints, MAML_SNAPSHOT_SECONDS: '0.5' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig })));
  const snapshots = () => fs.readdirSync(checkpoints).filter((f) => f.endsWith('.partial'));
  try {
    for (let waited = 0; snapshots().length === 0; waited += 200) {
      assert.ok(waited < 90_000 && child.exitCode === null, `no training snapshot appeared: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    child.kill('SIGKILL'); // its notebooks then stop by themselves: no training left running
    throw err;
  }
  child.kill(signal);
  const ended = await closed;
  const leftRunning = () => processesWithEnv(`MAML_CHECKPOINTS=${checkpoints}`);
  /** Every snapshot left is whole and usable for the next run. */
  const checkSnapshots = () => {
    assert.ok(snapshots().length > 0, 'the training snapshot is kept');
    for (const file of snapshots()) {
      const saved = JSON.parse(fs.readFileSync(path.join(checkpoints, file), 'utf8'));
      const state = readSnapshot(path.join(checkpoints, file), resolveTrainConfig(saved.config));
      assert.ok(state.done > 0, `${file}: a snapshot with work in it`);
    }
  };
  return { ...ended, stderr: () => stderr, out, leftRunning, checkSnapshots };
}

for (const [signal, code, only] of [['SIGINT', 130, '09,04'], ['SIGHUP', 129, '09']] as const) {
  const running = only.split(',').length;
  test(`${signal === 'SIGINT' ? 'Ctrl-C' : 'SIGHUP (the terminal closed)'} with ${running} notebook(s) running stops the run: one line, every kernel shut down before it exits ${code}, the training snapshots kept and usable`, async () => {
    const r = await interruptTraining(signal, only); // Ctrl-C sends SIGINT to the report alone: the notebooks run in sessions of their own
    assert.equal(r.code, code, r.stderr());
    assert.deepEqual(r.leftRunning(), [], 'a kernel or notebook process outlived the report');
    const lines = r.stderr().trim().split('\n');
    assert.match(lines.at(-1)!, new RegExp(`^report: ${signal}: stopping ${running} running notebook\\(s\\) and shutting their kernels down; models already trained stay in .*, an unfinished training keeps its snapshot \\(\\*\\.partial\\) there and the next run resumes it$`));
    assert.doesNotMatch(r.stderr(), /failed/, 'the stop is not reported as a failure');
    assert.deepEqual(fs.readdirSync(r.out).filter((f) => f.endsWith('.ipynb') || f === 'index.html'), [], 'no executed copy of an unfinished notebook, no index');
    r.checkSnapshots();
  });
}

test('the report killed outright (SIGKILL): its notebook notices, stops and shuts its kernel down; the snapshot is kept', async () => {
  const r = await interruptTraining('SIGKILL');
  assert.equal(r.signal, 'SIGKILL');
  for (let waited = 0; r.leftRunning().length > 0; waited += 200) {
    assert.ok(waited < 30_000, `still running 30 s after the report was killed: ${r.leftRunning().join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.ok(!fs.existsSync(path.join(r.out, '09-paper-setting.ipynb')), 'no executed copy of the unfinished notebook');
  r.checkSnapshots();
});
