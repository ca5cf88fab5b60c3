/**
 * node --import tsx scripts/bit-identity.ts LIBDIR > fingerprints.json
 *
 * Trains every algorithm on small configs (fast engine; the wasm and wasm-f32 engines; the autodiff engine on a few tasks),
 * evaluates and fits, with the library found in LIBDIR (its index), and prints a SHA-256 of the
 * bytes of every parameter array and curve. Run it against two checkouts (e.g. main and a
 * refactoring branch) and diff the outputs: equal hashes mean bit-identical float64 results.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';

const dir = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'lib'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = (entry: string): Record<string, any> => require(path.join(dir, entry));
const lib = load('index');
const hash = (a: Float64Array | Float32Array) => createHash('sha256').update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest('hex').slice(0, 16);

async function main() {
  const out: Record<string, unknown> = {};
  const algos = ['maml', 'fomaml', 'transfer', 'reptile', 'metasgd'];
  const variants: Record<string, object> = {
    base: { tasks: 300, epochs: 2, replicas: 2 },
    batched: { tasks: 200, epochs: 1, metaBatchSize: 4, innerSteps: 2, innerLr: 0.02, metaLr: 0.003, seed: 7 },
    fresh: { tasks: 100, epochs: 2, freshTasks: true, taskOptions: { supportSize: 5, phaseRange: [0, Math.PI] } },
  };
  const results: Record<string, Float64Array[]> = {};
  for (const algo of algos) {
    for (const [name, v] of Object.entries(variants)) {
      // the fast engine named: equal hashes across checkouts mean its bits did not move
      const r = lib.train({ algo, engine: 'fast', ...v });
      results[`${algo}/${name}`] = r.replicas;
      out[`train ${algo}/${name}`] = { replicas: r.replicas.map(hash), history: r.history };
    }
  }
  for (const algo of ['maml', 'fomaml']) {
    const r = lib.train({ algo, engine: 'fast', tasks: 200, epochs: 1, seedCompat: true });
    out[`train ${algo}/seedCompat`] = r.replicas.map(hash);
  }
  const par = await lib.trainParallel({ algo: 'maml', engine: 'fast', tasks: 200, epochs: 1, replicas: 3 }, { workers: 2 });
  out['trainParallel maml'] = par.replicas.map(hash);
  const tasks = lib.heldOutTasks(50);
  for (const key of ['maml/base', 'metasgd/base', 'reptile/batched']) {
    const layout = lib.paramLayout();
    const ev = lib.evaluate(results[key], layout, tasks, { steps: 5, lr: 0.01, engine: 'fast' });
    out[`evaluate ${key}`] = ev.perTask.map(hash);
    const evp = await lib.evaluateParallel(results[key], layout, tasks, { steps: 5, lr: 0.01, engine: 'fast' }, { workers: 2 });
    out[`evaluateParallel ${key}`] = evp.perTask.map(hash);
    const fit = lib.fitPredictions(results[key][0], layout, tasks[3], [0, 1, 10], 0.02);
    out[`fitPredictions ${key}`] = fit.predictions.map((p: { step: number; y: Float64Array; mse: number }) => [p.step, hash(p.y), p.mse]);
  }
  // a learning rate at which plain SGD diverges on some tasks (the diverged-task path)
  const wild = lib.evaluate(results['maml/base'], lib.paramLayout(), tasks, { steps: 30, lr: 0.6, record: [0, 1, 2, 5, 10, 30], engine: 'fast' });
  out['evaluate diverging'] = { perTask: wild.perTask.map(hash), diverged: wild.summary.map((s: { diverged: number }) => s.diverged) };
  out['fitPredictions diverging'] = lib.fitPredictions(results['maml/base'][0], lib.paramLayout(), tasks[5], [30, 0, 3], 0.6).predictions.map((p: { y: Float64Array; mse: number }) => [hash(p.y), p.mse]);
  // the wasm engine, where the checkout has it (an older one does not: its output then lacks these keys)
  if ((lib.ENGINES as string[] | undefined)?.includes('wasm')) {
    for (const algo of algos) out[`train wasm ${algo}/batched`] = lib.train({ algo, engine: 'wasm', ...variants.batched }).replicas.map(hash);
    out['trainParallel wasm maml'] = (await lib.trainParallel({ algo: 'maml', engine: 'wasm', tasks: 200, epochs: 1, replicas: 3 }, { workers: 2 })).replicas.map(hash);
  }
  // the float32 kernels (the default for training), where the checkout has them
  if ((lib.ENGINES as string[] | undefined)?.includes('wasm-f32')) {
    for (const algo of algos) {
      for (const [name, v] of Object.entries(variants)) out[`train wasm-f32 ${algo}/${name}`] = lib.train({ algo, engine: 'wasm-f32', ...v }).replicas.map(hash);
    }
    out['trainParallel wasm-f32 maml'] = (await lib.trainParallel({ algo: 'maml', engine: 'wasm-f32', tasks: 200, epochs: 1, replicas: 3 }, { workers: 2 })).replicas.map(hash);
  }
  for (const algo of algos) {
    const r = lib.train({ algo, engine: 'autodiff', tasks: 12, epochs: 1, innerSteps: 2 });
    out[`train autodiff ${algo}`] = r.replicas.map(hash);
  }
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
}
void main().then(() => process.exit(0));
