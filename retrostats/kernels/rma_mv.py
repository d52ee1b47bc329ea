"""Multilevel random-effects meta-analysis, ``y = X b + u_cluster + u_effect + e`` (metafor ``rma.mv``).

``e ~ N(0, V)`` with a known sampling covariance ``V`` that is block-diagonal by cluster, ``u_cluster ~ N(0,
sigma2_1)`` shared by the rows of a cluster and ``u_effect ~ N(0, sigma2_2)`` shared by the rows of one
(cluster, effect) level: metafor's ``random = ~ 1 | cluster/effect``. Rows are grouped into padded per-cluster
blocks, so every step is a batched dense operation over clusters (no ``N x N`` matrix is ever formed).
Variance components are estimated by Fisher scoring on the REML or ML log-likelihood with an active set at
zero, to a relative change below ``tol``.

Examples
--------
>>> y = np.array([0.1, 0.3, 0.5, 0.2, 0.9, 0.7]); v = np.full(6, 0.02)
>>> blocks = make_blocks(v, np.ones((6, 1)), y, np.array([0, 0, 1, 1, 2, 2]), np.arange(6))
>>> fit = mv_fit(blocks, method="REML")
>>> [round(float(s), 6) for s in fit["sigma2"]], round(float(fit["beta"][0]), 6)
([0.083333, 0.008333], 0.45)
"""

from __future__ import annotations

import math

import numpy as np

from ._lazy_stats import stats

__all__ = ["make_blocks", "mv_fit", "mv_loglik", "fe_q"]

LOG2PI = math.log(2 * math.pi)


