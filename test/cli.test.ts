/**
 * The CLI as a user runs it: `npx maml-sine ...` from the project folder (child processes, real
 * files, permissions, full and read-only disks). The parser's many cases run in-process, fast,
 * in cli-parse.test.ts.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { refused, runCli } from './cli-helpers';
import { LIMITS, loadCheckpoint, StorageError, writeFileAtomic } from '../lib/index';
import { scratchDir } from './scratch';

const root = path.join(__dirname, '..');
const dir = scratchDir('maml-sine-cli-');

/** The real program: bin/maml-sine.js in a child process. */
function cli(args: string[], options: { uid?: number; gid?: number; timeout?: number } = {}) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'maml-sine.js'), ...args], { cwd: root, encoding: 'utf8', timeout: options.timeout ?? 60_000, ...options });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const small = ['--algo', 'maml', '--epochs', '1', '--tasks', '20'];

test('train then eval --json', () => {
  const file = path.join(dir, 'm.json');
  const t = cli(['train', '--algo', 'maml', '--replicas', '2', '--epochs', '1', '--tasks', '300', '--seed', '4', '--out', file]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stderr, /100% 600\/600 tasks/);
  const e = cli(['eval', file, '--tasks', '40', '--steps', '3', '--json']);
  assert.equal(e.code, 0, e.stderr);
  const out = JSON.parse(e.stdout);
  assert.deepEqual(out.steps, [0, 1, 2, 3]);
  assert.equal(out.mean.length, 4);
  assert.equal(out.ci95.length, 4);
  assert.equal(out.tasks, 40);
  assert.equal(out.replicas, 2);
  assert.ok(out.mean[3] < out.mean[0], 'adaptation lowers the test MSE');
  // eval shows a progress bar on stderr like train (not a terminal: one line per 10%)
  assert.match(e.stderr, /^eval \[#+\] 100% 40\/40 tasks/m);
});

test('--help from the real program exits 0 with the usage on stdout', () => {
  const real = cli(['train', '--help']);
  assert.equal(real.code, 0);
  assert.match(real.stdout, /usage: maml-sine train --algo ALGO --out FILE/);
});

test('bad input exits with code 2, names the flag and value, and writes nothing (real process)', () => {
  const file = path.join(dir, 'never.json');
  // the rest of the parser is tested in-process below; these prove the real exit code and stderr
  const cases: [string[], RegExp][] = [
    [['train', '--algo', 'maml', '--inner-lr', '-0.5', '--out', file], /--inner-lr = -0\.5 is invalid: expected a finite number > 0/],
    [['train', '--algo', 'maml', '--out', '--fresh-tasks'], /^maml-sine: --out needs a value: expected FILE \(the next argument "--fresh-tasks" is an option/],
    [['frobnicate'], /command = "frobnicate" is invalid/],
  ];
  for (const [args, pattern] of cases) {
    const r = cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  }
  assert.equal(fs.existsSync(file), false);
  assert.equal(fs.existsSync(path.join(root, '--fresh-tasks')), false);
});

test('a bad --out is found before training: directory, file as parent, symlink, device, FIFO, long name', async () => {
  const d = fs.mkdtempSync(path.join(dir, 'out-'));
  fs.writeFileSync(path.join(d, 'file'), 'keep');
  fs.symlinkSync(path.join(d, 'file'), path.join(d, 'link.json'));
  // a run this long would take minutes: every case must be refused before it starts
  const big = ['train', '--algo', 'maml', '--replicas', '5', '--tasks', '100000'];
  const cases: [string, RegExp][] = [
    [d, /cannot write checkpoint "[^"]+": it is a directory, expected a regular file or a new name; give a file name inside it\n$/],
    [path.join(d, 'file', 'm.json'), /cannot write checkpoint "[^"]+\/file\/m\.json": a component of the path is not a directory \(ENOTDIR\); nothing was written\n$/],
    [path.join(d, 'link.json'), /it is a symbolic link, expected a regular file or a new name; give the real path\n$/],
    ['/dev/null', /cannot write checkpoint "\/dev\/null": it is a character device/],
    [path.join(d, 'n'.repeat(300)), /file name too long \(ENAMETOOLONG\)/],
    [`${d}/sub/`, /it names a directory, expected a file name\n$/],
  ];
  if (spawnSync('mkfifo', [path.join(d, 'fifo')]).status === 0) cases.push([path.join(d, 'fifo'), /it is a FIFO/]);
  const t0 = Date.now();
  for (const [out, pattern] of cases) {
    const r = await refused([...big, '--out', out], pattern);
    assert.doesNotMatch(r.stderr, /train maml \[/, 'no training started');
  }
  assert.ok(Date.now() - t0 < 5000);
  assert.ok(fs.lstatSync(path.join(d, 'link.json')).isSymbolicLink());
  assert.equal(fs.readFileSync(path.join(d, 'file'), 'utf8'), 'keep');
  assert.ok(fs.statSync('/dev/null').isCharacterDevice());
  assert.deepEqual(fs.readdirSync(d).sort(), ['fifo', 'file', 'link.json'].filter((f) => f !== 'fifo' || cases.length === 7).sort());
});

test('no permission: exit 2 naming the path and EACCES, before training', (t) => {
  const d = fs.mkdtempSync(path.join(dir, 'perm-'));
  fs.mkdirSync(path.join(d, 'locked'), { mode: 0o555 });
  fs.chmodSync(d, 0o755);
  fs.chmodSync(dir, 0o755);
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  if (process.getuid?.() === 0 && spawnSync(process.execPath, ['-e', ''], asNobody).status !== 0) {
    t.skip('running as root and cannot start a process as uid 65534 (nobody), so EACCES cannot happen');
    return;
  }
  // uid 65534 must be able to read the program itself (not so in a private copy of the project,
  // e.g. Stryker's sandbox under a 0700 folder): otherwise the run fails before the check tested here
  const readable = spawnSync(process.execPath, ['-e', 'for (const f of process.argv.slice(1)) require("fs").accessSync(f, require("fs").constants.R_OK)',
    path.join(root, 'bin', 'maml-sine.js'), path.join(root, 'lib', 'cli.ts'), require.resolve('tsx')], asNobody);
  if (process.getuid?.() === 0 && readable.status !== 0) {
    t.skip(`uid 65534 cannot read this copy of the project (${root}), so the CLI cannot start as that user`);
    return;
  }
  const out = path.join(d, 'locked', 'm.json');
  const r = cli(['train', '--algo', 'maml', '--tasks', '100000', '--out', out], asNobody);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^maml-sine: cannot write checkpoint "[^"]+\/locked\/m\.json": permission denied \(EACCES\); nothing was written\n$/);
});

test('folders created for --out are removed when training or the save fails', async () => {
  const d = fs.mkdtempSync(path.join(dir, 'made-'));
  const r = await runCli(['train', '--algo', 'maml', '--tasks', '50', '--epochs', '1', '--meta-lr', '1e200', '--out', path.join(d, 'a', 'b', 'm.json')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /\nmaml-sine: the loss became (NaN|Infinity) at replica 0, epoch 1, task \d+: expected a finite loss; the run diverged/);
  assert.deepEqual(fs.readdirSync(d), []);
});

/** Mounts a tmpfs of `size` at a fresh folder, or returns why it cannot. */
function mountTmpfs(size: string, extra = ''): { dir: string; unmount: () => void } | string {
  if (process.platform !== 'linux') return `tmpfs needs Linux (this is ${process.platform})`;
  const mnt = fs.mkdtempSync(path.join(dir, 'tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${extra}`, 'tmpfs', mnt], { encoding: 'utf8' });
  if (r.status !== 0) return `mount -t tmpfs is not permitted here (${(r.stderr || String(r.error)).trim()})`;
  return { dir: mnt, unmount: () => void spawnSync('umount', [mnt]) };
}

test('disk full (a real 64 KiB tmpfs): exit 2, the previous checkpoint intact, no temp files', (t) => {
  const fsMount = mountTmpfs('64k');
  if (typeof fsMount === 'string') {
    console.error(`SKIPPED disk-full test: ${fsMount}`);
    t.skip(fsMount);
    return;
  }
  try {
    const file = path.join(fsMount.dir, 'm.json');
    // one replica: ~37 KB, fits; two replicas: ~73 KB, cannot
    const good = cli(['train', '--algo', 'maml', '--epochs', '1', '--tasks', '30', '--out', file]);
    assert.equal(good.code, 0, good.stderr);
    const before = fs.readFileSync(file);
    const full = cli(['train', '--algo', 'maml', '--epochs', '1', '--tasks', '30', '--replicas', '2', '--out', file]);
    assert.equal(full.code, 2, full.stderr);
    // found before training: the free space is less than the checkpoint's size bound
    assert.match(full.stderr, /^maml-sine: cannot write checkpoint "[^"]+\/m\.json": no space left on the device \(ENOSPC\): it needs up to \d+ KiB, \d+ KiB are free; the previous file is unchanged\n$/);
    assert.deepEqual(fs.readFileSync(file), before);
    assert.deepEqual(fs.readdirSync(fsMount.dir), ['m.json'], 'no temp file left');
    assert.equal(loadCheckpoint(file).replicas.length, 1);
    // a folder created for --out on the full disk goes again
    const nested = cli(['train', '--algo', 'maml', '--epochs', '1', '--tasks', '30', '--out', path.join(fsMount.dir, 'new', 'm.json')]);
    assert.equal(nested.code, 2, nested.stderr);
    assert.match(nested.stderr, /ENOSPC\): it needs up to \d+ KiB, \d+ KiB are free; nothing was written\n$/);
    assert.deepEqual(fs.readdirSync(fsMount.dir), ['m.json']);
    // the write itself on the full disk (space taken after the check): ENOSPC from write(2)
    const text = fs.readFileSync(file, 'utf8').replace('"replicas":[', '"replicas":[' + '{},'.repeat(3000));
    assert.throws(
      () => writeFileAtomic(file, text, { what: 'checkpoint' }),
      (err: unknown) => err instanceof StorageError && err.code === 'ENOSPC' && /no space left on the device \(ENOSPC\); the previous file is unchanged$/.test(err.message),
    );
    assert.deepEqual(fs.readFileSync(file), before);
    assert.deepEqual(fs.readdirSync(fsMount.dir), ['m.json'], 'no temp file left');
  } finally {
    fsMount.unmount();
  }
});

test('a read-only file system: exit 2 with EROFS before training', (t) => {
  const ro = mountTmpfs('64k', ',ro');
  if (typeof ro === 'string') {
    t.skip(ro);
    return;
  }
  try {
    const r = cli(['train', '--algo', 'maml', '--tasks', '100000', '--out', path.join(ro.dir, 'm.json')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^maml-sine: cannot write checkpoint "[^"]+": read-only file system \(EROFS\); nothing was written\n$/);
  } finally {
    ro.unmount();
  }
});

test('eval refuses non-regular and hostile checkpoint paths without hanging', async () => {
  const fifo = path.join(dir, 'eval.fifo');
  if (spawnSync('mkfifo', [fifo]).status === 0) {
    // a real process with a timeout: opening a FIFO for reading would block until a writer comes
    const r = cli(['eval', fifo], { timeout: 20_000 });
    assert.equal(r.code, 2, `${r.code} ${r.stderr}`);
    assert.match(r.stderr, /^maml-sine: checkpoint "[^"]+eval\.fifo" is invalid: it is a FIFO, expected a regular file\n$/);
  }
  await refused(['eval', '/dev/zero'], /checkpoint "\/dev\/zero" is invalid: it is a character device, expected a regular file/);
  await refused(['eval', dir], /is invalid: it is a directory, expected a regular file/);
  await refused(['eval', path.join(dir, 'missing.json')], /missing\.json" cannot be read \(ENOENT\)/);
  const corrupt = path.join(dir, 'corrupt.json');
  fs.writeFileSync(corrupt, '{"format": "maml-sine/checkpoint@1", "config": ');
  await refused(['eval', corrupt], /corrupt\.json" is invalid: not valid JSON/);
});

test('reptile, metasgd and the paper-setting options from the command line', () => {
  const file = path.join(dir, 'reptile.json');
  const t = cli(['train', '--algo', 'reptile', '--tasks', '200', '--epochs', '1', '--fresh-tasks', '--phase-max', String(Math.PI), '--support-size', '5', '--out', file]);
  assert.equal(t.code, 0, t.stderr);
  const e = cli(['eval', file, '--tasks', '30', '--steps', '2', '--shots', '5', '--json']);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(JSON.parse(e.stdout).algo, 'reptile');
  const m = cli(['train', '--algo', 'metasgd', '--tasks', '100', '--epochs', '1', '--out', path.join(dir, 'msgd.json')]);
  assert.equal(m.code, 0, m.stderr);
});

