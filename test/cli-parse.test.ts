/**
 * The CLI's parser, help and refusals, in this process with fake streams (fast enough for
 * mutation testing: scripts/mutate.ts runs it against lib/cli.ts). The real program, files and
 * disks are in cli.test.ts.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluateWithProgress, evalProgress, run } from '../lib/cli';
import { refused, runCli } from './cli-helpers';
import { evaluate, LIMITS, loadCheckpoint, makeTaskPool, Rng, STREAM } from '../lib/index';
import { scratchDir } from './scratch';

const dir = scratchDir('maml-sine-cli-');

const small = ['--algo', 'maml', '--epochs', '1', '--tasks', '20'];

test('--help on every command exits 0', async () => {
  for (const args of [['--help'], ['-h'], ['help'], ['train', '--help'], ['eval', '--help'], ['help', 'train'], ['eval', 'x.json', '--tasks', '5', '-h'], []]) {
    const r = await runCli(args);
    assert.equal(r.code, 0, args.join(' '));
    assert.match(r.stdout, /^usage: maml-sine /, args.join(' '));
  }
  assert.match((await runCli(['train', '--help'])).stdout, /--replicas N {2,}independent models \(default 1; the original: 5\) \[1\.\.100\]/);
  assert.match((await runCli(['eval', '--help'])).stdout, /--shots K/);
});

test('flags: strict numbers, booleans, missing values, repeats, unknown options', async () => {
  const out = path.join(dir, 'never2.json');
  const train = (...extra: string[]) => ['train', '--algo', 'maml', '--out', out, ...extra];
  for (const bad of ['1e3', '0x10', '', ' 5', '5 ', '5abc', 'Infinity', 'NaN', '-1', '+5', '1.5', '1_000', '０']) {
    await refused(train('--tasks', bad), /^maml-sine: --tasks = .* is invalid: expected an integer in \[1, 20000000\] in plain digits/);
  }
  for (const bad of ['0x1', 'Infinity', '-Infinity', 'NaN', '', '.', '1,5', '1e999', '1e', 'e3', '0', '-0.01']) {
    await refused(train('--inner-lr', bad), /^maml-sine: --inner-lr = .* is invalid: expected a finite number > 0 \(decimal, e\.g\. 0\.001 or 1e-3\)/);
  }
  await refused(train('--inner-lr=1e999'), /--inner-lr = Infinity is invalid/);
  await refused(train('--fresh-tasks=yes'), /^maml-sine: --fresh-tasks = "yes" is invalid: expected no value, or =true \/ =false\n$/);
  await refused(train('--fresh-tasks='), /--fresh-tasks = "" is invalid/);
  await refused(['train', '--algo', 'maml', '--out'], /^maml-sine: --out needs a value: expected FILE\n$/);
  await refused(['train', '--out', '--algo', 'maml'], /--out needs a value: expected FILE \(the next argument "--algo" is an option; to use it as the value write --out=--algo\)/);
  await refused(['train', '--algo', '--out', out], /--algo needs a value: expected maml \| fomaml/);
  await refused(train('--tasks', '5', '--tasks', '6'), /^maml-sine: --tasks is given twice \("--tasks 5", then "--tasks 6"\): expected each option at most once\n$/);
  await refused(train('--json'), /option = "--json" is invalid: expected one of --algo, --out/);
  await refused(train('--tasks=5', '--tasks=5'), /--tasks is given twice/);
  await refused(train('--fresh-tasks', '--fresh-tasks=false'), /--fresh-tasks is given twice/);
  await refused(train('-t', '5'), /option = "-t" is invalid/);
  await refused(train('stray'), /argument = "stray" is invalid: expected options only/);
  await refused(['eval'], /checkpoint = undefined is invalid: expected exactly one checkpoint file/);
  await refused(['eval', 'a.json', 'b.json'], /checkpoint = \["a\.json","b\.json"\] is invalid/);
  await refused(['eval', 'a.json', '--json=1'], /--json = "1" is invalid: expected no value, or =true \/ =false/);
  assert.equal(fs.existsSync(out), false);
});

test('booleans accept =true and =false; numbers accept exponents where they are real', async () => {
  const off = path.join(dir, 'off.json');
  const on = path.join(dir, 'on.json');
  assert.equal((await runCli(['train', ...small, '--fresh-tasks=false', '--inner-lr', '1e-2', '--meta-lr=0.5e-3', '--out', off])).code, 0);
  assert.equal((await runCli(['train', ...small, '--fresh-tasks=true', '--out', on])).code, 0);
  const a = loadCheckpoint(off).config;
  assert.equal(a.freshTasks, false);
  assert.equal(a.innerLr, 0.01);
  assert.equal(a.metaLr, 0.0005);
  assert.equal(loadCheckpoint(on).config.freshTasks, true);
  // a file whose name starts with -- is given attached, or after --
  const dashed = path.join(dir, '--odd.json');
  assert.equal((await runCli(['train', ...small, `--out=${dashed}`])).code, 0);
  assert.equal((await runCli(['eval', '--tasks', '3', '--steps', '1', '--json', '--', dashed])).code, 0);
});

test('every size over its limit exits 2 with the limit, before anything is allocated', async () => {
  const out = path.join(dir, 'never3.json');
  const over: [string, number, string][] = [
    ['--replicas', LIMITS.replicas, 'replicas'],
    ['--epochs', LIMITS.epochs, 'epochs'],
    ['--tasks', LIMITS.tasks, 'tasks'],
    ['--meta-batch', LIMITS.metaBatchSize, 'tasks per meta-batch'],
    ['--inner-steps', LIMITS.innerSteps, 'inner steps'],
    ['--support-size', LIMITS.supportSize, 'support points per task'],
  ];
  for (const [flag, limit, unit] of over) {
    await refused(['train', '--algo', 'maml', flag, String(limit + 1), '--out', out], new RegExp(`^maml-sine: ${flag} = ${limit + 1} is over the limit: expected at most ${limit} ${unit} \\(limits: README "Reliability"\\)`));
  }
  // combined limits: training work and the task pool's memory; fast because nothing is allocated
  const t0 = Date.now();
  await refused(['train', '--algo', 'maml', '--replicas', '100', '--epochs', '1000', '--tasks', '1000000', '--inner-steps', '100', '--out', out], /--replicas × --epochs × --tasks × --inner-steps = 10000000000000 is over the limit: expected at most 20000000 task-steps/);
  await refused(['train', '--algo', 'maml', '--epochs', '1', '--tasks', '1000000', '--support-size', '1000', '--out', out], /--tasks × --support-size = 1000000000 is over the limit: expected at most 20000000 support points/);
  assert.ok(Date.now() - t0 < 2000, 'refused without building a pool');
  assert.equal(fs.existsSync(out), false);
  // fresh tasks hold no pool: notebook 9's 1,750,000 tasks for 2 models pass the config checks
  // (the next check, of --out, refuses a directory), the work limit still holds them
  await refused(['train', '--algo', 'maml', '--fresh-tasks', '--tasks', '1750000', '--epochs', '1', '--meta-batch', '25', '--replicas', '2', '--out', dir], /^maml-sine: cannot write checkpoint ".*": it is a directory/);
  await refused(['train', '--algo', 'maml', '--fresh-tasks', '--tasks', '1750000', '--epochs', '1', '--replicas', '12', '--out', out], /^maml-sine: --replicas × --epochs × --tasks × --inner-steps = 21000000 is over the limit/);
  await refused(['train', '--algo', 'maml', '--fresh-tasks', '--tasks', String(LIMITS.trainWork + 1), '--out', out], /^maml-sine: --tasks = 20000001 is over the limit: expected at most 20000000 tasks/);
  assert.equal(fs.existsSync(out), false);
  // eval: the checkpoint is read, then the request is checked before any task is drawn
  const file = path.join(dir, 'limits.json');
  assert.equal((await runCli(['train', ...small, '--replicas', '2', '--out', file])).code, 0);
  await refused(['eval', file, '--tasks', String(LIMITS.evalTasks + 1)], new RegExp(`--tasks = ${LIMITS.evalTasks + 1} is over the limit: expected at most ${LIMITS.evalTasks} evaluation tasks`));
  await refused(['eval', file, '--steps', String(LIMITS.evalSteps + 1)], /--steps = 10001 is over the limit: expected at most 10000 SGD steps/);
  await refused(['eval', file, '--shots', String(LIMITS.supportSize + 1)], /--shots = 1001 is over the limit/);
  await refused(['eval', file, '--tasks', '100000', '--steps', '100'], /--tasks × \(--steps \+ 1\) × replicas = 20200000 is over the limit: expected at most 10000000 evaluated task-steps/);
  await refused(['eval', file, '--tasks', '100000', '--steps', '1', '--shots', '1000'], /--tasks × --shots = 100000000 is over the limit/);
});

test('values are quoted safely: control bytes never reach the terminal, long values are cut', async () => {
  const r = await refused(['train', '--algo', '\u001b]0;owned\u0007\u009b2J\u202e', '--out', 'x'], /--algo = "\\u001b\]0;owned\\u0007\\u009b2J\\u202e" is invalid/);
  assert.ok(!r.stderr.includes('\u001b'));
  const long = await refused(['train', '--algo', 'a'.repeat(100_000), '--out', 'x'], /--algo = "a{200}"…\(100000 characters\) is invalid/);
  assert.ok(long.stderr.length < 400);
  await refused(['eval', 'no\nsuch\rfile'], /checkpoint "no\\nsuch\\rfile" cannot be read \(ENOENT\)/);
});

test('an internal error (a bug) prints its stack trace and exits 1', async () => {
  let stderr = '';
  const boom = new TypeError('a bug');
  const code = await run(['--help'], { stdout: { write: () => { throw boom; } }, stderr: { write: (s: string) => (stderr += s) } });
  assert.equal(code, 1);
  assert.match(stderr, /^maml-sine: internal error \(a bug, please report it\):\nTypeError: a bug\n\s+at /);
});

test('eval warns about a checkpoint of another compatible library version', async () => {
  const file = path.join(dir, 'old.json');
  assert.equal((await runCli(['train', ...small, '--out', file])).code, 0);
  const body = JSON.parse(fs.readFileSync(file, 'utf8'));
  body.libraryVersion = '0.1.9';
  fs.writeFileSync(file, JSON.stringify(body));
  const r = await runCli(['eval', file, '--tasks', '5', '--steps', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^maml-sine: warning: checkpoint "[^"]+old\.json" was written by maml-sine 0\.1\.9, this is 0\.1\.0/);
  body.libraryVersion = '0.2.0';
  fs.writeFileSync(file, JSON.stringify(body));
  await refused(['eval', file], /old\.json" is invalid: it was written by maml-sine 0\.2\.0, expected a checkpoint of a compatible version/);
});

test('eval progress: the same numbers as evaluate(), a bar per 10% off a terminal, redrawn on one', async () => {
  const file = path.join(dir, 'progress.json');
  assert.equal((await runCli(['train', ...small, '--replicas', '2', '--out', file])).code, 0);
  const ck = loadCheckpoint(file);
  const tasks = makeTaskPool(57, new Rng(3, STREAM.heldOutTasks), ck.config.taskOptions);
  const calls: number[] = [];
  const sliced = evaluateWithProgress(ck.replicas, ck.layout, tasks, { steps: 4 }, (done, total) => (assert.equal(total, 57), calls.push(done)));
  assert.deepEqual(sliced, evaluate(ck.replicas, ck.layout, tasks, { steps: 4 }));
  assert.equal(calls.length, 57, 'one report per task slice (57 tasks: slices of 1)');
  assert.equal(calls[calls.length - 1], 57);
  // --json matches the library on the same tasks
  const r = await runCli(['eval', file, '--tasks', '57', '--seed', '3', '--steps', '4', '--json']);
  assert.deepEqual(JSON.parse(r.stdout).mean, sliced.summary.map((s) => s.mean));
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 11, r.stderr);
  assert.match(lines[10], /^eval \[#{30}\] 100% 57\/57 tasks, \d+s$/);
  // a terminal: one line redrawn with \r, ended by a newline
  let tty = '';
  const bar = evalProgress('eval', { write: (s: string) => (tty += s), isTTY: true }, 10);
  [1, 5, 10].forEach((done, i) => bar(done, 10, 1000 * (i + 1)));
  assert.equal(tty, '\reval [#.........]  10% 1/10 tasks, 1s (eta 9s)\reval [#####.....]  50% 5/10 tasks, 2s (eta 2s)\reval [##########] 100% 10/10 tasks, 3s\n');
  const tty2 = await runCli(['eval', file, '--tasks', '20', '--steps', '1'], true);
  assert.equal(tty2.stderr.split('\n').length, 2, 'a terminal gets one redrawn line');
  assert.match(tty2.stdout, /^\| 1 \| \d/m);
});

test('library errors are named by the flag that set them', async () => {
  const out = path.join(dir, 'never4.json');
  await refused(['train', '--algo', 'maml', '--support-size', '0', '--out', out], /^maml-sine: --support-size = 0 is invalid: expected an integer in \[1, 1000\]/);
  await refused(['train', '--algo', 'maml', '--phase-max', '-1', '--out', out], /--phase-max = -1 is invalid: expected a finite number >= 0/);
  await refused(['train', '--algo', 'reptile', '--seed-compat', '--out', out], /^maml-sine: --seed-compat = true is invalid: expected false for reptile/);
  await refused(['eval', path.join(dir, 'reptile.json'), '--shots', '0'], /--shots = 0 is invalid: expected an integer in \[1, 1000\]/);
  await refused(['train', '--algo', 'maml', '--meta-lr', 'NaN', '--out', out], /--meta-lr = "NaN" is invalid: expected a finite number > 0/);
});

test('--help is laid out from the option tables: labels padded to one column, long labels wrapped, ranges shown', async () => {
  // the layout rule, written out: a label column as wide as the longest label + 2, at most 34;
  // a label that does not fit goes on its own line and its help starts on the next, at column 36
  const evalHelp = (await runCli(['eval', '--help'])).stdout.split('\n');
  assert.deepEqual(evalHelp.slice(0, 5), [
    'usage: maml-sine eval FILE [options]',
    '',
    'Evaluate a checkpoint on held-out tasks: test MSE after k = 0..steps SGD steps (progress on stderr).',
    '',
    'options:',
  ]);
  assert.deepEqual(evalHelp.slice(5, 13), [
    '  --tasks N  held-out tasks (default 1000) [1..100000]',
    '  --seed N   seed of the held-out tasks (default 1) [>= 0]',
    '  --steps N  largest number of SGD steps k (default 10) [0..10000]',
    "  --lr LR    SGD learning rate (default 0.01; Meta-SGD uses its own) [> 0]",
    "  --shots K  K support points (default: the checkpoint's) [1..1000]",
    '  --json     print one JSON object instead of a table',
    '  --help     show this help',
    '',
  ]);
  assert.match(evalHelp[13], /^Numbers: integers in plain digits/);
  assert.equal(evalHelp.at(-1), '', 'ends with a newline');
  const trainHelp = (await runCli(['train', '--help'])).stdout.split('\n');
  const at = trainHelp.indexOf('options:');
  assert.ok(at > 0);
  assert.match(trainHelp[at + 1], /^ {2}--algo maml\|fomaml\|transfer\|reptile\|metasgd$/, 'a label wider than the column stands alone');
  assert.equal(trainHelp[at + 2], `${' '.repeat(36)}the algorithm (required)`);
  assert.equal(trainHelp[at + 3], `  ${'--out FILE'.padEnd(34)}checkpoint to write (required; a regular file or a new name)`);
  assert.equal(trainHelp[at + 4], `  ${'--seed-compat'.padEnd(34)}reproduce the original's support-gradient leak (maml, fomaml)`);
  assert.ok(trainHelp.includes(`  ${'--inner-lr LR'.padEnd(34)}inner SGD learning rate (default 0.01) [> 0]`));
  assert.ok(trainHelp.includes(`  ${'--seed N'.padEnd(34)}training seed (default 0) [>= 0]`));
  assert.ok(trainHelp.includes(`  ${'--phase-max PHI'.padEnd(34)}phases U(0, PHI) (default 6.283; the MAML paper: 3.14159) [>= 0]`));
  assert.ok(trainHelp.includes(`  ${'--workers N'.padEnd(34)}worker threads, same numbers for any N (default: one per core up to 4, or MAML_WORKERS; 1: main thread) [1..64]`));
  const general = (await runCli([])).stdout;
  assert.equal(general, (await runCli(['help'])).stdout);
  assert.match(general, /^usage: maml-sine COMMAND \[options\]\n\ncommands:\n {2}train {3}Meta-train .*\n {2}eval {4}Evaluate .*\n\nRun 'maml-sine COMMAND --help'/);
  assert.equal((await runCli(['help', 'eval'])).stdout, evalHelp.join('\n'));
  // help after `--` is a file name, not a request for help
  await refused(['eval', '--', '--help', 'x'], /checkpoint = \["--help","x"\] is invalid: expected exactly one checkpoint file/);
  await refused(['help', 'frobnicate'], /^maml-sine: command = "frobnicate" is invalid: expected 'train' or 'eval'/);
  await refused(['help', 'train', 'eval'], /^maml-sine: command = "train eval" is invalid/);
});

test('arguments: "-" is positional, "--" ends the options, an option may be attached with =', async () => {
  await refused(['eval', '-'], /checkpoint "-" cannot be read \(ENOENT\)|checkpoint "-" is invalid/);
  await refused(['eval', '--', '--tasks', '5'], /checkpoint = \["--tasks","5"\] is invalid/);
  await refused(['eval', '--tasks=5', '--tasks', '6', 'f'], /^maml-sine: --tasks is given twice \("--tasks=5", then "--tasks 6"\)/);
  await refused(['eval', 'f', '--json', '--json'], /^maml-sine: --json is given twice \("--json", then "--json"\)/);
  await refused(['eval', 'f', '--steps', '--json'], /^maml-sine: --steps needs a value: expected N \(the next argument "--json" is an option; to use it as the value write --steps=--json\)/);
  await refused(['eval', 'f', '--tasks='], /^maml-sine: --tasks = "" is invalid: expected an integer in \[1, 100000\] in plain digits/);
  await refused(['eval', 'f', '--seed', '-1'], /^maml-sine: --seed = "-1" is invalid: expected an integer >= 0 in plain digits/);
  await refused(['eval', 'f', '--steps', '10001'], /^maml-sine: --steps = 10001 is over the limit: expected at most 10000 SGD steps/);
  await refused(['train', '--algo', 'maml', '--out='], /^maml-sine: --out = "" is invalid: expected FILE, a file name/);
  await refused(['train', '--algo', 'nope', '--out', 'x'], /^maml-sine: --algo = "nope" is invalid: expected one of maml, fomaml, transfer, reptile, metasgd\n$/);
  await refused(['train', '--out', 'x'], /^maml-sine: --algo is required: expected maml \| fomaml \| transfer \| reptile \| metasgd\n$/);
  await refused(['train', '--algo', 'maml'], /^maml-sine: --out is required: expected FILE: checkpoint to write/);
  await refused(['train', '--algo=maml', '--phase-max=-0.5', '--out=x'], /^maml-sine: --phase-max = -0\.5 is invalid: expected a finite number >= 0/);
  // a real-number option takes 0 where it may be 0, and --flag=true equals --flag
  const zero = path.join(dir, 'phase0.json');
  const r = await runCli(['train', ...small, '--phase-max', '0', '--seed-compat=true', `--out=${zero}`]);
  assert.equal(r.code, 0, r.stderr);
  const ck = loadCheckpoint(zero).config;
  assert.deepEqual(ck.taskOptions.phaseRange, [0, 0]);
  assert.equal(ck.seedCompat, true);
});

test('train reports what it did on stderr: the engine, the run, and where it went', async () => {
  const out = path.join(dir, 'report.json');
  const r = await runCli(['train', '--algo', 'fomaml', '--epochs', '2', '--tasks', '15', '--replicas', '2', '--seed-compat', '--workers', '1', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[0], /^engine: wasm-f32 \(hand-derived gradients in float32 WebAssembly SIMD kernels, weights and Adam in float64/, 'the default engine');
  assert.match(lines.at(-1)!, new RegExp(`^trained fomaml \\(seed-compat\\): 2 replica\\(s\\) x 2 epoch\\(s\\) x 15 tasks in \\d+(ms|s) \\(\\d+\\.\\d{3} ms/task, engine wasm-f32, main thread\\) -> ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  assert.match(r.stderr, /^train fomaml \[#{30}\] 100% 60\/60 tasks/m, 'progress to 2 × 2 × 15 = 60 tasks');
  const fast = await runCli(['train', ...small, '--engine', 'fast', '--out', path.join(dir, 'report-fast.json')]);
  assert.match(fast.stderr, /^engine: fast \(hand-derived float64 gradients in TypeScript, the reference/);
  assert.match(fast.stderr, /, engine fast, main thread\) ->/);
  const ck = loadCheckpoint(out);
  assert.equal(ck.config.engine, 'wasm-f32');
  assert.equal(ck.config.epochs, 2);
  assert.equal(ck.config.tasks, 15);
  assert.equal(ck.replicas.length, 2);
});

test('--workers: refused outside [1, 64] before any work; 1 and 2 workers write the same bits', async () => {
  const out = path.join(dir, 'workers.json');
  await refused(['train', ...small, '--workers', '0', '--out', out], /^maml-sine: --workers = 0 is invalid: expected an integer in \[1, 64\]\n$/);
  await refused(['train', ...small, '--workers', '65', '--out', out], /^maml-sine: --workers = 65 is invalid: expected an integer in \[1, 64\]\n$/);
  const saved = process.env.MAML_WORKERS;
  try {
    process.env.MAML_WORKERS = 'two';
    await refused(['train', ...small, '--out', out], /^maml-sine: MAML_WORKERS = "two" is invalid: expected an integer in \[1, 64\]\n$/);
    process.env.MAML_WORKERS = '1';
    const one = path.join(dir, 'workers1.json');
    const two = path.join(dir, 'workers2.json');
    const args = ['train', '--algo', 'maml', '--epochs', '2', '--tasks', '30', '--replicas', '3', '--meta-batch', '4', '--seed', '7'];
    const a = await runCli([...args, '--out', one]);
    assert.match(a.stderr, /main thread\) ->/, 'MAML_WORKERS=1: the main thread');
    const b = await runCli([...args, '--workers', '2', '--out', two]);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stderr, /, 2 worker threads\) ->/);
    const [x, y] = [loadCheckpoint(one), loadCheckpoint(two)];
    assert.equal(x.replicas.length, 3);
    x.replicas.forEach((theta, r) => assert.deepEqual(Buffer.from(y.replicas[r].buffer), Buffer.from(theta.buffer), `replica ${r}: the same bits`));
    assert.deepEqual(y.history, x.history);
    // never more workers than replicas
    const c = await runCli(['train', ...small, '--workers', '8', '--out', path.join(dir, 'workers8.json')]);
    assert.match(c.stderr, /main thread\) ->/, 'one replica: the main thread');
  } finally {
    if (saved === undefined) delete process.env.MAML_WORKERS;
    else process.env.MAML_WORKERS = saved;
  }
  assert.equal(fs.existsSync(out), false);
});
