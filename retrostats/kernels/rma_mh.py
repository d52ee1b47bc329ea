"""Mantel-Haenszel and Peto pooling of 2x2 tables (metafor 3.8 ``rma.mh`` and ``rma.peto``).

NumPy/SciPy only. The pooled estimate uses the tables as given (metafor's ``add[2] = 0``); the heterogeneity
statistics use the per-table outcomes of ``escalc`` with ``add=0.5, to="only0"`` and double-zero tables
dropped (metafor's ``add[1], to[1], drop00[1]``).

Examples
--------
>>> a = np.array([4.0, 6.0, 3.0]); b = np.array([16.0, 14.0, 17.0])
>>> c = np.array([9.0, 10.0, 4.0]); d = np.array([12.0, 10.0, 16.0])
>>> fit = mh_fit(a, b, c, d, "OR")
>>> round(float(fit["beta"]), 6), round(float(fit["se"]), 6)
(-0.81128, 0.417653)
"""

from __future__ import annotations

import numpy as np

from ._lazy_stats import stats
from .escalc_binary import BINARY, add_to_cells

__all__ = ["mh_fit", "peto_fit", "heterogeneity_yi"]


def heterogeneity_yi(a, b, c, d, measure: str, add: float = 0.5, to: str = "only0"):
    """Per-table ``yi, vi`` for Q as metafor (double-zero tables dropped); returns ``(yi, vi)`` of the kept."""
    keep = ~(((a == 0) & (c == 0)) | ((b == 0) & (d == 0)))
    aa, bb, cc, dd, _ = add_to_cells(a[keep], b[keep], c[keep], d[keep], add, to)
    with np.errstate(all="ignore"):
        yi, vi = BINARY[measure][0](aa, bb, cc, dd)
    ok = np.isfinite(yi) & np.isfinite(vi)
    return yi[ok], vi[ok]


def _tests(beta: float, se: float, level: float) -> dict:
    z = beta / se
    crit = stats.norm.isf((1 - level) / 2)
    return {
        "zval": z,
        "pval": 2 * stats.norm.sf(abs(z)),
        "ci_lb": beta - crit * se,
        "ci_ub": beta + crit * se,
    }


def _q(yi, vi, beta: float) -> dict:
    k = len(yi)
    if k > 1:
        qe = max(0.0, float(np.sum((yi - beta) ** 2 / vi)))
        return {
            "qe": qe,
            "qe_p": float(stats.chi2.sf(qe, k - 1)),
            "i2": max(0.0, 100 * (qe - (k - 1)) / qe) if qe > 0 else 0.0,
            "h2": qe / (k - 1),
            "k_yi": k,
        }
    return {"qe": 0.0, "qe_p": 1.0, "i2": 0.0, "h2": 1.0, "k_yi": k}


