"""Adam (Kingma & Ba, ICLR 2015), once: a numpy version and a numba version side by side.

One step on parameters ``p`` with gradient ``g`` and moments ``m``, ``v`` (updated in place) is

    m <- beta1 m + (1 - beta1) g
    v <- beta2 v + (1 - beta2) g g
    p <- p - step * m / (sqrt(v) + eps_hat)

with ``step = learning_rate * sqrt(bc2) / bc1``, ``bc1 = 1 - beta1**t`` and ``bc2 = 1 - beta2**t``
at step ``t >= 1`` (the caller counts the steps and passes ``bc1``, ``bc2``). Both conventions
for ``eps`` in use are this one update with a different ``eps_hat``:

* ``eps_scaled=True``: ``eps`` is added to ``sqrt(v_hat)`` of Algorithm 1 of the paper
  (``eps_hat = eps * sqrt(bc2)``). The forest and its online-logistic baseline, with
  ``eps = 1e-7`` (Keras' default, the Aranyani authors' code).
* ``eps_scaled=False``: ``eps`` is added to ``sqrt(v)``, the "more efficient" ordering at the end
  of the paper's section 2 (``eps_hat = eps``). The dCov-regularized networks, with
  ``eps = 1e-8`` (scikit-learn's ``MLPClassifier``).

Each estimator keeps its own ``eps`` and convention, so its numbers are unchanged.
:func:`adam_step` (numpy, lists of arrays, strict IEEE arithmetic) and :func:`adam_step_numba`
(numba, one flat array, callable from other kernels: the forest's kernels and its
online-logistic baseline call it; ``fastmath`` flags ``FASTMATH``, those kernels' flags) do
the same operations in the same order; tests/test_optim.py checks them against each other, the
numba one bit for bit against the forest's former step and both against a plain transcription of
Algorithm 1.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .jit import configure as _configure_cache

_configure_cache()  # a writable cache directory (read-only installs) and the compile notice

__all__ = ["FASTMATH", "adam_step", "adam_step_numba", "bias_corrections"]

#: numba ``fastmath`` flags of :func:`adam_step_numba` and of the forest's kernels
FASTMATH = {"reassoc", "arcp"}


def bias_corrections(beta1, beta2, t):
    """``(1 - beta1**t, 1 - beta2**t)`` of step ``t`` (from 1), in Python floats.

    Parameters
    ----------
    beta1, beta2 : float
    t : int

    Returns
    -------
    bc1, bc2 : float
    """
    return 1.0 - beta1 ** t, 1.0 - beta2 ** t


def _step(lr, eps, bc1, bc2, eps_scaled):
    """Bias-corrected step size and the ``eps`` added to ``sqrt(v)`` (module docstring)."""
    root = math.sqrt(bc2)
    return lr * root / bc1, (eps * root if eps_scaled else eps)


#: :func:`_step` in a numba kernel, with the kernels' ``fastmath`` flags
_step_numba = njit(cache=True, fastmath=FASTMATH, error_model="numpy")(_step)


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def adam_step_numba(p, g, m, v, lr, beta1, beta2, eps, bc1, bc2, eps_scaled):
    """One Adam step on flat float64 arrays, in place (a numba kernel).

    Parameters
    ----------
    p, g, m, v : ndarray of shape (n,)
        Parameters, gradient, first and second moments; ``p``, ``m`` and ``v`` are updated.
    lr, beta1, beta2, eps : float
        Adam's settings.
    bc1, bc2 : float
        ``1 - beta1**t`` and ``1 - beta2**t`` (:func:`bias_corrections`).
    eps_scaled : bool
        ``True``: ``eps`` is added to ``sqrt(v_hat)`` (Algorithm 1, Keras); ``False``: to
        ``sqrt(v)`` (scikit-learn).

    Returns
    -------
    None
    """
    step, eps_hat = _step_numba(lr, eps, bc1, bc2, eps_scaled)
    for i in range(p.size):
        m[i] = beta1 * m[i] + (1.0 - beta1) * g[i]
        v[i] = beta2 * v[i] + (1.0 - beta2) * g[i] * g[i]
        p[i] -= step * m[i] / (math.sqrt(v[i]) + eps_hat)


def adam_step(params, grads, m, v, lr, beta1, beta2, eps, bc1, bc2, eps_scaled):
    """One Adam step on lists of numpy arrays, in place (the numpy twin of
    :func:`adam_step_numba`, in strict IEEE arithmetic).

    Parameters
    ----------
    params, grads, m, v : list of ndarray
        Parameters, their gradients, first and second moments (same shapes, pairwise);
        ``params``, ``m`` and ``v`` are updated in place.
    lr, beta1, beta2, eps : float
        Adam's settings.
    bc1, bc2 : float
        ``1 - beta1**t`` and ``1 - beta2**t`` (:func:`bias_corrections`).
    eps_scaled : bool
        Where ``eps`` is added (see :func:`adam_step_numba`).

    Returns
    -------
    None
    """
    step, eps_hat = _step(lr, eps, bc1, bc2, eps_scaled)
    for p, g, mi, vi in zip(params, grads, m, v):
        mi *= beta1
        mi += (1.0 - beta1) * g
        vi *= beta2
        vi += (1.0 - beta2) * g * g
        p -= step * mi / (np.sqrt(vi) + eps_hat)
