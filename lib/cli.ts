/**
 * The command line: `maml-sine train ...` and `maml-sine eval FILE ...`.
 * Bad input exits with code 2 and one line naming the value and what was expected.
 */
import { loadCheckpoint, saveCheckpoint } from './checkpoint';
import { evaluate } from './evaluate';
import { terminalProgress, formatDuration } from './progress';
import { Rng, STREAM } from './rng';
import { makeTaskPool } from './sineTask';
import { ALGORITHMS, train, TrainConfigInput, AlgoName, ENGINES, EngineName } from './train';
import { DivergedError, fail, MamlInputError } from './validate';

const USAGE = `usage:
  maml-sine train --algo ${ALGORITHMS.join('|')} [--seed-compat] [--replicas 5] [--epochs 4]
      [--tasks 10000] [--meta-batch 1] [--inner-steps 1] [--inner-lr 0.01] [--meta-lr 0.001]
      [--seed 0] [--engine fast|autodiff] [--fresh-tasks] [--support-size 10] [--phase-max 6.283]
      --out FILE
  maml-sine eval FILE [--tasks 1000] [--seed 1] [--steps 10] [--lr 0.01] [--shots K] [--json]`;

type Spec = Record<string, 'flag' | 'number' | 'string'>;

function parse(args: string[], spec: Spec): { positional: string[]; opts: Record<string, string | number | boolean> } {
  const positional: string[] = [];
  const opts: Record<string, string | number | boolean> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    const kind = spec[name];
    if (kind === undefined) fail('option', `--${name}`, `one of ${Object.keys(spec).map((k) => `--${k}`).join(', ')}`);
    if (kind === 'flag') {
      opts[name] = true;
      continue;
    }
    const raw = inline ?? args[++i];
    if (raw === undefined) fail(`--${name}`, undefined, `a value after --${name}`);
    if (kind === 'number') {
      const value = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(value)) fail(`--${name}`, raw, 'a finite number');
      opts[name] = value;
    } else {
      opts[name] = raw;
    }
  }
  return { positional, opts };
}

function trainCommand(args: string[]): void {
  const { positional, opts } = parse(args, {
    algo: 'string', 'seed-compat': 'flag', replicas: 'number', epochs: 'number', tasks: 'number', 'meta-batch': 'number',
    'inner-steps': 'number', 'inner-lr': 'number', 'meta-lr': 'number', seed: 'number', engine: 'string', out: 'string',
    'fresh-tasks': 'flag', 'support-size': 'number', 'phase-max': 'number',
  });
  if (positional.length > 0) fail('argument', positional[0], 'options only (see --help)');
  if (opts.algo === undefined) fail('--algo', undefined, ALGORITHMS.join(' | '));
  if (typeof opts.out !== 'string' || opts.out === '') fail('--out', opts.out, 'a file to write the checkpoint to');
  const input: TrainConfigInput = {
    algo: opts.algo as AlgoName,
    seedCompat: opts['seed-compat'] === true,
    replicas: opts.replicas as number | undefined,
    epochs: opts.epochs as number | undefined,
    tasks: opts.tasks as number | undefined,
    metaBatchSize: opts['meta-batch'] as number | undefined,
    innerSteps: opts['inner-steps'] as number | undefined,
    innerLr: opts['inner-lr'] as number | undefined,
    metaLr: opts['meta-lr'] as number | undefined,
    seed: opts.seed as number | undefined,
    engine: (opts.engine ?? 'fast') as EngineName,
    freshTasks: opts['fresh-tasks'] === true,
    taskOptions: {
      ...(opts['support-size'] !== undefined ? { supportSize: opts['support-size'] as number } : {}),
      ...(opts['phase-max'] !== undefined ? { phaseRange: [0, opts['phase-max'] as number] as [number, number] } : {}),
    },
  };
  if (!ENGINES.includes(input.engine!)) fail('--engine', input.engine, ENGINES.join(' | '));
  const run = () => {
    const result = withFlagNames(() => train(input, { onProgress: terminalProgress(`train ${input.algo}`) }));
    saveCheckpoint(opts.out as string, result);
    const c = result.config;
    console.error(
      `trained ${c.algo}${c.seedCompat ? ' (seed-compat)' : ''}: ${c.replicas} replica(s) x ${c.epochs} epoch(s) x ${c.tasks} tasks ` +
        `in ${formatDuration(result.elapsedMs)} (${result.msPerTask.toFixed(3)} ms/task, engine ${c.engine}) -> ${opts.out}`,
    );
  };
  if (input.engine === 'autodiff') {
    // tfjs is loaded only for this engine: the fast engine needs none of it
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { initBackend } = require('./backend') as typeof import('./backend');
    return void initBackend().then(run).catch(report);
  }
  console.error('engine: fast (hand-derived float64 gradients; --engine autodiff uses tfjs)');
  run();
}

