"""The MAML paper's sine setting (Finn et al. 2017, section 5.1), textbook second-order MAML and
the paper's "pretrained" baseline.

  tasks  : y = A sin(x + phase), A ~ U(0.1, 5), phase ~ U(0, pi) (the original: U(0, 2 pi)),
           x ~ U(-5, 5); fresh tasks at every meta-iteration (no pool)
  MAML   : K = 10 support + 10 fresh query points per task, one inner SGD step (lr 0.01),
           meta-batch 25 (the mean of the 25 meta-gradients per Adam step, lr 1e-3), second order
  pretrained : the same task stream, one Adam step (lr 1e-3) per meta-batch on the mean support
           MSE of its 25 tasks (plain multi-task regression)
  model  : 1-40-40-1 ReLU MLP, PyTorch's nn.Linear initialisation (as the rest of the project;
           the paper's code uses a truncated normal)

The 25 tasks of a meta-batch go through one batched pass (per-task copies of the parameters);
`batched_matches_loop` checks it against textbook.meta_gradient task by task.
"""
import math

import torch

from evaluation import _per_task_mse
from original import SineModel
from textbook import meta_gradient, params_of


def sample_batch(batch, k, phase_max, gen):
    """Support and query sets [batch, k, 1] of `batch` fresh tasks."""
    amp = torch.empty(batch, 1, 1).uniform_(0.1, 5.0, generator=gen)
    phase = torch.empty(batch, 1, 1).uniform_(0.0, phase_max, generator=gen)
    xs = torch.empty(batch, k, 1).uniform_(-5.0, 5.0, generator=gen)
    xq = torch.empty(batch, k, 1).uniform_(-5.0, 5.0, generator=gen)
    return xs, amp * torch.sin(xs + phase), xq, amp * torch.sin(xq + phase)


def batched_meta_gradient(params, xs, ys, xq, yq, inner_lr=0.01, first_order=False):
    """Mean over the batch of the tasks' textbook meta-gradients."""
    batch = xs.shape[0]
    P = [p.unsqueeze(0).expand(batch, *p.shape) for p in params]
    g = torch.autograd.grad(_per_task_mse(P, xs, ys).sum(), P, create_graph=not first_order)
    adapted = [p - inner_lr * gi for p, gi in zip(P, g)]
    return torch.autograd.grad(_per_task_mse(adapted, xq, yq).mean(), params)


def batched_matches_loop(seed=0, batch=25, k=10):
    """Largest |batched - per-task loop| meta-gradient entry, relative to the largest entry."""
    torch.manual_seed(seed)
    params = params_of(SineModel())
    xs, ys, xq, yq = sample_batch(batch, k, math.pi, torch.Generator().manual_seed(seed))
    batched = batched_meta_gradient(params, xs, ys, xq, yq)
    loop = [torch.zeros_like(p) for p in params]
    for i in range(batch):
        g, _ = meta_gradient(params, (xs[i, :, 0], ys[i, :, 0]), (xq[i, :, 0], yq[i, :, 0]))
        loop = [a + gi / batch for a, gi in zip(loop, g)]
    scale = max(a.abs().max().item() for a in loop)
    return max((a - b).abs().max().item() for a, b in zip(loop, batched)) / scale


def train_paper(algo, iterations, seed, meta_batch=25, k=10, inner_lr=0.01, meta_lr=1e-3,
                phase_max=math.pi, callback=None):
    """algo: 'maml' or 'pretrained'. Returns the trained parameter list."""
    torch.manual_seed(seed)
    params = params_of(SineModel())
    gen = torch.Generator().manual_seed(100_000 + seed)
    opt = torch.optim.Adam(params, lr=meta_lr)
    for it in range(iterations):
        xs, ys, xq, yq = sample_batch(meta_batch, k, phase_max, gen)
        if algo == 'maml':
            grads = batched_meta_gradient(params, xs, ys, xq, yq, inner_lr)
        else:
            P = [p.unsqueeze(0).expand(meta_batch, *p.shape) for p in params]
            grads = torch.autograd.grad(_per_task_mse(P, xs, ys).mean(), params)
        for p, g in zip(params, grads):
            p.grad = g
        opt.step()
        if callback is not None:
            callback(it + 1)
    return params
