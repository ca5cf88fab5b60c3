"""Textbook MAML, first-order MAML and transfer learning with `torch.autograd.grad`.

Parameters are a plain list [w1, b1, w2, b2, w3, b3] (the order of the original's
`SineModel.params()`), the network a pure function `forward(params, x)`. Nothing is written into
`.grad` by the inner step, so the meta-gradient is exactly

    maml   : d/dtheta L_query(theta - alpha * grad L_support(theta))   (create_graph=True)
    fomaml : grad L_query evaluated at theta' (the inner gradient taken as a constant)

`leak=True` adds grad L_support(theta), which is what the original's Adam receives (the tests
check that the original's loop body leaves exactly this in `.grad`).

The training loops consume the random generators in the same order as the original's
`maml_sine` / `fit_transfer` (pool shuffle with python's `random`, query points from numpy,
a throw-away `SineModel()` per task is NOT built, so torch's generator is not consumed), so with
the same seed, pool and initial parameters the runs are paired with the original's: same tasks
in the same order, same query points; only the meta-gradient differs.
"""
import random

import torch
import torch.nn.functional as F


def params_of(model):
    """Detached copies of a SineModel's parameters, as leaves that require grad."""
    return [p.detach().clone().requires_grad_(True) for p in model.params()]


def forward(params, x):
    """x: [N, 1] -> [N, 1]."""
    w1, b1, w2, b2, w3, b3 = params
    h = F.relu(F.linear(x, w1, b1))
    h = F.relu(F.linear(h, w2, b2))
    return F.linear(h, w3, b3)


def mse(params, x, y):
    """Mean squared error on points x, y of shape [N]."""
    return F.mse_loss(forward(params, x[:, None]), y[:, None])


def meta_gradient(params, support, query, inner_lr=0.01, first_order=False, leak=False):
    """One task's meta-gradient after one inner SGD step; returns (grads, query loss)."""
    (xs, ys), (xq, yq) = support, query
    inner = torch.autograd.grad(mse(params, xs, ys), params, create_graph=not first_order)
    adapted = [p - inner_lr * g for p, g in zip(params, inner)]
    query_loss = mse(adapted, xq, yq)
    grads = torch.autograd.grad(query_loss, params)
    if leak:
        grads = [m + g.detach() for m, g in zip(grads, inner)]
    return list(grads), query_loss.detach()


def maml_train(params, tasks, epochs, inner_lr=0.01, meta_lr=1e-3, first_order=False,
               leak=False, callback=None):
    """Meta-batch 1 over a task pool, as the original: shuffle, adapt, query, one Adam step."""
    opt = torch.optim.Adam(params, lr=meta_lr)
    for _ in range(epochs):
        for t in random.sample(tasks, len(tasks)):
            support = t.training_set()               # the task's cached K = 10 points
            query = t.training_set(force_new=True)   # 10 fresh points
            grads, _ = meta_gradient(params, support, query, inner_lr, first_order, leak)
            for p, g in zip(params, grads):
                p.grad = g
            opt.step()
            if callback is not None:
                callback()
    return params


def transfer_train(params, tasks, epochs=1, lr=1e-3, callback=None):
    """One Adam step per task on its support points (the original's fit_transfer)."""
    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(epochs):
        for t in random.sample(tasks, len(tasks)):
            xs, ys = t.training_set()
            opt.zero_grad(set_to_none=True)
            mse(params, xs, ys).backward()
            opt.step()
            if callback is not None:
                callback()
    return params
