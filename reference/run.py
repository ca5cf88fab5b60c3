"""maml-sine's PyTorch reference: run it, record what it measures.

    python3 reference/run.py all                 # everything below, then merge (~55 min, 1 core)
    python3 reference/run.py timing [--runs 5] [--tasks 2000]
    python3 reference/run.py recipe [--models maml-leak,fomaml-leak,maml,fomaml,transfer,random]
                                    [--seed 0] [--replicas 5] [--tasks 10000] [--epochs 4]
    python3 reference/run.py paper  [--iterations 10000] [--seed 0]
    python3 reference/run.py merge               # parts -> reference/results.json
    python3 reference/run.py smoke               # a tiny run of every path + consistency checks
    python3 reference/run.py gradient < task.json   # one meta-gradient, float64 (for the tests)
    python3 reference/run.py table               # results.json as markdown tables

(`npm run reference -- <command> ...` finds a python with torch and runs this file.)

`timing`, `recipe` and `paper` each write a part file (reference/parts/<name>.json, not
tracked); `merge` assembles them into reference/results.json with their provenance. Model names:
`maml-leak` / `fomaml-leak` are the original's own code (original.py, support-gradient leak
included), `maml` / `fomaml` / `transfer` the textbook code (textbook.py; transfer's code is
the same update as the original's fit_transfer), `random` five freshly initialised models.
Everything runs on one thread (torch.set_num_threads(1)).
"""
import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import evaluation  # noqa: E402
import original  # noqa: E402
import paper  # noqa: E402
import textbook  # noqa: E402

PARTS = os.path.join(HERE, 'parts')
RESULTS = os.path.join(HERE, 'results.json')
RECIPE_TASK_SEED = 12345   # held-out tasks of the original's setting
PAPER_TASK_SEED = 777      # held-out tasks of the paper's setting
RANDOM_SEED = 1000         # random models: torch.manual_seed(RANDOM_SEED + i)
CODE_CHOICES = ['original,textbook', 'original', 'textbook']
ALGO_CHOICES = ['maml,fomaml,transfer', 'maml', 'fomaml', 'transfer']
LONG_STEPS = 100           # the original's Transfer / MAML / Random comparison over 100 steps


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def machine():
    try:
        out = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
        model = next(l.split(':', 1)[1].strip() for l in out.splitlines()
                     if l.startswith('Model name'))
    except (OSError, StopIteration):
        model = platform.processor() or 'unknown CPU'
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def provenance(command, seeds, notes):
    return {'command': command, 'date': datetime.date.today().isoformat(), 'machine': machine(),
            'python': platform.python_version() + f" ({sys.executable})",
            'torch': torch.__version__, 'numpy': np.__version__,
            'threads': torch.get_num_threads(), 'seeds': seeds, 'notes': notes}


def write_json(path, data):
    """Atomic: write a sibling temporary file, then rename it over the target."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=1, allow_nan=False)
        f.write('\n')
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def command_line():
    return f"{sys.executable} reference/run.py " + ' '.join(sys.argv[1:])


def finite(values):
    """JSON has no inf/NaN: a statistic that is not finite is recorded as null."""
    return [float(v) if math.isfinite(v) else None for v in values]


# ----------------------------------------------------------------------------- training
def train_original(algo, seed, replicas, pool_size, epochs, callback=None):
    """The original's own code: pool, `replicas` SineModel()s, maml_sine / fit_transfer."""
    original.seed_everything(seed)
    pool = [original.SineWaveTask() for _ in range(pool_size)]
    models = [original.SineModel() for _ in range(replicas)]
    for m in models:
        if algo == 'transfer':
            original.fit_transfer(m, pool, epochs, callback=callback)
        else:
            original.maml_sine(m, epochs, pool, first_order=(algo == 'fomaml'),
                               callback=callback)
    return [[p.detach().clone() for p in m.params()] for m in models]


