/**
 * Nothing a user runs or reads may point outside the repository: a clone has no sibling `shared`
 * folder (where the project's PyTorch port and notes once lived), so every such citation is a
 * dead end. Checked over every file git tracks (`git ls-files`): notebooks, lib, bench,
 * scripts, reference, README, tests, package.json, ... Nothing is excluded. Symlinks are
 * checked by their target path (notebooks/lib -> ../lib), not followed.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
// Built from parts so that this file does not match itself.
const FORBIDDEN = [['..', 'shared'].join('/'), ['', 'work', 'shared'].join('/')];

test('no tracked file mentions the folder outside the repository', () => {
  const r = spawnSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `git ls-files failed: ${r.stderr}`);
  const files = r.stdout.split('\0').filter((f) => f.length > 0);
  assert.ok(files.length > 20 && files.includes('README.md') && files.includes('package.json'), `git ls-files listed ${files.length} files`);
  const hits: string[] = [];
  for (const file of files) {
    const full = path.join(root, file);
    const stat = fs.lstatSync(full, { throwIfNoEntry: false });
    if (stat === undefined) continue; // tracked but deleted in the work tree: nothing to read
    const text = stat.isSymbolicLink() ? fs.readlinkSync(full) : fs.readFileSync(full, 'utf8');
    text.split('\n').forEach((line, i) => {
      if (FORBIDDEN.some((f) => line.includes(f))) hits.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`);
    });
  }
  assert.deepEqual(hits, [], `files that cite a folder outside the repository:\n${hits.join('\n')}`);
});
