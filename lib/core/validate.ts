/**
 * Input checks. Every public entry point validates its options here, so that bad input fails
 * early with one message naming the option, the value and what was expected.
 *
 * One error type, MamlError, covers everything a user can cause: one line naming the option
 * (or field, file, variable), the value and what was expected, with the same three as fields.
 * The CLI maps it (by type) to exit code 2 and that line; anything else is an internal error
 * (stack trace, exit 1). Three kinds of it:
 * - MamlInputError: a value is out of range, of the wrong type, or a file is not a checkpoint;
 * - StorageError: a file cannot be written (disk full, no permission, not a regular file, ...);
 * - DivergedError: a training run's loss stopped being a finite number.
 *
 * Not in a notebook: README "Reliability" explains the checks, messages and limits.
 */

/** What was wrong: the option (or field), the value given and what was expected. */
export interface InputErrorDetails {
  option?: string;
  value?: unknown;
  expected?: string;
}

/**
 * Anything a user can cause and fix: one line (control characters escaped) naming what was
 * wrong, the value and what was expected, with `option`, `value` and `expected` as fields.
 */
export class MamlError extends Error {
  /** the option, field, file or variable at fault, as the library names it */
  readonly option?: string;
  readonly value?: unknown;
  readonly expected?: string;

  constructor(message: string, details: InputErrorDetails = {}) {
    super(oneLine(message));
    this.name = 'MamlError';
    this.option = details.option;
    this.value = details.value;
    this.expected = details.expected;
  }
}

/**
 * Bad input: one line naming the option (or field, file, variable), the value and what was
 * expected, with the same three as fields, so callers act on the fields and never on the text.
 * An error built by `about` (as every check here does) keeps its wording apart from the name it
 * was reported under, so a caller that knows the option by another name (the CLI: `innerLr` is
 * `--inner-lr`) can say it in its own terms with `renamed`.
 *
 * @example
 *   try { resolveTrainConfig({ algo: 'maml', innerSteps: 0 }); }
 *   catch (err) { if (err instanceof MamlInputError) console.log(err.option, err.expected); } // innerSteps an integer >= 1
 */
export class MamlInputError extends MamlError {
  /** how the message names the option ("supportSize (K)"), when built by `about` */
  readonly subject?: string;
  /** the message after the subject ("= 0 is invalid: expected ..."), when built by `about` */
  readonly problem?: string;

  constructor(message: string, details: InputErrorDetails & { subject?: string; problem?: string } = {}) {
    super(message, details);
    this.name = 'MamlInputError';
    this.subject = details.subject;
    this.problem = details.problem;
  }

  /** An error whose message is `subject problem`; `subject` defaults to the option's name. */
  static about(option: string, problem: string, details: { value?: unknown; expected?: string; subject?: string } = {}): MamlInputError {
    const subject = details.subject ?? option;
    return new MamlInputError(`${subject} ${problem}`, { ...details, option, subject, problem });
  }

  /** The same error reported under another name (a CLI flag); unchanged when it has no subject. */
  renamed(option: string): MamlInputError {
    if (this.subject === undefined || this.problem === undefined) return this;
    return MamlInputError.about(option, this.problem, { value: this.value, expected: this.expected });
  }
}

/** A file that cannot be written: the path, the errno-style code and a one-line message. */
export class StorageError extends MamlError {
  constructor(
    message: string,
    readonly path: string,
    readonly code: string,
  ) {
    super(message, { option: 'path', value: path, expected: 'a file that can be written' });
    this.name = 'StorageError';
  }
}

/**
 * Characters that JSON.stringify leaves raw but a terminal may act on or hide: DEL and the C1
 * controls (U+0080..U+009F, e.g. U+009B is CSI), soft hyphen, bidirectional and zero-width
 * marks, line/paragraph separators, BOM.
 */
const UNSAFE_FOR_TERMINAL = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE_FOR_TERMINAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Longest quoted value in a message; longer ones are cut and their length is given. */
const MAX_SHOWN = 200;

/**
 * A string as a JSON-style quoted literal that is safe to print on a terminal: control
 * characters escaped, lone surrogates escaped, at most MAX_SHOWN characters.
 */