def train_textbook(algo, seed, replicas, pool_size, epochs, callback=None):
    """Textbook code, paired with train_original: same pool, initial models, task order."""
    original.seed_everything(seed)
    pool = [original.SineWaveTask() for _ in range(pool_size)]
    models = [textbook.params_of(original.SineModel()) for _ in range(replicas)]
    for params in models:
        if algo == 'transfer':
            textbook.transfer_train(params, pool, epochs, callback=callback)
        else:
            textbook.maml_train(params, pool, epochs, first_order=(algo == 'fomaml'),
                                callback=callback)
    return [[p.detach().clone() for p in params] for params in models]


def random_models(count, seed=RANDOM_SEED):
    models = []
    for i in range(count):
        torch.manual_seed(seed + i)
        models.append([p.detach().clone() for p in original.SineModel().params()])
    return models


# ----------------------------------------------------------------------------- timing
def cmd_timing(args):
    """Rounds of every (code, algorithm) pair, so that a change in the machine's load while it
    runs affects all of them alike; the median over rounds per pair."""
    trainers = {'original': train_original, 'textbook': train_textbook}
    pairs = [(c, a) for c in args.codes.split(',') for a in args.algos.split(',')]
    ms = {pair: [] for pair in pairs}
    for run in range(args.runs):
        for code, algo in pairs:
            count, start = 0, 0.0

            def tick():
                nonlocal count, start
                if count == 0:
                    start = time.perf_counter()  # the clock starts after the first task
                count += 1
            trainers[code](algo, run, 1, args.tasks, 1, callback=tick)
            ms[(code, algo)].append(1e3 * (time.perf_counter() - start) / (count - 1))
    entries = []
    for (code, algo), runs in ms.items():
        entries.append({'code': code, 'algo': algo, 'msPerTask': float(np.median(runs)),
                        'runs': args.runs, 'tasksPerRun': args.tasks, 'statistic': 'median',
                        'allRunsMs': runs})
        log(f"timing {code:8} {algo:8} median {np.median(runs):.3f} ms/task "
            f"(runs: {', '.join(f'{v:.3f}' for v in runs)})")
    if args.print:
        print(json.dumps(entries))
        return
    notes = (f"ms per meta-training task, one fresh model, pool of {args.tasks} tasks, one epoch, "
             f"training seed = run index; the clock starts after the first task; median of "
             f"{args.runs} runs")
    write_json(os.path.join(PARTS, 'timing.json'),
               {'kind': 'timing', 'provenance': provenance(command_line(), list(range(args.runs)),
                                                           notes), 'entries': entries})


# ----------------------------------------------------------------------------- recipe
def recipe_entry(model, seed, lr, evaluated, steps, train_seconds, note=None):
    """One results.json recipe entry from per-model curves (`evaluated`: evaluation.evaluate)."""
    res = evaluation.summarize_models(evaluated['curves'], steps)
    entry = {'model': model, 'trainingSeed': seed, 'evalLr': lr, 'evalTasks': len(res['raw']),
             'replicas': len(res['curves']), 'k': list(range(steps + 1)),
             'mean': finite(res['mean']), 'ci95': finite(res['ci95']),
             'median': finite(res['median']), 'diverged': res['diverged'][-1],
             'divergedPerStep': res['diverged'],
             'perModelMean': [finite(m) for m in res['perModelMean']],
             'trainSeconds': train_seconds}
    if note:
        entry['note'] = note
    k = [1, 10, steps] if steps > 10 else [1, 10]
    log(f"  {model} lr {lr} x{len(res['curves'])}: " +
        ', '.join(f"k={j} {res['mean'][j]:.3f} ± {res['ci95'][j]:.3f}" for j in [0] + k))
    return entry


