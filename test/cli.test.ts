/** The CLI as a user runs it: `npx maml-sine ...` from the project folder. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maml-sine-cli-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'maml-sine.js'), ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('train then eval --json', () => {
  const file = path.join(dir, 'm.json');
  const t = cli('train', '--algo', 'maml', '--replicas', '2', '--epochs', '1', '--tasks', '300', '--seed', '4', '--out', file);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stderr, /100% 600\/600 tasks/);
  const e = cli('eval', file, '--tasks', '40', '--steps', '3', '--json');
  assert.equal(e.code, 0, e.stderr);
  const out = JSON.parse(e.stdout);
  assert.deepEqual(out.steps, [0, 1, 2, 3]);
  assert.equal(out.mean.length, 4);
  assert.equal(out.ci95.length, 4);
  assert.equal(out.tasks, 40);
  assert.equal(out.replicas, 2);
  assert.ok(out.mean[3] < out.mean[0], 'adaptation lowers the test MSE');
});

test('bad input exits with code 2, names the flag and value, and writes nothing', () => {
  const file = path.join(dir, 'never.json');
  const cases: [string[], RegExp][] = [
    [['train', '--algo', 'maml', '--inner-lr', '-0.5', '--out', file], /--inner-lr = -0\.5 is invalid: expected a finite number > 0/],
    [['train', '--algo', 'maml', '--tasks', '0', '--out', file], /--tasks = 0 is invalid: expected an integer >= 1/],
    [['train', '--algo', 'maml', '--replicas', '0', '--out', file], /--replicas = 0 is invalid/],
    [['train', '--algo', 'nope', '--out', file], /--algo = "nope" is invalid: expected one of maml, fomaml, transfer/],
    [['train', '--algo', 'maml', '--meta-lr', 'NaN', '--out', file], /--meta-lr = "NaN" is invalid: expected a finite number/],
    [['train', '--algo', 'maml'], /--out = undefined is invalid/],
    [['train', '--algo', 'maml', '--bogus', '1', '--out', file], /option = "--bogus" is invalid/],
    [['eval', path.join(dir, 'missing.json')], /cannot be read \(ENOENT\)/],
    [['frobnicate'], /command = "frobnicate" is invalid/],
  ];
  for (const [args, pattern] of cases) {
    const r = cli(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
  }
  assert.equal(fs.existsSync(file), false);
});

test('eval of a corrupt file exits 2', () => {
  const file = path.join(dir, 'corrupt.json');
  fs.writeFileSync(file, '{"format": "maml-sine/checkpoint@1", "config": ');
  const r = cli('eval', file);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /corrupt\.json is invalid: not valid JSON/);
});

test('reptile, metasgd and the paper-setting options from the command line', () => {
  const file = path.join(dir, 'reptile.json');
  const t = cli('train', '--algo', 'reptile', '--tasks', '200', '--epochs', '1', '--fresh-tasks', '--phase-max', String(Math.PI), '--support-size', '5', '--out', file);
  assert.equal(t.code, 0, t.stderr);
  const e = cli('eval', file, '--tasks', '30', '--steps', '2', '--shots', '5', '--json');
  assert.equal(e.code, 0, e.stderr);
  assert.equal(JSON.parse(e.stdout).algo, 'reptile');
  const m = cli('train', '--algo', 'metasgd', '--tasks', '100', '--epochs', '1', '--out', path.join(dir, 'msgd.json'));
  assert.equal(m.code, 0, m.stderr);
  const bad: [string[], RegExp][] = [
    [['train', '--algo', 'maml', '--support-size', '0', '--out', file], /--support-size \/ --shots = 0 is invalid: expected an integer >= 1/],
    [['train', '--algo', 'maml', '--phase-max', '-1', '--out', file], /--phase-max = \[0,-1\] is invalid: expected min <= max/],
    [['train', '--algo', 'reptile', '--seed-compat', '--out', file], /seedCompat = true is invalid: expected false for reptile/],
    [['eval', file, '--shots', '0'], /--support-size \/ --shots = 0 is invalid/],
  ];
  for (const [args, re] of bad) {
    const r = cli(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, re);
  }
});
