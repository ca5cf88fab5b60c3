/**
 * lib/'s folders are layers, and imports point one way: a module imports only from its own
 * folder or from folders earlier in LAYERS; the entry points at lib/'s top (index, notebook,
 * autodiff, cli) may import anything and nothing imports them. Lazy `require`s (which load a
 * module only when called) are listed in LAZY_UPWARD when they point the other way.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scratchDir } from './scratch';

const lib = path.join(__dirname, '..', 'lib');

/** The layer folders, lowest first. */
const LAYERS = ['core', 'tasks', 'model', 'algorithms', 'optim', 'tfjs', 'training', 'evaluation', 'runtime', 'experiment', 'display'];
const ENTRY_POINTS = ['index.ts', 'notebook.ts', 'autodiff.ts', 'cli.ts'];
/** The registry loads the autodiff path on first use, so that importing it loads no tfjs. */
const LAZY_UPWARD = ['algorithms/registry.ts -> tfjs/autodiff.ts'];

function modules(dir = lib): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? modules(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Relative imports of a file: static ones (import/export ... from, import type) and lazy require()s. */
function importsOf(file: string): { target: string; lazy: boolean }[] {
  const src = fs.readFileSync(file, 'utf8');
  const out: { target: string; lazy: boolean }[] = [];
  const add = (spec: string, lazy: boolean) => {
    if (!spec.startsWith('.')) return;
    const base = path.resolve(path.dirname(file), spec);
    const target = [`${base}.ts`, base, path.join(base, 'index.ts')].find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
    assert.ok(target !== undefined, `${path.relative(lib, file)} imports ${spec}, which does not exist`);
    out.push({ target, lazy });
  };
  for (const m of src.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)) add(m[1], false);
  for (const m of src.matchAll(/\brequire\('([^']+)'\)/g)) add(m[1], true);
  return out;
}

const layerOf = (file: string): string => {
  const rel = path.relative(lib, file).split(path.sep);
  return rel.length === 1 ? 'entry' : rel[0];
};

test('every module of lib/ is an entry point or sits in a layer folder', () => {
  for (const file of modules()) {
    const layer = layerOf(file);
    if (layer === 'entry') assert.ok(ENTRY_POINTS.includes(path.basename(file)), `${path.basename(file)} at lib/'s top is not an entry point`);
    else assert.ok(LAYERS.includes(layer), `${path.relative(lib, file)}: folder ${layer} is not a layer`);
  }
});

/** Imports that break the rule, for files placed in the given layers. */
function violations(files: { file: string; layer: string }[]): { found: string[]; edges: number } {
  const found: string[] = [];
  let edges = 0;
  for (const { file, layer: from } of files) {
    for (const { target, lazy } of importsOf(file)) {
      edges++;
      const to = layerOf(target);
      const edge = `${path.relative(lib, file)} -> ${path.relative(lib, target)}`;
      if (from === 'entry') {
        if (to === 'entry' && !lazy && path.basename(target) !== 'index.ts') found.push(`${edge} (entry points import only index)`);
        continue;
      }
      if (to === 'entry') found.push(`${edge} (imports an entry point)`);
      else if (LAYERS.indexOf(to) > LAYERS.indexOf(from) && !(lazy && LAZY_UPWARD.includes(edge))) found.push(`${edge} (${from} imports ${to}, a later layer)`);
    }
  }
  return { found, edges };
}

test('imports point one way: down the layers, never to an entry point', () => {
  const { found, edges } = violations(modules().map((file) => ({ file, layer: layerOf(file) })));
  assert.ok(edges > 50, `only ${edges} imports found: the parser misses some`);
  assert.deepEqual(found, []);
});

test('the check sees an upward import, static or lazy (it can fail)', () => {
  const dir = scratchDir('maml-sine-layers-');
  try {
    const file = path.join(dir, 'upward.ts');
    const spec = path.relative(dir, path.join(lib, 'training', 'train')).split(path.sep).join('/');
    fs.writeFileSync(file, `import type { TrainConfig } from '${spec}';\nconst later = () => require('${spec}');\n`);
    const { found } = violations([{ file, layer: 'core' }]);
    assert.equal(found.length, 2, found.join('\n'));
    assert.ok(found.every((f) => f.includes('core imports training')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
