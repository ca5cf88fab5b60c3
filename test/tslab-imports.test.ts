/**
 * How the patched tslab kernel (patches/tslab+1.0.22.patch) compiles a cell's local imports:
 * the modules are transpiled on their own (esbuild), not type-checked, while the cell is still
 * type-checked against their declarations. Unpatched, importing lib/notebook type-checked and
 * emitted the whole library through the program in every kernel (~4 s of each notebook's start).
 * Runs tslab's converter and executor in a scratch folder, as its kernel does.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scratchDir } from './scratch';

const TSLAB = path.join(__dirname, '..', 'node_modules', 'tslab', 'dist');

/** Convert and run `cells` one after another with tslab in `dir`; report each cell's diagnostics and the values of `probe`. */
function runCells(dir: string, cells: string[], probe: string[], wrongGuess = false): { diagnostics: string[][]; values: Record<string, unknown>; modules: string[]; builds: number[] } {
  const script = `
    const converter = require(${JSON.stringify(path.join(TSLAB, 'converter.js'))});
    const { createConverter, programBuilds } = converter;
    if (${wrongGuess}) converter.topLevelNames = (src) => ['notDeclared'];
    const { createExecutor } = require(${JSON.stringify(path.join(TSLAB, 'executor.js'))});
    const conv = createConverter({ isJS: false, isBrowser: false });
    const modules = [];
    const spy = { convert: (prev, src) => { const r = conv.convert(prev, src); for (const o of r.sideOutputs ?? []) modules.push(o.path); return r; } };
    const diagnostics = [];
    const quiet = { ...console, error: (...a) => diagnostics[diagnostics.length - 1].push(require('node:util').format(...a)), log: () => {} };
    const executor = createExecutor(process.cwd(), { node: spy, browser: spy, close() {} }, quiet);
    (async () => {
      const builds = [];
      for (const cell of ${JSON.stringify(cells)}) {
        diagnostics.push([]);
        const before = programBuilds.count;
        await executor.execute(cell);
        builds.push(programBuilds.count - before);
      }
      const values = Object.fromEntries(${JSON.stringify(probe)}.map((k) => [k, executor.locals[k]]));
      process.stdout.write(JSON.stringify({ diagnostics, values, modules, builds }));
      process.exit(0);
    })();`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function scratch(files: Record<string, string>): string {
  const dir = scratchDir('tslab-imports-');
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

test('an imported module runs without being type-checked; the cell is checked against its declarations', () => {
  const dir = scratch({
    'lib/typed.ts': [
      "import { base } from './base';",
      'export function twice(x: number): number { return base * x; }',
      "export const wrong: number = 'a type error here, outside the cell';",
    ].join('\n'),
    'lib/base.ts': 'export const base: number = 2;\n',
  });
  try {
    const r = runCells(dir, [
      "import { twice, wrong } from './lib/typed';",
      'const four = twice(2);',
      'const bad: string = twice(2);',
      'const kind = typeof wrong;',
    ], ['four', 'bad', 'kind']);
    assert.deepEqual(r.diagnostics[0], [], 'the type error inside lib/typed.ts is not the cell\'s');
    assert.deepEqual(r.diagnostics[1], []);
    assert.equal(r.values.four, 4, 'the transpiled modules run, with their own imports');
    assert.match(r.diagnostics[2].join('\n'), /not assignable to type 'string'/, 'the cell is type-checked against the module');
    assert.equal(r.values.bad, undefined, 'a cell with a type error does not run');
    assert.equal(r.values.kind, 'string');
    assert.deepEqual(r.modules.map((m) => path.relative(dir, m)).sort(), ['lib/base.js', 'lib/typed.js'], 'each module is transpiled once');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a syntax error in an imported module is reported, and the cell does not run', () => {
  const dir = scratch({ 'lib/broken.ts': 'export const x = ;\n' });
  try {
    const r = runCells(dir, ["import { x } from './lib/broken';", 'const after = 1;'], ['after']);
    assert.match(r.diagnostics[0].join('\n'), /Expression expected/);
    assert.equal(r.values.after, 1, 'the kernel goes on to the next cell');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a cell's top-level names are read from its syntax in the binder's order (one program build per cell instead of two)", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { topLevelNames } = require(path.join(TSLAB, 'converter.js')) as { topLevelNames(src: string): string[] };
  assert.deepEqual(topLevelNames('const { a, b: [c, , d], ...e } = obj;\nlet f = 1, g;'), ['a', 'c', 'd', 'e', 'f', 'g'], 'destructuring');
  assert.deepEqual(topLevelNames('const late = 1;\nfunction early() {}\nclass K {}'), ['early', 'late', 'K'], 'function declarations first, as the binder binds them');
  assert.deepEqual(topLevelNames("import d, { x as y, z } from 'm';\nimport * as ns from 'n';\nimport q = ns.q;\nimport 'side-effect';"), ['d', 'y', 'z', 'ns', 'q'], 'imports');
  assert.deepEqual(topLevelNames('enum E { A }\ninterface I {}\ninterface I { more: 1 }\ntype T = 1;\nnamespace N {}\nfunction o(): void;\nfunction o() {}'), ['o', 'E', 'I', 'T', 'N'], 'types, merged declarations once');
  assert.deepEqual(topLevelNames('const __private = 1;'), ['___private'], 'escaped as the binder spells it');
  assert.deepEqual(topLevelNames('if (true) { var inBlock = 1; }\nfor (const i of []) {}\nconsole.log(1);'), [], 'nothing from inside blocks (nor does tslab export those)');
});

for (const wrongGuess of [false, true]) {
  test(`cells see the names earlier cells declared: ${wrongGuess ? 'a wrong guess of the names falls back to the binder\'s, two builds a cell' : 'one program build a cell'}`, () => {
    const dir = scratch({});
    try {
      const r = runCells(dir, [
        'const { p, q: [r] } = { p: 1, q: [2] };\nconst later = () => helper();\nfunction helper() { return p + r; }',
        'const s = later() + p;',
        'const h = s + 5;\nenum Colour { Red = 7 }\ntype Pair = [number, number];',
        'const pair: Pair = [Colour.Red, h];\nconst p = 10;',
        'const redefined = p;',
        '1 + 1;',
      ], ['s', 'h', 'pair', 'redefined'], wrongGuess);
      assert.deepEqual(r.diagnostics, [[], [], [], [], [], []]);
      assert.deepEqual(r.values, { s: 4, h: 9, pair: [7, 9], redefined: 10 });
      assert.deepEqual(r.builds, wrongGuess ? [2, 2, 2, 2, 2, 2] : [1, 1, 1, 1, 1, 1]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