def cmd_recipe(args):
    torch.set_num_threads(1)
    tasks = evaluation.HeldOutTasks(args.eval_tasks, RECIPE_TASK_SEED)
    entries = []
    for name in args.models.split(','):
        t0 = time.perf_counter()
        if name == 'random':
            models, seconds = random_models(args.replicas), None
        else:
            algo = name.replace('-leak', '')
            trainer = train_original if name.endswith('-leak') else train_textbook
            replicas = 1 if algo == 'transfer' else args.replicas
            epochs = 1 if algo == 'transfer' else args.epochs
            log(f"training {name}: {replicas} model(s) x {epochs} epoch(s) x {args.tasks} tasks")
            models = trainer(algo, args.seed, replicas, args.tasks, epochs)
            seconds = round(time.perf_counter() - t0, 1)
            log(f"  trained in {seconds} s")
            os.makedirs(PARTS, exist_ok=True)
            torch.save(models, os.path.join(PARTS, f"{name}-seed{args.seed}.pt"))
        lrs = [0.01, 0.02] if name == 'transfer' else [0.01]
        long = name in ('transfer', 'maml-leak', 'random') and args.long_steps > 10
        steps = args.long_steps if long else 10
        for lr in lrs:
            # one curve per model up to `steps`; shorter entries are its first columns
            ev = evaluation.evaluate(models, tasks, steps, lr)
            entries.append(recipe_entry(name, args.seed, lr, ev, 10, seconds))
            if long:
                entries.append(recipe_entry(name, args.seed, lr, ev, steps, seconds,
                                            f'{steps}-step curve'))
                if len(models) > 1:
                    first = {'curves': ev['curves'][:1]}
                    entries.append(recipe_entry(
                        name, args.seed, lr, first, steps, seconds,
                        f'{steps}-step curve of the first model alone, as the original plots '
                        'SINE_MAML[0] and one SineModel()'))
        log(f"  {name} done after {time.perf_counter() - t0:.0f} s")
    notes = (f"recipe: pool of {args.tasks} tasks (phase U(0, 2pi)), {args.replicas} models x "
             f"{args.epochs} epochs of (FO)MAML, meta-batch 1, Adam 1e-3, inner lr 0.01; transfer "
             f"1 model x 1 epoch; evaluation on {args.eval_tasks} held-out tasks (numpy "
             f"RandomState({RECIPE_TASK_SEED})), 50 test points, models averaged per task; "
             f"random = torch.manual_seed({RANDOM_SEED} + i)")
    part = args.part or f"recipe-{args.models.replace(',', '+')}-seed{args.seed}"
    write_json(os.path.join(PARTS, part + '.json'),
               {'kind': 'recipe', 'provenance': provenance(command_line(), [args.seed], notes),
                'entries': entries})


# ----------------------------------------------------------------------------- paper
def cmd_paper(args):
    torch.set_num_threads(1)
    tasks = evaluation.HeldOutTasks(args.eval_tasks, PAPER_TASK_SEED, phase_max=math.pi,
                                    support=20, test=20)
    # the paper's code: K support + K other random test points; the pretrained baseline
    # fine-tuned with step 0.01 for K = 5 and 0.02 for K = 10, 20 (its Figure 3)
    pretrained_lr = {5: 0.01, 10: 0.02, 20: 0.02}
    entries = []
    for algo in ('maml', 'pretrained'):
        t0 = time.perf_counter()

        def every(it):
            if it % 2000 == 0:
                log(f"  paper {algo}: {it}/{args.iterations} ({time.perf_counter() - t0:.0f} s)")
        params = paper.train_paper(algo, args.iterations, args.seed, callback=every)
        seconds = round(time.perf_counter() - t0, 1)
        torch.save(params, os.path.join(PARTS, f"paper-{algo}-seed{args.seed}.pt"))
        for shots in (5, 10, 20):
            lr = 0.01 if algo == 'maml' else pretrained_lr[shots]
            res = evaluation.evaluate([params], tasks, 10, lr, shots=shots, test_points='random')
            steps = [1, 5, 10]
            entries.append({'model': algo, 'iterations': args.iterations, 'metaBatch': 25,
                            'shots': shots, 'steps': steps, 'lr': lr, 'testPoints': 'random K',
                            'mean': finite([res['mean'][s] for s in steps]),
                            'ci95': finite([res['ci95'][s] for s in steps]),
                            'median': finite([res['median'][s] for s in steps]),
                            'diverged': [res['diverged'][s] for s in steps],
                            'evalTasks': tasks.n, 'replicas': 1, 'trainingSeed': args.seed,
                            'trainSeconds': seconds})
            log(f"  paper {algo} {shots}-shot: " + ', '.join(
                f"k={s} {res['mean'][s]:.3f} ± {res['ci95'][s]:.3f}" for s in steps))
    notes = (f"paper setting: phase U(0, pi), fresh tasks, K = 10 support + 10 query for training, "
             f"meta-batch 25, Adam 1e-3, inner lr 0.01, second order, {args.iterations} "
             f"iterations; pretrained = same stream, Adam on the batch's mean support MSE; "
             f"evaluation as the paper's published code: {args.eval_tasks} tasks (numpy "
             f"RandomState({PAPER_TASK_SEED}), 20 support and 20 test points x ~ U(-5, 5); "
             f"K-shot = the first K of each), SGD lr 0.01 for MAML, 0.01 (K=5) / 0.02 (K=10, 20) "
             f"for pretrained, test MSE on the K random test points")
    write_json(os.path.join(PARTS, 'paper.json'),
               {'kind': 'paper', 'provenance': provenance(command_line(), [args.seed], notes),
                'entries': entries})


