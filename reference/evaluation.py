"""The evaluation protocol this project uses, in PyTorch.

For each held-out task: copy the model, take k plain SGD steps (lr 0.01 unless stated) on the
task's K = 10 support points (the same points at every step, as the original's
`eval_sine_test`), and measure the MSE on 50 evenly spaced test points on [-5, 5] after each
step. With several models (the original trains 5), the MSE is averaged over the models per
task; then over tasks: mean +- 95% CI (1.96 * sd / sqrt(n)), median, and the number of tasks
that diverged.

A task counts as diverged once its test MSE is not finite or exceeds DIVERGED_MSE = 1e4 (an
amplitude is at most 5, so predicting 0 scores at most 25); it stays diverged, is left out of
the mean and counts as +inf in the median (lib/evaluate.ts does the same).

The tasks' SGD runs are independent, so all tasks are adapted at once with per-task copies of
the parameters (batched matrix products, float64). `check_against_original` compares this with
the original's `eval_sine_test` loop task by task.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

DIVERGED_MSE = 1e4


class HeldOutTasks:
    """n tasks y = A sin(x + phase), each with `support` points x ~ U(-5, 5), from their own
    numpy generator (the global generators are not touched)."""

    def __init__(self, n, seed, phase_max=2 * math.pi, support=10, test=0):
        rs = np.random.RandomState(seed)
        self.n, self.seed, self.phase_max = n, seed, phase_max
        self.amplitude = rs.uniform(0.1, 5.0, n)
        self.phase = rs.uniform(0.0, phase_max, n)
        self.support_x = rs.uniform(-5.0, 5.0, (n, support))
        # the MAML paper's code scores each task on K other random points (its `inputb`)
        self.test_x = rs.uniform(-5.0, 5.0, (n, test)) if test else None

    def f(self, x):
        """x: [n, m] -> the tasks' values [n, m]."""
        return self.amplitude[:, None] * np.sin(x + self.phase[:, None])


def _batched_forward(P, x):
    """P: per-task params ([n, ...] each); x: [n, m, 1] -> [n, m, 1]."""
    w1, b1, w2, b2, w3, b3 = P
    h = F.relu(torch.baddbmm(b1.unsqueeze(1), x, w1.transpose(1, 2)))
    h = F.relu(torch.baddbmm(b2.unsqueeze(1), h, w2.transpose(1, 2)))
    return torch.baddbmm(b3.unsqueeze(1), h, w3.transpose(1, 2))


def _per_task_mse(P, x, y):
    return ((_batched_forward(P, x) - y) ** 2).mean(dim=(1, 2))


def adaptation_curves(params, tasks, steps, lr, shots=None, test_points=50):
    """[n_tasks, steps + 1] test MSE after 0..steps SGD steps (inf once diverged).
    `shots`: use only the first `shots` support points of each task. `test_points`: that many
    evenly spaced points, or 'random': the first `shots` of the tasks' own random test points
    (the MAML paper's protocol)."""
    n = tasks.n
    sx = tasks.support_x if shots is None else tasks.support_x[:, :shots]
    if test_points == 'random':
        tx = tasks.test_x[:, :sx.shape[1]]
    else:
        tx = np.tile(np.linspace(-5.0, 5.0, test_points), (n, 1))
    as3 = lambda a: torch.tensor(a, dtype=torch.float64).unsqueeze(2)
    xs, ys, xt, yt = as3(sx), as3(tasks.f(sx)), as3(tx), as3(tasks.f(tx))
    P = [p.detach().to(torch.float64).unsqueeze(0).expand(n, *p.shape).clone().requires_grad_(True)
         for p in params]
    out = np.empty((n, steps + 1))
    diverged = np.zeros(n, dtype=bool)
    for k in range(steps + 1):
        with torch.no_grad():
            mse = _per_task_mse(P, xt, yt).numpy()
        diverged |= ~(mse <= DIVERGED_MSE)  # also catches NaN
        out[:, k] = np.where(diverged, np.inf, mse)
        if k < steps:
            grads = torch.autograd.grad(_per_task_mse(P, xs, ys).sum(), P)
            P = [(p - lr * g).detach().requires_grad_(True) for p, g in zip(P, grads)]
    return out


def summarize(per_task):
    """per_task: [n_tasks, steps + 1] (models already averaged) -> per-step statistics."""
    mean, ci95, median, diverged = [], [], [], []
    for col in per_task.T:
        finite = col[np.isfinite(col)]
        m = float(finite.mean()) if finite.size else float('nan')
        sd = float(finite.std(ddof=1)) if finite.size > 1 else float('nan')
        mean.append(m)
        ci95.append(1.96 * sd / math.sqrt(finite.size) if finite.size > 1 else float('nan'))
        median.append(float(np.median(np.where(np.isfinite(col), col, np.inf))))
        diverged.append(int(col.size - finite.size))
    return {'mean': mean, 'ci95': ci95, 'median': median, 'diverged': diverged}


def evaluate(models, tasks, steps=10, lr=0.01, shots=None, test_points=50):
    """models: list of parameter lists. Returns the summary, per-model means, the per-task
    curve (models averaged) and each model's own curves."""
    curves = [adaptation_curves(p, tasks, steps, lr, shots, test_points) for p in models]
    return summarize_models(curves)


def summarize_models(curves, steps=None):
    """Summary of per-model curves ([n_tasks, >= steps + 1] each), cut after `steps` steps."""
    curves = [c if steps is None else c[:, :steps + 1] for c in curves]
    per_task = np.mean(curves, axis=0)  # a diverged model makes the task's average inf
    out = summarize(per_task)
    out['perModelMean'] = [[float(v) for v in np.ma.masked_invalid(c).mean(0).filled(np.nan)]
                           for c in curves]
    out['raw'] = per_task
    out['curves'] = curves
    return out


def check_against_original(params, tasks, steps=10, lr=0.01, count=20):
    """Largest |batched - original eval_sine_test| test MSE over `count` tasks (float32 loop)."""
    from original import SineModel, SineWaveTask, eval_sine_test
    model = SineModel()
    for (name, _), p in zip(model.named_params(), params):
        model.set_param(name, p.detach().to(torch.float32).clone().requires_grad_(True))
    ours = adaptation_curves(params, tasks, steps, lr)
    worst = 0.0
    for i in range(min(count, tasks.n)):
        t = SineWaveTask.__new__(SineWaveTask)
        t.a, t.b, t.train_x = tasks.amplitude[i], tasks.phase[i], tasks.support_x[i].copy()
        ref = [float(loss) for _, _, loss in eval_sine_test(model, t, list(range(steps + 1)), lr)]
        worst = max(worst, float(np.max(np.abs(np.array(ref) - ours[i]) / (1 + np.abs(ours[i])))))
    return worst