export function quote(text: string, max = MAX_SHOWN): string {
  if (text.length <= max) return escapeUnsafe(JSON.stringify(text));
  return `${escapeUnsafe(JSON.stringify(text.slice(0, max)))}…(${text.length} characters)`;
}

/** Any message made safe for one terminal line (messages are built from quoted values already). */
export function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  return escapeUnsafe(message.replace(/[\u0000-\u001f]/g, (c) => (c === '\n' ? ' ' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)));
}

/**
 * A short, bounded preview of any value (JSON-like): never recurses more than 3 levels and
 * never prints more than ~MAX_SHOWN characters, so a crafted value cannot flood the terminal
 * or overflow the stack.
 */
export function show(value: unknown, depth = 0): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return quote(value);
  if (value === null || value === undefined || typeof value === 'boolean') return String(value);
  if (typeof value !== 'object') return quote(String(value));
  if (depth >= 3) return Array.isArray(value) ? '[…]' : '{…}';
  const parts: string[] = [];
  let length = 0;
  const entries = Array.isArray(value) ? value.map((v) => [null, v] as const) : Object.entries(value as object);
  for (const [key, v] of entries) {
    if (length > MAX_SHOWN || parts.length >= 16) {
      parts.push(`…(${entries.length} ${Array.isArray(value) ? 'items' : 'keys'})`);
      break;
    }
    const part = (key === null ? '' : `${quote(key, 40)}:`) + show(v, depth + 1);
    parts.push(part);
    length += part.length + 1;
  }
  return Array.isArray(value) ? `[${parts.join(',')}]` : `{${parts.join(',')}}`;
}

/**
 * How the library's messages name some options (the field is `supportSize`, the message says
 * "supportSize (K)").
 */
const SUBJECT: Record<string, string> = { supportSize: 'supportSize (K)' };

/** An option's name as messages show it. */
export function subjectOf(option: string): string {
  return SUBJECT[option] ?? option;
}

/** Throws the MamlInputError "name = value is invalid: expected ...". */
export function fail(name: string, value: unknown, expected: string): never {
  throw MamlInputError.about(name, `= ${show(value)} is invalid: expected ${expected}`, { value, expected, subject: subjectOf(name) });
}

/** `value` if it is a finite number, else a MamlInputError naming `name`. */
export function checkFinite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(name, value, 'a finite number');
  return value;
}

/** `value` if it is a finite number > 0, else a MamlInputError naming `name`. */
export function checkPositive(name: string, value: unknown): number {
  checkFinite(name, value);
  if ((value as number) <= 0) fail(name, value, 'a finite number > 0');
  return value as number;
}