/** Config names → the flags that set them, so an error names what the user typed. */
const FLAG_OF: Record<string, string> = {
  replicas: '--replicas', epochs: '--epochs', tasks: '--tasks', metaBatchSize: '--meta-batch', innerSteps: '--inner-steps',
  innerLr: '--inner-lr', metaLr: '--meta-lr', seed: '--seed', algo: '--algo', engine: '--engine', steps: '--steps', lr: '--lr',
  'supportSize (K)': '--support-size / --shots', 'phaseRange[1]': '--phase-max', phaseRange: '--phase-max',
};

function withFlagNames<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof MamlInputError) {
      const message = err.message;
      const name = Object.keys(FLAG_OF).find((key) => message.startsWith(`${key} = `));
      if (name) throw new MamlInputError(`${FLAG_OF[name]}${message.slice(name.length)}`);
    }
    throw err;
  }
}

function evalCommand(args: string[]): void {
  const { positional, opts } = parse(args, { tasks: 'number', seed: 'number', steps: 'number', lr: 'number', shots: 'number', json: 'flag' });
  if (positional.length !== 1) fail('checkpoint', positional.join(' ') || undefined, 'exactly one checkpoint file');
  const checkpoint = loadCheckpoint(positional[0]);
  const taskCount = (opts.tasks as number | undefined) ?? 1000;
  const seed = (opts.seed as number | undefined) ?? 1;
  const taskOptions = { ...checkpoint.config.taskOptions, ...(opts.shots !== undefined ? { supportSize: opts.shots as number } : {}) };
  const tasks = withFlagNames(() => makeTaskPool(taskCount, new Rng(seed, STREAM.heldOutTasks), taskOptions));
  const result = withFlagNames(() => evaluate(checkpoint.replicas, checkpoint.layout, tasks, { steps: opts.steps as number | undefined, lr: opts.lr as number | undefined }));
  const num = (v: number) => (Number.isFinite(v) ? v : null);
  if (opts.json) {
    console.log(
      JSON.stringify({
        checkpoint: positional[0],
        algo: checkpoint.config.algo,
        seedCompat: checkpoint.config.seedCompat,
        tasks: result.tasks,
        taskSeed: seed,
        replicas: result.replicas,
        lr: result.lr,
        steps: result.steps,
        mean: result.summary.map((s) => num(s.mean)),
        ci95: result.summary.map((s) => num(s.ci95)),
        median: result.summary.map((s) => num(s.median)),
        diverged: result.summary.map((s) => s.diverged),
        perReplicaMean: result.perReplica.map((row) => row.map(num)),
      }),
    );
    return;
  }
  const c = checkpoint.config;
  console.log(`${positional[0]}: ${c.algo}${c.seedCompat ? ' (seed-compat)' : ''}, ${result.replicas} replica(s), ${result.tasks} held-out tasks (seed ${seed}), SGD lr ${result.lr}`);
  console.log('| k | mean MSE ± 95% CI | median | diverged |');
  console.log('|---|---|---|---|');
  for (const s of result.summary) console.log(`| ${s.step} | ${s.mean.toFixed(3)} ± ${s.ci95.toFixed(3)} | ${s.median.toFixed(3)} | ${s.diverged} |`);
}

function report(err: unknown): never {
  if (err instanceof MamlInputError || err instanceof DivergedError) {
    console.error(`maml-sine: ${err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
}

export function main(argv: string[]): void {
  const [command, ...rest] = argv;
  try {
    if (command === 'train') trainCommand(rest);
    else if (command === 'eval') evalCommand(rest);
    else if (command === undefined || command === '--help' || command === '-h' || command === 'help') console.log(USAGE);
    else fail('command', command, "'train' or 'eval'\n" + USAGE);
  } catch (err) {
    report(err);
  }
}
