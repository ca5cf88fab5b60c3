import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configKey, loadCheckpoint, MamlInputError, saveCheckpoint, train, LIBRARY_VERSION, writeFileAtomic, resolveTrainConfig } from '../lib/index';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maml-sine-ckpt-'));
const trained = train({ algo: 'fomaml', tasks: 20, epochs: 1, replicas: 2, seed: 3 });

function rejects(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (err: unknown) => err instanceof MamlInputError && pattern.test((err as Error).message));
}

test('a checkpoint round-trips every replica, the config and the library version', () => {
  const file = path.join(dir, 'a.json');
  saveCheckpoint(file, trained);
  const back = loadCheckpoint(file);
  assert.deepEqual(back.config, trained.config);
  assert.equal(back.replicas.length, 2);
  assert.deepEqual(Array.from(back.replicas[1]), Array.from(trained.replicas[1]));
  assert.equal(back.libraryVersion, LIBRARY_VERSION);
  assert.equal(LIBRARY_VERSION, JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version);
  // no temp files left behind
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('a missing, truncated or mismatched checkpoint is a clear error', () => {
  rejects(() => loadCheckpoint(path.join(dir, 'missing.json')), /missing\.json cannot be read \(ENOENT\)/);
  const good = fs.readFileSync(path.join(dir, 'a.json'), 'utf8');
  fs.writeFileSync(path.join(dir, 'trunc.json'), good.slice(0, good.length / 2));
  rejects(() => loadCheckpoint(path.join(dir, 'trunc.json')), /trunc\.json is invalid: not valid JSON .* truncated/);
  const body = JSON.parse(good);
  body.replicas[0]['hidden2.weight'] = body.replicas[0]['hidden2.weight'].slice(1);
  fs.writeFileSync(path.join(dir, 'shape.json'), JSON.stringify(body));
  rejects(() => loadCheckpoint(path.join(dir, 'shape.json')), /replicas\[0\]\["hidden2\.weight"\] length = 1599 is invalid: expected 1600 numbers/);
  const other = JSON.parse(good);
  other.format = 'something-else';
  fs.writeFileSync(path.join(dir, 'format.json'), JSON.stringify(other));
  rejects(() => loadCheckpoint(path.join(dir, 'format.json')), /format = "something-else"/);
  const nan = JSON.parse(good);
  nan.replicas[1]['out.bias'] = [null];
  fs.writeFileSync(path.join(dir, 'nan.json'), JSON.stringify(nan));
  rejects(() => loadCheckpoint(path.join(dir, 'nan.json')), /replicas\[1\]\["out\.bias"\]\[0\] = null is invalid: expected a finite number/);
});

test('an atomic write that fails leaves the previous file intact', () => {
  const file = path.join(dir, 'keep.json');
  writeFileAtomic(file, 'first');
  // a directory where the temp file's target should be renamed makes the rename fail
  const blocked = path.join(dir, 'blocked');
  fs.mkdirSync(path.join(blocked, 'x'), { recursive: true });
  assert.throws(() => writeFileAtomic(blocked, 'second'));
  assert.equal(fs.readFileSync(file, 'utf8'), 'first');
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('configKey is stable and changes with any setting', () => {
  const a = resolveTrainConfig({ algo: 'maml' });
  assert.equal(configKey(a), configKey(resolveTrainConfig({ algo: 'maml', replicas: 1 })));
  assert.notEqual(configKey(a), configKey(resolveTrainConfig({ algo: 'maml', seedCompat: true })));
  assert.notEqual(configKey(a), configKey(resolveTrainConfig({ algo: 'maml', taskOptions: { supportSize: 5 } })));
});
