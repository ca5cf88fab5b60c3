/**
 * The command line: `maml-sine train ...` and `maml-sine eval FILE ...`.
 *
 * Everything a user can get wrong is checked before any work starts (options, limits, the
 * output path, the checkpoint) and reported as one line with exit code 2; an internal error
 * (a bug) prints its stack trace and exits 1. Options are declared once in a table per
 * command, which drives parsing, checking and `--help`.
 *
 * Not in a notebook: README "Command line" and "Reliability" explain it.
 */
import { checkFreeSpace, checkpointSizeBound, checkSavable, loadCheckpoint, prepareOutput, saveCheckpoint } from './runtime/checkpoint';
import { adaptationCurves, checkEvaluation, DEFAULT_EVAL_ENGINE, EvalOptions, EvalResult, summarizeCurves } from './evaluation/evaluate';
import { ParamLayout } from './model/params';
import { formatDuration, terminalProgress } from './training/progress';
import { Rng, STREAM } from './tasks/rng';
import { makeTaskPool, SineTask } from './tasks/sineTask';
import { ALGORITHM, algorithmsWhere, ALGORITHMS, AlgoName } from './algorithms/registry';
import { DEFAULT_ENGINE, ENGINES, resolveTrainConfig, TrainConfig, TrainConfigInput, EngineName } from './training/train';
import { trainWithSignals } from './runtime/snapshot';
import { defaultWorkers, MAX_WORKERS } from './runtime/parallel';
import { checkEvalLimits, fail, LIMITS, MamlError, MamlInputError, oneLine, quote, subjectOf } from './core/validate';

/** Where the CLI writes; tests pass fakes (stderr.isTTY decides how progress is drawn). */
export interface CliStreams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

type OptionSpec = { help: string } & (
  | { kind: 'boolean' }
  /** an integer in [min, max]; `limit` names the unit when max is one of LIMITS */
  | { kind: 'int'; min: number; max: number; value: string; limit?: string }
  /** a finite decimal number, > 0 (positive) or >= 0 */
  | { kind: 'real'; positive: boolean; value: string }
  | { kind: 'choice'; choices: readonly string[] }
  | { kind: 'path'; value: string }
);

interface CommandSpec {
  usage: string;
  about: string;
  options: Record<string, OptionSpec>;
  /** library names of values → the flags that set them, so an error names what the user typed */
  flagOf: Record<string, string>;
}

/** "default 4, transfer 1": a fact's usual value and the algorithms that differ from it (from the registry). */
function defaultsText(fact: 'defaultEpochs' | 'defaultInnerSteps'): string {
  const usual = ALGORITHM.maml[fact];
  const others = ALGORITHMS.filter((a) => ALGORITHM[a][fact] !== usual).map((a) => `, ${a} ${ALGORITHM[a][fact]}`);
  return `default ${usual}${others.join('')}`;
}

