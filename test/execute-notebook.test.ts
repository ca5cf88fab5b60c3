/**
 * scripts/execute_notebook.py's export (npm run report): the cache of nbformat's relaxed
 * validators it installs (nbformat 5.5 compiles each afresh) changes nothing but the time: the
 * same HTML as an export without it (and it is used), and a notebook that breaks the schema is
 * still refused.
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
print(validator.get_validator.cache_info().hits if hasattr(validator.get_validator, 'cache_info') else -1, len(body), hashlib.sha256(body.encode()).hexdigest())
`;

test('the cached relaxed validators give the same HTML export as fresh ones', () => {
  const [withCache, without] = [exportCode(true), exportCode(false)].map((c) => python(c).trim().split(' '));
  assert.ok(Number(withCache[0]) >= 5, `the export used the cache (${withCache[0]} hits)`);
  assert.equal(without[0], '-1');
  assert.ok(Number(withCache[1]) > 10_000, 'an HTML page');
  assert.deepEqual(withCache.slice(1), without.slice(1));
});

test('with the cache the export still validates: a notebook that breaks the schema is refused', () => {
  // (a cache that handed out a validator that checks nothing would let it through)
  const out = python(`
import sys, nbformat
sys.path.insert(0, 'scripts')
import execute_notebook as e
from nbformat import validator
from nbconvert import HTMLExporter
e.cache_relaxed_validators()
cached = validator.get_validator
e.cache_relaxed_validators()
print('one cache' if validator.get_validator is cached else 'two caches')
nb = nbformat.read('notebooks/06-why-transfer-learns-the-average.ipynb', as_version=4)
nb.cells[1]['execution_count'] = 'not a number'
try:
    HTMLExporter(template_name='maml-sine', extra_template_basedirs=['scripts/nbconvert']).from_notebook_node(nb)
    print('exported')
except nbformat.ValidationError:
    print('refused')
`);
  assert.deepEqual(out.trim().split('\n'), ['one cache', 'refused']);
});