# ----------------------------------------------------------------------------- merge
def cmd_merge(args):
    parts = sorted(f for f in os.listdir(PARTS) if f.endswith('.json')) if os.path.isdir(PARTS) else []
    if not parts:
        sys.exit(f"merge: no part files in {PARTS}; run timing / recipe / paper first")
    out = {'recipe': [], 'timing': [], 'paper': []}
    provs = []
    for name in parts:
        with open(os.path.join(PARTS, name)) as f:
            part = json.load(f)
        out[part['kind']].extend(part['entries'])
        provs.append((name, part['provenance']))
    first = provs[0][1]
    out = {'provenance': {
        'command': ' ; '.join(p['command'] for _, p in provs),
        'date': max(p['date'] for _, p in provs),
        'machine': first['machine'], 'python': first['python'], 'torch': first['torch'],
        'threads': 1, 'seeds': sorted({s for _, p in provs for s in p['seeds']}),
        'notes': ' | '.join(f"{n}: {p['notes']} ({p['date']})" for n, p in provs),
        'parts': {n: p for n, p in provs}}, **out}
    write_json(RESULTS, out)
    log(f"wrote {RESULTS}: {len(out['recipe'])} recipe, {len(out['timing'])} timing, "
        f"{len(out['paper'])} paper entries from {len(parts)} part(s)")


# ----------------------------------------------------------------------------- smoke
def cmd_smoke(args):
    """A tiny run of every path, with the consistency checks; exit 1 on a mismatch."""
    torch.set_num_threads(1)
    ok = True
    checks = {}
    # 1) the original's loop body leaves grad L_support + textbook meta-gradient in .grad
    for first_order in (False, True):
        original.seed_everything(3)
        task = original.SineWaveTask()
        task.training_set()
        model = original.SineModel()
        params = textbook.params_of(model)
        state = np.random.get_state()
        new_model = original.SineModel()
        new_model.copy(model, same_var=True)
        original.sine_fit1(new_model, task, create_graph=not first_order)
        for name, param in new_model.named_params():
            grad = param.grad if not first_order else param.grad.detach()
            new_model.set_param(name, param - 0.01 * grad)
        original.sine_fit1(new_model, task, force_new=True)
        leaked = [p.grad for p in model.params()]
        np.random.set_state(state)  # the same query draw
        support, query = task.training_set(), task.training_set(force_new=True)
        text, _ = textbook.meta_gradient(params, support, query, first_order=first_order)
        leak, _ = textbook.meta_gradient(params, support, query, first_order=first_order,
                                         leak=True)
        scale = max(g.abs().max().item() for g in leaked)
        err = max((a - b).abs().max().item() for a, b in zip(leaked, leak)) / scale
        gap = max((a - b).abs().max().item() for a, b in zip(leaked, text)) / scale
        key = 'fomaml' if first_order else 'maml'
        checks[f'{key}: original .grad vs textbook+leak (rel)'] = err
        checks[f'{key}: original .grad vs textbook (rel, must be large)'] = gap
        ok &= err < 1e-5 and gap > 1e-2
    # 2) batched evaluation = the original's eval_sine_test loop
    tasks = evaluation.HeldOutTasks(20, 5)
    checks['batched evaluation vs eval_sine_test (rel)'] = d = evaluation.check_against_original(
        random_models(1)[0], tasks)
    ok &= d < 1e-4
    # 3) the paper's batched meta-gradient = the per-task loop
    checks['paper batched meta-gradient vs loop (rel)'] = d = paper.batched_matches_loop()
    ok &= d < 1e-5
    # 4) every trainer runs a few tasks, and one training step changes the model
    for code, trainer in (('original', train_original), ('textbook', train_textbook)):
        for algo in ('maml', 'fomaml', 'transfer'):
            trained = trainer(algo, 0, 1, 30, 1)[0]
            res = evaluation.evaluate([trained], tasks, 2, 0.01)
            ok &= all(math.isfinite(v) for v in res['mean'])
            checks[f'{code} {algo}: 30 tasks, k=0..2 test MSE'] = [round(v, 4) for v in res['mean']]
    for algo in ('maml', 'pretrained'):
        p = paper.train_paper(algo, 3, 0)
        checks[f'paper {algo}: 3 iterations, finite'] = all(torch.isfinite(x).all() for x in p)
        ok &= checks[f'paper {algo}: 3 iterations, finite']
    print(json.dumps({'ok': bool(ok), 'torch': torch.__version__, 'checks': checks}, indent=1))
    sys.exit(0 if ok else 1)