const TRAIN: CommandSpec = {
  usage: 'maml-sine train --algo ALGO --out FILE [options]',
  about: 'Meta-train sine-regression models and write them to a checkpoint (progress on stderr).',
  options: {
    algo: { kind: 'choice', choices: ALGORITHMS, help: 'the algorithm (required)' },
    out: { kind: 'path', value: 'FILE', help: 'checkpoint to write (required; a regular file or a new name)' },
    'seed-compat': { kind: 'boolean', help: `reproduce the original's support-gradient leak (${algorithmsWhere((a) => a.leakApplies).join(', ')})` },
    replicas: { kind: 'int', min: 1, max: LIMITS.replicas, value: 'N', limit: 'replicas', help: 'independent models (default 1; the original: 5)' },
    epochs: { kind: 'int', min: 1, max: LIMITS.epochs, value: 'N', limit: 'epochs', help: `passes over the task pool (${defaultsText('defaultEpochs')})` },
    // the pool limit (LIMITS.tasks) is checkTrainLimits', which knows whether --fresh-tasks leaves no pool
    tasks: { kind: 'int', min: 1, max: LIMITS.trainWork, value: 'N', limit: 'tasks', help: `training task pool (default 10000; a pool: at most ${LIMITS.tasks}; with --fresh-tasks, tasks drawn one at a time: up to ${LIMITS.trainWork})` },
    'meta-batch': { kind: 'int', min: 1, max: LIMITS.metaBatchSize, value: 'N', limit: 'tasks per meta-batch', help: 'tasks per Adam step (default 1)' },
    'inner-steps': { kind: 'int', min: 1, max: LIMITS.innerSteps, value: 'N', limit: 'inner steps', help: `inner SGD steps (${defaultsText('defaultInnerSteps')})` },
    'inner-lr': { kind: 'real', positive: true, value: 'LR', help: 'inner SGD learning rate (default 0.01)' },
    'meta-lr': { kind: 'real', positive: true, value: 'LR', help: 'Adam learning rate (default 0.001)' },
    seed: { kind: 'int', min: 0, max: Number.MAX_SAFE_INTEGER, value: 'N', help: 'training seed (default 0)' },
    engine: { kind: 'choice', choices: ENGINES, help: `wasm (float64 WebAssembly SIMD), wasm-f32 (the same in float32, faster; θ and Adam stay float64), fast (float64 TypeScript, the reference) or autodiff (tfjs, float32); default ${DEFAULT_ENGINE}` },
    'fresh-tasks': { kind: 'boolean', help: 'draw a new task for every meta-training task instead of a pool' },
    'support-size': { kind: 'int', min: 1, max: LIMITS.supportSize, value: 'K', limit: 'support points per task', help: 'K support points per task (default 10)' },
    'phase-max': { kind: 'real', positive: false, value: 'PHI', help: 'phases U(0, PHI) (default 6.283; the MAML paper: 3.14159)' },
    resume: { kind: 'boolean', help: 'continue from FILE.partial, the snapshot kept while training (README "Resuming and interrupting")' },
    workers: {
      kind: 'int', min: 1, max: MAX_WORKERS, value: 'N',
      help: 'worker threads, same numbers for any N (default: one per core up to 4, or MAML_WORKERS; 1: main thread)',
    },
  },
  flagOf: {
    algo: '--algo', seedCompat: '--seed-compat', replicas: '--replicas', epochs: '--epochs', tasks: '--tasks',
    metaBatchSize: '--meta-batch', innerSteps: '--inner-steps', innerLr: '--inner-lr', metaLr: '--meta-lr', seed: '--seed',
    engine: '--engine', freshTasks: '--fresh-tasks', supportSize: '--support-size', phaseRange: '--phase-max',
    'phaseRange[1]': '--phase-max', workers: '--workers',
  },
};

const EVAL: CommandSpec = {
  usage: 'maml-sine eval FILE [options]',
  about: 'Evaluate a checkpoint on held-out tasks: test MSE after k = 0..steps SGD steps (progress on stderr).',
  options: {
    tasks: { kind: 'int', min: 1, max: LIMITS.evalTasks, value: 'N', limit: 'evaluation tasks', help: 'held-out tasks (default 1000)' },
    seed: { kind: 'int', min: 0, max: Number.MAX_SAFE_INTEGER, value: 'N', help: 'seed of the held-out tasks (default 1)' },
    steps: { kind: 'int', min: 0, max: LIMITS.evalSteps, value: 'N', limit: 'SGD steps', help: 'largest number of SGD steps k (default 10)' },
    lr: { kind: 'real', positive: true, value: 'LR', help: "SGD learning rate (default 0.01; Meta-SGD uses its own)" },
    shots: { kind: 'int', min: 1, max: LIMITS.supportSize, value: 'K', limit: 'support points per task', help: "K support points (default: the checkpoint's)" },
    json: { kind: 'boolean', help: 'print one JSON object instead of a table' },
  },
  flagOf: { tasks: '--tasks', seed: '--seed', steps: '--steps', lr: '--lr', shots: '--shots', supportSize: '--shots' },
};

const COMMANDS: Record<string, CommandSpec> = { train: TRAIN, eval: EVAL };