def _triplets(V) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nonzero entries ``(i, j, value)`` of ``V``: a 1-d diagonal, a dense matrix or a SciPy sparse matrix."""
    if hasattr(V, "tocoo"):
        coo = V.tocoo()
        return coo.row, coo.col, coo.data
    V = np.asarray(V, float)
    if V.ndim == 1:
        i = np.arange(len(V))
        return i, i, V
    i, j = np.nonzero(V)
    return i, j, V[i, j]


def make_blocks(V, X: np.ndarray, y: np.ndarray, cluster: np.ndarray, effect: np.ndarray) -> dict:
    """Padded per-cluster blocks; ``cluster`` and ``effect`` are integer codes (``effect`` nested in cluster).

    ``V`` is the sampling covariance: a 1-d array of variances, a dense matrix or a SciPy sparse matrix, with
    no covariance between clusters (``ValueError`` naming the first such pair otherwise). Returns a dict with
    ``V, A1, A2`` (``C x m x m``), ``X`` (``C x m x p``), ``y, mask`` (``C x m``) and ``rows`` (original row
    index, -1 for padding). Padding has ``V = I`` and zero design, data and components.
    """
    y = np.asarray(y, float)
    n, p = X.shape
    codes, inv = np.unique(cluster, return_inverse=True)
    C = len(codes)
    order = np.argsort(inv, kind="stable")
    sizes = np.bincount(inv, minlength=C)
    m = int(sizes.max())
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pos = np.empty(n, int)
    pos[order] = np.arange(n) - np.repeat(starts, sizes)
    rows = np.full((C, m), -1)
    rows[inv, pos] = np.arange(n)
    mask = rows >= 0
    idx = np.where(mask, rows, 0)
    ti, tj, tv = _triplets(V)
    cross = np.flatnonzero(inv[ti] != inv[tj])
    if cross.size:
        raise ValueError(f"V links rows {int(ti[cross[0]])} and {int(tj[cross[0]])} in different clusters")
    Vb = np.zeros((C, m, m))
    Vb[inv[ti], pos[ti], pos[tj]] = tv
    Vb[:, np.arange(m), np.arange(m)] += ~mask
    A1 = (mask[:, :, None] & mask[:, None, :]).astype(float)
    eff = np.where(mask, np.asarray(effect)[idx], -1)
    A2 = (A1 > 0) & (eff[:, :, None] == eff[:, None, :])
    Xb = X[idx] * mask[:, :, None]
    yb = y[idx] * mask
    return {
        "V": Vb,
        "A1": A1,
        "A2": A2.astype(float),
        "X": Xb,
        "y": yb,
        "mask": mask,
        "rows": rows,
        "n": n,
        "p": p,
        "C": C,
    }


def _core(b: dict, s: np.ndarray, need_info: bool, method: str) -> dict:
    M = b["V"] + s[0] * b["A1"] + s[1] * b["A2"]
    L = np.linalg.cholesky(M)
    W = np.linalg.inv(M)
    W = 0.5 * (W + np.swapaxes(W, 1, 2))
    X, y = b["X"], b["y"]
    WX = W @ X
    H = np.einsum("cip,ciq->pq", X, WX)
    Hinv = np.linalg.inv(H)
    beta = Hinv @ np.einsum("cip,ci->p", WX, y)
    r = y - X @ beta
    u = np.einsum("cij,cj->ci", W, r)
    out = {
        "beta": beta,
        "vb": Hinv,
        "H": H,
        "W": W,
        "r": r,
        "u": u,
        "logdet": 2 * float(np.log(np.diagonal(L, axis1=1, axis2=2)).sum()),
        "rwr": float(np.einsum("ci,ci->", r, u)),
    }
    if need_info:
        G = (b["A1"], b["A2"])
        WG = [W @ g for g in G]
        trWG = np.array([np.einsum("cii->", wg) for wg in WG])
        ugu = np.array([np.einsum("ci,cij,cj->", u, g, u) for g in G])
        if method == "ML":
            grad = -0.5 * trWG + 0.5 * ugu
            info = np.array([[0.5 * np.einsum("cij,cji->", WG[j], WG[k]) for k in range(2)] for j in range(2)])
        else:
            S = [np.einsum("cip,cij,cjq->pq", WX, g, WX) for g in G]  # F' G F, F = W X
            T = [
                [np.einsum("cip,cij,cjq->pq", WX, G[j] @ WG[k], WX) for k in range(2)] for j in range(2)
            ]  # F' G_j W G_k F
            trPG = trWG - np.array([np.trace(Hinv @ s_) for s_ in S])
            grad = -0.5 * trPG + 0.5 * ugu
            info = np.empty((2, 2))
            for j in range(2):
                for k in range(2):
                    t = np.einsum("cij,cji->", WG[j], WG[k])
                    t -= np.trace(Hinv @ T[j][k]) + np.trace(Hinv @ T[k][j])
                    t += np.trace(Hinv @ S[j] @ Hinv @ S[k])
                    info[j, k] = 0.5 * t
        out.update(grad=grad, info=info)
    return out


def mv_loglik(b: dict, core: dict, method: str) -> float:
    """Log-likelihood (metafor's, with ``+ 1/2 log|X'X|`` in the REML one) at a fitted ``_core``."""
    n, p = b["n"], b["p"]
    if method == "ML":
        return -0.5 * (n * LOG2PI + core["logdet"] + core["rwr"])
    xtx = np.einsum("cip,ciq->pq", b["X"], b["X"])
    return -0.5 * ((n - p) * LOG2PI + core["logdet"] + np.linalg.slogdet(core["H"])[1] + core["rwr"]) + 0.5 * float(
        np.linalg.slogdet(xtx)[1]
    )


def mv_fit(
    b: dict, *, method: str = "REML", sigma2: tuple | None = None, tol: float = 1e-12, maxiter: int = 1000
) -> dict:
    """Estimate ``(sigma2_1, sigma2_2)`` (or fix them with ``sigma2``; a NaN entry is estimated) and ``b``.

    Returns ``beta, vb, sigma2, loglik, converged, iterations`` and the fitted blocks' working matrices.
    """
    fixed = np.array([np.nan, np.nan]) if sigma2 is None else np.asarray(sigma2, float)
    free = np.isnan(fixed)
    yv = b["y"][b["mask"]]
    start = max(
        float(np.var(yv)) - float(np.mean(np.diagonal(b["V"], axis1=1, axis2=2)[b["mask"]])),
        0.01 * float(np.var(yv)) + 1e-8,
    )
    s = np.where(free, start / 2, fixed)
    it, converged = 0, not free.any()
    core = _core(b, s, free.any(), method)
    ll = mv_loglik(b, core, method)
    while not converged and it < maxiter:
        it += 1
        act = free & ~((s <= 0) & (core["grad"] <= 0))  # components held at zero have a non-positive gradient
        step = np.zeros(2)
        if act.any():
            ii = np.flatnonzero(act)
            step[ii] = np.linalg.solve(core["info"][np.ix_(ii, ii)], core["grad"][ii])
        lam = 1.0
        while True:
            s_new = np.where(free, np.maximum(s + lam * step, 0.0), fixed)
            c_new = _core(b, s_new, True, method)
            ll_new = mv_loglik(b, c_new, method)
            if ll_new >= ll - 1e-12 * abs(ll) or lam < 1e-8:
                break
            lam /= 2
        change = np.max(np.abs(s_new - s) / np.maximum(np.abs(s), 1e-3)) if free.any() else 0.0
        s, core, ll = s_new, c_new, ll_new
        grad_free = np.where(free & ~((s <= 0) & (core["grad"] <= 0)), core["grad"], 0.0)
        converged = change < tol or np.max(np.abs(grad_free) * np.maximum(s, 1e-3)) < tol * max(1.0, abs(ll)) * 1e-3
    return {**core, "sigma2": s, "loglik": ll, "converged": bool(converged), "iterations": it}


def fe_q(b: dict) -> tuple[float, int]:
    """Cochran's Q of the fixed-effects GLS fit with ``V`` alone (metafor's QE) and its df ``k - p``."""
    core = _core(b, np.zeros(2), False, "ML")
    return max(0.0, core["rwr"]), b["n"] - b["p"]


def wald(beta: np.ndarray, vb: np.ndarray, level: float, df: float | None) -> dict:
    """Coefficient tests: z (``df=None``) or t with ``df``; returns ``se, stat, p, ci_lb, ci_ub``."""
    se = np.sqrt(np.diag(vb))
    stat = beta / se
    if df is None:
        p, crit = 2 * stats.norm.sf(np.abs(stat)), stats.norm.isf((1 - level) / 2)
    else:
        p, crit = 2 * stats.t.sf(np.abs(stat), df), stats.t.isf((1 - level) / 2, df)
    return {"se": se, "stat": stat, "p": p, "ci_lb": beta - crit * se, "ci_ub": beta + crit * se}
