/**
 * Stopping long work on request: an error that prints as one line, and Kernel > Interrupt in
 * the tslab notebooks.
 *
 * Jupyter's Interrupt sends SIGINT to the kernel process. tslab's own SIGINT listener only
 * rejects the promise the cell is awaited with ("Interrupted asynchronously" and a stack
 * trace): the cell's async code goes on, and worker threads keep training. While a training or
 * evaluation of this library runs inside a kernel, `whileInterruptible` sets tslab's listener
 * aside and installs one that aborts the work instead; the work stops (workers terminated), its
 * promise rejects with an `InterruptedError`, which tslab prints as its one-line message, and
 * the rest of the cell does not run. tslab's listener is put back when the work ends.
 *
 * Not in a notebook: README "Resuming and interrupting".
 */
import { inspect } from 'node:util';

/** A run stopped on request (SIGINT, Kernel > Interrupt, an AbortSignal). */
export class InterruptedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterruptedError';
  }

  /** console.error(err) (what tslab does with a failed cell) prints the message alone. */
  [inspect.custom](): string {
    return this.message;
  }
}

/** True inside a running tslab kernel (its module is loaded and a cell is executing). */
export function inTslabKernel(): boolean {
  return Object.keys(require.cache).some(
    (key) =>
      /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(key) &&
      (require.cache[key]?.exports as { lastWriteDisplayData?: unknown } | undefined)?.lastWriteDisplayData != null,
  );
}

const active = new Set<AbortController>();
let setAside: ((...args: unknown[]) => void)[] = [];

function onSigint(): void {
  for (const controller of active) controller.abort(new InterruptedError('interrupted'));
}

function take(controller: AbortController): void {
  if (active.size === 0) {
    setAside = process.listeners('SIGINT') as ((...args: unknown[]) => void)[];
    process.removeAllListeners('SIGINT');
    process.on('SIGINT', onSigint);
  }
  active.add(controller);
}

function release(controller: AbortController): void {
  active.delete(controller);
  if (active.size > 0) return;
  process.removeListener('SIGINT', onSigint);
  for (const listener of setAside) process.on('SIGINT', listener);
  setAside = [];
}

/**
 * Run `work` with a signal that aborts when `outer` aborts or, inside a tslab kernel, on Kernel
 * > Interrupt (SIGINT). Outside a kernel SIGINT is left alone (Ctrl-C ends a script as usual).
 */
export async function whileInterruptible<T>(work: (signal: AbortSignal | undefined) => Promise<T>, outer?: AbortSignal): Promise<T> {
  if (!inTslabKernel()) return work(outer);
  const controller = new AbortController();
  const forward = () => controller.abort(outer?.reason);
  if (outer?.aborted) forward();
  outer?.addEventListener('abort', forward, { once: true });
  // Not while the cell's synchronous part runs: vm's breakOnSigint has set tslab's listener
  // aside for it and a SIGINT watchdog owns the signal; a listener added then loses the signal
  // when the watchdog restores the old handler (Kernel > Interrupt would then kill the kernel).
  await new Promise((resolve) => setImmediate(resolve));
  take(controller);
  try {
    return await work(controller.signal);
  } finally {
    release(controller);
    outer?.removeEventListener('abort', forward);
  }
}
