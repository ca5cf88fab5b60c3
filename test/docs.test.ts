/**
 * The library documents itself: every export of lib/ has a doc comment, and every module's
 * header says which notebook explains it (or that none does, and where the README does).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scratchDir } from './scratch';

const lib = path.join(__dirname, '..', 'lib');

function modules(dir = lib): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? modules(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Exported declarations whose previous line does not end a doc comment. */
function undocumented(file: string): string[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: string[] = [];
  lines.forEach((line, i) => {
    const m = /^export (?:declare )?(?:async )?(?:function\*?|const|let|class|abstract class|interface|type|enum) ([A-Za-z0-9_$]+)/.exec(line);
    if (m && !(i > 0 && lines[i - 1].trim().endsWith('*/'))) out.push(`${path.relative(lib, file)}:${i + 1} ${m[1]}`);
  });
  return out;
}

test('every export of lib/ has a doc comment', () => {
  const files = modules();
  assert.ok(files.length > 30, `only ${files.length} modules found`);
  assert.deepEqual(files.flatMap(undocumented), []);
});

test('every module says which notebook explains it', () => {
  const missing = modules().filter((file) => {
    const header = /^\/\*\*[\s\S]*?\*\//.exec(fs.readFileSync(file, 'utf8'))?.[0] ?? '';
    return !/Explained in|Explained with|Used by|Not in a notebook/.test(header);
  });
  assert.deepEqual(missing.map((f) => path.relative(lib, f)), []);
});

test('the doc-comment check sees an undocumented export (it can fail)', () => {
  const file = path.join(scratchDir('maml-sine-docs-'), 'x.ts');
  fs.writeFileSync(file, '/** documented */\nexport const a = 1;\nexport function b() {}\n');
  try {
    assert.equal(undocumented(file).length, 1);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});
