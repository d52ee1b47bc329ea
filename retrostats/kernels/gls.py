"""Generalised least squares by REML or ML with a structured within-subject covariance (the MMRM kernel).

Arrays in, arrays out (NumPy/SciPy only). The model is ``y_i = X_i beta + e_i``,
``e_i ~ N(0, W_i^{-1/2} Sigma_g[v_i, v_i] W_i^{-1/2})`` for subject ``i`` of covariance group ``g`` observed
at visits ``v_i`` (a subset of ``0..T-1``) with observation weights ``W_i`` (default 1), independent across
subjects. ``Sigma_g`` has one of the structures of :mod:`.gls_cov`.

Speed: subjects are grouped by (group, pattern of observed visits). Everything the likelihood needs from the
data is summed once per pattern -- ``sum_i X_i[t]' X_i[u]``, ``sum_i X_i[t]' y_i[u]``, ``sum_i y_i[t] y_i[u]``
for every observed visit pair ``(t, u)`` -- so an evaluation of the criterion and its gradient is a batched
inverse of the ``P`` pattern covariances (each embedded in a ``T x T`` matrix with the identity at the
missing visits) and a few matrix-vector products with the stacked statistics: no per-subject work and no
Python loop over patterns. When the statistics would be larger than the per-subject data (many fixed
effects, few subjects per pattern) the same quantities are computed from zero-padded per-subject arrays.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg

from . import gls_cov as cov

__all__ = ["STRUCTURES", "GlsModel", "fit_gls", "fit_reml"]

STRUCTURES = cov.STRUCTURES
_LOG2PI = math.log(2.0 * math.pi)
_STAT_LIMIT = 4e7  # doubles: above this the per-subject path is used


class GlsModel:
    """Sufficient statistics and the (RE)ML criterion of a GLS model.

    Parameters
    ----------
    y, X : (N,), (N, p) arrays; visit : (N,) ints in ``0..T-1``; subject : (N,) codes.
    structure : a code of :data:`STRUCTURES`; T : number of visits; group : (N,) ints ``0..G-1`` constant
    within subject (separate covariance per group); weights : (N,) positive; coords : (T,) visit times
    (``spexp``); method : ``"REML"`` or ``"ML"``.
    """

    def __init__(self, y, X, visit, subject, structure="us", *, T=None, group=None, weights=None, coords=None,
                 method="REML"):
        y, X = np.asarray(y, float), np.asarray(X, float)
        visit = np.asarray(visit, dtype=np.int64)
        self.T = T = int(visit.max()) + 1 if T is None else int(T)
        self.p = p = X.shape[1]
        self.N = y.size
        self.structure, self.method, self.coords = structure, method.upper(), coords
        _, s = np.unique(np.asarray(subject), return_inverse=True)
        n = int(s.max()) + 1
        g = np.zeros(self.N, dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
        self.G = int(g.max()) + 1
        w = np.ones(self.N) if weights is None else np.asarray(weights, float)
        self.sum_log_w = float(np.log(w).sum())
        sw = np.sqrt(w)
        # padded per-subject arrays (weights folded in: Var(sqrt(w) e) = Sigma)
        Xs = np.zeros((n, T, p))
        ys = np.zeros((n, T))
        obs = np.zeros((n, T), dtype=bool)
        Xs[s, visit] = X * sw[:, None]
        ys[s, visit] = y * sw
        obs[s, visit] = True
        gs = np.zeros(n, dtype=np.int64)
        gs[s] = g
        key = gs * (1 << T) + (obs * (1 << np.arange(T))).sum(1)
        ukey, pat = np.unique(key, return_inverse=True)
        order = np.argsort(pat, kind="stable")
        self.Xs, self.ys, self.obs, self.pat, self.order = Xs, ys, obs, pat, order
        self.P = P = ukey.size
        self.pat_group = ukey >> T
        self.pat_mask = ((ukey[:, None] >> np.arange(T)) & 1).astype(bool)
        self.m = np.bincount(pat, minlength=P).astype(float)
        self.starts = np.concatenate([[0], np.cumsum(self.m).astype(int)[:-1]])
        n_pairs = int((self.pat_mask.sum(1) ** 2).sum()) // 2
        self.use_stats = n_pairs * p * p // 2 <= max(_STAT_LIMIT, 2 * n * T * p)
        if self.use_stats:
            self._stats()

    def _stats(self) -> None:
        """Per-pattern cross-products over the observed visit pairs ``t <= u`` (computed once).

        Both symmetries are used: the pair ``(u, t)`` is folded into ``(t, u)`` (``W`` is symmetric) and only
        the upper triangle of each ``p x p`` block is kept, so the statistics take a quarter of the full size.
        """
        p = self.p
        ia, ib = np.triu_indices(p)
        self._ab = (ia, ib)
        self._wab = np.where(ia == ib, 1.0, 2.0)  # <M, B> = sum_{a<=b} w_ab M_ab B_ab for symmetric M, B
        qp, qt, qu, sxx, sxy, syy = [], [], [], [], [], []
        for k in range(self.P):  # once, at set-up
            sel = self.order[self.starts[k]:self.starts[k] + int(self.m[k])]
            v = np.flatnonzero(self.pat_mask[k])
            Xk = self.Xs[sel][:, v].reshape(sel.size, -1)
            yk = self.ys[sel][:, v]
            nv = v.size
            it, iu = np.triu_indices(nv)
            off = (it != iu)[:, None]
            G = (Xk.T @ Xk).reshape(nv, p, nv, p)
            Gtu = G[it, :, iu, :]
            Gtu = Gtu + off[:, :, None] * G[iu, :, it, :]
            sxx.append(Gtu[:, ia, ib])
            H = (Xk.T @ yk).reshape(nv, p, nv)
            sxy.append(H[it, :, iu] + off * H[iu, :, it])
            Y = yk.T @ yk
            syy.append(Y[it, iu] * np.where(it != iu, 2.0, 1.0))
            qp.append(np.full(it.size, k))
            qt.append(v[it])
            qu.append(v[iu])
        self.qp, self.qt, self.qu = (np.concatenate(a) for a in (qp, qt, qu))
        self.Sxx, self.Sxy, self.Syy = np.concatenate(sxx), np.concatenate(sxy), np.concatenate(syy)
        self._h = np.where(self.qt == self.qu, 1.0, 0.5)

    def _unvech(self, v: np.ndarray) -> np.ndarray:
        p = self.p
        M = np.zeros(v.shape[:-1] + (p, p))
        M[..., self._ab[0], self._ab[1]] = v
        M[..., self._ab[1], self._ab[0]] = v
        return M

    # ---- quadratic forms over subjects --------------------------------------------------------------
    def xmx(self, M: np.ndarray) -> np.ndarray:
        """Symmetric part of ``sum_i X_i' M[pattern_i] X_i`` for per-pattern ``M`` of shape ``(..., P, T, T)``:
        ``(..., p, p)``.
        """
        lead = M.shape[:-3]
        p = self.p
        if self.use_stats:
            Mq = 0.5 * (M[..., self.qp, self.qt, self.qu] + M[..., self.qp, self.qu, self.qt])
            return self._unvech(Mq.reshape(-1, Mq.shape[-1]) @ self.Sxx).reshape(*lead, p, p)
        Mf = M.reshape(-1, self.P, self.T, self.T)
        out = np.empty((Mf.shape[0], p, p))
        Xf = self.Xs.reshape(-1, p)
        for j in range(Mf.shape[0]):  # leading dims (covariance parameters), not subjects
            MX = np.matmul(Mf[j][self.pat], self.Xs).reshape(-1, p)
            out[j] = Xf.T @ MX
        out = 0.5 * (out + out.transpose(0, 2, 1))
        return out.reshape(*lead, p, p)

    def _cross(self, W: np.ndarray, beta: np.ndarray, Phi: np.ndarray | None):
        """``X'WX, X'Wy, y'Wy`` and per-pattern ``C_p = sum_i (r_i r_i' [+ X_i Phi X_i'])``."""
        p, P, T = self.p, self.P, self.T
        if self.use_stats:
            Wq = W[self.qp, self.qt, self.qu]
            if beta is None:
                return [self._unvech(Wq @ self.Sxx), Wq @ self.Sxy, float(Wq @ self.Syy)]
            B = np.outer(beta, beta) + (Phi if Phi is not None else 0.0)
            h = self._h
            c = h * (self.Sxx @ (self._wab * B[self._ab])) - 2.0 * h * (self.Sxy @ beta) + h * self.Syy
            C = np.zeros((P, T, T))
            C[self.qp, self.qt, self.qu] = c
            C[self.qp, self.qu, self.qt] = c
            return C
        Wi = W[self.pat]
        WX = np.matmul(Wi, self.Xs)
        if beta is None:
            Xf = self.Xs.reshape(-1, p)
            return [Xf.T @ WX.reshape(-1, p), np.einsum("ntp,nt->p", WX, self.ys),
                    float(np.einsum("nt,ntu,nu->", self.ys, Wi, self.ys))]
        r = self.ys - self.Xs @ beta
        Ci = r[:, :, None] * r[:, None, :]
        if Phi is not None:
            Ci = Ci + np.matmul(self.Xs @ Phi, self.Xs.transpose(0, 2, 1))
        Ci = Ci[self.order].reshape(-1, T * T)
        return np.add.reduceat(Ci, self.starts, axis=0).reshape(P, T, T)

    def weights(self, S: np.ndarray):
        """Per-pattern inverse covariances ``(P, T, T)`` (zero at missing visits) and log-determinants,
        or ``None`` if some ``Sigma`` is not positive definite.
        """
        mask = self.pat_mask
        mm = mask[:, :, None] & mask[:, None, :]
        M = np.where(mm, S[self.pat_group], 0.0) + np.eye(self.T) * ~mask[:, None, :]
        try:
            L = np.linalg.cholesky(M)
        except np.linalg.LinAlgError:
            return None
        logdet = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(1)
        W = np.linalg.inv(M) * mm
        return (W + W.transpose(0, 2, 1)) / 2, logdet

    def evaluate(self, S: np.ndarray, *, gradient: bool = True):
        """``-2`` log-likelihood at covariances ``S`` (G, T, T), its derivative matrix ``dF/dSigma`` per group
        (G, T, T), and the GLS pieces. ``None`` where a covariance is not positive definite.
        """
        wl = self.weights(S)
        if wl is None:
            return None
        W, ld = wl
        XtWX, XtWy, yWy = self._cross(W, None, None)
        try:
            CX = linalg.cho_factor(XtWX, lower=True)
        except linalg.LinAlgError:
            return None
        beta = linalg.cho_solve(CX, XtWy)
        reml = self.method == "REML"
        f = float(self.m @ ld) + (yWy - beta @ XtWy) - self.sum_log_w
        f += (2.0 * np.log(np.diag(CX[0])).sum() + (self.N - self.p) * _LOG2PI) if reml else self.N * _LOG2PI
        out = {"f": f, "W": W, "beta": beta, "XtWX": XtWX, "CX": CX}
        if gradient:
            Phi = linalg.cho_solve(CX, np.eye(self.p)) if reml else None
            C = self._cross(W, beta, Phi)
            Gp = self.m[:, None, None] * W - W @ C @ W
            Gg = np.zeros((self.G, self.T * self.T))
            np.add.at(Gg, self.pat_group, Gp.reshape(self.P, -1))
            out["G"] = Gg.reshape(self.G, self.T, self.T)
        return out

    # ---- parameters -----------------------------------------------------------------------------------
    @property
    def k(self) -> int:
        """Covariance parameters per group."""
        return cov.n_params(self.structure, self.T)

    def sigmas(self, theta: np.ndarray) -> np.ndarray:
        """Covariance per group ``(G, T, T)`` from unconstrained parameters."""
        th = np.asarray(theta).reshape(self.G, self.k)
        return np.array([cov.covariance(t, self.structure, self.T, self.coords) for t in th])

    def criterion(self, theta: np.ndarray, *, gradient: bool = True):
        """``-2`` (RE)ML log-likelihood in unconstrained parameters (and its gradient); ``inf`` if not PD."""
        theta = np.asarray(theta, float)
        out = self.evaluate(self.sigmas(theta), gradient=gradient)
        if out is None:
            return (np.inf, np.zeros(theta.size)) if gradient else np.inf
        if not gradient:
            return out["f"]
        th = theta.reshape(self.G, self.k)
        grad = [np.einsum("kij,ij->k", cov.covariance_jacobian(th[g], self.structure, self.T, self.coords),
                          out["G"][g]) for g in range(self.G)]
        return out["f"], np.concatenate(grad)

    def hessian(self, theta: np.ndarray, grad=None, g0: np.ndarray | None = None) -> np.ndarray:
        """Finite-difference Hessian from an analytic gradient (``self.criterion``'s by default): central
        differences, or forward differences from the gradient ``g0`` at ``theta`` when it is given (half the
        gradient evaluations, for many parameters; relative error ~1e-5).
        """
        grad = grad or (lambda t: self.criterion(t)[1])
        K = theta.size
        H = np.empty((K, K))
        for k in range(K):
            h = 1e-5 * max(1.0, abs(theta[k]))
            e = np.zeros(K)
            e[k] = h
            H[:, k] = (grad(theta + e) - grad(theta - e)) / (2 * h) if g0 is None else (grad(theta + e) - g0) / h
        return (H + H.T) / 2

    def start(self, y, X, visit, subject) -> np.ndarray:
        """Starting values from OLS residual moments (per group)."""
        beta = np.linalg.lstsq(self.Xs.reshape(-1, self.p), self.ys.ravel(), rcond=None)[0]
        R = np.where(self.obs, self.ys - self.Xs @ beta, 0.0)
        gs = self.pat_group[self.pat]
        out = []
        for g in range(self.G):  # covariance groups: a handful
            Rg, og = R[gs == g], self.obs[gs == g].astype(float)
            cnt = og.T @ og
            S0 = (Rg.T @ Rg) / np.maximum(cnt, 1.0)
            d = np.sqrt(np.maximum(np.diag(S0), 1e-8))
            S0 = np.where(cnt >= 3, S0, 0.0)
            S0[np.diag_indices(self.T)] = d ** 2
            out.append(cov.start_values(S0, self.structure, self.coords))
        return np.concatenate(out)

    def fit(self, theta0: np.ndarray, *, gtol: float = 1e-9, max_newton: int = 50) -> GlsModel:
        """Minimise the criterion from ``theta0``: BFGS first when there are many parameters (> 12), then
        Newton steps on the numerical Hessian (eigenvalues made positive) with backtracking.
        """
        theta = np.asarray(theta0, float)
        nit = 0
        if theta.size > 12:
            from scipy import optimize  # here, not at import: it brings scipy.sparse, spatial and fft

            res = optimize.minimize(self.criterion, theta, jac=True, method="BFGS",
                                    options={"gtol": 1e-6, "maxiter": 3000})
            theta, nit = res.x, int(res.nit)
        f, g = self.criterion(theta)
        H = None
        for _ in range(max_newton):
            if np.max(np.abs(g)) < gtol:
                break
            H = self.hessian(theta, g0=g if theta.size > 12 else None)
            w, V = np.linalg.eigh(H)
            w = np.maximum(np.abs(w), 1e-8 * max(np.abs(w).max(), 1e-12))
            step = V @ ((V.T @ g) / w)
            t = 1.0
            while t > 1e-6:
                f_new, g_new = self.criterion(theta - t * step)
                if np.isfinite(f_new) and f_new <= f + 1e-12 * abs(f):
                    break
                t /= 2
            else:
                break
            converged_step = np.max(np.abs(t * step)) < 1e-10
            theta, f, g = theta - t * step, f_new, g_new
            nit += 1
            if converged_step:
                break
        # Hessian for inference: the last Newton step's (taken within ~|g| / curvature of the optimum)
        self.hess_theta = self.hessian(theta, g0=g if theta.size > 12 else None) if H is None else H
        self.theta, self.value, self.grad = theta, f, g
        self.converged = bool(np.max(np.abs(g)) < 1e-5 * max(1.0, abs(f)) ** 0.5)
        self.n_iter = nit
        self.sigma = self.sigmas(theta)
        out = self.evaluate(self.sigma, gradient=False)
        self.W = out["W"]
        self.vcov = linalg.cho_solve(out["CX"], np.eye(self.p))
        self.vcov = (self.vcov + self.vcov.T) / 2
        self.beta = out["beta"]
        th = theta.reshape(self.G, self.k)
        self.psi = np.concatenate([cov.natural(t, self.structure, self.T) for t in th])
        return self


def fit_gls(y, X, visit, subject, structure="us", *, T=None, group=None, weights=None, coords=None,
            method="REML", theta0=None) -> GlsModel:
    """Fit ``y ~ X`` by REML or ML with a ``structure`` covariance across ``visit`` within ``subject``.

    Parameters
    ----------
    y : (N,) float array; X : (N, p) full-rank design; visit : (N,) ints in ``0..T-1``; subject : (N,) codes.
    structure : one of :data:`STRUCTURES`.
    T, group, weights, coords, method : see :class:`GlsModel`.
    theta0 : starting covariance parameters; by default from OLS residual moments.

    Returns
    -------
    GlsModel
        Fitted: ``beta``, ``vcov``, ``sigma`` (G, T, T), ``theta``, ``psi`` (natural parameters), ``value``
        (-2 log-likelihood), ``converged``, ``n_iter``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> n, T = 40, 3
    >>> subj = np.repeat(np.arange(n), T); vis = np.tile(np.arange(T), n)
    >>> X = np.column_stack([vis == t for t in range(T)]).astype(float)
    >>> y = rng.multivariate_normal(np.zeros(T), 0.5 * np.eye(T) + 0.5, size=n).ravel()
    >>> fit = fit_gls(y, X, vis, subj, "cs")
    >>> fit.converged, fit.sigma.shape
    (True, (1, 3, 3))
    """
    model = GlsModel(y, X, visit, subject, structure, T=T, group=group, weights=weights, coords=coords,
                     method=method)
    if theta0 is None:
        theta0 = model.start(y, X, visit, subject)
    return model.fit(np.asarray(theta0, float))


def fit_reml(y, X, visit, subject, structure="us", theta0=None) -> GlsModel:
    """REML fit with one covariance group (kept for callers of the earlier kernel); see :func:`fit_gls`."""
    return fit_gls(y, X, visit, subject, structure, theta0=theta0)
