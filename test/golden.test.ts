/**
 * Golden values: with a fixed seed every run gives the same bits, so a handful of numbers
 * recorded once pin the whole pipeline: the generator, the tasks, the initialisation, a short
 * training run of every algorithm and an evaluation. The stages are checked in order, and a
 * failure names the FIRST stage that moved (a later stage moves with it), so the message says
 * where to look.
 *
 * Provenance: recorded with `GOLDEN_PRINT=1 node --import tsx --test test/golden.test.ts` on
 * 2026-11-27 (Node 20.20.2, x86-64, Debian 12) at commit f0639cc of the library, whose
 * numbers were checked against the PyTorch reference and the notebooks' assertions. If a change
 * is meant to alter numbers, re-record them the same way and say why in the commit message.
 * The wasm engine's stages ('… (wasm)') were recorded the same way on 2026-11-27 (branch
 * i11-wasm; re-recorded after the kernels' fused R-backward loop changed the order of
 * additions), after test/wasm-engine.test.ts had checked that engine against the fast one
 * (≤ 1e-10 per meta-gradient) and finite differences; they differ from the fast engine's in
 * the last digits only (another summation order).
 * The wasm-f32 engine's stages ('… (wasm-f32)', the default engine) were recorded the same way on
 * 2026-11-27 at the commit that made it the default, after test/wasm-f32.test.ts had checked it
 * against the fast engine (≤ 1e-4 per meta-gradient, ~1e-7 typical) and the benchmark had shown
 * its trained models' accuracy inside the fast engine's 95% CIs; they differ from the float64
 * stages around the 7th digit (float32 meta-gradients).
 * Tolerance: 1e-9 relative (far above the last-bit noise of a change of CPU or libm, far below
 * any real change).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { evaluate } from '../lib/evaluation/evaluate';
import { initParams, paramLayout } from '../lib/model/params';
import { Rng, STREAM } from '../lib/tasks/rng';
import { makeTaskPool } from '../lib/tasks/sineTask';
import { AlgoName, train } from '../lib/training/train';

/** Two numbers that move with any change of a parameter vector, including a permutation. */
function checksum(v: ArrayLike<number>): number[] {
  let sum = 0;
  let weighted = 0;
  for (let j = 0; j < v.length; j++) {
    sum += v[j];
    weighted += v[j] * ((j % 7) + 1);
  }
  return [sum, weighted];
}

function stages(): [string, string, number[]][] {
  const out: [string, string, number[]][] = [];
  const rng = new Rng(0);
  out.push(['rng', 'the generator (lib/tasks/rng.ts)', [rng.next(), rng.next(), new Rng(7, STREAM.replica).nextUint32()]]);
  const tasks = makeTaskPool(20, new Rng(1, STREAM.heldOutTasks));
  out.push(['tasks', 'task sampling (lib/tasks/sineTask.ts)', [tasks[0].amplitude, tasks[0].phase, ...checksum(tasks.flatMap((t) => Array.from(t.supportX)))]]);
  out.push(['init', 'the initialisation (lib/model/params.ts)', checksum(initParams(new Rng(0, STREAM.replica)))]);
  const layout = paramLayout();
  let trainedMaml: Float64Array[] = [];
  const runs: [string, AlgoName, boolean][] = [['maml', 'maml', false], ['fomaml', 'fomaml', false], ['maml-seedcompat', 'maml', true], ['transfer', 'transfer', false], ['reptile', 'reptile', false], ['metasgd', 'metasgd', false]];
  // every engine named explicitly (the fast engine's numbers were recorded first), whatever the default
  const where: Record<'fast' | 'wasm' | 'wasm-f32', [string, string]> = {
    fast: ['', 'lib/training/train.ts, lib/algorithms/, lib/model/fastMlp.ts, lib/optim/adam.ts'],
    wasm: [' (wasm)', 'on the wasm engine: lib/model/wasmMlp.ts, wasm/mlp.ts, the algorithms\' createWasmMetaGradient'],
    'wasm-f32': [' (wasm-f32)', 'on the wasm-f32 engine, the default: wasm/mlp.ts over wasm/real-f32.ts, lib/model/wasmMlp.ts, the trainer\'s in-memory vectors'],
  };
  for (const engine of ['fast', 'wasm', 'wasm-f32'] as const) {
    for (const [name, algo, seedCompat] of runs) {
      const r = train({ algo, seedCompat, tasks: 60, epochs: 2, metaBatchSize: 4, replicas: 2, seed: 3, engine });
      if (name === 'maml' && engine === 'fast') trainedMaml = r.replicas;
      out.push([`train ${name}${where[engine][0]}`, `training ${name} (${where[engine][1]})`, [...checksum(r.replicas[0]), ...checksum(r.replicas[1]), ...r.history.flat()]]);
    }
  }
  const e = evaluate(trainedMaml, layout, tasks, { steps: 5, lr: 0.02, engine: 'fast' });
  out.push(['evaluate', 'evaluation (lib/evaluation/evaluate.ts)', [0, 1, 5].flatMap((k) => [e.summary[k].mean, e.summary[k].ci95, e.summary[k].median])]);
  const w = evaluate(trainedMaml, layout, tasks, { steps: 5, lr: 0.02, engine: 'wasm' });
  out.push(['evaluate (wasm)', 'evaluation on the wasm engine (lib/evaluation/evaluate.ts WasmAdapter, lib/model/wasmMlp.ts)', [0, 1, 5].flatMap((k) => [w.summary[k].mean, w.summary[k].ci95, w.summary[k].median])]);
  return out;
}

