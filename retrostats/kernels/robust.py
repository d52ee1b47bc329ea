"""Cluster-robust (sandwich) variances for meta-analytic models: CR2 with Satterthwaite df, and CR1.

CR2 is Bell and McCaffrey's bias-reduced linearization as in clubSandwich (Pustejovsky and Tipton 2018) with
the working model's weights the inverse of its marginal variance ``Phi`` (metafor fits): the adjustment of
cluster ``j`` is ``A_j = D_j' (D_j (Phi_j - X_j B X_j') D_j')^(-1/2) D_j`` with ``D_j' D_j = Phi_j`` and
``B = (X' W X)^-1``. The Satterthwaite df of a contrast ``c`` use the closed form available when
``Phi W = I``: with ``u_j = A_j' W_j X_j B c``, ``d_j = u_j' Phi_j u_j`` and ``s_j = X_j' u_j``, the
covariance of the cluster terms is ``Omega = diag(d) - S B S'`` and ``df = (tr Omega)^2 / ||Omega||_F^2``,
computed in ``O(C p^2)`` without forming ``Omega``. CR1 is metafor's ``robust(adjust=TRUE)``:
``C / (C - p)`` times the plain sandwich, with ``C - p`` df.

Inputs are padded cluster blocks (``C x m x m`` for ``Phi`` and ``W``, ``C x m x p`` for ``X``, ``C x m`` for
the residuals) with identity ``Phi``/``W`` and zero ``X``/residuals in the padding.

Examples
--------
>>> Phi = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])
>>> X = np.ones((3, 2, 1)); r = np.array([[0.5, 0.1], [-0.4, -0.2], [0.3, -0.3]])
>>> out = cr2(Phi, np.linalg.inv(Phi), X, r)
>>> round(float(out["vcov"][0, 0]), 6), round(float(out["df"][0]), 6)
(0.03, 2.0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["cr2", "cr1", "satterthwaite_df"]


def _inv_sqrt(S: np.ndarray) -> np.ndarray:
    w, Q = np.linalg.eigh(0.5 * (S + np.swapaxes(S, 1, 2)))
    tol = 1e-12 * np.maximum(w.max(axis=1, keepdims=True), 1e-300)
    winv = np.where(w > tol, 1 / np.sqrt(np.where(w > tol, w, 1.0)), 0.0)
    return (Q * winv[:, None, :]) @ np.swapaxes(Q, 1, 2)


def cr2(Phi: np.ndarray, W: np.ndarray, X: np.ndarray, r: np.ndarray, contrasts: np.ndarray | None = None) -> dict:
    """CR2 covariance of the coefficients and the Satterthwaite df of each contrast (rows of ``contrasts``).

    Returns ``vcov`` (``p x p``), ``df`` (one per contrast; default the coefficients), ``B``.
    """
    WX = W @ X
    B = np.linalg.inv(np.einsum("cip,ciq->pq", X, WX))
    L = np.linalg.cholesky(Phi)  # Phi_j = L L' ; D_j = L'
    XBX = np.einsum("cip,pq,cjq->cij", X, B, X)
    S = Phi - XBX
    Lt = np.swapaxes(L, 1, 2)
    A = L @ _inv_sqrt(Lt @ S @ L) @ Lt  # D' (D S D')^(-1/2) D with D = L'
    E = np.einsum("cji,cjp->cip", A, WX)  # A_j' W_j X_j  (C x m x p)
    g = np.einsum("cip,ci->cp", E, r)  # X_j' W_j A_j r_j
    vcov = B @ (g.T @ g) @ B
    C = np.eye(B.shape[0]) if contrasts is None else np.atleast_2d(contrasts)
    df = np.array([satterthwaite_df(E @ (B @ c), Phi, X, B) for c in C])
    return {"vcov": 0.5 * (vcov + vcov.T), "df": df, "B": B}


def satterthwaite_df(u: np.ndarray, Phi: np.ndarray, X: np.ndarray, B: np.ndarray) -> float:
    """``(tr Omega)^2 / ||Omega||_F^2`` with ``Omega = diag(d) - S B S'`` (see the module notes)."""
    d = np.einsum("ci,cij,cj->c", u, Phi, u)
    s = np.einsum("cip,ci->cp", X, u)
    sBs = np.einsum("cp,pq,cq->c", s, B, s)
    StS = s.T @ s
    BS = B @ StS
    trace = d.sum() - np.trace(BS)
    frob = float(np.sum(d**2) - 2 * np.sum(d * sBs) + np.sum(BS * BS.T))
    return float(trace**2 / frob)


def cr1(W: np.ndarray, X: np.ndarray, r: np.ndarray) -> dict:
    """Metafor ``robust(adjust=TRUE)``: ``C/(C - p) B (sum X_j' W_j r_j r_j' W_j X_j) B`` with ``C - p`` df."""
    WX = W @ X
    B = np.linalg.inv(np.einsum("cip,ciq->pq", X, WX))
    g = np.einsum("cip,ci->cp", WX, r)
    n_cl, p = X.shape[0], X.shape[2]
    vcov = n_cl / (n_cl - p) * (B @ (g.T @ g) @ B)
    return {"vcov": 0.5 * (vcov + vcov.T), "df": float(n_cl - p), "B": B}
