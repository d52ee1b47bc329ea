"""Expected one-tailed power over a quadrature of the true effect, with negligible nodes skipped only when
that provably leaves every bit of the result unchanged.

Assurance (:func:`retrostats.planning.assurance`) averages the power of a trial over an 80-point
Gauss-Hermite quadrature of the effect, and for ANCOVA each of those powers is itself a 64-point
Gauss-Jacobi average over the baseline imbalance: 5,120 noncentral-t tail probabilities per trial size, each
a Boost series costing microseconds. Most of the nodes carry weights below 1e-20, far below the last bit of
the result.

The result here is bit-for-bit the plain computation ``(P * w).sum(-1) @ wn`` over every node. Skipping is
justified by monotonicity, not by an estimate: every floating-point operation of the two sums (``x * w`` with
``w > 0``, ``a + b``, a fused multiply-add) is a non-decreasing function of its inputs under rounding to
nearest, whatever order the summation uses (NumPy's pairwise sum, a BLAS dot). A tail probability lies in
[0, 1], so the plain result lies between the same sums with every skipped probability set to 0 and to 1;
when those two bounds are the same double, so is the plain result. Where they differ, the skipped nodes are
evaluated after all (the bound is tried again after each of at most three rounds), so the bound decides only
the cost, never a number.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .power import _gauss_jacobi, _upper

__all__ = ["expected_power"]

#: the rounds: nodes whose share of the result (the product of their weights) is at least this, until the
#: bounds agree; the last round takes every node
_CUTS = (1e-18, 1e-21, 1e-25, 0.0)


def _rowsum(p: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``(p * w).sum(-1)`` on rows of nodes: one row per (size, effect), as ``ancova_power`` sums them."""
    return (p * w).sum(-1)


def expected_power(theta, weights, n1, n2, alpha, r=None, df=None, nodes: int = 64) -> np.ndarray:
    """``sum_i weights_i * power(theta_i)`` of a one-tailed (``"greater"``) two-arm test, for each trial size.

    Bit-for-bit ``[float(ancova_power(theta, r, n1[k], n2[k], alpha, "greater") @ weights) for k]`` (``r``
    given), or with ``t_power(two_sample_ncp(theta, n1[k], n2[k]), n1[k] + n2[k] - 2, alpha, "greater")``
    (``r=None``), but evaluating only the noncentral-t tails that can change a bit of the result (see the
    module notes).

    Parameters
    ----------
    theta : array_like, shape (h,)
        Effects (SD units) at the quadrature nodes of the effect's distribution.
    weights : array_like, shape (h,)
        Their quadrature weights, all positive.
    n1, n2 : array_like, shape (k,)
        Group sizes of each trial.
    alpha : float
        Size of the one-tailed test.
    r : float, optional
        Baseline-outcome correlation of an ANCOVA (exact power averaged over the baseline imbalance, as
        :func:`retrostats.kernels.power.ancova_power`); None for the two-sample t test.
    df : array_like, shape (k,), optional
        Degrees of freedom of the t test (``r=None`` only; default ``n1 + n2 - 2``), to pass the value a
        caller computes as, e.g., ``n * (1 + ratio) - 2``, which may differ from ``n1 + n2 - 2`` in the last bit.
    nodes : int
        Gauss-Jacobi nodes of the ANCOVA imbalance average.

    Returns
    -------
    numpy.ndarray, shape (k,)
        The expected power at each size.

    Notes
    -----
    Validated against the plain computation over every node (``tests/test_power_expect.py``: identical
    doubles on grids of effects, sizes, correlations and alphas, including effects where every tail
    probability is clipped to 0 or 1).

    Examples
    --------
    >>> from retrostats.kernels.power import hermite_normal
    >>> z, w = hermite_normal(80)
    >>> theta = 0.5 + 0.2 * z
    >>> a = expected_power(theta, w, [64.0], [64.0], 0.025)
    >>> from retrostats.kernels.power import t_power, two_sample_ncp
    >>> bool(a[0] == float(t_power(two_sample_ncp(theta, 64.0, 64.0), 126.0, 0.025, "greater") @ w))
    True
    """
    theta = np.asarray(theta, dtype=float)
    wn = np.ascontiguousarray(weights, dtype=float)
    n1 = np.atleast_1d(np.asarray(n1, dtype=float))
    n2 = np.broadcast_to(np.asarray(n2, dtype=float), n1.shape)
    h, k = theta.size, n1.size
    inv = 1.0 / n1[:, None] + 1.0 / n2[:, None]
    if r is None:  # as two_sample_ncp and t_power
        ncp = theta[None, :] / np.sqrt(inv)
        df = n1 + n2 - 2.0 if df is None else np.broadcast_to(np.asarray(df, dtype=float), n1.shape)
        s = w = np.ones((k, 1))
    else:  # as ancova_power: lam times sqrt(1 - x) at the Gauss-Jacobi nodes of each size's df
        rr = np.broadcast_to(np.asarray(r, dtype=float), theta.shape)
        ncp = theta[None, :] / np.sqrt((1.0 - rr**2)[None, :] * inv)
        df = n1 + n2 - 3.0
        quad = [_gauss_jacobi(nodes, (d + 1.0) / 2.0 - 1.0, -0.5) for d in df]
        s = np.stack([np.sqrt(1.0 - x) for x, _ in quad])
        w = np.stack([wj for _, wj in quad])
    q = -special.stdtrit(df, np.float64(alpha))
    m = w.shape[1]
    # a node's share of the result is at most wn_i * w_j: evaluate the heavy ones first
    share = wn[None, :, None] * w[:, None, :]
    if not (np.all(wn > 0) and np.all(w > 0)):  # the bounds need positive weights: evaluate everything
        share = np.ones_like(share)
    known = np.zeros((k, h, m), bool)
    p = np.zeros((k, h, m))
    wrows = np.repeat(w, h, axis=0)
    wide = np.ones(k, bool)
    for cut in _CUTS:
        need = (share >= cut) & wide[:, None, None] & ~known
        kk, ii, jj = np.nonzero(need)
        if kk.size:
            with np.errstate(over="ignore"):  # as scipy.stats.nct.sf
                p[kk, ii, jj] = _upper(q[kk], df[kk], ncp[kk, ii] * s[kk, jj] if r is not None else ncp[kk, ii])
            known |= need
        lo = _rowsum(np.where(known, p, 0.0).reshape(k * h, m), wrows).reshape(k, h)
        hi = _rowsum(np.where(known, p, 1.0).reshape(k * h, m), wrows).reshape(k, h)
        s_lo = np.array([np.array(lo[i]) @ wn for i in range(k)])
        s_hi = np.array([np.array(hi[i]) @ wn for i in range(k)])
        wide = s_lo != s_hi
        if not wide.any():
            return s_lo
    raise AssertionError("unreachable: the last round evaluates every node")  # pragma: no cover
