/**
 * Input checks. Every public entry point validates its options here, so that bad input fails
 * early with one message naming the option, the value and what was expected.
 */

export class MamlInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MamlInputError';
  }
}

function show(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function fail(name: string, value: unknown, expected: string): never {
  throw new MamlInputError(`${name} = ${show(value)} is invalid: expected ${expected}`);
}

export function checkFinite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(name, value, 'a finite number');
  return value;
}

export function checkPositive(name: string, value: unknown): number {
  checkFinite(name, value);
  if ((value as number) <= 0) fail(name, value, 'a finite number > 0');
  return value as number;
}

export function checkInt(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(name, value, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`);
  }
  return value;
}

export function checkSeed(name: string, value: unknown): number {
  return checkInt(name, value, 0);
}

export function checkRange(name: string, value: unknown): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) fail(name, value, 'a pair [min, max]');
  const [lo, hi] = value as unknown[];
  checkFinite(`${name}[0]`, lo);
  checkFinite(`${name}[1]`, hi);
  if ((lo as number) > (hi as number)) fail(name, value, 'min <= max');
  return [lo as number, hi as number];
}

export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(name, value, `one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** A training run whose loss stopped being a finite number. */
export class DivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DivergedError';
  }
}

/** Throws when a training loss stops being a finite number (the run has diverged). */
export function checkLoss(loss: number, where: string): void {
  if (!Number.isFinite(loss)) {
    throw new DivergedError(
      `the loss became ${show(loss)} at ${where}: expected a finite loss; the run diverged ` +
        '(try a smaller learning rate)',
    );
  }
}
