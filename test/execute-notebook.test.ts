/**
 * scripts/execute_notebook.py's export (npm run report): the cache of nbformat's relaxed
 * validators it installs (nbformat 5.5 compiles each afresh) changes nothing but the time: the
 * same HTML as an export without it, and an invalid notebook is still refused.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.join(__dirname, '..');

function python(code: string): string {
  const r = spawnSync('/usr/bin/python3', ['-c', code], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const exportCode = (cached: boolean) => `
import sys, hashlib, nbformat
sys.path.insert(0, 'scripts')
import execute_notebook as e
from nbconvert import HTMLExporter
if ${cached ? 'True' : 'False'}:
    e.cache_relaxed_validators()
from nbformat import validator
nb = nbformat.read('notebooks/06-why-transfer-learns-the-average.ipynb', as_version=4)
body, _ = HTMLExporter(template_name='maml-sine', extra_template_basedirs=['scripts/nbconvert']).from_notebook_node(nb)
print(hasattr(validator.get_validator, 'cache_info'), len(body), hashlib.sha256(body.encode()).hexdigest())
`;

test('the cached relaxed validators give the same HTML export as fresh ones', () => {
  const [withCache, without] = [exportCode(true), exportCode(false)].map((c) => python(c).trim().split(' '));
  assert.equal(withCache[0], 'True', 'the cache is installed');
  assert.equal(without[0], 'False');
  assert.ok(Number(withCache[1]) > 10_000, 'an HTML page');
  assert.deepEqual(withCache.slice(1), without.slice(1));
});

test('with the cache an invalid notebook is still refused, relaxed or not', () => {
  const out = python(`
import sys, nbformat
sys.path.insert(0, 'scripts')
import execute_notebook as e
e.cache_relaxed_validators()
e.cache_relaxed_validators()  # twice: still one cache
nb = nbformat.read('notebooks/06-why-transfer-learns-the-average.ipynb', as_version=4)
for relax in (True, False, True):
    nbformat.validate(nb, relax_add_props=relax)
nb.cells[0]['cell_type'] = 'nonsense'
for relax in (True, False):
    try:
        nbformat.validate(nb, relax_add_props=relax)
        print('accepted')
    except nbformat.ValidationError:
        print('refused')
`);
  assert.deepEqual(out.trim().split('\n').filter((l) => !l.includes('Warning')), ['refused', 'refused']);
});
