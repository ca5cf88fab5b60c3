"""The original notebook's code, ported to a current PyTorch with its behaviour kept.

Ported from the PyTorch notebook this project reproduces (the cells that define
`SineWaveTask`, `ModifiableModule`, `GradLinear`, `SineModel`, `sine_fit1`, `copy_sine_model`,
`eval_sine_test`, `maml_sine` and `fit_transfer`). What is kept on purpose, because it is what
the original ran:

* `SineWaveTask` draws A ~ U(0.1, 5), phase ~ U(0, 2*pi) from numpy's global generator; its
  K = 10 support points are drawn on first use and cached; `force_new=True` draws 10 fresh
  query points; the test set is 50 evenly spaced points on [-5, 5].
* `maml_sine` copies the meta-model with `copy(same_var=True)`: the copy's parameters ARE the
  meta-model's tensors. The inner `loss.backward()` in `sine_fit1` therefore accumulates
  grad L_support(theta) into the meta-model's `.grad`, and Adam receives
  grad L_support(theta) + grad_theta L_query(theta') (the "support-gradient leak").
  The original's narrative says `.copy()` cuts the graph; with `same_var=True` it does not.
* A throw-away `SineModel()` is built for every task (it consumes torch's generator).
* `first_order=True` detaches the inner gradient (first-order MAML, leak included).
* `sine_fit1(get_test_loss=True)` compares a [50, 1] prediction with a [50] target, which
  broadcasts to [50, 50]; kept, never called by the notebook.

Changed, only so that it runs headless on torch >= 1.13:
* `.numpy()[0]` on a 0-d array (an IndexError today) is `.item()`;
* the task pool and the transfer model are arguments instead of notebook globals, and an
  optional `callback()` after every task lets the timing code count tasks; no plotting.
"""
import random
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable as V

# The original hides warnings too (create_graph=True on leaves, the broadcast in sine_fit1).
warnings.filterwarnings('ignore')


class SineWaveTask:
    def __init__(self):
        self.a = np.random.uniform(0.1, 5.0)
        self.b = np.random.uniform(0, 2 * np.pi)
        self.train_x = None

    def f(self, x):
        return self.a * np.sin(x + self.b)

    def training_set(self, size=10, force_new=False):
        if self.train_x is None and not force_new:
            self.train_x = np.random.uniform(-5, 5, size)
            x = self.train_x
        elif not force_new:
            x = self.train_x
        else:
            x = np.random.uniform(-5, 5, size)
        y = self.f(x)
        return torch.Tensor(x), torch.Tensor(y)

    def test_set(self, size=50):
        x = np.linspace(-5, 5, size)
        y = self.f(x)
        return torch.Tensor(x), torch.Tensor(y)


class ModifiableModule(nn.Module):
    """A module whose parameters are plain tensors that can be replaced (for the inner step)."""

    def params(self):
        return [p for _, p in self.named_params()]

    def named_leaves(self):
        return []

    def named_submodules(self):
        return []

    def named_params(self):
        subparams = []
        for name, mod in self.named_submodules():
            for subname, param in mod.named_params():
                subparams.append((name + '.' + subname, param))
        return self.named_leaves() + subparams

    def set_param(self, name, param):
        if '.' in name:
            n = name.split('.')
            module_name = n[0]
            rest = '.'.join(n[1:])
            for name, mod in self.named_submodules():
                if module_name == name:
                    mod.set_param(rest, param)
                    break
        else:
            setattr(self, name, param)

    def copy(self, other, same_var=False):
        # same_var=True shares the very tensors (and so their .grad): the root of the leak.
        for name, param in other.named_params():
            if not same_var:
                param = V(param.data.clone(), requires_grad=True)
            self.set_param(name, param)


class GradLinear(ModifiableModule):
    def __init__(self, *args, **kwargs):
        super().__init__()
        ignore = nn.Linear(*args, **kwargs)  # only for PyTorch's default initialisation
        self.weights = V(ignore.weight.data, requires_grad=True)
        self.bias = V(ignore.bias.data, requires_grad=True)

    def forward(self, x):
        return F.linear(x, self.weights, self.bias)

    def named_leaves(self):
        return [('weights', self.weights), ('bias', self.bias)]