def mh_fit(a, b, c, d, measure: str, level: float = 0.95, correct: bool = True) -> dict:
    """Mantel-Haenszel ``OR``, ``RR`` or ``RD`` with Robins-Breslow-Greenland / Greenland-Robins SEs.

    For ``OR`` also the Cochran-Mantel-Haenszel test (``cmh``, with continuity correction when ``correct``)
    and Tarone's test of homogeneity of the odds ratios (``tarone``). NaN where undefined (e.g. no events).
    """
    n1, n2 = a + b, c + d
    n = n1 + n2
    out = {"cmh": np.nan, "cmh_p": np.nan, "tarone": np.nan, "tarone_p": np.nan}
    beta = se = np.nan
    if measure == "OR":
        P, Q = (a + d) / n, (b + c) / n
        R, S = a / n * d, b / n * c
        Rs, Ss = R.sum(), S.sum()
        if Rs > 0 and Ss > 0:
            psi = Rs / Ss
            beta = float(np.log(psi))
            se = float(
                np.sqrt(0.5 * (np.sum(P * R) / Rs**2 + np.sum(P * S + Q * R) / (Rs * Ss) + np.sum(Q * S) / Ss**2))
            )
        xt, yt = a + c, b + d
        if xt.sum() > 0 and yt.sum() > 0:
            num = (abs(np.sum(a - n1 / n * xt)) - (0.5 if correct else 0.0)) ** 2
            out["cmh"] = float(num / np.sum(n1 / n * (n2 / n) * (xt * (yt / (n - 1)))))
            out["cmh_p"] = float(stats.chi2.sf(out["cmh"], 1))
        if np.isfinite(beta):
            if psi == 1:
                n11 = n1 / n * xt
            else:
                A = psi * (n1 + xt) + (n2 - xt)
                B = np.sqrt(A**2 - 4 * n1 * xt * psi * (psi - 1))
                n11 = (A - B) / (2 * (psi - 1))
            pos = (n11 > 0) & (xt > 0) & (yt > 0)
            e11 = n11[pos]
            e12, e21 = n1[pos] - e11, xt[pos] - e11
            e22 = e11 - n1[pos] - xt[pos] + n[pos]
            w = 1 / (1 / e11 + 1 / e12 + 1 / e21 + 1 / e22)
            bd = max(0.0, float(np.sum((a[pos] - e11) ** 2 / w)))
            out["tarone"] = max(0.0, bd - float(np.sum(a[pos] - e11) ** 2 / np.sum(w)))
            kpos = int(pos.sum())
            out["tarone_p"] = float(stats.chi2.sf(out["tarone"], kpos - 1)) if kpos > 1 else np.nan
    elif measure == "RR":
        R, S = np.sum(a * (n2 / n)), np.sum(c * (n1 / n))
        if a.sum() > 0 and c.sum() > 0:
            beta = float(np.log(R / S))
            se = float(np.sqrt(np.sum(n1 / n * (n2 / n) * (a + c) - a / n * c) / (R * S)))
    else:  # RD
        den = np.sum(n1 * (n2 / n))
        beta = float(np.sum(a * (n2 / n) - c * (n1 / n)) / den)
        var = (
            beta * np.sum(c * (n1 / n) ** 2 - a * (n2 / n) ** 2 + n1 / n * (n2 / n) * (n2 - n1) / 2)
            + np.sum(a * (n2 - c) / n + c * (n1 - a) / n) / 2
        ) / den**2
        se = float(np.sqrt(var))
    out.update({"beta": beta, "se": se, **_tests(beta, se, level)})
    yi, vi = heterogeneity_yi(a, b, c, d, measure)
    out.update(_q(yi, vi, beta))
    return out


def peto_fit(a, b, c, d, level: float = 0.95) -> dict:
    """Peto's one-step pooled log odds ratio ``sum(O - E) / sum(V)`` with SE ``1 / sqrt(sum V)`` and its Q."""
    n1, n2 = a + b, c + d
    n = n1 + n2
    xt, yt = a + c, b + d
    e = xt * n1 / n
    v = xt * yt * (n1 / n) * (n2 / n) / (n - 1)
    sv = float(v.sum())
    beta = float(np.sum(a - e) / sv) if sv > 0 else np.nan
    se = float(1 / np.sqrt(sv)) if sv > 0 else np.nan
    out = {"beta": beta, "se": se, **_tests(beta, se, level)}
    pos = v > 0
    qe = (
        max(0.0, float(np.sum((a[pos] - e[pos]) ** 2 / v[pos]) - np.sum(a - e) ** 2 / np.sum(v[pos])))
        if pos.any()
        else np.nan  # no table with both events and non-events: nothing to estimate (the caller says so)
    )
    yi, _ = heterogeneity_yi(a, b, c, d, "PETO")
    k = len(yi)
    if k > 1:
        out.update(
            {
                "qe": qe,
                "qe_p": float(stats.chi2.sf(qe, k - 1)),
                "i2": max(0.0, 100 * (qe - (k - 1)) / qe) if qe > 0 else 0.0,
                "h2": qe / (k - 1),
                "k_yi": k,
            }
        )
    else:
        out.update({"qe": 0.0, "qe_p": 1.0, "i2": 0.0, "h2": 1.0, "k_yi": k})
    return out