# ----------------------------------------------------------------------------- gradient
def cmd_gradient(args):
    """stdin: one request or a list of them; a request is {"params": [w1 [40][1], b1 [40],
    w2 [40][40], b2 [40], w3 [1][40], b3 [1]], "support": {"x": [..], "y": [..]},
    "query": {...}, "innerLr", "firstOrder", "leak"}. stdout: {"metaGradient": [same shapes],
    "queryLoss"} (or a list of them), computed in float64 by textbook.meta_gradient."""
    req = json.load(sys.stdin)

    def answer(r):
        params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in r['params']]
        t = lambda s: (torch.tensor(s['x'], dtype=torch.float64),
                       torch.tensor(s['y'], dtype=torch.float64))
        grads, loss = textbook.meta_gradient(params, t(r['support']), t(r['query']),
                                             r.get('innerLr', 0.01), r.get('firstOrder', False),
                                             r.get('leak', False))
        return {'metaGradient': [g.tolist() for g in grads], 'queryLoss': loss.item()}
    json.dump([answer(r) for r in req] if isinstance(req, list) else answer(req), sys.stdout)


def cmd_table(args):
    """Markdown tables of reference/results.json (what reference/README.md quotes)."""
    with open(RESULTS) as f:
        data = json.load(f)
    cell = lambda m, h: 'n/a' if m is None else f"{m:.3f} ± {h:.3f}"
    p = data['provenance']
    print(f"{p['date']}, {p['machine']}, python {p['python']}, torch {p['torch']}, "
          f"{p['threads']} thread\n")
    cols = [0, 1, 2, 5, 10]
    print('| model | seed | SGD lr | models | ' + ' | '.join(f'k={k}' for k in cols) +
          ' | median k=10 | diverged | train s |')
    print('|---|---|---|---|' + '---|' * len(cols) + '---|---|---|')
    for e in data['recipe']:
        if len(e['k']) == 11 and 'note' not in e:
            print(f"| {e['model']} | {e['trainingSeed']} | {e['evalLr']} | {e['replicas']} | " +
                  ' | '.join(cell(e['mean'][k], e['ci95'][k]) for k in cols) +
                  f" | {e['median'][10]:.3f} | {e['diverged']} | {e['trainSeconds'] or ''} |")
    longs = [e for e in data['recipe'] if len(e['k']) > 11]
    if longs:
        cols = [0, 1, 10, 50, 100]
        print('\n| model (long curve) | SGD lr | models | ' + ' | '.join(f'k={k}' for k in cols) +
              ' | diverged |')
        print('|---|---|---|' + '---|' * len(cols) + '---|')
        for e in longs:
            print(f"| {e['model']} | {e['evalLr']} | {e['replicas']} | " + ' | '.join(
                cell(e['mean'][k], e['ci95'][k]) for k in cols if k < len(e['k'])) +
                f" | {e['diverged']} |")
    if data['timing']:
        print('\n| code | algorithm | ms/task (median) | runs x tasks |')
        print('|---|---|---|---|')
        for t in data['timing']:
            print(f"| {t['code']} | {t['algo']} | {t['msPerTask']:.3f} | "
                  f"{t['runs']} x {t['tasksPerRun']} |")
        ms = {(t['code'], t['algo']): t['msPerTask'] for t in data['timing']}
        for code in ('original', 'textbook'):
            if (code, 'maml') in ms and (code, 'fomaml') in ms:
                print(f"\n{code} code: second order / first order = "
                      f"{ms[(code, 'maml')] / ms[(code, 'fomaml')]:.2f}")
    if data['paper']:
        print('\n| paper setting | iterations x 25 | shots | k=1 | k=5 | k=10 | median k=1/5/10 '
              '| diverged k=1/5/10 |')
        print('|---|---|---|---|---|---|---|---|')
        for e in data['paper']:
            print(f"| {e['model']} | {e['iterations']} | {e['shots']} | " +
                  ' | '.join(cell(m, h) for m, h in zip(e['mean'], e['ci95'])) + ' | ' +
                  ' / '.join(f'{v:.3f}' for v in e['median']) + ' | ' +
                  ' / '.join(str(v) for v in e['diverged']) + ' |')


