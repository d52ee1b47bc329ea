"""Within-subject covariance structures for the MMRM kernel: unconstrained and natural (SAS) parameters.

Each structure maps unconstrained parameters ``theta`` (what the optimiser moves) to its natural parameters
``psi`` (what SAS PROC MIXED reports and differentiates for Kenward-Roger), and ``psi`` to the ``T x T``
covariance. Every map is written in plain arithmetic so it also runs on complex input (complex-step
derivatives). ``coords`` holds the numeric time of each visit (used by ``spexp`` only).

======  ==============================  =======================================================
code    structure (SAS type)            natural parameters ``psi``
======  ==============================  =======================================================
us      unstructured (UN)               ``sigma_ij``, lower triangle row by row (SAS order)
toep    Toeplitz (TOEP)                 covariance at lag ``0..T-1``
toeph   heterogeneous Toeplitz (TOEPH)  variances (T), correlation at lag ``1..T-1``
ante    ante-dependence (ANTE(1))       variances (T), correlation of adjacent visits (T-1)
cs      compound symmetry (CS)          common covariance, residual variance
csh     heterogeneous CS (CSH)          variances (T), correlation
ar1     AR(1)                           variance, correlation
ar1h    heterogeneous AR(1) (ARH(1))    variances (T), correlation
spexp   spatial exponential (SP(EXP))   variance, range: ``sigma^2 exp(-|c_s - c_t| / range)``
======  ==============================  =======================================================

Positive definiteness is built into ``theta``: a Cholesky factor (``us``), partial autocorrelations in
(-1, 1) through the Durbin-Levinson recursion (Toeplitz), correlations in (-1, 1) (``ante``, AR(1)) and in
(-1/(T-1), 1) (CS). The natural parameters of ``us``, ``toep`` and ``cs`` enter ``Sigma`` linearly, so their
second derivatives vanish (Kenward-Roger equals its linear version, as in SAS).
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = ["STRUCTURES", "LINEAR", "n_params", "natural", "sigma_natural", "covariance", "covariance_jacobian",
           "start_values", "jacobian", "hessian"]

STRUCTURES = ("us", "toep", "toeph", "ante", "cs", "csh", "ar1", "ar1h", "spexp")
#: structures whose natural parameters enter Sigma linearly
LINEAR = ("us", "toep", "cs")


def n_params(structure: str, T: int) -> int:
    """Number of covariance parameters of ``structure`` for ``T`` visits."""
    return {"us": T * (T + 1) // 2, "toep": T, "toeph": 2 * T - 1, "ante": 2 * T - 1, "cs": 2,
            "csh": T + 1, "ar1": 2, "ar1h": T + 1, "spexp": 2}[structure]


def _expit(a):
    return 1.0 / (1.0 + np.exp(-a))


def _durbin_levinson(pacf):
    """Autocorrelations at lags ``1..n`` from partial autocorrelations (complex-safe)."""
    n = len(pacf)
    rho = []
    phi = []
    for k in range(n):
        a = pacf[k]
        if k == 0:
            r = a
            phi = [a]
        else:
            v = 1.0 - sum(phi[j] * rho[j] for j in range(k))
            r = sum(phi[j] * rho[k - 1 - j] for j in range(k)) + a * v
            phi = [phi[j] - a * phi[k - 1 - j] for j in range(k)] + [a]
        rho.append(r)
    return rho


def natural(theta: np.ndarray, structure: str, T: int) -> np.ndarray:
    """Natural (SAS) parameters from unconstrained ones."""
    th = np.asarray(theta)
    if structure == "us":
        S = covariance_us(th, T)
        return S[_tril(T)]
    if structure == "toep":
        v = np.exp(2 * th[0])
        rho = _durbin_levinson(list(np.tanh(th[1:])))
        return np.array([v] + [v * r for r in rho])
    if structure == "toeph":
        rho = _durbin_levinson(list(np.tanh(th[T:])))
        return np.concatenate([np.exp(2 * th[:T]), np.array(rho, dtype=np.result_type(th, float))])
    if structure == "ante":
        return np.concatenate([np.exp(2 * th[:T]), np.tanh(th[T:])])
    if structure == "cs":
        lo = -1.0 / (T - 1)
        v, rho = np.exp(2 * th[0]), lo + (1.0 - lo) * _expit(th[1])
        return np.array([v * rho, v * (1.0 - rho)])
    if structure == "csh":
        lo = -1.0 / (T - 1)
        return np.concatenate([np.exp(2 * th[:T]), [lo + (1.0 - lo) * _expit(th[T])]])
    if structure in ("ar1", "ar1h"):
        k = 1 if structure == "ar1" else T
        return np.concatenate([np.exp(2 * th[:k]), np.tanh(th[k:])])
    if structure == "spexp":
        return np.exp(np.array([2 * th[0], th[1]]))
    raise ValueError(f"structure must be one of {STRUCTURES}; got {structure!r}")


@functools.lru_cache(maxsize=64)
def _tril(T: int, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return np.tril_indices(T, k)


def _chol_us(theta: np.ndarray, T: int) -> np.ndarray:
    dt = np.result_type(np.asarray(theta).dtype, float)
    L = np.zeros((T, T), dtype=dt)
    d = np.arange(T)
    L[d, d] = np.exp(theta[:T])
    L[_tril(T, -1)] = theta[T:]
    return L


def covariance_us(theta: np.ndarray, T: int) -> np.ndarray:
    """Unstructured ``L L'`` from the Cholesky parameters (log diagonal, then the lower triangle)."""
    L = _chol_us(theta, T)
    return L @ L.T