const GOLDEN: Record<string, number[]> = {
  'rng': [0.5064933849504393, 0.44086935137823513, 818713709],
  'tasks': [1.2621958194418756, 3.5226572817415316, -95.61937401728252, -264.3657239445965],
  'init': [3.589978127962486, 16.67276916624008],
  'train maml': [-2.936495599998449, -31.223268110814363, -13.864295702555566, -68.36438334948807, 3.6466921501984455, 4.1927312866897655, 4.084340010079136, 3.9424704073223653],
  'train fomaml': [-4.40323591189299, -36.91486564772308, -15.231806881243433, -73.96519785989884, 3.654506027261357, 4.19936822738989, 4.086302389668199, 3.9629498721380543],
  'train maml-seedcompat': [-3.9003810314050313, -35.166078331383844, -15.018444253045358, -73.18050081043907, 3.665009800012668, 4.185948176478122, 4.0874492668839375, 3.956419778118333],
  'train transfer': [-6.203871371927471, -44.11762753233665, -16.97856942772006, -80.6960145086087, 4.3696910884483495, 4.349817215161204, 4.413154331836075, 4.370645465150341],
  'train reptile': [-1.8354493819488193, -27.155947778944462, -12.59538753645601, -62.97841067091817, 3.5247850643097283, 4.113136429184811, 3.9962860423374424, 3.741246659096875],
  'train metasgd': [24.60975905754321, 79.3799415734158, 13.683402565869594, 41.50481641542896, 3.5982986094057523, 4.158670942940902, 4.059041821670013, 3.8725390887173186],
  'train maml (wasm)': [-2.9364955999984477, -31.223268110814356, -13.864295702555566, -68.36438334948808, 3.6466921501984455, 4.1927312866897655, 4.084340010079136, 3.9424704073223653],
  'train fomaml (wasm)': [-4.403235911892991, -36.91486564772308, -15.231806881243433, -73.96519785989884, 3.654506027261357, 4.19936822738989, 4.086302389668199, 3.9629498721380543],
  'train maml-seedcompat (wasm)': [-3.9003810314050313, -35.16607833138384, -15.018444253045358, -73.18050081043907, 3.665009800012668, 4.185948176478122, 4.0874492668839375, 3.956419778118333],
  'train transfer (wasm)': [-6.20387137192747, -44.11762753233665, -16.978569427720064, -80.6960145086087, 4.3696910884483495, 4.349817215161204, 4.413154331836075, 4.370645465150341],
  'train reptile (wasm)': [-1.835449381948819, -27.15594777894447, -12.59538753645601, -62.97841067091817, 3.5247850643097283, 4.113136429184811, 3.9962860423374424, 3.741246659096875],
  'train metasgd (wasm)': [24.609759057543208, 79.3799415734158, 13.683402565869597, 41.50481641542895, 3.5982986094057523, 4.158670942940902, 4.059041821670013, 3.8725390887173186],
  'train maml (wasm-f32)': [-2.936495509179724, -31.223267818264933, -13.864295692111648, -68.36438325592783, 3.6466921779637533, 4.192731291397164, 4.084340078445773, 3.942470380105078],
  'train fomaml (wasm-f32)': [-4.403235811778959, -36.9148652893639, -15.231806807903943, -73.96519750590795, 3.6545060367633897, 4.19936825921759, 4.086302360147238, 3.962949887670887],
  'train maml-seedcompat (wasm-f32)': [-3.900381050802516, -35.16607845124748, -15.018444172332616, -73.18050035947311, 3.6650097359127054, 4.185948217753321, 4.0874492781857645, 3.9564198086659115],
  'train transfer (wasm-f32)': [-6.203871380542475, -44.11762749625299, -16.97856943495035, -80.69601454332066, 4.369691134026895, 4.349817149884378, 4.413154328552385, 4.370645487091194],
  'train reptile (wasm-f32)': [-1.8354493927776507, -27.155947785189696, -12.59538808912704, -62.97841299628363, 3.524784989686062, 4.113136507058516, 3.99628600658228, 3.7412466047642132],
  'train metasgd (wasm-f32)': [24.60975925158901, 79.37994234598065, 13.68340271470023, 41.50481700263642, 3.5982986278211078, 4.158670888189226, 4.0590418862178925, 3.872539084435751],
  'evaluate': [5.041660524118645, 1.8355076653757727, 4.458806187625987, 4.722566577757563, 1.8049955483181181, 3.9127524773130675, 5.073290433443931, 2.0285051329377874, 3.668324918777128],
  'evaluate (wasm)': [5.041660524118645, 1.8355076653757727, 4.458806187625987, 4.722566577757563, 1.8049955483181181, 3.9127524773130675, 5.073290433443931, 2.0285051329377874, 3.6683249187771283],
};

test('golden values of a deterministic pipeline (first moved stage named)', () => {
  const actual = stages();
  if (process.env.GOLDEN_PRINT) {
    console.log(JSON.stringify(Object.fromEntries(actual.map(([name, , values]) => [name, values])), null, 2));
    return;
  }
  const moved = actual.filter(([name, , values]) => {
    const want = GOLDEN[name];
    return want === undefined || want.length !== values.length || values.some((v, i) => !(Math.abs(v - want[i]) <= 1e-9 * Math.max(1e-300, Math.abs(want[i]))));
  });
  if (moved.length > 0) {
    const [name, where, values] = moved[0];
    assert.fail(
      `golden values moved, first at stage '${name}' (${where}): ${JSON.stringify(values)}, recorded ${JSON.stringify(GOLDEN[name])}. ` +
        `Moved stages: ${moved.map(([n]) => n).join(', ')}. Earlier stages are unchanged.`,
    );
  }
});
