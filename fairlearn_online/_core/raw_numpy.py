"""numpy's own functions without their per-call Python wrappers.

The per-event routes (``_core/events.py``) compute one row with the very functions the chunk
path reaches through ``np.einsum`` and ``np.clip`` (so the same bits), where the wrappers
would cost more than the arithmetic:

* ``c_einsum``: what ``np.einsum`` calls (without ``optimize``);
* ``clip``: the ufunc ``np.clip`` calls for arrays.
"""

from __future__ import annotations

try:
    from numpy._core.multiarray import c_einsum
    from numpy._core.umath import clip
except ImportError:  # numpy < 2
    try:
        from numpy.core.multiarray import c_einsum
        from numpy.core.umath import clip
    except ImportError:  # a numpy that moved them: its public wrappers (same results, slower)
        from numpy import clip
        from numpy import einsum as c_einsum

__all__ = ["c_einsum", "clip"]