/** What `train` says about the engine it trains with (autodiff: the tfjs backend says it). */
const ENGINE_NOTES: Record<Exclude<EngineName, 'autodiff'>, string> = {
  wasm: 'wasm (hand-derived float64 gradients in WebAssembly SIMD kernels; --engine fast is the TypeScript reference)',
  'wasm-f32': 'wasm-f32 (hand-derived gradients in float32 WebAssembly SIMD kernels, weights and Adam in float64; --engine wasm is the float64 kernels)',
  fast: 'fast (hand-derived float64 gradients in TypeScript, the reference; --engine wasm is faster)',
};

const HELP_FLAGS = new Set(['--help', '-h']);

const NOTES = `Numbers: integers in plain digits (no sign, exponent or hex); other numbers as decimals
  (0.001, 1e-3). No Infinity or NaN. Booleans: --flag, --flag=true or --flag=false.
  A value may follow its option (--out FILE) or be attached (--out=FILE); a value that starts
  with -- must be attached. Each option at most once. Limits: README "Reliability".`;

function optionLabel(name: string, spec: OptionSpec): string {
  if (spec.kind === 'boolean') return `--${name}`;
  if (spec.kind === 'choice') return `--${name} ${spec.choices.join('|')}`;
  return `--${name} ${spec.value}`;
}

function rangeText(spec: OptionSpec): string {
  if (spec.kind === 'int') return spec.max === Number.MAX_SAFE_INTEGER ? ` [>= ${spec.min}]` : ` [${spec.min}..${spec.max}]`;
  if (spec.kind === 'real') return spec.positive ? ' [> 0]' : ' [>= 0]';
  return '';
}

/** The `--help` text of one command (`train` or `eval`), built from its option table. */
export function commandHelp(command: string): string {
  const spec = COMMANDS[command];
  const rows = Object.entries(spec.options).map(([name, o]) => [optionLabel(name, o), `${o.help}${rangeText(o)}`]);
  rows.push(['--help', 'show this help']);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  const lines = rows.map(([l, h]) => (l.length + 2 > 34 ? `  ${l}\n  ${' '.repeat(34)}${h}` : `  ${l.padEnd(Math.min(width, 34))}${h}`));
  return `usage: ${spec.usage}\n\n${spec.about}\n\noptions:\n${lines.join('\n')}\n\n${NOTES}\n`;
}

/** The text of `maml-sine --help`: the commands and where to find their options. */
export function generalHelp(): string {
  return (
    `usage: maml-sine COMMAND [options]\n\ncommands:\n` +
    `  train   ${TRAIN.about}\n  eval    ${EVAL.about}\n\n` +
    `Run 'maml-sine COMMAND --help' for a command's options. Bad input exits with code 2 and one line.\n`
  );
}

type Value = string | number | boolean;

interface Parsed {
  positional: string[];
  opts: Record<string, Value>;
  help: boolean;
}

function needsValue(name: string, spec: OptionSpec, next: string | undefined): never {
  const value = spec.kind === 'choice' ? spec.choices.join(' | ') : spec.kind === 'boolean' ? '' : spec.value;
  const hint = next === undefined ? '' : ` (the next argument ${quote(next)} is an option; to use it as the value write --${name}=${next})`;
  throw new MamlInputError(`--${name} needs a value: expected ${value}${hint}`, { option: `--${name}`, expected: value });
}

function convert(name: string, raw: string, spec: OptionSpec): Value {
  const flag = `--${name}`;
  switch (spec.kind) {
    case 'int': {
      const range = spec.max === Number.MAX_SAFE_INTEGER ? `an integer >= ${spec.min}` : `an integer in [${spec.min}, ${spec.max}]`;
      if (!/^[0-9]+$/.test(raw)) fail(flag, raw, `${range} in plain digits`);
      const n = Number(raw);
      if (n > spec.max && spec.limit !== undefined) {
        throw new MamlInputError(`${flag} = ${raw} is over the limit: expected at most ${spec.max} ${spec.limit} (limits: README "Reliability")`, {
          option: flag,
          value: n,
          expected: `at most ${spec.max}`,
        });
      }
      if (n < spec.min || n > spec.max) fail(flag, n, range);
      return n;
    }
    case 'real': {
      const expected = `a finite number ${spec.positive ? '> 0' : '>= 0'} (decimal, e.g. 0.001 or 1e-3)`;
      if (!/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(raw)) fail(flag, raw, expected);
      const n = Number(raw);
      if (!Number.isFinite(n) || (spec.positive ? n <= 0 : n < 0)) fail(flag, n, expected);
      return n;
    }
    case 'choice':
      if (!spec.choices.includes(raw)) fail(flag, raw, `one of ${spec.choices.join(', ')}`);
      return raw;
    case 'path':
      if (raw === '') fail(flag, raw, `${spec.value}, a file name`);
      return raw;
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      return fail(flag, raw, `no value, or =true / =false`);
  }
}