/** `value` if it is an integer in [min, max], else a MamlInputError naming `name`. */
export function checkInt(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(name, value, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`);
  }
  return value;
}

/** `value` if it is a valid seed (an integer >= 0), else a MamlInputError naming `name`. */
export function checkSeed(name: string, value: unknown): number {
  return checkInt(name, value, 0);
}

/** `value` if it is a pair [min, max] of finite numbers with min <= max, else a MamlInputError. */
export function checkRange(name: string, value: unknown): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) fail(name, value, 'a pair [min, max]');
  const [lo, hi] = value as unknown[];
  checkFinite(`${name}[0]`, lo);
  checkFinite(`${name}[1]`, hi);
  if ((lo as number) > (hi as number)) fail(name, value, 'min <= max');
  return [lo as number, hi as number];
}

/** `value` if it is one of `allowed`, else a MamlInputError listing them. */
export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(name, value, `one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/**
 * Upper bounds that keep a run's memory and time sane on a laptop. Each is far above what the
 * experiment needs (the original trains 5 replicas × 4 epochs × 10,000 tasks and evaluates
 * 1,000 tasks × 10 steps); the costs that set them are measured in the README ("Reliability").
 */
export const LIMITS = Object.freeze({
  /** independent models per run (each a separate training) */
  replicas: 100,
  epochs: 1000,
  /** training task pool (~360 bytes per task at K = 10, ~8 KB at K = 1000); fresh tasks are drawn one at a time and held to trainWork only */
  tasks: 1_000_000,
  metaBatchSize: 10_000,
  /** inner SGD steps per task (training time grows linearly) */
  innerSteps: 100,
  /** K support points per task (training shots; eval --shots) */
  supportSize: 1000,
  querySize: 1000,
  testSize: 10_000,
  /** replicas × epochs × tasks × inner steps: the training's work in task-steps */
  trainWork: 20_000_000,
  /** task-pool inputs held in memory: tasks × support size (train and eval) */
  poolPoints: 20_000_000,
  /** held-out tasks of `eval` */
  evalTasks: 100_000,
  /** SGD steps k of `eval` */
  evalSteps: 10_000,
  /** numbers an evaluation stores: tasks × (steps + 1) × replicas (8 bytes each, twice) */
  evalCells: 10_000_000,
  /** network: layers (including input and output), width of a layer, parameters per model */
  layers: 10,
  width: 1000,
  params: 1_000_000,
  /** a checkpoint file is not read past this size */
  checkpointBytes: 64 * 2 ** 20,
  /** nesting depth of a checkpoint's JSON (a real one has 4) */
  jsonDepth: 8,
});

/** The config fields the training limits look at (structural: validate.ts imports nothing). */
export interface LimitedTrainConfig {
  replicas: number;
  epochs: number;
  tasks: number;
  /** tasks drawn one at a time instead of a pool held in memory (no pool limits then) */
  freshTasks?: boolean;
  metaBatchSize: number;
  innerSteps: number;
  layerSizes: readonly number[];
  taskOptions: { supportSize: number; querySize: number; testSize: number };
}

/** Throws the MamlInputError "name = value is over the limit: expected at most ...". */
export function overLimit(name: string, value: number, limit: number, what: string): never {
  throw MamlInputError.about(name, `= ${value} is over the limit: expected at most ${limit} ${what} (limits: README "Reliability")`, {
    value,
    expected: `at most ${limit}`,
  });
}

/**
 * Checks a resolved training config against LIMITS (before anything is allocated). `label`
 * names a config field as the caller's user knows it (the CLI passes flag names).
 */
export function checkTrainLimits(config: LimitedTrainConfig, label: (field: string) => string = subjectOf): void {
  // the tasks held in memory: the pool, none when each task is drawn as it is trained
  const poolTasks = config.freshTasks === true ? 0 : config.tasks;
  const single: [keyof typeof LIMITS, number, string][] = [
    ['replicas', config.replicas, 'replicas'],
    ['epochs', config.epochs, 'epochs'],
    ['tasks', poolTasks, 'tasks'],
    ['metaBatchSize', config.metaBatchSize, 'tasks per meta-batch'],
    ['innerSteps', config.innerSteps, 'inner steps'],
  ];
  for (const [field, value, what] of single) if (value > LIMITS[field]) overLimit(label(field), value, LIMITS[field], what);
  const t = config.taskOptions;
  if (t.supportSize > LIMITS.supportSize) overLimit(label('supportSize'), t.supportSize, LIMITS.supportSize, 'support points per task');
  if (t.querySize > LIMITS.querySize) overLimit(label('querySize'), t.querySize, LIMITS.querySize, 'query points per task');
  if (t.testSize > LIMITS.testSize) overLimit(label('testSize'), t.testSize, LIMITS.testSize, 'test points per task');
  const sizes = config.layerSizes;
  if (sizes.length > LIMITS.layers) overLimit(label('layerSizes.length'), sizes.length, LIMITS.layers, 'layers');
  sizes.forEach((n, i) => {
    if (n > LIMITS.width) overLimit(label(`layerSizes[${i}]`), n, LIMITS.width, 'units per layer');
  });
  let params = 0;
  for (let l = 0; l + 1 < sizes.length; l++) params += (sizes[l] + 1) * sizes[l + 1];
  if (params > LIMITS.params) overLimit(label('layerSizes'), params, LIMITS.params, 'parameters per model');
  const work = config.replicas * config.epochs * config.tasks * config.innerSteps;
  if (work > LIMITS.trainWork) {
    const name = ['replicas', 'epochs', 'tasks', 'innerSteps'].map(label).join(' × ');
    overLimit(name, work, LIMITS.trainWork, 'task-steps of training');
  }
  const points = poolTasks * t.supportSize;
  if (points > LIMITS.poolPoints) overLimit(`${label('tasks')} × ${label('supportSize')}`, points, LIMITS.poolPoints, 'support points in the task pool');
}

/** Checks an evaluation's size against LIMITS (before the tasks are drawn). */
export function checkEvalLimits(
  request: { tasks: number; steps: number; replicas: number; shots: number },
  label: (field: string) => string = subjectOf,
): void {
  if (request.tasks > LIMITS.evalTasks) overLimit(label('tasks'), request.tasks, LIMITS.evalTasks, 'evaluation tasks');
  if (request.steps > LIMITS.evalSteps) overLimit(label('steps'), request.steps, LIMITS.evalSteps, 'SGD steps');
  if (request.shots > LIMITS.supportSize) overLimit(label('shots'), request.shots, LIMITS.supportSize, 'support points per task');
  if (request.replicas > LIMITS.replicas) overLimit(label('replicas'), request.replicas, LIMITS.replicas, 'replicas');
  const cells = request.tasks * (request.steps + 1) * request.replicas;
  if (cells > LIMITS.evalCells) {
    overLimit(`${label('tasks')} × (${label('steps')} + 1) × replicas`, cells, LIMITS.evalCells, 'evaluated task-steps');
  }
  const points = request.tasks * request.shots;
  if (points > LIMITS.poolPoints) overLimit(`${label('tasks')} × ${label('shots')}`, points, LIMITS.poolPoints, 'support points in the task pool');
}

/** A training run whose loss stopped being a finite number. */
export class DivergedError extends MamlError {
  constructor(message: string, details: InputErrorDetails = {}) {
    super(message, { expected: 'a finite loss', ...details });
    this.name = 'DivergedError';
  }
}

/** Throws when a training loss stops being a finite number (the run has diverged). */
export function checkLoss(loss: number, where: string): void {
  if (!Number.isFinite(loss)) {
    throw new DivergedError(
      `the loss became ${show(loss)} at ${where}: expected a finite loss; the run diverged ` +
        '(try a smaller learning rate)',
      { option: 'loss', value: loss },
    );
  }
}

/**
 * An error as plain data, for a worker thread to post to the thread that started it: the class
 * (one of this module's, else a plain Error), the message and every field the class carries.
 */
export interface ErrorData {
  name: string;
  message: string;
  option?: string;
  value?: unknown;
  expected?: string;
  subject?: string;
  problem?: string;
  path?: string;
  code?: string;
  stack?: string;
}

/** A value as postMessage can clone it: primitives as they are, anything else as its preview. */
function cloneable(value: unknown): unknown {
  return value === null || ['undefined', 'number', 'string', 'boolean', 'bigint'].includes(typeof value) ? value : show(value);
}

/** `err` as data (see ErrorData); `fromErrorData` rebuilds it. */
export function toErrorData(err: unknown): ErrorData {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const data: ErrorData = { name: err.name, message: err.message, stack: err.stack };
  if (err instanceof MamlError) Object.assign(data, { option: err.option, value: cloneable(err.value), expected: err.expected });
  if (err instanceof MamlInputError) Object.assign(data, { subject: err.subject, problem: err.problem });
  if (err instanceof StorageError) Object.assign(data, { path: err.path, code: err.code });
  return data;
}

/** The error `toErrorData` described, of the same class with the same fields. */
export function fromErrorData(data: ErrorData): Error {
  switch (data.name) {
    case 'MamlInputError':
      return new MamlInputError(data.message, data);
    case 'StorageError':
      return new StorageError(data.message, data.path ?? '', data.code ?? '');
    case 'DivergedError':
      return new DivergedError(data.message, data);
    case 'MamlError':
      return new MamlError(data.message, data);
    default: {
      const err = new Error(data.message);
      if (data.stack !== undefined) err.stack = data.stack;
      return err;
    }
  }
}
