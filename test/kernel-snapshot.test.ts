/**
 * The kernel snapshot (scripts/kernel-snapshot.cjs, scripts/tslab-kernel): a kernel started from
 * it parses none of the declaration files again, shows what a kernel started without it shows
 * (results and type errors), and the wrapper falls back to tslab itself when the snapshot was
 * built for another folder or Node, or is turned off.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scratchDir } from './scratch';

const root = path.join(__dirname, '..');
const KERNEL = path.join(root, 'scripts', 'tslab-kernel');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snapshot = require('../scripts/kernel-snapshot.cjs') as {
  BLOB: string;
  stamp: () => string;
  notebookImports: () => string;
  sourceFileCache: () => {
    stats: { hits: number; misses: number; missed: string[] };
    size: () => number;
    stopRecording: () => void;
    lookup: (fileName: string, text: string, options: unknown, setParentNodes: boolean, scriptKind: number | undefined, parse: (...a: unknown[]) => unknown) => unknown;
  };
};

test('the cache serves a SourceFile only for the same name, options and text', () => {
  const cache = snapshot.sourceFileCache();
  let parsed = 0;
  const parse = (fileName: unknown, text: unknown) => ({ fileName, text, n: ++parsed });
  const moduleIndicator = (file: unknown) => file;
  const options = { languageVersion: 9, setExternalModuleIndicator: moduleIndicator };
  const recorded = cache.lookup('/p/a.d.ts', 'declare const a: number;', options, false, undefined, parse);
  cache.lookup('/p/__kernel_snapshot__.ts', "import * as a from './a';", options, false, undefined, parse);
  cache.stopRecording();
  assert.equal(cache.size(), 1, "the builder's root file is not kept");
  assert.equal(cache.lookup('/p/a.d.ts', 'declare const a: number;', { ...options }, false, undefined, parse), recorded, 'same name, options, text: the recorded object');
  assert.equal(cache.lookup('/p/a.d.ts', 'declare const a: string;', options, false, undefined, parse), undefined, 'edited text: parsed again');
  assert.equal(cache.lookup('/p/a.d.ts', 'declare const a: number;', { ...options, languageVersion: 8 }, false, undefined, parse), undefined, 'another target');
  assert.equal(cache.lookup('/p/a.d.ts', 'declare const a: number;', { ...options, setExternalModuleIndicator: () => true }, false, undefined, parse), undefined, 'another module detection');
  assert.equal(cache.lookup('/p/a.d.ts', 'declare const a: number;', options, true, undefined, parse), undefined, 'parent pointers asked for');
  assert.equal(cache.lookup('/p/b.d.ts', 'declare const a: number;', options, false, undefined, parse), undefined, 'another file');
  assert.equal(cache.lookup('/p/__kernel_snapshot__.ts', "import * as a from './a';", options, false, undefined, parse), undefined);
  assert.deepEqual({ hits: cache.stats.hits, misses: cache.stats.misses }, { hits: 1, misses: 6 });
  assert.equal(parsed, 2, 'a lookup after recording never parses (createSourceFile does, on a miss)');
});

test("the builder's program imports what every notebook imports", () => {
  const imports = snapshot.notebookImports();
  for (const module of ['./lib/notebook', './lib/autodiff', '@tensorflow/tfjs', 'node:assert/strict', './lib/display/display']) {
    assert.ok(imports.includes(`from '${module}'`), `${module} in\n${imports}`);
  }
});

/** Runs `scripts/tslab-kernel kernel --help` with the given snapshot blob; returns its exit status. */
function kernelHelp(blob: string): { status: number | null; out: string } {
  const r = spawnSync(KERNEL, ['kernel', '--help'], { encoding: 'utf8', env: { ...process.env, MAML_KERNEL_SNAPSHOT: blob }, timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('the wrapper uses a snapshot only when its stamp names this folder and this Node', () => {
  const dir = scratchDir('maml-sine-snapshot-');
  try {
    const blob = path.join(dir, 'kernel.blob');
    fs.writeFileSync(blob, 'not a snapshot'); // node refuses it: a run that uses it fails
    assert.equal(kernelHelp(blob).status, 0, 'no stamp: tslab itself');
    fs.writeFileSync(`${blob}.stamp`, `${root} v0.0.0\n`);
    assert.equal(kernelHelp(blob).status, 0, 'built for another Node: tslab itself');
    fs.writeFileSync(`${blob}.stamp`, `${path.join(root, 'elsewhere')} ${process.version}\n`);
    assert.equal(kernelHelp(blob).status, 0, 'built for another folder: tslab itself');
    fs.writeFileSync(`${blob}.stamp`, `${root} ${process.version}\n`);
    assert.notEqual(kernelHelp(blob).status, 0, 'a matching stamp: the wrapper does use the blob (this one is garbage)');
    assert.equal(kernelHelp('').status, 0, 'MAML_KERNEL_SNAPSHOT= (empty): tslab itself');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

type CellResult = { status: string; text: string; error: string };

function runCells(env: Record<string, string | undefined>, cells: string[]): CellResult[] {
  const r = spawnSync('/usr/bin/python3', [path.join(__dirname, 'jupyter', 'run_cells.py'), KERNEL, path.join(root, 'notebooks'), ...cells], {
    encoding: 'utf8', env: { ...process.env, ...env }, timeout: 180_000,
  });
  assert.equal(r.status, 0, `run_cells.py failed:\n${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout) as CellResult[];
}

test('npm ci built the kernel snapshot for this folder and this Node', () => {
  assert.ok(fs.existsSync(snapshot.BLOB), `${snapshot.BLOB} missing: npm ci builds it (npm run build:kernel)`);
  assert.equal(fs.readFileSync(`${snapshot.BLOB}.stamp`, 'utf8').trim(), snapshot.stamp(), 'the snapshot was built for this folder and Node');
});

test('a kernel from the snapshot parses no declaration file again and shows what a kernel without it shows', (t) => {
  // a snapshot of the files as they are now (the installed one may predate an edit of lib/, which
  // the kernel then parses afresh: correct, only slower)
  const dir = scratchDir('maml-sine-snapshot-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const blob = path.join(dir, 'kernel.blob');
  const built = spawnSync(process.execPath, [path.join(root, 'scripts', 'kernel-snapshot.cjs'), 'build'], {
    encoding: 'utf8', env: { ...process.env, MAML_KERNEL_SNAPSHOT: blob, MAML_KERNEL_SNAPSHOT_STRICT: '1' }, timeout: 120_000,
  });
  assert.equal(built.status, 0, `kernel-snapshot.cjs build failed:\n${built.stderr}`);
  const cells = [
    "import * as ms from './lib/notebook';\nimport * as tf from '@tensorflow/tfjs';\nimport * as assert from 'node:assert/strict';",
    'const r = ms.evaluate(ms.randomModels(1), ms.paramLayout(), ms.heldOutTasks(20), { steps: 2 });\n' +
      "console.log(r.summary[2].mean.toPrecision(17), tf.tensor([1, 2]).square().arraySync(), typeof assert.equal);",
    'console.log(JSON.stringify({ execArgv: process.execArgv, stats: (globalThis as any).__mamlSourceFiles?.stats ?? null }));',
    "const wrong: number = 'text';",
  ];
  const fromSnapshot = runCells({ MAML_KERNEL_SNAPSHOT: blob }, cells);
  const plain = runCells({ MAML_KERNEL_SNAPSHOT: '' }, cells);
  const [snapshotRun, plainRun] = [fromSnapshot, plain].map((cellsRun) => JSON.parse(cellsRun[2].text) as {
    execArgv: string[]; stats: { hits: number; misses: number; missed: string[] } | null });
  assert.ok(snapshotRun.execArgv.includes('--snapshot-blob'), `started from the snapshot: ${snapshotRun.execArgv}`);
  assert.ok(!plainRun.execArgv.includes('--snapshot-blob') && plainRun.stats === null, 'MAML_KERNEL_SNAPSHOT= starts tslab itself');
  const { stats } = snapshotRun;
  assert.ok(stats !== null && stats.hits > 500, `declaration files served from the snapshot: ${JSON.stringify(stats)}`);
  // what is parsed is tslab's in-memory files (the cell, the previous cells' declarations), never
  // a file on disk: no lib.*.d.ts, no @types, no tfjs declarations, no lib/ module
  const fromDisk = stats.missed.filter((f) => !/(^|\/)(__tslab__\.ts|__prev__\.d\.ts|__guess__\.ts|custom\.js)$/.test(f));
  assert.deepEqual(fromDisk, [], 'files on disk parsed again in the kernel');
  for (let i = 0; i < cells.length; i++) {
    if (i === 2) continue; // the diagnostics cell itself differs, by design
    assert.deepEqual(fromSnapshot[i], plain[i], `cell ${i + 1} shows the same with and without the snapshot`);
  }
  assert.equal(fromSnapshot[3].status, 'error', 'a type error is still an error');
  assert.match(fromSnapshot[3].error, /Type 'string' is not assignable to type 'number'/);
});

test('a snapshot that cannot be written leaves set-up working: one line saying so, exit 0 (1 when strict)', (t) => {
  const dir = scratchDir('maml-sine-snapshot-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'file'), '');
  const blob = path.join(dir, 'file', 'kernel.blob'); // under a file: no one can create that folder, root included
  for (const strict of [false, true]) {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'kernel-snapshot.cjs'), 'build'], {
      encoding: 'utf8', env: { ...process.env, MAML_KERNEL_SNAPSHOT: blob, MAML_KERNEL_SNAPSHOT_STRICT: strict ? '1' : '' }, timeout: 120_000,
    });
    assert.equal(r.status, strict ? 1 : 0, r.stderr);
    assert.match(r.stderr.trim(), /^kernel snapshot: not built \(.*(ENOTDIR|EEXIST).*\); the tslab kernel will start without it$/);
  }
});
