"""Multi-arm trials: comparisons that share a group (e.g. retro vs control and forward vs control)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError, DataWarning
from ..validators import TRIAL_ID_COLUMNS, as_float_array, check_columns, check_option, trial_id_key

__all__ = ["shared_groups", "check_multiarm", "split_shared_groups", "check_same_trial"]

def _arms(comparison: Any) -> tuple[str, str]:
    parts = str(comparison).split(" vs ")
    if len(parts) != 2:
        raise DataError(f"comparison {comparison!r} is not of the form '<arm> vs <arm>'.")
    return parts[0].strip(), parts[1].strip()


def shared_groups(
    data: pd.DataFrame, *, study: str = "study_id", comparison: str = "comparison"
) -> pd.DataFrame:
    """List the groups that appear in more than one comparison of the same study.

    Returns
    -------
    DataFrame
        Columns ``study, arm, position`` (``"first"``/``"second"`` arm of the comparison), ``n_comparisons``,
        ``rows`` (the row positions involved); empty when no group is shared.

    Examples
    --------
    >>> d = pd.DataFrame({"study_id": ["a", "a", "b"],
    ...                   "comparison": ["retro vs control", "forward vs control", "retro vs control"]})
    >>> shared_groups(d)[["study", "arm", "n_comparisons"]].values.tolist()
    [['a', 'control', 2]]
    """
    check_columns(data, [study, comparison])
    rec = []
    for pos, (s, c) in enumerate(zip(data[study], data[comparison])):
        a1, a2 = _arms(c)
        rec += [(str(s), a1, "first", pos), (str(s), a2, "second", pos)]
    tab = pd.DataFrame(rec, columns=["study", "arm", "position", "row"])
    out = []
    for (s, arm), grp in tab.groupby(["study", "arm"], sort=True):
        if len(grp) > 1:
            pos = (
                "second"
                if (grp["position"] == "second").all()
                else ("first" if (grp["position"] == "first").all() else "mixed")
            )
            out.append(
                {
                    "study": s,
                    "arm": arm,
                    "position": pos,
                    "n_comparisons": len(grp),
                    "rows": tuple(int(r) for r in grp["row"]),
                }
            )
    return pd.DataFrame(out, columns=["study", "arm", "position", "n_comparisons", "rows"])


def check_multiarm(
    data: pd.DataFrame,
    *,
    multiarm: str = "warn",
    study: str = "study_id",
    comparison: str = "comparison",
    stacklevel: int = 2,
) -> None:
    """Warn about (or refuse) comparisons that share a group; silent when the columns are absent."""
    if study not in data.columns or comparison not in data.columns:
        return
    sg = shared_groups(data, study=study, comparison=comparison)
    if "multiarm_note" in data.columns:  # already handled by split_shared_groups()
        done = {
            i for i, note in enumerate(data["multiarm_note"]) if isinstance(note, str) and "split" in note
        }
        sg = sg[[not set(r).issubset(done) for r in sg["rows"]]]
    if sg.empty:
        return
    what = "; ".join(
        f"study {r.study!r}: group {r.arm!r} is used by {r.n_comparisons} comparisons (rows {list(r.rows)})"
        for r in sg.itertuples()
    )
    msg = (
        f"multi-arm trials double count a shared group: {what}. Split the shared group first with "
        "retrostats.meta.split_shared_groups(...) (Cochrane Handbook 23.3.4), or pass multiarm='ignore'."
    )
    if multiarm == "raise":
        raise DataError(msg)
    warnings.warn(msg, DataWarning, stacklevel=stacklevel + 1)


def split_shared_groups(
    data: pd.DataFrame,
    *,
    measure: str = "MD",
    m1: str = "m1",
    sd1: str = "sd1",
    n1: str = "n1",
    m2: str = "m2",
    sd2: str = "sd2",
    n2: str = "n2",
    study: str = "study_id",
    comparison: str = "comparison",
) -> pd.DataFrame:
    """Split a shared group's sample size evenly among the comparisons that use it and recompute yi, vi.

    Parameters
    ----------
    data : DataFrame
        One row per comparison, with arm-level summaries (``m1, sd1, n1`` for the first arm of
        ``comparison``, ``m2, sd2, n2`` for the second) and ``study_id``, ``comparison`` (``"retro vs
        control"``).
    measure : {"MD", "SMD"}
        Recomputed with metafor's ``escalc`` formulas (SMD: Hedges' g with the exact correction, default
        ``vtype="LS"``).

    Returns
    -------
    DataFrame
        A copy with the split sizes, recomputed ``yi, vi`` and a ``multiarm_note`` column saying what
        was done.

    Warns
    -----
    DataWarning
        Naming each study and group that was split (an explicit message, as the Cochrane Handbook asks).

    Notes
    -----
    Cochrane Handbook v6.5, section 23.3.4 (splitting the shared group). The means and SDs are unchanged, so
    only the precision of each comparison is reduced; the residual correlation between the comparisons is
    ignored, which is conservative.

    Examples
    --------
    >>> d = pd.DataFrame({"study_id": ["a", "a"], "comparison": ["retro vs control", "forward vs control"],
    ...                   "m1": [2.0, 3.0], "sd1": [1.0, 1.0], "n1": [10, 10],
    ...                   "m2": [4.0, 4.0], "sd2": [1.0, 1.0], "n2": [20, 20]})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     out = split_shared_groups(d)
    >>> out["n2"].tolist(), out["vi"].round(3).tolist()
    ([10.0, 10.0], [0.2, 0.2])
    """
    from scipy.special import gammaln

    check_option("measure", measure, ["MD", "SMD"])
    check_columns(data, [m1, sd1, n1, m2, sd2, n2, study, comparison])
    out = data.reset_index(drop=True).copy()
    labels = [str(s) for s in out[study]]
    nn1 = as_float_array(n1, out[n1], labels=labels, positive=True)
    nn2 = as_float_array(n2, out[n2], labels=labels, positive=True)
    notes = [""] * len(out)
    sg = shared_groups(out, study=study, comparison=comparison)
    msgs = []
    for r in sg.itertuples():
        for row in r.rows:
            first = _arms(out.loc[row, comparison])[0] == r.arm
            arr = nn1 if first else nn2
            old = arr[row]
            arr[row] = old / r.n_comparisons
            notes[row] += (
                f"group {r.arm!r} (n={old:g}) shared by {r.n_comparisons} comparisons: "
                f"n split to {arr[row]:g}. "
            )
        msgs.append(f"study {r.study!r}: group {r.arm!r} split among {r.n_comparisons} comparisons")
    x1 = as_float_array(m1, out[m1], labels=labels)
    x2 = as_float_array(m2, out[m2], labels=labels)
    s1 = as_float_array(sd1, out[sd1], labels=labels, positive=True)
    s2 = as_float_array(sd2, out[sd2], labels=labels, positive=True)
    if measure == "MD":
        yi = x1 - x2
        vi = s1**2 / nn1 + s2**2 / nn2
    else:
        mdf = nn1 + nn2 - 2
        cmm = np.exp(gammaln(mdf / 2) - 0.5 * np.log(mdf / 2) - gammaln((mdf - 1) / 2))
        sp = np.sqrt(((nn1 - 1) * s1**2 + (nn2 - 1) * s2**2) / mdf)
        yi = cmm * (x1 - x2) / sp
        vi = 1 / nn1 + 1 / nn2 + yi**2 / (2 * (nn1 + nn2))
    out[n1], out[n2], out["yi"], out["vi"] = nn1, nn2, yi, vi
    out["multiarm_note"] = [s.strip() for s in notes]
    if msgs:
        warnings.warn(
            "shared groups split (Cochrane Handbook 23.3.4): " + "; ".join(msgs) + ".",
            DataWarning,
            stacklevel=2,
        )
    return out


def check_same_trial(data: pd.DataFrame, *, study: str = "study_id") -> None:
    """Refuse one trial entered under several study ids (the same DOI or registration id).

    Pooling such rows counts the trial twice. Rows with an empty ``doi``/``registration`` are not compared.

    Raises
    ------
    DataError
        Naming the shared identifier and the study ids that carry it.

    Examples
    --------
    >>> d = pd.DataFrame({"study_id": ["a2020", "b2021"], "doi": ["10.1/x", "https://doi.org/10.1/X"]})
    >>> check_same_trial(d)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    retrostats.exceptions.DataError: one trial appears under several study ids: doi '10.1/x' is shared by ...
    """
    if study not in data.columns:
        return
    for col in TRIAL_ID_COLUMNS:
        if col not in data.columns:
            continue
        seen: dict[str, set[str]] = {}
        for sid, val in zip(data[study], data[col]):
            key = trial_id_key(val)
            if key is not None and not pd.isna(sid):
                seen.setdefault(key, set()).add(str(sid))
        clash = {k: sorted(v) for k, v in seen.items() if len(v) > 1}
        if clash:
            key, ids = next(iter(sorted(clash.items())))
            more = f" (and {len(clash) - 1} more)" if len(clash) > 1 else ""
            raise DataError(
                f"one trial appears under several study ids: {col} {key!r} is shared by {ids}{more}; keep "
                "one study id per trial (drop or merge the duplicate rows)."
            )
