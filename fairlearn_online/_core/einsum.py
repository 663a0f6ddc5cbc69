"""``c_einsum``: numpy's einsum itself, without ``np.einsum``'s per-call Python wrapper.

The per-event routes (``_core/events.py``) compute one row's products with the same function as
the chunk's ``np.einsum`` (so the same bits), where the wrapper would cost more than the sum.
"""

from __future__ import annotations

try:
    from numpy._core.multiarray import c_einsum
except ImportError:  # numpy < 2
    from numpy.core.multiarray import c_einsum

__all__ = ["c_einsum"]
