"""Keep BLAS single-threaded around small-matrix work (MMRM fits): a busy machine must not slow it more."""

from __future__ import annotations

import contextlib

__all__ = ["blas_single_thread"]


def blas_single_thread():
    """A context manager limiting BLAS to one thread (threadpoolctl, when installed; else a no-op)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