def cmd_all(args):
    for sub in (['timing'], ['recipe'], ['paper'], ['merge']):
        main(sub)


def main(argv=None):
    ap = argparse.ArgumentParser(prog='reference/run.py', description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('timing')
    p.add_argument('--runs', type=int, default=5)
    p.add_argument('--tasks', type=int, default=2000)
    p.add_argument('--codes', default='original,textbook', choices=CODE_CHOICES)
    p.add_argument('--algos', default='maml,fomaml,transfer', choices=ALGO_CHOICES)
    p.add_argument('--print', action='store_true',
                   help='print the entries as JSON on stdout instead of writing the part file')
    p = sub.add_parser('recipe')
    p.add_argument('--models', default='maml-leak,fomaml-leak,maml,fomaml,transfer,random')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--replicas', type=int, default=5)
    p.add_argument('--tasks', type=int, default=10000)
    p.add_argument('--epochs', type=int, default=4)
    p.add_argument('--eval-tasks', type=int, default=1000)
    p.add_argument('--long-steps', type=int, default=LONG_STEPS)
    p.add_argument('--part', default=None, help='part file name (default from models and seed)')
    p = sub.add_parser('paper')
    p.add_argument('--iterations', type=int, default=10000)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--eval-tasks', type=int, default=600)
    sub.add_parser('merge')
    sub.add_parser('smoke')
    sub.add_parser('gradient')
    sub.add_parser('table')
    sub.add_parser('all')
    args = ap.parse_args(argv)
    for name, v in vars(args).items():
        if isinstance(v, int) and not isinstance(v, bool) and v < 1 and name != 'seed':
            ap.error(f"--{name.replace('_', '-')} must be a positive integer, got {v}")
    if args.cmd == 'timing' and args.tasks < 2:
        ap.error(f"--tasks must be at least 2 for timing (the clock starts after the first), "
                 f"got {args.tasks}")
    torch.set_num_threads(1)
    log(f"PyTorch reference: python {platform.python_version()} ({sys.executable}), "
        f"torch {torch.__version__}, numpy {np.__version__}, 1 thread")
    {'timing': cmd_timing, 'recipe': cmd_recipe, 'paper': cmd_paper, 'merge': cmd_merge,
     'smoke': cmd_smoke, 'gradient': cmd_gradient, 'table': cmd_table, 'all': cmd_all}[args.cmd](args)


if __name__ == '__main__':
    main()
