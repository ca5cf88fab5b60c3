/**
 * The Jupyter save hook (scripts/jupyter/maml_sine_save_hook.py) in a scratch git repository
 * with the project's clean filter: a notebook saved with outputs makes `git status` list it
 * (git compares sizes before filtering) until the hook runs; after it, git sees nothing. A real
 * change to the code is left alone: still listed, and nothing staged behind the user's back.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scratchDir } from './scratch';

const root = path.join(__dirname, '..');
const HOOK = path.join(root, 'scripts', 'jupyter', 'maml_sine_save_hook.py');
const FILTER = path.join(root, 'scripts', 'strip_notebook_outputs.py');

function run(cwd: string, cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function notebook(source: string, outputs: unknown[]): string {
  return JSON.stringify({
    cells: [{ cell_type: 'code', execution_count: outputs.length ? 1 : null, metadata: {}, outputs, source: [source] }],
    metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
    nbformat: 4, nbformat_minor: 5,
  }, null, 1) + '\n';
}

test('the save hook clears git status for a notebook saved with outputs, and only then', () => {
  const repo = scratchDir('maml-sine-save-hook-');
  const git = (...args: string[]) => run(repo, 'git', args);
  git('init', '-q');
  git('config', 'user.email', 'test@example.invalid');
  git('config', 'user.name', 'test');
  git('config', 'filter.strip-notebook-outputs.clean', `/usr/bin/python3 ${FILTER}`);
  fs.mkdirSync(path.join(repo, 'notebooks'));
  fs.writeFileSync(path.join(repo, '.gitattributes'), 'notebooks/*.ipynb filter=strip-notebook-outputs\n');
  const file = path.join(repo, 'notebooks', 'a.ipynb');
  fs.writeFileSync(file, notebook('console.log(1)', []));
  git('add', '.');
  git('commit', '-qm', 'start');
  const hook = () => run(repo, '/usr/bin/python3', [HOOK, file]);

  // saved with outputs: through the filter the same, but git status lists it (size changed)
  const withOutputs = notebook('console.log(1)', [{ output_type: 'stream', name: 'stdout', text: ['1\n'] }]);
  fs.writeFileSync(file, withOutputs);
  assert.equal(git('diff', '--stat'), '', 'the filter drops the outputs');
  assert.match(git('status', '--porcelain'), /^ M notebooks\/a\.ipynb$/m, 'without the hook git status lists the file');
  hook();
  assert.equal(git('status', '--porcelain'), '', 'after the hook git sees no change');
  assert.equal(fs.readFileSync(file, 'utf8'), withOutputs, 'the file on disk keeps its outputs');

  // a real change: listed, nothing staged
  fs.writeFileSync(file, notebook('console.log(2)', [{ output_type: 'stream', name: 'stdout', text: ['2\n'] }]));
  hook();
  assert.match(git('status', '--porcelain'), /^ M notebooks\/a\.ipynb$/m, 'a code change stays visible');
  assert.equal(git('diff', '--cached', '--stat'), '', 'the hook staged nothing');
  fs.rmSync(repo, { recursive: true, force: true });
});
