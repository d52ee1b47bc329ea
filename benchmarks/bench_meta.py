"""Benchmark: retrostats.meta against statsmodels and metafor (timed inside R), side by side in one run.

Jobs, each at several sizes with the fitted growth exponent of time on size:

* one fit (REML, z) at k = 10, 100, 1000: ``meta_analysis`` vs metafor ``rma`` (R) and statsmodels
  ``combine_effects`` (its default Paule-Mandel iteration; ours with ``method="PM"`` beside it);
* a batch of independent fits (REML + Knapp-Hartung, k = 10 each): ``meta_analysis(data, by=...)`` for
  1,000 / 3,000 / 10,000 groups vs a loop of metafor ``rma`` in R and of statsmodels ``combine_effects``
  (the loops timed on 200 groups and scaled, stated as such);
* leave-one-out (REML) at k = 100, 300, 1000, 4000 vs metafor ``leave1out`` at k = 100 and 300;
* cumulative (k = 100) and a 1,000-permutation test (k = 100) vs ``cumul`` / ``permutest``.

Both sides run the same loop (``repeats`` x ``number`` calls) and report the minimum and median per call
(see ``_common.py``); the ratio is of minima (anchor / ours, > 1 means we are faster). The machine's load is
printed on every line. Run: ``python benchmarks/bench_meta.py`` (needs Rscript with metafor and jsonlite).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HEADER, exponent, load, row, run_r, timed, timed_many  # noqa: E402

import retrostats as rs  # noqa: E402

SINGLE_K = (10, 100, 1000)
BATCH_GROUPS = (1_000, 3_000, 10_000)
LOO_K = (100, 300, 1000, 4000)
R_LOO_K = (100, 300)


def data(k: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 0.2, k)
    return rng.normal(0.3, np.sqrt(vi + 0.05)), vi


def single_fits() -> None:
    from statsmodels.stats.meta_analysis import combine_effects

    frames, ours, ours_pm, sm = {}, {}, {}, {}
    for k in SINGLE_K:
        y, v = data(k)
        frames[f"d{k}"] = pd.DataFrame({"yi": y, "vi": v})
        number = {10: 200, 100: 100, 1000: 20}[k]
        got = timed_many(
            {
                "reml": lambda y=y, v=v: rs.meta_analysis(yi=y, vi=v),
                "pm": lambda y=y, v=v: rs.meta_analysis(yi=y, vi=v, method="PM"),
                "sm": lambda y=y, v=v: combine_effects(y, v),
            },
            number,
            15,
        )
        ours[k], ours_pm[k], sm[k] = got["reml"], got["pm"], got["sm"]
    body = "suppressPackageStartupMessages(library(metafor))\nout <- list()\n"
    for k in SINGLE_K:
        number = {10: 50, 100: 20, 1000: 1}[k]
        repeats = 7 if k < 1000 else 3
        body += (
            f'out[["{k}"]] <- tm(function() rma(yi, vi, data = d{k}, method = "REML"), {number}, {repeats})\n'
            f'out[["est{k}"]] <- c(rma(yi, vi, data = d{k}, method = "REML")$beta)\n'
        )
    body += "cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA))\n"
    r = run_r(body, frames)
    print("\n== one fit (REML, z) ==")
    print(HEADER)
    for k in SINGLE_K:
        y, v = data(k)
        est = rs.meta_analysis(yi=y, vi=v).estimate
        assert abs(est - r[f"est{k}"]) < 1e-6 * max(1.0, abs(est)), (est, r[f"est{k}"])
        print(row(f"meta_analysis REML k={k}", ours[k], r[str(k)], "metafor rma (R)"))
        print(row(f"meta_analysis PM k={k}", ours_pm[k], sm[k], "statsmodels combine_effects"))
        print(row(f"meta_analysis REML k={k}", ours[k], sm[k], "statsmodels combine_effects"))
    print(
        f"growth exponent: ours REML {exponent(SINGLE_K, [ours[k]['min'] for k in SINGLE_K]):.2f}, "
        f"metafor {exponent(SINGLE_K, [r[str(k)]['min'] for k in SINGLE_K]):.2f}, "
        f"statsmodels {exponent(SINGLE_K, [sm[k]['min'] for k in SINGLE_K]):.2f}"
    )


def batch() -> None:
    from statsmodels.stats.meta_analysis import combine_effects

    k, loop_groups = 10, 200
    rng = np.random.default_rng(5)
    ours = {}
    for g in BATCH_GROUPS:
        v = rng.uniform(0.01, 0.2, (g, k))
        y = rng.normal(0.3, np.sqrt(v + 0.05))
        d = pd.DataFrame({"rep": np.repeat(np.arange(g), k), "yi": y.ravel(), "vi": v.ravel()})
        ours[g] = timed(lambda d=d: rs.meta_analysis(d, by="rep", method="REML", test="knha"), 1, 5)
    v = rng.uniform(0.01, 0.2, (loop_groups, k))
    y = rng.normal(0.3, np.sqrt(v + 0.05))

    def sm_loop() -> None:
        for i in range(loop_groups):
            combine_effects(y[i], v[i])

    sm = timed(sm_loop, 1, 5)
    frame = pd.DataFrame({"rep": np.repeat(np.arange(loop_groups), k), "yi": y.ravel(), "vi": v.ravel()})
    body = (
        "suppressPackageStartupMessages(library(metafor))\n"
        "s <- split(d, d$rep)\n"
        "ctl <- list(stepadj = 0.5, maxiter = 1000)  # metafor's remedy when Fisher scoring does not converge\n"
        'out <- list(loop = tm(function() for (g in s) rma(yi, vi, data = g, method = "REML", test = "knha",'
        " control = ctl), 1, 5))\n"
        "cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA))\n"
    )
    r = run_r(body, {"d": frame})
    print(f"\n== batch: independent meta-analyses of k = {k} (REML + Knapp-Hartung) ==")
    print(HEADER)
    for g in BATCH_GROUPS:
        scale = g / loop_groups
        r_g = {key: r["loop"][key] * scale for key in ("min", "median")}
        sm_g = {key: sm[key] * scale for key in ("min", "median")}
        print(row(f"by= {g:,} groups", ours[g], r_g, f"metafor loop x{scale:g} (R)"))
        print(row(f"by= {g:,} groups", ours[g], sm_g, f"statsmodels loop x{scale:g}"))
    print(f"growth exponent (ours, groups): {exponent(BATCH_GROUPS, [ours[g]['min'] for g in BATCH_GROUPS]):.2f}")


def leave_one_out() -> None:
    ours, frames = {}, {}
    for k in LOO_K:
        y, v = data(k, seed=2)
        res = rs.meta_analysis(yi=y, vi=v)
        ours[k] = timed(res.leave_one_out, 1, 3 if k < 4000 else 2)
        if k in R_LOO_K:
            frames[f"d{k}"] = pd.DataFrame({"yi": y, "vi": v})
    body = "suppressPackageStartupMessages(library(metafor))\nout <- list()\n"
    for k in R_LOO_K:
        body += (
            f'res{k} <- rma(yi, vi, data = d{k}, method = "REML")\n'
            f'out[["{k}"]] <- tm(function() leave1out(res{k}), 1, 3)\n'
        )
    body += "cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA))\n"
    r = run_r(body, frames)
    print("\n== leave-one-out (REML) ==")
    print(HEADER)
    for k in LOO_K:
        print(row(f"leave_one_out k={k}", ours[k], r.get(str(k)), "metafor leave1out (R)"))
    print(
        f"growth exponent: ours {exponent(LOO_K, [ours[k]['min'] for k in LOO_K]):.2f}, "
        f"metafor {exponent(R_LOO_K, [r[str(k)]['min'] for k in R_LOO_K]):.2f} (k = {R_LOO_K})"
    )


def cumulative_and_permutation() -> None:
    y, v = data(100)
    res = rs.meta_analysis(yi=y, vi=v)
    ours_c = timed(res.cumulative, 1, 5)
    ours_p = timed(lambda: res.permutation_test(n_perm=1000, seed=1), 1, 3)
    body = (
        "suppressPackageStartupMessages(library(metafor))\n"
        'res <- rma(yi, vi, data = d, method = "REML")\n'
        "out <- list(cumul = tm(function() cumul(res), 1, 5),\n"
        "            perm = tm(function() invisible(capture.output(permutest(res, iter = 1000))), 1, 1))\n"
        "cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA))\n"
    )
    r = run_r(body, {"d": pd.DataFrame({"yi": y, "vi": v})})
    print("\n== cumulative and permutation (k = 100, REML) ==")
    print(HEADER)
    print(row("cumulative k=100", ours_c, r["cumul"], "metafor cumul (R)"))
    print(row("permutation_test 1000, k=100", ours_p, r["perm"], "metafor permutest (R)"))


def main() -> None:
    t0 = time.perf_counter()
    print(f"retrostats {rs.__version__}; {load()}; times per call (min and median of repeats)")
    jobs = {"single": single_fits, "batch": batch, "loo": leave_one_out, "other": cumulative_and_permutation}
    chosen = sys.argv[1:] or list(jobs)
    for name in chosen:
        jobs[name]()
    print(f"\nbenchmark wall time {time.perf_counter() - t0:.0f} s; {load()}")


if __name__ == "__main__":
    main()