def covariance_jacobian(theta: np.ndarray, structure: str, T: int, coords: np.ndarray | None = None) -> np.ndarray:
    """``dSigma / dtheta_k`` in the unconstrained parameters, shape ``(K, T, T)`` (analytic for ``us``)."""
    theta = np.asarray(theta, float)
    if structure != "us":
        return jacobian(lambda t: covariance(t, structure, T, coords), theta)
    L = _chol_us(theta, T)
    K = theta.size
    dL = np.zeros((K, T, T))
    d = np.arange(T)
    dL[d, d, d] = L[d, d]
    r, c = _tril(T, -1)
    dL[np.arange(T, K), r, c] = 1.0
    A = dL @ L.T
    return A + A.transpose(0, 2, 1)


def sigma_natural(psi: np.ndarray, structure: str, T: int, coords: np.ndarray | None = None) -> np.ndarray:
    """The ``T x T`` covariance from natural parameters (complex-safe)."""
    psi = np.asarray(psi)
    dt = np.result_type(psi.dtype, float)
    idx = np.arange(T)
    lag = np.abs(idx[:, None] - idx[None, :])
    if structure == "us":
        S = np.zeros((T, T), dtype=dt)
        S[_tril(T)] = psi
        return S + np.tril(S, -1).T
    if structure == "toep":
        return psi[lag]
    if structure == "cs":
        return psi[0] * np.ones((T, T), dtype=dt) + psi[1] * np.eye(T)
    if structure == "spexp":
        c = np.arange(T, dtype=float) if coords is None else np.asarray(coords, float)
        return psi[0] * np.exp(-np.abs(c[:, None] - c[None, :]) / psi[1])
    if structure == "ar1":
        sd = np.sqrt(psi[0]) * np.ones(T, dtype=dt)
    else:
        sd = np.sqrt(psi[:T])
    if structure == "ar1":
        R = psi[1] ** lag
    elif structure == "ar1h":
        R = psi[T] ** lag
    elif structure == "csh":
        R = psi[T] * np.ones((T, T), dtype=dt) + (1.0 - psi[T]) * np.eye(T)
    elif structure == "toeph":
        r = np.concatenate([np.ones(1, dtype=dt), psi[T:]])
        R = r[lag]
    elif structure == "ante":
        # corr(s, t) = prod of adjacent correlations between s and t
        R = np.eye(T, dtype=dt)
        for s in range(T - 1):
            for t in range(s + 1, T):
                R[s, t] = R[t, s] = R[s, t - 1] * psi[T + t - 1]
    else:
        raise ValueError(f"structure must be one of {STRUCTURES}; got {structure!r}")
    return sd[:, None] * R * sd[None, :]


