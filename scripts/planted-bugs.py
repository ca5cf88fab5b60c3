#!/usr/bin/env python3
"""
The bugs issue 14 lists as passing the old tests, planted one at a time into a scratch copy of
lib/ (never this checkout), each followed by the test files meant to catch it. Prints CAUGHT or
MISSED per bug; exits 1 if any is missed. Usage: python3 scripts/planted-bugs.py [NAME ...]
(about a minute of CPU in all: run it under the shared lock on a busy machine).
"""
import os, shutil, subprocess, sys, tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
scratch = tempfile.mkdtemp(prefix='maml-sine-planted-')
for item in ['lib', 'test', 'bin', 'package.json', 'tsconfig.json']:
    (shutil.copytree if os.path.isdir(os.path.join(root, item)) else shutil.copy)(os.path.join(root, item), os.path.join(scratch, item))
os.symlink(os.path.join(root, 'node_modules'), os.path.join(scratch, 'node_modules'))
os.chdir(scratch)
missed = 0
bugs = [
 ("ci95 variance over n", "lib/evaluation/evaluate.ts", "/ (n - 1)) : NaN;", "/ n) : NaN;", ["statistics"]),
 ("ci95 without sqrt", "lib/evaluation/evaluate.ts", "ci95: n > 1 ? (1.96 * sd) / Math.sqrt(n) : NaN", "ci95: n > 1 ? (1.96 * sd * sd) / Math.sqrt(n) : NaN", ["statistics"]),
 ("threshold ignored", "lib/evaluation/evaluate.ts", "if (!(mse <= DIVERGED_MSE)) return false;", "if (!(mse <= Infinity)) return false;", ["evaluate-oracle"]),
 ("not paired", "lib/evaluation/evaluate.ts", "a.perTask[i].map((v, t) => v - b.perTask[i][t])", "a.perTask[i].map((v, t) => v - Float64Array.from(b.perTask[i]).sort()[t])", ["statistics"]),
 ("random points", "lib/evaluation/evaluate.ts", "const test = task.testSet();\n    net.setPoints(supportPass", "const test = task.querySet(new (require('../tasks/rng').Rng)(0), 50);\n    net.setPoints(supportPass", ["evaluate-oracle"]),
 ("one replica", "lib/evaluation/evaluate.ts", "perTask[k][t] += v / curves.length;", "perTask[k][t] = v;", ["statistics", "evaluate-oracle"]),
 ("even median", "lib/evaluation/evaluate.ts", "(sorted[mid - 1] + sorted[mid]) / 2", "sorted[mid]", ["statistics"]),
 ("seedCompat dropped", "lib/training/train.ts", "seedCompat: config.seedCompat };", "seedCompat: false };", ["replay"]),
 ("shuffle once", "lib/training/train.ts", "this.order = rng.shuffled(this.pool);", "this.order = this.order.length > 0 ? this.order : rng.shuffled(this.pool);", ["replay"]),
 ("full batch divisor", "lib/training/train.ts", "batchGrad[j] /= this.inBatch;", "batchGrad[j] /= this.config.metaBatchSize;", ["replay"]),
 ("fresh: one task reused", "lib/training/train.ts", "const task = this.freshTasks !== null ? sampleTaskInto(this.freshTasks, this.config.taskOptions, points.supportX) : this.order[i];", "const task = this.freshTasks !== null ? ((this as any).fresh0 ??= sampleTaskInto(this.freshTasks, this.config.taskOptions, points.supportX)) : this.order[i];", ["replay"]),
 ("CLI ignores --seed", "lib/cli.ts", "const seed = (opts.seed as number | undefined) ?? 1;", "const seed = 1;", ["cli-values"]),
 ("CLI ignores --lr", "lib/cli.ts", "const lr = (opts.lr as number | undefined) ?? 0.01;", "const lr = 0.01;", ["cli-values"]),
 ("Hessian sign flipped", "lib/algorithms/maml.ts", "out[j] -= innerLr * hv[j];", "out[j] += innerLr * hv[j];", ["golden", "replay"]),
 ("Meta-SGD rates ignored", "lib/evaluation/evaluate.ts", "else for (let j = 0; j < theta.length; j++) theta[j] -= lrs[j] * grad[j];", "else for (let j = 0; j < theta.length; j++) theta[j] -= lr * grad[j];", ["evaluate-oracle"]),
 ("θ kept past Adam's step (meta-batch)", "lib/training/train.ts", "      this.adam.step(theta, batchGrad);\n      this.thetaRead = false;", "      this.adam.step(theta, batchGrad);", ["golden"]),
 ("θ never read (meta-batch)", "lib/training/train.ts", "private thetaRead = false;", "private thetaRead = true;", ["golden"]),
 ("Meta-SGD rates ignored, wasm engines", "lib/evaluation/evaluate.ts", "if (learnedRates) net.sgdStepRates(theta, theta, rates, grad);", "if (learnedRates) net.sgdStep(theta, theta, lr, grad);", ["evaluate-oracle", "wasm-f32"]),
]
only = sys.argv[1:]
for name, f, old, new, tests in bugs:
    if only and name not in only: continue
    src = open(f).read()
    if src.count(old) != 1:
        print(f'{name}: NOT PLANTED (the code it changes is no longer in {f}: update this list)', flush=True)
        missed += 1
        continue
    open(f, 'w').write(src.replace(old, new))
    try:
        r = subprocess.run(["node", "--import", "tsx", "--test", *[f"test/{t}.test.ts" for t in tests]], capture_output=True, text=True, timeout=120)
        fails = [l for l in r.stdout.splitlines() if l.startswith("not ok")]
        missed += r.returncode == 0
        print(f"{name}: {'CAUGHT' if r.returncode != 0 else 'MISSED'} by {tests}: {fails[:2]}", flush=True)
    finally:
        open(f, 'w').write(src)
shutil.rmtree(scratch)
sys.exit(1 if missed else 0)
