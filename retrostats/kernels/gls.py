"""Generalised least squares by REML with a structured within-subject covariance (the MMRM kernel).

Arrays in, arrays out (NumPy/SciPy only). The model is ``y_i = X_i beta + e_i``,
``e_i ~ N(0, Sigma[v_i, v_i])`` for subject ``i`` observed at visits ``v_i`` (a subset of ``0..T-1``),
independent across subjects. ``Sigma`` is a ``T x T`` covariance with one of the structures in
:data:`STRUCTURES`:

``us``   unstructured, ``Sigma = L L'`` with ``L`` lower triangular (log diagonal), ``T (T + 1) / 2``
         parameters;
``cs``   compound symmetry, ``sigma^2 [(1 - rho) I + rho J]``;
``csh``  heterogeneous compound symmetry (one SD per visit, one correlation);
``ar1``  first-order autoregressive over visit positions, ``sigma^2 rho^|s - t|``;
``ar1h`` heterogeneous AR(1).

Subjects are grouped by their pattern of observed visits, so the work is a loop over patterns (a handful)
with the subjects of a pattern handled as one stacked array. The REML criterion has an analytic gradient;
derivatives of ``Sigma`` with respect to its parameters are exact (complex step); the Hessian (for the
asymptotic covariance of the parameters and Satterthwaite degrees of freedom) is a central difference of
the analytic gradient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize

__all__ = ["STRUCTURES", "n_params", "covariance", "covariance_jacobian", "start_values", "GlsFit",
           "fit_reml", "patterns"]

STRUCTURES = ("us", "cs", "csh", "ar1", "ar1h")
_LOG2PI = math.log(2.0 * math.pi)


def n_params(structure: str, T: int) -> int:
    """Number of covariance parameters of ``structure`` for ``T`` visits."""
    return {"us": T * (T + 1) // 2, "cs": 2, "csh": T + 1, "ar1": 2, "ar1h": T + 1}[structure]


def _expit(a):
    return 1.0 / (1.0 + np.exp(-a))


def covariance(theta: np.ndarray, structure: str, T: int) -> np.ndarray:
    """The ``T x T`` covariance for parameters ``theta`` (works for complex ``theta``, for complex-step)."""
    theta = np.asarray(theta)
    dt = np.result_type(theta.dtype, float)
    if structure == "us":
        L = np.zeros((T, T), dtype=dt)
        L[np.diag_indices(T)] = np.exp(theta[:T])
        L[np.tril_indices(T, -1)] = theta[T:]
        return L @ L.T
    if structure in ("cs", "csh"):
        sd = np.exp(theta[:1]) * np.ones(T) if structure == "cs" else np.exp(theta[:T])
        lo = -1.0 / (T - 1) if T > 1 else -1.0
        rho = lo + (1.0 - lo) * _expit(theta[-1])
        R = rho * np.ones((T, T), dtype=dt) + (1.0 - rho) * np.eye(T)
    elif structure in ("ar1", "ar1h"):
        sd = np.exp(theta[:1]) * np.ones(T) if structure == "ar1" else np.exp(theta[:T])
        rho = np.tanh(theta[-1])
        idx = np.arange(T)
        R = rho ** np.abs(idx[:, None] - idx[None, :])
    else:  # pragma: no cover - the frame API validates the name
        raise ValueError(f"structure must be one of {STRUCTURES}; got {structure!r}")
    return sd[:, None] * R * sd[None, :]


def covariance_jacobian(theta: np.ndarray, structure: str, T: int) -> np.ndarray:
    """``dSigma / dtheta_k`` for every ``k``, shape ``(K, T, T)``, exact to rounding (complex step)."""
    theta = np.asarray(theta, dtype=float)
    K = theta.size
    h = 1e-30
    out = np.empty((K, T, T))
    for k in range(K):  # K covariance parameters: small
        tc = theta.astype(complex)
        tc[k] += 1j * h
        out[k] = covariance(tc, structure, T).imag / h
    return out


def start_values(S: np.ndarray, structure: str) -> np.ndarray:
    """Parameters whose covariance is close to the moment estimate ``S`` (made positive definite)."""
    T = S.shape[0]
    w, V = np.linalg.eigh((S + S.T) / 2)
    w = np.maximum(w, 1e-3 * max(w.max(), 1e-8))
    S = (V * w) @ V.T
    sd = np.sqrt(np.diag(S))
    Rm = S / np.outer(sd, sd)
    off = Rm[np.triu_indices(T, 1)] if T > 1 else np.array([0.0])
    if structure == "us":
        L = np.linalg.cholesky(S)
        return np.concatenate([np.log(np.diag(L)), L[np.tril_indices(T, -1)]])
    if structure in ("cs", "csh"):
        lo = -1.0 / (T - 1) if T > 1 else -1.0
        rho = float(np.clip(off.mean(), lo + 0.05 * (1 - lo), 0.95))
        a = math.log((rho - lo) / (1.0 - rho))
    else:
        lag1 = np.diag(Rm, 1) if T > 1 else np.array([0.0])
        a = math.atanh(float(np.clip(lag1.mean(), -0.9, 0.95)))
    ls = np.log(sd)
    head = np.array([0.5 * math.log(np.mean(sd ** 2))]) if structure in ("cs", "ar1") else ls
    return np.concatenate([head, [a]])


@dataclass
class _Pattern:
    visits: np.ndarray  # (n_p,) visit indices
    rows: np.ndarray  # (m_p, n_p) row indices into the data
    Y: np.ndarray  # (m_p, n_p)
    X: np.ndarray  # (m_p, n_p, p)


def patterns(y: np.ndarray, X: np.ndarray, visit: np.ndarray, subject: np.ndarray) -> list[_Pattern]:
    """Group subjects by their set of observed visits. Rows must be unique per (subject, visit)."""
    order = np.lexsort((visit, subject))
    y, X, visit, subject = y[order], X[order], visit[order], subject[order]
    _, subj = np.unique(subject, return_inverse=True)
    mask = np.zeros(subj.max() + 1, dtype=np.int64)
    np.bitwise_or.at(mask, subj, np.left_shift(np.int64(1), visit.astype(np.int64)))
    row_mask = mask[subj]
    out = []
    for m in np.unique(mask):
        sel = np.flatnonzero(row_mask == m)
        vis = np.flatnonzero([(int(m) >> t) & 1 for t in range(int(visit.max()) + 1)])
        n_p = vis.size
        rows = order[sel].reshape(-1, n_p)
        out.append(_Pattern(vis, rows, y[sel].reshape(-1, n_p), X[sel].reshape(-1, n_p, X.shape[1])))
    return out


class GlsFit:
    """REML state of a GLS model: criterion, gradient, fitted quantities and Satterthwaite df."""

    def __init__(self, pats: list[_Pattern], p: int, T: int, structure: str):
        self.pats, self.p, self.T, self.structure = pats, p, T, structure
        self.N = sum(pt.Y.size for pt in pats)

    def _pieces(self, theta):
        S = covariance(theta, self.structure, self.T)
        p = self.p
        XtWX = np.zeros((p, p))
        XtWy = np.zeros(p)
        yWy = 0.0
        logdet = 0.0
        inv = []
        for pt in self.pats:
            Sp = S[np.ix_(pt.visits, pt.visits)]
            try:
                C = linalg.cho_factor(Sp, lower=True)
            except linalg.LinAlgError:
                return None
            Si = linalg.cho_solve(C, np.eye(Sp.shape[0]))
            inv.append(Si)
            m = pt.Y.shape[0]
            logdet += 2.0 * m * np.log(np.diag(C[0])).sum()
            WX = np.einsum("ij,mjb->mib", Si, pt.X)
            XtWX += np.einsum("mia,mib->ab", pt.X, WX)
            XtWy += np.einsum("mib,mi->b", WX, pt.Y)
            yWy += np.einsum("mi,ij,mj->", pt.Y, Si, pt.Y)
        return S, XtWX, XtWy, yWy, logdet, inv

    def criterion(self, theta: np.ndarray, *, gradient: bool = True):
        """``-2`` times the REML log-likelihood (and its gradient), ``inf`` where Sigma is not PD."""
        pieces = self._pieces(theta)
        K = theta.size
        if pieces is None:
            return (np.inf, np.zeros(K)) if gradient else np.inf
        S, XtWX, XtWy, yWy, logdet, inv = pieces
        try:
            CX = linalg.cho_factor(XtWX, lower=True)
        except linalg.LinAlgError:
            return (np.inf, np.zeros(K)) if gradient else np.inf
        beta = linalg.cho_solve(CX, XtWy)
        f = logdet + 2.0 * np.log(np.diag(CX[0])).sum() + (yWy - beta @ XtWy) + (self.N - self.p) * _LOG2PI
        if not gradient:
            return f
        Phi = linalg.cho_solve(CX, np.eye(self.p))
        G = np.zeros((self.T, self.T))
        for pt, Si in zip(self.pats, inv):
            r = pt.Y - pt.X @ beta
            # m Sigma_p^-1 - Sigma_p^-1 (sum_i X_i Phi X_i' + r_i r_i') Sigma_p^-1
            inner = np.einsum("mia,ab,mjb->ij", pt.X, Phi, pt.X, optimize=True) + r.T @ r
            G[np.ix_(pt.visits, pt.visits)] += pt.Y.shape[0] * Si - Si @ inner @ Si
        dS = covariance_jacobian(theta, self.structure, self.T)
        return f, np.einsum("kij,ij->k", dS, G)

    def fit(self, theta0: np.ndarray, *, gtol: float = 1e-9, max_newton: int = 20):
        """Minimise the REML criterion from ``theta0``: BFGS, then Newton steps on the numerical Hessian."""
        res = optimize.minimize(self.criterion, theta0, jac=True, method="BFGS",
                                options={"gtol": 1e-7, "maxiter": 2000})
        theta = res.x
        f, g = self.criterion(theta)
        n_newton = 0
        for _ in range(max_newton):
            if np.max(np.abs(g)) < gtol:
                break
            H = self.hessian(theta)
            try:
                step = np.linalg.solve(H, g)
            except np.linalg.LinAlgError:
                break
            t = 1.0
            while t > 1e-4:
                f_new, g_new = self.criterion(theta - t * step)
                if np.isfinite(f_new) and f_new <= f + 1e-10 * abs(f):
                    break
                t /= 2
            else:
                break
            theta, f, g = theta - t * step, f_new, g_new
            n_newton += 1
        self.theta, self.value, self.grad = theta, f, g
        self.converged = bool(np.max(np.abs(g)) < 1e-5 * max(1.0, abs(f)) ** 0.5)
        self.n_iter = int(res.nit) + n_newton
        S, XtWX, XtWy, yWy, logdet, inv = self._pieces(theta)
        self.sigma = S
        self.vcov = np.linalg.inv(XtWX)
        self.vcov = (self.vcov + self.vcov.T) / 2
        self.beta = self.vcov @ XtWy
        self._inv = inv
        self._hess = None
        return self

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """Central-difference Hessian of the REML criterion from its analytic gradient."""
        K = theta.size
        H = np.empty((K, K))
        for k in range(K):
            h = 1e-5 * max(1.0, abs(theta[k]))
            e = np.zeros(K)
            e[k] = h
            H[:, k] = (self.criterion(theta + e)[1] - self.criterion(theta - e)[1]) / (2 * h)
        return (H + H.T) / 2

    def satterthwaite(self, L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Variances and Satterthwaite df of the contrasts in the rows of ``L`` (shape ``(q, p)``).

        ``df = 2 v^2 / (g' A g)`` with ``v = l' Phi l``, ``g_k = l' dPhi/dtheta_k l`` and ``A`` twice the
        inverse Hessian of the ``-2`` REML log-likelihood (the observed information of the covariance
        parameters).
        """
        L = np.atleast_2d(L)
        theta = self.theta
        dS = covariance_jacobian(theta, self.structure, self.T)
        K = theta.size
        M = np.zeros((K, self.p, self.p))
        for pt, Si in zip(self.pats, self._inv):
            B = np.einsum("ij,mjb->mib", Si, pt.X)
            D = dS[:, pt.visits][:, :, pt.visits]
            M += np.einsum("mia,kij,mjb->kab", B, D, B, optimize=True)
        Phi = self.vcov
        LP = L @ Phi
        v = np.einsum("qa,qa->q", LP, L)
        g = np.einsum("qa,kab,qb->qk", LP, M, LP)
        if getattr(self, "_hess", None) is None:
            self._hess = self.hessian(theta)
        H = self._hess
        A = 2.0 * np.linalg.pinv(H)
        denom = np.einsum("qk,kl,ql->q", g, A, g)
        with np.errstate(divide="ignore", invalid="ignore"):
            df = np.where(denom > 0, 2.0 * v ** 2 / denom, np.inf)
        return v, df


