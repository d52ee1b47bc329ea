"""Inference for a fitted GLS (MMRM) model: Satterthwaite and Kenward-Roger degrees of freedom, the
Kenward-Roger adjusted covariance, the empirical (sandwich) covariance and F tests of linear hypotheses.

Derivatives are taken with respect to the natural (SAS) covariance parameters of :mod:`.gls_cov`, so the
Kenward-Roger correction matches SAS PROC MIXED's (it depends on the parametrisation through the second
derivatives of ``Sigma``); Satterthwaite's df do not depend on it. The covariance of the parameter
estimates is twice the inverse of the observed Hessian of the ``-2`` log-likelihood (central differences of
its analytic gradient). All sums over subjects go through :meth:`GlsModel.xmx` (per-pattern statistics).
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from . import gls_cov as cov
from ._lazy_stats import stats
from .gls import GlsModel

__all__ = ["GlsInference", "DF_METHODS"]

DF_METHODS = ("satterthwaite", "kenward-roger", "kenward-roger-linear", "residual", "between-within")


class GlsInference:
    """Covariance of the fixed effects and degrees of freedom of linear contrasts of a fitted model.

    Parameters
    ----------
    model : a fitted :class:`~retrostats.kernels.gls.GlsModel`.
    df : one of :data:`DF_METHODS`; vcov : ``"model"`` or ``"empirical"``.
    between : (p,) bool, columns of ``X`` constant within every subject (for ``between-within``).
    """

    def __init__(self, model: GlsModel, df: str = "satterthwaite", vcov: str = "model",
                 between: np.ndarray | None = None):
        self.m, self.df_method, self.vcov_method = model, df, vcov
        self.Phi = model.vcov
        self.between = between
        if df in ("satterthwaite", "kenward-roger", "kenward-roger-linear"):
            self._derivatives(second=df == "kenward-roger" and model.structure not in cov.LINEAR)
        if vcov == "empirical":
            self.V = self._sandwich()
        elif df in ("kenward-roger", "kenward-roger-linear"):
            self.V = self._kr_vcov()
        else:
            self.V = self.Phi

    # ---- derivatives in the natural parameters ----------------------------------------------------
    def _sig(self, g: int):
        m = self.m
        return lambda psi: cov.sigma_natural(psi, m.structure, m.T, m.coords)

    def _grad_psi(self, psi_all: np.ndarray) -> np.ndarray:
        m = self.m
        ps = psi_all.reshape(m.G, m.k)
        out = m.evaluate(np.array([self._sig(g)(ps[g]) for g in range(m.G)]))
        if out is None:
            return np.full(psi_all.size, np.nan)
        return np.concatenate([np.einsum("kij,ij->k", cov.jacobian(self._sig(g), ps[g]), out["G"][g])
                               for g in range(m.G)])

    def _derivatives(self, second: bool) -> None:
        m = self.m
        ps = m.psi.reshape(m.G, m.k)
        K = m.psi.size
        D = np.zeros((K, m.P, m.T, m.T))
        D2 = np.zeros((K, K, m.P, m.T, m.T)) if second else None
        for g in range(m.G):  # covariance groups: a handful
            sel = m.pat_group == g
            J = cov.jacobian(self._sig(g), ps[g])
            D[g * m.k:(g + 1) * m.k, sel] = J[:, None]
            if second:
                H2 = cov.hessian(self._sig(g), ps[g])
                D2[g * m.k:(g + 1) * m.k, g * m.k:(g + 1) * m.k][:, :, sel] = H2[:, :, None]
        W = m.W
        WD = W @ D  # (K, P, T, T)
        self.WDW = WD @ W
        self.Pk = m.xmx(self.WDW)  # X' W D_k W X
        # Hessian in the natural parameters from the fit's: H_theta = M H_psi M' at the optimum, with
        # M[k, j] = dpsi_j / dtheta_k (block diagonal over groups)
        th = m.theta.reshape(m.G, m.k)
        M = linalg.block_diag(*[cov.jacobian(lambda t: cov.natural(t, m.structure, m.T), th[g])
                                for g in range(m.G)])
        Minv = np.linalg.inv(M)
        H = Minv @ m.hess_theta @ Minv.T
        self.A = 2.0 * np.linalg.pinv((H + H.T) / 2)  # covariance of the natural parameters
        self._WD, self._D2 = WD, D2

    def _kr_vcov(self) -> np.ndarray:
        m, Phi, A = self.m, self.Phi, self.A
        K = A.shape[0]
        # Q_kl = X' W D_k W D_l W X; symmetric in (k, l)
        Q = m.xmx(np.einsum("kptu,lpuv->klptv", self._WD, self.WDW, optimize=False)
                  if K * K * m.P * m.T ** 2 < 5e7 else self._q_loop())
        PPhi = self.Pk @ Phi
        inner = np.einsum("kl,klab->ab", A, Q) - np.einsum("kl,kab,lbc->ac", A, PPhi, self.Pk)
        if self._D2 is not None:
            R = m.xmx(m.W @ self._D2 @ m.W)
            inner -= 0.25 * np.einsum("kl,klab->ab", A, R)
        V = Phi + 2.0 * Phi @ inner @ Phi
        return (V + V.T) / 2

    def _q_loop(self) -> np.ndarray:
        K = self._WD.shape[0]
        return np.array([[self._WD[k] @ self.WDW[ll] for ll in range(K)] for k in range(K)])

    def _sandwich(self) -> np.ndarray:
        """CR0 empirical covariance ``Phi (sum_i X_i' W_i r_i r_i' W_i X_i) Phi`` (SAS EMPIRICAL)."""
        m = self.m
        r = m.ys - m.Xs @ m.beta
        Wr = np.einsum("ntu,nu->nt", m.W[m.pat], r)
        score = np.einsum("ntp,nt->np", m.Xs, Wr)
        V = self.Phi @ (score.T @ score) @ self.Phi
        return (V + V.T) / 2

    # ---- degrees of freedom ----------------------------------------------------------------------
    def _residual_df(self) -> float:
        return float(self.m.N - self.m.p)

    def _bw_df(self, L: np.ndarray) -> np.ndarray:
        """SAS DDFM=BETWITHIN: between-subject columns get ``n_subjects - rank(between columns)``, the others
        ``N - n_subjects - rank(within columns)``; a contrast takes the smallest df of the columns it uses.
        """
        m = self.m
        n = m.Xs.shape[0]
        b = np.zeros(m.p, bool) if self.between is None else self.between
        df_b = n - int(b.sum())
        df_w = m.N - n - int((~b).sum())
        col = np.where(b, df_b, df_w).astype(float)
        used = np.abs(L) > 1e-12
        return np.array([col[u].min() if u.any() else np.inf for u in used])

    def contrast(self, L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Variances (from the chosen covariance) and df of the one-dimensional contrasts in the rows of L."""
        L = np.atleast_2d(L)
        v = np.einsum("qa,ab,qb->q", L, self.V, L)
        if self.df_method == "residual":
            return v, np.full(len(L), self._residual_df())
        if self.df_method == "between-within":
            return v, self._bw_df(L)
        if self.df_method == "satterthwaite":
            LP = L @ self.Phi
            v0 = np.einsum("qa,qa->q", LP, L)
            g = np.einsum("qa,kab,qb->qk", LP, self.Pk, LP)
            denom = np.einsum("qk,kl,ql->q", g, self.A, g)
            with np.errstate(divide="ignore", invalid="ignore"):
                return v, np.where(denom > 0, 2.0 * v0 ** 2 / denom, np.inf)
        return v, np.array([self._kr_df(row[None, :])[0] for row in L])

    def _kr_df(self, L: np.ndarray) -> tuple[float, float]:
        """Kenward-Roger denominator df ``m`` and scale ``lambda`` for the hypothesis ``L beta = 0``."""
        Phi, q = self.Phi, L.shape[0]
        Theta = L.T @ np.linalg.solve(L @ Phi @ L.T, L)
        M = np.array([Theta @ Phi @ Pk @ Phi for Pk in self.Pk])
        tr = np.trace(M, axis1=1, axis2=2)
        a1 = float(tr @ self.A @ tr)
        a2 = float(np.einsum("kl,kab,lba->", self.A, M, M))
        b = (a1 + 6.0 * a2) / (2.0 * q)
        g = ((q + 1) * a1 - (q + 4) * a2) / ((q + 2) * a2)
        den = 3.0 * q + 2.0 - 2.0 * g
        c1, c2, c3 = g / den, (q - g) / den, (q + 2 - g) / den
        e_star = 1.0 / (1.0 - a2 / q)
        v_star = 2.0 / q * (1.0 + c1 * b) / ((1.0 - c2 * b) ** 2 * (1.0 - c3 * b))
        rho = v_star / (2.0 * e_star ** 2)
        mm = 4.0 + (q + 2.0) / (q * rho - 1.0)
        return mm, mm / (e_star * (mm - 2.0))

    def ftest(self, L: np.ndarray) -> tuple[float, float, float, float]:
        """F test of ``L beta = 0`` (rows of ``L`` linearly independent): ``F, num_df, den_df, p``.

        Satterthwaite's multi-df denominator follows SAS (Fai & Cornelius 1996): the contrast covariance is
        diagonalised and the one-df Satterthwaite df of its components combined. Kenward-Roger uses the
        scaled statistic ``lambda F`` with ``m`` df.
        """
        L = np.atleast_2d(L)
        q = L.shape[0]
        b = L @ self.m.beta
        F = float(b @ np.linalg.solve(L @ self.V @ L.T, b)) / q
        if self.df_method in ("kenward-roger", "kenward-roger-linear"):
            den, lam = self._kr_df(L)
            F *= lam
        elif self.df_method == "satterthwaite":
            w, U = np.linalg.eigh(L @ self.V @ L.T)
            _, nu = self.contrast(U.T @ L)
            E = float(np.sum(np.where(nu > 2, nu / np.maximum(nu - 2, 1e-12), 0.0)))
            den = 2.0 * E / (E - q) if E > q else np.inf
            if q == 1:
                den = float(nu[0])
        elif self.df_method == "between-within":
            den = float(self._bw_df(L).min())
        else:
            den = self._residual_df()
        return F, float(q), float(den), float(stats.f.sf(F, q, den))
