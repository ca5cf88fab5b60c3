/**
 * Progress bars: text for a terminal (stderr, redrawn in place with \r).
 *
 * Not in a notebook: README "Command line" (the progress bar on stderr).
 */
import type { Progress } from './train';

/** A duration as the progress bars show it, in whole seconds (`42s`, `1m05s`). */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * Which replica is training: "replica 2/5" when they train one after the other; "5 replicas,
 * 2 at a time" on worker threads, where the one that reported last says nothing about the rest.
 */
export function replicasText(p: Progress): string {
  return (p.parallel ?? 1) > 1 ? `${p.replicas} replicas, ${p.parallel} at a time` : `replica ${p.replica + 1}/${p.replicas}`;
}

/**
 * "loss 1.234" during a run (the mean over the last report interval); in the last report, "last
 * epoch loss 1.234": the mean over replicas of their last epoch's loss (see Progress.loss).
 */
export function lossText(p: Progress): string {
  return `${p.done === p.total ? 'last epoch loss' : 'loss'} ${p.loss.toFixed(3)}`;
}

/** One line of a training's progress: bar, percentage, tasks, loss, elapsed time and estimate. */
export function progressLine(p: Progress, label = '', width = 30): string {
  const frac = p.total > 0 ? p.done / p.total : 1;
  const filled = Math.round(frac * width);
  const eta = frac > 0 ? (p.elapsedMs / frac) * (1 - frac) : NaN;
  return (
    `${label}${label ? ' ' : ''}[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` +
    `${(100 * frac).toFixed(0).padStart(3)}% ${p.done}/${p.total} tasks, ${replicasText(p)}, ` +
    `${lossText(p)}, ${formatDuration(p.elapsedMs)}${Number.isFinite(eta) && frac < 1 ? ` (eta ${formatDuration(eta)})` : ''}`
  );
}

/** A progress callback that redraws one line on stderr (or prints every line when not a TTY). */
export function terminalProgress(label = '', stream: NodeJS.WriteStream = process.stderr): (p: Progress) => void {
  let lastPrinted = -1;
  return (p) => {
    const line = progressLine(p, label);
    if (stream.isTTY) {
      stream.write(`\r${line}${p.done === p.total ? '\n' : ''}`);
    } else {
      // not a terminal: one line per 10%, so logs stay short
      const decile = Math.floor((10 * p.done) / p.total);
      if (decile !== lastPrinted) {
        lastPrinted = decile;
        stream.write(`${line}\n`);
      }
    }
  };
}