/**
 * Strict parsing: unknown options, repeated options, values that do not parse, a missing value
 * (never taken from the next option), and a value given to a boolean other than true/false are
 * all errors. `--` ends the options (later arguments are positional).
 */
export function parseArgs(args: string[], spec: CommandSpec): Parsed {
  const end = args.indexOf('--');
  if (args.slice(0, end < 0 ? args.length : end).some((a) => HELP_FLAGS.has(a))) return { positional: [], opts: {}, help: true };
  const positional: string[] = [];
  const opts: Record<string, Value> = {};
  const seen = new Map<string, string>();
  const known = Object.keys(spec.options).map((k) => `--${k}`).join(', ');
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq < 0 ? undefined : eq) : '';
    const option = spec.options[name];
    if (option === undefined) fail('option', eq < 0 ? arg : arg.slice(0, eq), `one of ${known}, --help`);
    const previous = seen.get(name);
    if (previous !== undefined) {
      const next = args[i + 1];
      const again = eq < 0 && option.kind !== 'boolean' && next !== undefined && !next.startsWith('--') ? `${arg} ${next}` : arg;
      throw new MamlInputError(`--${name} is given twice (${quote(previous)}, then ${quote(again)}): expected each option at most once`, {
        option: `--${name}`,
      });
    }
    seen.set(name, arg);
    let raw: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (raw === undefined && option.kind === 'boolean') {
      opts[name] = true;
      continue;
    }
    if (raw === undefined) {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) needsValue(name, option, next);
      raw = next;
      i++;
      seen.set(name, `${arg} ${raw}`);
    }
    opts[name] = convert(name, raw, option);
  }
  return { positional, opts, help: false };
}

function required(name: string, spec: CommandSpec): never {
  const option = spec.options[name];
  const value = option.kind === 'choice' ? option.choices.join(' | ') : option.kind === 'path' ? `${option.value}: ${option.help}` : name;
  throw new MamlInputError(`--${name} is required: expected ${value}`, { option: `--${name}`, expected: value });
}

/** Renames a library error's option (e.g. `innerLr`) to the flag that set it (`--inner-lr`). */
function withFlagNames<T>(spec: CommandSpec, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof MamlInputError && err.option !== undefined && spec.flagOf[err.option] !== undefined) throw err.renamed(spec.flagOf[err.option]);
    throw err;
  }
}

function flagLabel(spec: CommandSpec): (field: string) => string {
  return (field) => spec.flagOf[field] ?? subjectOf(field);
}

