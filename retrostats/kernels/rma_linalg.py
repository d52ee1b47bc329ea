"""Batched weighted least squares for the meta-analytic models (NumPy only).

Every function works on stacks of problems: ``y`` and ``w`` have shape ``(..., k)`` and the design ``X``
has shape ``(..., k, p)`` (any leading dimensions broadcast, so one design can serve many outcome
vectors). A study is left out of a problem by giving it weight zero, which is how leave-one-out,
cumulative and permutation analyses are vectorised without Python loops over studies.

Notation follows Viechtbauer (2010, doi:10.18637/jss.v036.i03): ``W = diag(w)``,
``A = X'WX``, ``P = W - W X A^{-1} X' W``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["wls", "p_stats", "int_stats", "safe_inv"]


def safe_inv(a: np.ndarray) -> np.ndarray:
    """Invert a stack of symmetric matrices; singular ones become all-NaN instead of raising.

    Examples
    --------
    >>> safe_inv(np.array([[[2.0]], [[0.0]]]))[:, 0, 0]
    array([0.5, nan])
    """
    try:
        out = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        out = np.full(a.shape, np.nan)
        flat_a = a.reshape(-1, *a.shape[-2:])
        flat_o = out.reshape(-1, *a.shape[-2:])
        for i in range(flat_a.shape[0]):  # rare fallback: only when some problem is singular
            try:
                flat_o[i] = np.linalg.inv(flat_a[i])
            except np.linalg.LinAlgError:
                pass
        return out
    # near-singular matrices (collinear designs): mark as NaN rather than return garbage
    cond = np.linalg.cond(a)
    bad = ~np.isfinite(cond) | (cond > 1e13)
    if np.any(bad):
        out = np.where(bad[..., None, None], np.nan, out)
    return out


def wls(y: np.ndarray, w: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least squares for a stack of problems.

    Parameters
    ----------
    y, w : ndarray, shape (..., k)
        Outcomes and weights (weight 0 leaves a study out).
    X : ndarray, shape (..., k, p)
        Design matrices.

    Returns
    -------
    beta : ndarray (..., p)
    a_inv : ndarray (..., p, p)
        ``(X'WX)^{-1}``.
    resid : ndarray (..., k)
        ``y - X beta``.

    Examples
    --------
    >>> b, ai, e = wls(np.array([1.0, 3.0]), np.array([1.0, 1.0]), np.ones((2, 1)))
    >>> float(b[0]), float(ai[0, 0])
    (2.0, 0.5)
    """
    if X.shape[-1] == 1:  # fast path (intercept-only and one-column designs): scalar algebra
        x = X[..., 0]
        wx = w * x
        sxx = (wx * x).sum(-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            a_inv = np.where(sxx > 0, 1.0 / sxx, np.nan)
        beta = ((wx * y).sum(-1) * a_inv)[..., None]
        return beta, a_inv[..., None, None], y - x * beta
    # equilibrate the columns (e.g. publication years next to an intercept) before inverting X'WX
    scale = np.sqrt(np.sum(w[..., :, None] * X * X, axis=-2))
    scale = np.where(scale > 0, scale, 1.0)
    xs = X / scale[..., None, :]
    xw = xs * w[..., :, None]
    a_s = safe_inv(np.swapaxes(xw, -1, -2) @ xs)
    rhs = (np.swapaxes(xw, -1, -2) @ y[..., :, None])[..., 0]
    beta = (a_s @ rhs[..., :, None])[..., 0] / scale
    a_inv = a_s / (scale[..., :, None] * scale[..., None, :])
    resid = y - (X @ beta[..., :, None])[..., 0]
    return beta, a_inv, resid


def _xtdx(X: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``X' diag(d) X`` for stacks."""
    return np.swapaxes(X * d[..., :, None], -1, -2) @ X


def p_stats(y: np.ndarray, w: np.ndarray, X: np.ndarray, *, second: bool = False) -> dict[str, np.ndarray]:
    """Quadratic forms and traces of ``P`` used by the tau² estimators.

    Returns a dict with ``beta, a_inv, resid, ypy`` (= y'Py, the generalised Q), ``trp`` (tr P) and, when
    ``second`` is true, ``yppy`` (y'PPy) and ``trpp`` (tr PP), all computed through p x p matrices only.

    Examples
    --------
    >>> s = p_stats(np.array([1.0, 3.0]), np.array([1.0, 1.0]), np.ones((2, 1)), second=True)
    >>> float(s["ypy"]), float(s["trp"]), float(s["trpp"])
    (2.0, 1.0, 1.0)
    """
    beta, a_inv, resid = wls(y, w, X)
    we = w * resid
    out = {"beta": beta, "a_inv": a_inv, "resid": resid}
    out["ypy"] = (we * resid).sum(-1)
    if X.shape[-1] == 1:
        a = a_inv[..., 0, 0]
        x2 = X[..., 0] ** 2
        ww = w * w
        b2 = (ww * x2).sum(-1)
        out["trp"] = w.sum(-1) - a * b2
        if second:
            out["yppy"] = (we * we).sum(-1)
            out["trpp"] = ww.sum(-1) - 2.0 * a * (ww * w * x2).sum(-1) + (a * b2) ** 2
        return out
    b2 = _xtdx(X, w * w)
    out["trp"] = np.sum(w, axis=-1) - np.trace(a_inv @ b2, axis1=-2, axis2=-1)
    if second:
        b3 = _xtdx(X, w**3)
        ab2 = a_inv @ b2
        out["yppy"] = np.sum(we * we, axis=-1)
        out["trpp"] = (
            np.sum(w * w, axis=-1)
            - 2.0 * np.trace(a_inv @ b3, axis1=-2, axis2=-1)
            + np.trace(ab2 @ ab2, axis1=-2, axis2=-1)
        )
    return out


def int_stats(y: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`p_stats` (``second=True``) for the intercept-only design ``X = 1``, in fewer operations.

    With ``sw = sum(w)`` and ``e = y - sum(w y) / sw``: ``Py = w e``, ``tr P = sw - sum(w^2) / sw`` and
    ``tr PP = sum(w^2) - 2 sum(w^3) / sw + (sum(w^2) / sw)^2``. Also returns ``sw`` and ``sww``
    (``sum(w^2)``) for the ML step and ``yp3y`` (``y'PPPy = sum(w^3 e^2) - sum(w^2 e)^2 / sw``), the term
    of the observed information that Newton steps need.

    Examples
    --------
    >>> s = int_stats(np.array([1.0, 3.0]), np.array([1.0, 1.0]))
    >>> float(s["ypy"]), float(s["trp"]), float(s["trpp"])
    (2.0, 1.0, 1.0)
    """
    sw = w.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = (w * y).sum(-1) / sw
        e = y - mu[..., None]
        we = w * e
        ww = w * w
        sww = ww.sum(-1)
        r = sww / sw
        we2 = we * we
        c = (we * w).sum(-1)
        return {
            "ypy": (we * e).sum(-1),
            "yppy": we2.sum(-1),
            "yp3y": (we2 * w).sum(-1) - c * c / sw,
            "trp": sw - r,
            "trpp": sww - 2.0 * (ww * w).sum(-1) / sw + r * r,
            "sw": sw,
            "sww": sww,
        }