def covariance(theta: np.ndarray, structure: str, T: int, coords: np.ndarray | None = None) -> np.ndarray:
    """The ``T x T`` covariance for unconstrained ``theta`` (complex-safe)."""
    if structure == "us":
        return covariance_us(np.asarray(theta), T)
    return sigma_natural(natural(theta, structure, T), structure, T, coords)


def jacobian(f, x: np.ndarray) -> np.ndarray:
    """``d f(x) / d x_k`` for a complex-safe ``f`` returning a ``T x T`` array: shape ``(K, T, T)``."""
    x = np.asarray(x, dtype=float)
    h = 1e-30
    out = []
    for k in range(x.size):  # K covariance parameters: small
        xc = x.astype(complex)
        xc[k] += 1j * h
        out.append(f(xc).imag / h)
    return np.array(out)


def hessian(f, x: np.ndarray) -> np.ndarray:
    """Second derivatives ``d2 f / dx_k dx_l``, shape ``(K, K, T, T)``: central differences of the exact
    complex-step Jacobian (error ~1e-10 relative).
    """
    x = np.asarray(x, dtype=float)
    K = x.size
    out = []
    for k in range(K):
        h = 1e-5 * max(1.0, abs(x[k]))
        e = np.zeros(K)
        e[k] = h
        out.append((jacobian(f, x + e) - jacobian(f, x - e)) / (2 * h))
    H = np.array(out)
    return (H + H.transpose(1, 0, 2, 3)) / 2


def start_values(S: np.ndarray, structure: str, coords: np.ndarray | None = None) -> np.ndarray:
    """Unconstrained parameters whose covariance is close to the moment estimate ``S``."""
    T = S.shape[0]
    w, V = np.linalg.eigh((S + S.T) / 2)
    w = np.maximum(w, 1e-3 * max(w.max(), 1e-8))
    S = (V * w) @ V.T
    sd = np.sqrt(np.diag(S))
    Rm = S / np.outer(sd, sd)
    ls = np.log(sd)
    ls1 = np.array([0.5 * math.log(np.mean(sd ** 2))])
    lag1 = np.diag(Rm, 1)
    r1 = float(np.clip(lag1.mean(), -0.9, 0.95))
    if structure == "us":
        L = np.linalg.cholesky(S)
        return np.concatenate([np.log(np.diag(L)), L[np.tril_indices(T, -1)]])
    if structure in ("cs", "csh"):
        lo = -1.0 / (T - 1)
        rho = float(np.clip(Rm[np.triu_indices(T, 1)].mean(), lo + 0.05 * (1 - lo), 0.95))
        return np.concatenate([ls1 if structure == "cs" else ls, [math.log((rho - lo) / (1.0 - rho))]])
    if structure in ("ar1", "ar1h"):
        return np.concatenate([ls1 if structure == "ar1" else ls, [math.atanh(r1)]])
    if structure in ("toep", "toeph"):
        pacf = np.zeros(T - 1)
        pacf[0] = math.atanh(r1)
        return np.concatenate([ls1 if structure == "toep" else ls, pacf])
    if structure == "ante":
        return np.concatenate([ls, np.arctanh(np.clip(lag1, -0.9, 0.95))])
    if structure == "spexp":
        c = np.arange(T, dtype=float) if coords is None else np.asarray(coords, float)
        d1 = float(np.mean(np.diff(c)))
        rng = -d1 / math.log(min(max(r1, 0.05), 0.95))
        return np.concatenate([ls1, [math.log(rng)]])
    raise ValueError(f"structure must be one of {STRUCTURES}; got {structure!r}")
