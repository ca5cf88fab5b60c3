/**
 * The body of a worker thread (see parallel.ts): for each job it is sent, trains some replicas of
 * a config or computes adaptation curves for a slice of tasks, and posts the results back.
 *
 * Explained with parallel.ts (notebook 04; README "Speed").
 */
import { parentPort } from 'node:worker_threads';
import { adaptationCurves } from '../evaluation/evaluate';
import { paramLayout } from '../model/params';
import { SineTask } from '../tasks/sineTask';
import { poolFor, ReplicaTrainer } from '../training/train';
import type { WorkerJob, WorkerReply } from './parallel';
import { toErrorData } from '../core/validate';

function tasksFrom(specs: NonNullable<WorkerJob['tasks']>): SineTask[] {
  return specs.map((t) => new SineTask(t.amplitude, t.phase, Float64Array.from(t.supportX), t.options, t.testX && Float64Array.from(t.testX)));
}

function run(job: WorkerJob): void {
  const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(reply, transfer);
  if (job.kind === 'train') {
    const pool = job.tasks ? tasksFrom(job.tasks) : poolFor(job.config);
    const stop = new Int32Array(job.stop);
    const postState = (trainer: ReplicaTrainer) => {
      const state = trainer.state();
      post({ kind: 'state', state }, [state.theta, state.adamM, state.adamV, state.batchGrad].map((a) => a.buffer as ArrayBuffer));
    };
    for (let k = 0; k < job.replicaIds.length; k++) {
      const replica = job.replicaIds[k];
      const trainer = new ReplicaTrainer(job.config, replica, pool, job.resume[k] ?? undefined);
      let pending = 0;
      let lossSum = 0;
      let lastState = performance.now();
      while (!trainer.done) {
        if (Atomics.load(stop, 0) !== 0) {
          if (pending > 0) post({ kind: 'progress', replica, tasks: pending, lossSum });
          postState(trainer);
          post({ kind: 'stopped' });
          return;
        }
        const loss = trainer.step();
        pending++;
        lossSum += loss;
        if (pending === job.progressEvery) {
          post({ kind: 'progress', replica, tasks: pending, lossSum });
          pending = 0;
          lossSum = 0;
        }
        if (performance.now() - lastState >= job.snapshotEveryMs && !trainer.done) {
          postState(trainer);
          lastState = performance.now();
        }
      }
      if (pending > 0) post({ kind: 'progress', replica, tasks: pending, lossSum });
      postState(trainer);
    }
  } else {
    const curves = adaptationCurves(job.models, paramLayout(job.layerSizes), tasksFrom(job.tasks!), job.options);
    post({ kind: 'curves', curves }, curves.map((c) => c.buffer as ArrayBuffer));
  }
  post({ kind: 'done' });
}

// jobs arrive as messages, one at a time: a worker serves many calls (see parallel.ts, `idle`)
parentPort!.on('message', (job: WorkerJob) => {
  try {
    run(job);
  } catch (err) {
    parentPort!.postMessage({ kind: 'error', error: toErrorData(err) } satisfies WorkerReply);
  }
});