async function trainCommand(args: string[], streams: CliStreams): Promise<void> {
  const { positional, opts, help } = parseArgs(args, TRAIN);
  if (help) return void streams.stdout.write(commandHelp('train'));
  if (positional.length > 0) fail('argument', positional[0], 'options only (see maml-sine train --help)');
  if (opts.algo === undefined) required('algo', TRAIN);
  if (opts.out === undefined) required('out', TRAIN);
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
    engine: (opts.engine ?? DEFAULT_ENGINE) as EngineName,
    freshTasks: opts['fresh-tasks'] === true,
    taskOptions: {
      ...(opts['support-size'] !== undefined ? { supportSize: opts['support-size'] as number } : {}),
      ...(opts['phase-max'] !== undefined ? { phaseRange: [0, opts['phase-max'] as number] as [number, number] } : {}),
    },
  };
  // every check before any work: the config, its size against LIMITS, then the output path
  const config: TrainConfig = withFlagNames(TRAIN, () => {
    const resolved = resolveTrainConfig(input);
    checkSavable(resolved, flagLabel(TRAIN));
    return resolved;
  });
  // replicas are what the workers share out: more workers than replicas would idle
  const workers = Math.min((opts.workers as number | undefined) ?? defaultWorkers(), config.replicas);
  const out = prepareOutput(opts.out as string, 'checkpoint');
  try {
    checkFreeSpace(out, checkpointSizeBound(config), 'checkpoint');
    if (config.engine === 'autodiff') {
      // tfjs is loaded only for this engine: the others need none of it
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { initBackend } = require('./tfjs/backend') as typeof import('./tfjs/backend');
      await initBackend();
    } else {
      streams.stderr.write(`engine: ${ENGINE_NOTES[config.engine]}\n`);
    }
    const onProgress = terminalProgress(`train ${config.algo}`, streams.stderr as NodeJS.WriteStream);
    // snapshots, --resume, SIGINT/SIGTERM: lib/snapshot.ts
    const result = await trainWithSignals(config, {
      out: out.file, resume: opts.resume === true, command: ['train', ...args], onProgress, save: (r) => saveCheckpoint(out.file, r), workers,
    });
    const c = result.config;
    streams.stderr.write(
      `trained ${c.algo}${c.seedCompat ? ' (seed-compat)' : ''}: ${c.replicas} replica(s) x ${c.epochs} epoch(s) x ${c.tasks} tasks ` +
        `in ${formatDuration(result.elapsedMs)} (${result.msPerTask.toFixed(3)} ms/task, engine ${c.engine}, ${workers === 1 ? 'main thread' : `${workers} worker threads`}) -> ${displayPath(opts.out as string)}\n`,
    );
  } catch (err) {
    out.release(); // folders created for --out go again (if still empty)
    throw err;
  }
}

/** Progress of an evaluation: done / total tasks and the elapsed time. */
export type EvalProgress = (done: number, total: number, elapsedMs: number) => void;

/**
 * A progress bar for `eval` on a stream, drawn like train's: redrawn in place on a terminal,
 * else one line per 10%.
 */