def fit_reml(y: np.ndarray, X: np.ndarray, visit: np.ndarray, subject: np.ndarray, structure: str = "us",
             theta0: np.ndarray | None = None) -> GlsFit:
    """Fit ``y ~ X`` by REML with a ``structure`` covariance across ``visit`` within ``subject``.

    Parameters
    ----------
    y : (N,) float array; X : (N, p) full-rank design; visit : (N,) ints in ``0..T-1``; subject : (N,) codes.
    structure : one of :data:`STRUCTURES`.
    theta0 : starting covariance parameters; by default from OLS residual moments.

    Returns
    -------
    GlsFit
        With ``beta``, ``vcov``, ``sigma`` (T x T), ``theta``, ``value`` (-2 REML log-likelihood),
        ``converged``, ``n_iter`` and the method ``satterthwaite(L)``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> n, T = 40, 3
    >>> subj = np.repeat(np.arange(n), T); vis = np.tile(np.arange(T), n)
    >>> X = np.column_stack([vis == t for t in range(T)]).astype(float)
    >>> y = rng.multivariate_normal(np.zeros(T), 0.5 * np.eye(T) + 0.5, size=n).ravel()
    >>> fit = fit_reml(y, X, vis, subj, "cs")
    >>> fit.converged, fit.sigma.shape
    (True, (3, 3))
    """
    T = int(visit.max()) + 1
    pats = patterns(np.asarray(y, float), np.asarray(X, float), np.asarray(visit), np.asarray(subject))
    model = GlsFit(pats, X.shape[1], T, structure)
    if theta0 is None:
        beta_ols = np.linalg.lstsq(X, y, rcond=None)[0]
        r = y - X @ beta_ols
        _, s = np.unique(subject, return_inverse=True)
        R = np.full((s.max() + 1, T), np.nan)
        R[s, visit] = r
        ok = ~np.isnan(R)
        R0 = np.where(ok, R, 0.0)
        cnt = ok.T.astype(float) @ ok.astype(float)
        S0 = (R0.T @ R0) / np.maximum(cnt, 1.0)
        d = np.sqrt(np.maximum(np.diag(S0), 1e-8))
        S0 = np.where(cnt >= 3, S0, 0.0)
        S0[np.diag_indices(T)] = d ** 2
        theta0 = start_values(S0, structure)
    return model.fit(np.asarray(theta0, float))
