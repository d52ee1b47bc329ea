"""The analytic power result and the shared solver: give all but one of effect size, n, power."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._display import ResultDisplay, Summary, fmt_num
from ..kernels.power import solve_increasing
from ..provenance import Provenance, make_provenance
from ..validators import check_alternative, check_interval, check_probability

__all__ = ["PowerResult", "solve_design", "check_inputs"]

_N_MAX = 1e9  # as pwr's uniroot interval


@dataclass(frozen=True)
class PowerResult(ResultDisplay):
    """An analytic power / sample-size calculation.

    Attributes
    ----------
    effect_size : float
        Standardised effect (mean difference over the outcome SD; for the designs with a margin, the
        difference from the margin). Negative under ``alternative="less"``.
    n : float
        Participants analysed in group 1 (unrounded, as pwr reports it).
    n2 : float
        Participants analysed in group 2, ``ratio * n``.
    power, alpha : float
    alternative : str
        ``"two-sided"``, ``"less"`` or ``"greater"``.
    ratio : float
        Allocation ratio ``n2 / n``.
    solved_for : str
        ``"effect_size"``, ``"n"``, ``"power"`` or ``"alpha"``.
    design : str
        Which calculation (``"two-sample t-test"``, ``"ANCOVA"``, ...).
    method : str
        The formula used, with its reference.
    parameters : dict
        Further assumptions (correlation, dropout, margin, ...).
    provenance : Provenance
    """

    effect_size: float
    n: float
    n2: float
    power: float
    alpha: float
    alternative: str
    ratio: float
    solved_for: str
    design: str = "two-sample t-test"
    method: str = "noncentral t (as R pwr.t.test / pwr.t2n.test)"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    provenance: Provenance | None = None

    @property
    def is_grid(self) -> bool:
        """True when array arguments made this a grid of calculations (fields are then arrays)."""
        return np.ndim(self.n) > 0

    @staticmethod
    def _ceil(x) -> Any:
        if np.ndim(x) > 0:
            return np.ceil(np.asarray(x) - 1e-9).astype(int)
        return int(math.ceil(x - 1e-9))

    @property
    def n_per_arm(self) -> Any:
        """Group-1 size rounded up to a whole participant (an int array for a grid)."""
        return self._ceil(self.n)

    @property
    def n_total(self) -> Any:
        """Whole participants analysed in both groups (each rounded up)."""
        return self.n_per_arm + self._ceil(self.n2)

    @property
    def n_recruit_per_arm(self) -> Any:
        """Group-1 participants to randomise, inflated for the ``dropout`` in ``parameters`` (if any)."""
        drop = self.parameters.get("dropout", 0.0)
        drop = np.asarray(drop, dtype=float) if np.ndim(drop) else float(drop or 0.0)
        return self._ceil(self.n / (1.0 - drop))

    def sentence(self) -> str:
        """The sample-size sentence a grant or protocol needs."""
        if self.is_grid:
            raise ValueError(
                "sentence() describes one calculation; this result is a grid. Call it with scalars, or use "
                "to_frame() for the grid."
            )
        tail = {"two-sided": "two-sided", "less": "one-sided", "greater": "one-sided"}[self.alternative]
        shown = ("r", "margin", "adjustment", "n_visits", "retention_last")
        extra = "; ".join(
            f"{k} = {v:g}" if isinstance(v, (int, float)) else f"{k} = {v}"
            for k, v in self.parameters.items()
            if k in shown
        )
        extra = f" ({extra})" if extra else ""
        drop = float(self.parameters.get("dropout", 0.0) or 0.0)
        rec = ""
        if drop > 0 and self.design != "MMRM (last visit)":
            rec = (
                f" Allowing for {drop:.0%} attrition, {self.n_recruit_per_arm} will be randomised to group 1."
            )
        if self.parameters.get("type") in ("one-sample", "paired"):
            unit = "pairs" if self.parameters["type"] == "paired" else "participants"
            return (
                f"With {self.n_per_arm} {unit} analysed, the {self.design} has {self.power:.0%} power to "
                f"detect a standardised effect of {abs(self.effect_size):.2f} at a {tail} alpha of "
                f"{self.alpha:g}."
            )
        return (
            f"With {self.n_per_arm} participants analysed in group 1 and "
            f"{int(math.ceil(self.n2 - 1e-9))} in group 2, the {self.design}{extra} has {self.power:.0%} "
            f"power to detect a standardised effect of {abs(self.effect_size):.2f} at a {tail} alpha of "
            f"{self.alpha:g}.{rec}"
        )

    def to_script(self) -> str:
        """Python code that recomputes this calculation (the same function and inputs, solving for the
        same quantity) and prints the result.

        Examples
        --------
        >>> import retrostats as rs
        >>> res = rs.power_ancova(effect_size=0.5, power=0.8, r=0.5, dropout=0.1)
        >>> ns = {}
        >>> exec(res.to_script(), ns)  # doctest: +ELLIPSIS
        n per arm ...
        >>> ns["res"].n == res.n
        True
        """
        from .._scripts import call_arguments, literal, render_script

        if self.provenance is None:
            raise ValueError("this result has no provenance (made by hand?); nothing to recompute from.")
        try:
            func, kwargs = call_arguments(self.provenance.call)
        except ValueError:
            raise ValueError(
                f"this result's recorded call cannot be replayed (an array input is abbreviated): "
                f"{self.provenance.call}"
            ) from None
        if self.solved_for in kwargs:
            kwargs[self.solved_for] = None
        args = ", ".join(f"{k}={literal(v)}" for k, v in kwargs.items())
        return render_script(
            f"a sample-size / power calculation ({self.design}, solved for {self.solved_for})",
            [
                f"res = rs.{func}({args})",
                'print(f"n per arm {res.n:.6f} (round up: {res.n_per_arm}), power {res.power:.6f}, '
                'effect size {res.effect_size:.6f}")',
                "print(res.sentence())",
            ],
            checks=[
                f"reported = {{'n': {float(self.n)!r}, 'power': {float(self.power)!r}, "
                f"'effect_size': {float(self.effect_size)!r}}}",
            ],
        )

    def to_frame(self) -> pd.DataFrame:
        """One tidy row at full precision (one row per grid point for a grid, in C order)."""
        if self.is_grid:
            shape = np.shape(self.n)
            cols = {
                "design": self.design,
                "solved_for": self.solved_for,
                **{
                    k: np.broadcast_to(getattr(self, k), shape).ravel()
                    for k in ("effect_size", "n", "n2", "n_per_arm", "n_total", "power", "alpha")
                },
                "alternative": self.alternative,
                "ratio": np.broadcast_to(self.ratio, shape).ravel(),
            }
            for k, v in self.parameters.items():
                cols[k] = np.broadcast_to(v, shape).ravel() if np.ndim(v) else v
            if "dropout" in self.parameters:
                cols["n_recruit_per_arm"] = np.broadcast_to(self.n_recruit_per_arm, shape).ravel()
            return pd.DataFrame(cols)
        row = {
            "design": self.design,
            "solved_for": self.solved_for,
            "effect_size": self.effect_size,
            "n": self.n,
            "n2": self.n2,
            "n_per_arm": self.n_per_arm,
            "n_total": self.n_total,
            "power": self.power,
            "alpha": self.alpha,
            "alternative": self.alternative,
            "ratio": self.ratio,
        }
        row.update({k: v for k, v in self.parameters.items() if np.ndim(v) == 0})
        if "dropout" in self.parameters:
            row["n_recruit_per_arm"] = self.n_recruit_per_arm
        return pd.DataFrame([row])

    def summary(self) -> Summary:
        """Display object (text/HTML/Markdown/LaTeX)."""
        if self.is_grid:
            frame = self.to_frame()
            header = [
                ("design", self.design),
                ("method", self.method),
                ("solved for", self.solved_for),
                ("grid", " x ".join(str(s) for s in np.shape(self.n)) + f" = {len(frame)} calculations"),
                (
                    self.solved_for,
                    f"{fmt_num(float(frame[self.solved_for].min()))} to "
                    f"{fmt_num(float(frame[self.solved_for].max()))}",
                ),
            ]
            return Summary(title=f"Power grid: {self.design}", header=header, notes=["to_frame() lists every point."])
        header = [
            ("design", self.design),
            ("method", self.method),
            ("solved for", self.solved_for),
            ("effect size", fmt_num(self.effect_size)),
            ("n (group 1)", fmt_num(self.n, 2)),
            ("n2 (group 2)", fmt_num(self.n2, 2)),
            ("power", fmt_num(self.power)),
            ("alpha", f"{self.alpha:g}"),
            ("alternative", self.alternative),
            ("ratio", f"{self.ratio:g}"),
        ]
        header += [(k, str(v)) for k, v in self.parameters.items()]
        return Summary(title=f"Power: {self.design}", header=header, notes=[self.sentence()])

    def __str__(self) -> str:
        return self.summary().as_text()


def check_inputs(effect_size, n, power, alpha, alternative, ratio) -> tuple:
    """Validate the common arguments; exactly one of effect_size, n, power must be None."""
    missing = [k for k, v in (("effect_size", effect_size), ("n", n), ("power", power)) if v is None]
    if len(missing) != 1:
        given = "none of them" if not missing else " and ".join(missing)
        raise ValueError(
            "exactly one of effect_size, n and power must be None (it is solved for); "
            f"{'you left ' + given + ' unset' if missing else 'you gave all three'}. "
            "Leave out the one quantity to solve for."
        )
    alternative = check_alternative(alternative)
    alpha = check_probability("alpha", alpha)
    ratio = check_interval("ratio", ratio, 0.0, None, low_inclusive=False)
    if not math.isfinite(ratio):
        raise ValueError(f"ratio must be finite; got {ratio!r}.")
    if power is not None:
        power = check_probability("power", power)
        if power <= alpha:
            raise ValueError(
                f"power must exceed alpha: a test has power alpha ({alpha:g}) when there is no effect, so "
                f"power = {power:g} cannot be planned for. Use a power above {alpha:g} (usually 0.8 or 0.9)."
            )
    if effect_size is not None:
        effect_size = check_interval("effect_size", effect_size)
        if not math.isfinite(effect_size):
            raise ValueError(f"effect_size must be finite; got {effect_size!r}.")
        if (alternative == "greater" and effect_size < 0) or (alternative == "less" and effect_size > 0):
            want = "positive" if alternative == "greater" else "negative"
            other = "less" if alternative == "greater" else "greater"
            raise ValueError(
                f"effect_size = {effect_size:g} contradicts alternative={alternative!r}, which expects a "
                f"{want} effect. Flip the sign of effect_size or use alternative={other!r} "
                "(or 'two-sided')."
            )
    if n is not None:
        n = check_interval("n", n, 0.0, None, low_inclusive=False)
        if not math.isfinite(n):
            raise ValueError(f"n must be finite; got {n!r}.")
    return effect_size, n, power, alpha, alternative, ratio, missing[0]


def solve_design(
    power_fn: Callable[[float, float], float],
    *,
    effect_size: float | None,
    n: float | None,
    power: float | None,
    alpha: float,
    alternative: str,
    ratio: float,
    solved_for: str,
    n_min: float,
    design: str,
    method: str,
    parameters: Mapping[str, Any],
    function: str,
    effect_max: float = 1e3,
    call: Mapping[str, Any] | None = None,
    zero_effect_ok: bool = False,
) -> PowerResult:
    """Solve ``power_fn(effect_size, n) = power`` for the missing quantity and build the result.

    ``power_fn`` must be increasing in ``n`` and in ``|effect_size|`` (in the direction of the
    alternative). ``n_min`` is the smallest group-1 size for which the test exists. ``zero_effect_ok``: a
    true difference of 0 can be planned for (an equivalence trial's power still grows with ``n``).
    """
    if n is not None and n < n_min:
        raise ValueError(f"n must be at least {n_min:g} for this design (group 1); got {n:g}.")
    if solved_for == "power":
        power = float(power_fn(effect_size, n))
    elif solved_for == "n":
        if effect_size == 0 and not zero_effect_ok:
            raise ValueError(
                "effect_size is 0: no sample size gives power above alpha. Give a non-zero effect_size."
            )
        lo = n_min * (1 + 1e-10)
        if power_fn(effect_size, lo) >= power:
            raise ValueError(
                f"power {power:g} is reached already at the smallest possible n ({n_min:g} in group 1); "
                f"effect_size = {effect_size:g} is very large. Check the effect size (it is standardised)."
            )
        n = solve_increasing(lambda x: float(power_fn(effect_size, x)), power, lo, _N_MAX)
        if n is None:
            raise ValueError(
                f"power {power:g} is not reached with n up to {_N_MAX:g} per group for "
                f"effect_size = {effect_size:g}; the effect is too small to detect."
            )
    else:
        sign = -1.0 if alternative == "less" else 1.0
        e = solve_increasing(lambda x: float(power_fn(sign * x, n)), power, 1e-10, effect_max)
        if e is None:
            raise ValueError(
                f"power {power:g} is not reached for any effect size with n = {n:g}; increase n."
            )
        effect_size = sign * e
    params = dict(parameters)
    prov = make_provenance(
        function,
        {
            "effect_size": effect_size,
            "n": n,
            "power": power,
            "alpha": alpha,
            "alternative": alternative,
            "ratio": ratio,
            **(params if call is None else dict(call)),
        },
        [effect_size, n, power, alpha, ratio],
    )
    return PowerResult(
        effect_size=float(effect_size),
        n=float(n),
        n2=float(ratio * n),
        power=float(power),
        alpha=alpha,
        alternative=alternative,
        ratio=ratio,
        solved_for=solved_for,
        design=design,
        method=method,
        parameters=params,
        provenance=prov,
    )