export function evalProgress(label: string, stream: CliStreams['stderr'], width = 30): EvalProgress {
  let lastDecile = -1;
  return (done, total, elapsedMs) => {
    const frac = total > 0 ? done / total : 1;
    const filled = Math.round(frac * width);
    const eta = frac > 0 && frac < 1 ? ` (eta ${formatDuration((elapsedMs / frac) * (1 - frac))})` : '';
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(100 * frac).toFixed(0).padStart(3)}% ${done}/${total} tasks, ${formatDuration(elapsedMs)}${eta}`;
    if (stream.isTTY) {
      stream.write(`\r${line}${done === total ? '\n' : ''}`);
    } else {
      const decile = Math.floor((10 * done) / total);
      if (decile !== lastDecile) {
        lastDecile = decile;
        stream.write(`${line}\n`);
      }
    }
  };
}

/**
 * evaluate() in up to 200 slices of tasks, reporting progress after each: the same numbers
 * (every task's curve is computed independently), with a progress bar on long requests.
 */
export function evaluateWithProgress(replicas: Float64Array[], layout: ParamLayout, tasks: SineTask[], options: Partial<EvalOptions>, onProgress?: EvalProgress): EvalResult {
  const resolved = checkEvaluation(replicas, layout, tasks, options);
  const width = resolved.record.length;
  const curves = replicas.map(() => new Float64Array(tasks.length * width));
  const slice = Math.max(1, Math.ceil(tasks.length / 200));
  const start = performance.now();
  for (let t0 = 0; t0 < tasks.length; t0 += slice) {
    const part = adaptationCurves(replicas, layout, tasks.slice(t0, t0 + slice), resolved);
    part.forEach((curve, r) => curves[r].set(curve, t0 * width));
    onProgress?.(Math.min(t0 + slice, tasks.length), tasks.length, performance.now() - start);
  }
  return summarizeCurves(curves, tasks.length, resolved);
}

function evalCommand(args: string[], streams: CliStreams): void {
  const { positional, opts, help } = parseArgs(args, EVAL);
  if (help) return void streams.stdout.write(commandHelp('eval'));
  if (positional.length !== 1) {
    fail('checkpoint', positional.length === 0 ? undefined : positional, 'exactly one checkpoint file (see maml-sine eval --help)');
  }
  const file = positional[0];
  const taskCount = (opts.tasks as number | undefined) ?? 1000;
  const seed = (opts.seed as number | undefined) ?? 1;
  const steps = (opts.steps as number | undefined) ?? 10;
  const lr = (opts.lr as number | undefined) ?? 0.01;
  const checkpoint = loadCheckpoint(file);
  for (const warning of checkpoint.warnings) streams.stderr.write(`maml-sine: warning: ${oneLine(warning)}\n`);
  const shots = (opts.shots as number | undefined) ?? checkpoint.config.taskOptions.supportSize;
  withFlagNames(EVAL, () => checkEvalLimits({ tasks: taskCount, steps, replicas: checkpoint.replicas.length, shots }, flagLabel(EVAL)));
  const taskOptions = { ...checkpoint.config.taskOptions, supportSize: shots };
  const tasks = withFlagNames(EVAL, () => makeTaskPool(taskCount, new Rng(seed, STREAM.heldOutTasks), taskOptions));
  const progress = evalProgress('eval', streams.stderr);
  const evalOptions = { steps, lr, engine: DEFAULT_EVAL_ENGINE };
  const result = withFlagNames(EVAL, () => evaluateWithProgress(checkpoint.replicas, checkpoint.layout, tasks, evalOptions, progress));
  const num = (v: number) => (Number.isFinite(v) ? v : null);
  const out = (line: string) => streams.stdout.write(`${line}\n`);
  if (opts.json === true) {
    out(
      JSON.stringify({
        checkpoint: file,
        algo: checkpoint.config.algo,
        seedCompat: checkpoint.config.seedCompat,
        tasks: result.tasks,
        taskSeed: seed,
        replicas: result.replicas,
        lr: result.lr,
        // float32 since 2026-11-28 (float64 before): the last digits of older outputs differ
        engine: evalOptions.engine,
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
  out(`${displayPath(file)}: ${c.algo}${c.seedCompat ? ' (seed-compat)' : ''}, ${result.replicas} replica(s), ${result.tasks} held-out tasks (seed ${seed}), SGD lr ${result.lr}`);
  out('| k | mean MSE ± 95% CI | median | diverged |');
  out('|---|---|---|---|');
  for (const s of result.summary) out(`| ${s.step} | ${s.mean.toFixed(3)} ± ${s.ci95.toFixed(3)} | ${s.median.toFixed(3)} | ${s.diverged} |`);
}

/** Exit code for an error: 2 and one line for anything the user can cause, else 1 and the stack. */
function report(err: unknown, streams: CliStreams): number {
  if (err instanceof MamlError) {
    streams.stderr.write(`maml-sine: ${oneLine(err.message)}\n`);
    return 2;
  }
  streams.stderr.write(`maml-sine: internal error (a bug, please report it):\n${err instanceof Error ? err.stack : String(err)}\n`);
  return 1;
}

/** A path as typed when it prints safely as is, else quoted (control bytes never reach the terminal). */
function displayPath(file: string): string {
  const quoted = quote(file);
  return quoted === `"${file}"` ? file : quoted;
}

/** Runs one command line; resolves to the exit code (0 ok, 2 bad input or I/O, 1 internal error). */
export async function run(argv: string[], streams: CliStreams = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'train') await trainCommand(rest, streams);
    else if (command === 'eval') evalCommand(rest, streams);
    else if (command === undefined || HELP_FLAGS.has(command)) streams.stdout.write(generalHelp());
    else if (command === 'help' && rest.length === 0) streams.stdout.write(generalHelp());
    else if (command === 'help' && rest.length === 1 && COMMANDS[rest[0]] !== undefined) streams.stdout.write(commandHelp(rest[0]));
    else fail('command', command === 'help' ? rest.join(' ') : command, "'train' or 'eval' (see maml-sine --help)");
    return 0;
  } catch (err) {
    return report(err, streams);
  }
}

/** The CLI's entry (bin/maml-sine.js): runs `argv` and sets the process's exit code. */
export function main(argv: string[]): void {
  // a closed pipe (`maml-sine eval f | head -1`) is not an error worth a stack trace
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  run(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