class SineModel(ModifiableModule):
    """1-40-40-1 ReLU MLP; params() order: w1, b1, w2, b2, w3, b3."""

    def __init__(self):
        super().__init__()
        self.hidden1 = GradLinear(1, 40)
        self.hidden2 = GradLinear(40, 40)
        self.out = GradLinear(40, 1)

    def forward(self, x):
        x = F.relu(self.hidden1(x))
        x = F.relu(self.hidden2(x))
        return self.out(x)

    def named_submodules(self):
        return [('hidden1', self.hidden1), ('hidden2', self.hidden2), ('out', self.out)]


def sine_fit1(net, wave, optim=None, get_test_loss=False, create_graph=False, force_new=False):
    """One MSE gradient computation on the task's support set (or fresh points), + optim step."""
    net.train()
    if optim is not None:
        optim.zero_grad()
    x, y = wave.training_set(force_new=force_new)
    loss = F.mse_loss(net(V(x[:, None])), V(y).unsqueeze(1))
    loss.backward(create_graph=create_graph, retain_graph=True)
    if optim is not None:
        optim.step()
    if get_test_loss:
        net.eval()
        x, y = wave.test_set()
        loss_test = F.mse_loss(net(V(x[:, None])), V(y))  # original's [50,1] vs [50] broadcast
        return loss.data.cpu().item(), loss_test.data.cpu().item()  # was .numpy()[0]
    return loss.data.cpu().numpy()


def copy_sine_model(model):
    m = SineModel()
    m.copy(model)
    return m


def eval_sine_test(model, test, fits=(0, 1), lr=0.01):
    """[(k, predictions, test MSE)] after k SGD(lr) steps on the task's support set."""
    xtest, ytest = test.test_set()
    xtrain, ytrain = test.training_set()

    model = copy_sine_model(model)
    optim = torch.optim.SGD(model.params(), lr)

    def get_loss(res):
        return F.mse_loss(res, V(ytest[:, None])).cpu().data.numpy()

    fit_res = []
    if 0 in fits:
        results = model(V(xtest[:, None]))
        fit_res.append((0, results, get_loss(results)))
    for i in range(np.max(fits)):
        sine_fit1(model, test, optim)
        if i + 1 in fits:
            results = model(V(xtest[:, None]))
            fit_res.append((i + 1, results, get_loss(results)))
    return fit_res


def maml_sine(model, epochs, tasks, lr_inner=0.01, batch_size=1, first_order=False,
              callback=None):
    """The original's meta-training loop, unchanged (tasks = its SINE_TRAIN pool)."""
    optimizer = torch.optim.Adam(model.params())

    for _ in range(epochs):
        # Note: the paper doesn't specify the meta-batch size for this task,
        # so I just use 1 for now.  (the original's comment)
        for i, t in enumerate(random.sample(tasks, len(tasks))):
            new_model = SineModel()
            new_model.copy(model, same_var=True)
            loss = sine_fit1(new_model, t, create_graph=not first_order)
            for name, param in new_model.named_params():
                grad = param.grad
                if first_order:
                    grad = V(grad.detach().data)
                new_model.set_param(name, param - lr_inner * grad)

            sine_fit1(new_model, t, force_new=True)

            if (i + 1) % batch_size == 0:
                optimizer.step()
                optimizer.zero_grad()
            if callback is not None:
                callback()


def fit_transfer(model, tasks, epochs=1, callback=None):
    """The original's fit_transfer: one Adam step per task on its support set."""
    optim = torch.optim.Adam(model.params())

    for _ in range(epochs):
        for t in random.sample(tasks, len(tasks)):
            sine_fit1(model, t, optim)
            if callback is not None:
                callback()


def seed_everything(seed):
    """The three generators the original draws from: python's, numpy's and torch's."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
