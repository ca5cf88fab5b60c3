import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

test('environment.yml is valid YAML and names what a conda user needs', () => {
  const env = parse(fs.readFileSync(path.join(__dirname, '..', 'environment.yml'), 'utf8'));
  assert.equal(typeof env.name, 'string');
  assert.ok(Array.isArray(env.channels) && env.channels.length > 0);
  assert.ok(Array.isArray(env.dependencies));
  const names = env.dependencies.filter((d: unknown) => typeof d === 'string').map((d: string) => d.split(/[=<>! ]/)[0]);
  for (const needed of ['nodejs', 'jupyterlab', 'nbconvert', 'plotly', 'python', 'ipykernel']) assert.ok(names.includes(needed), `missing ${needed}`);
  const node = env.dependencies.find((d: string) => typeof d === 'string' && d.startsWith('nodejs'));
  assert.match(node, />=20/, 'tfjs 4.22, tsx and tslab need node 20+');
});
