"""The reproduce pipeline: an ordered list of steps, each writing tables, numbers, figures and report sections.

Every step is deterministic (no clocks, no unseeded randomness), so a second run writes identical files.
A step is a function decorated with :func:`step` in the module of its paper section under
``retrostats/report/steps/``; ``retrostats.report.steps.STEPS`` lists them in the order of the paper, and
that list is the order of execution (a name that is not there is an error, never a silent skip).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Context", "Step", "step", "steps", "check_steps", "reproduce", "MANIFEST", "PAPER_FIGURES",
           "resolve_only"]

#: written last into every reproduce folder: the files and their SHA-256 (a folder without it is incomplete)
MANIFEST = "MANIFEST.json"

#: The paper's figures: number -> (the step that draws it, the file stem it writes under figures/).
#: ``reproduce(only=["fig05"])`` (``retrostats reproduce --only fig05``) runs that step.
PAPER_FIGURES: dict[str, tuple[str, str]] = {
    "fig01": ("evidence_map", "fig01_evidence_map"),
    "fig02": ("reviews", "fig02_published_reviews"),
    "fig03": ("registry_effects", "fig03_registry_effects"),
    "fig04": ("synthetic_meta", "fig04_forest_synthetic"),
    "fig05": ("synthetic_meta", "fig05_funnel_synthetic"),
    "fig06": ("synthetic_meta", "fig06_leave_one_out_synthetic"),
    "fig07": ("bayes", "fig07_posterior_synthetic"),
    "fig08": ("bayes", "fig08_shrinkage_synthetic"),
    "fig09": ("planning", "fig09_power_curves"),
    "fig10": ("planning", "fig10_assurance"),
    "fig11": ("participants", "fig11_raincloud"),
    "fig12": ("participants", "fig12_prepost"),
    "fig13": ("participants", "fig13_mmrm_trajectories"),
    "fig14": ("rob", "fig14_rob_traffic_light"),
    "fig15": ("rob", "fig15_rob_summary"),
    "fig16": ("registry_meta", "fig16_registry_pain_forest"),
    "fig17": ("registry_meta", "fig17_registry_pain_posterior"),
}
_GENERATOR = "retrostats reproduce"


@dataclass
class Context:
    """What steps share: the output folders, the collected numbers and the report's sections."""

    out: Path
    quick: bool = False
    numbers: dict[str, Any] = field(default_factory=dict)
    sections: list[tuple[str, str]] = field(default_factory=list)  # (title, html)
    files: list[Path] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def tables(self) -> Path:
        """Folder of CSV tables."""
        p = self.out / "tables"
        p.mkdir(parents=True, exist_ok=True)
        return p

    @property
    def figures(self) -> Path:
        """Folder of figures."""
        p = self.out / "figures"
        p.mkdir(parents=True, exist_ok=True)
        return p

    def write_table(self, name: str, df: pd.DataFrame, *, index: bool = False) -> Path:
        """Write a CSV table deterministically (10 significant digits, newline line ends)."""
        path = self.tables / f"{name}.csv"
        df.to_csv(path, index=index, lineterminator="\n", float_format="%.10g")
        self.files.append(path)
        return path

    def number(self, key: str, value: Any) -> Any:
        """Record a number for the paper (``numbers.json`` and ``numbers.tex``)."""
        if hasattr(value, "item"):
            value = value.item()
        self.numbers[key] = value
        return value

    def section(self, title: str, html: str) -> None:
        """Add a section to the HTML report."""
        self.sections.append((title, html))


@dataclass(frozen=True)
class Step:
    """One step of the pipeline, made by :func:`step`; calling it runs it on a :class:`Context`.

    Attributes
    ----------
    name : str
        What ``--only`` and the progress lines call it.
    func : callable
        ``func(ctx)`` writes the step's tables, numbers, figures and report section.
    description : str
        One line for the progress output.
    needs : tuple of str
        Earlier steps whose ``ctx.cache`` entries it reads (they run in the same worker, before it).
    cost : float
        Expected seconds of a ``--quick`` run on a quiet two-core machine; the scheduler starts the most
        expensive chains of steps first, so that two workers finish at about the same time.
    gather : bool
        The step reads what every other step recorded (the figure list, the numbers): it runs last, in the
        main process, after the workers' results are merged.
    """

    name: str
    func: Callable[[Context], None]
    description: str = ""
    needs: tuple[str, ...] = ()
    cost: float = 1.0
    gather: bool = False

    def __call__(self, ctx: Context) -> None:
        """Run the step on ``ctx``."""
        self.func(ctx)


def step(
    name: str, description: str = "", *, needs: tuple[str, ...] = (), cost: float = 1.0, gather: bool = False
) -> Callable[[Callable[[Context], None]], Step]:
    """Make a function a pipeline :class:`Step` (decorator); list it in ``retrostats.report.steps.STEPS``.

    The decorated name is the :class:`Step` (still callable with a context); the order of the steps is the
    order of that list, nothing else.
    """
    def deco(func: Callable[[Context], None]) -> Step:
        text = description or (func.__doc__ or "").strip().splitlines()[0]
        return Step(name, func, text, tuple(needs), float(cost), bool(gather))

    return deco


def check_steps(listed: Any) -> list[Step]:
    """The steps of ``listed`` after checking them: each a :class:`Step`, names unique, every ``needs`` an
    earlier step, gathering steps last.

    Raises
    ------
    TypeError
        An entry is not a :class:`Step` (a plain function: decorate it with :func:`step`).
    ValueError
        Two steps share a name, a step needs one that is not listed before it, or a gathering step is
        followed by an ordinary one.

    Examples
    --------
    >>> a = step("a", "first")(lambda ctx: None)
    >>> b = step("b", "second", needs=("a",))(lambda ctx: None)
    >>> [s.name for s in check_steps([a, b])]
    ['a', 'b']
    >>> check_steps([b, a])
    Traceback (most recent call last):
    ...
    ValueError: reproduce step 'b' needs ['a'], which are not listed before it.
    """
    out: list[Step] = []
    for i, s in enumerate(listed):
        if not isinstance(s, Step):
            raise TypeError(f"reproduce step #{i + 1} is {s!r}, not a Step; decorate its function with "
                            "@step(name, description) in its module under retrostats/report/steps/.")
        seen = [t.name for t in out]
        if s.name in seen:
            raise ValueError(f"two reproduce steps are named {s.name!r}; rename one.")
        missing = [n for n in s.needs if n not in seen]
        if missing:
            raise ValueError(f"reproduce step {s.name!r} needs {missing}, which are not listed before it.")
        if out and out[-1].gather and not s.gather:
            raise ValueError(f"reproduce step {s.name!r} is listed after the gathering step {out[-1].name!r}; "
                             "gathering steps read what every other step recorded, so they come last.")
        out.append(s)
    return out


def steps() -> list[Step]:
    """The steps of ``retrostats reproduce``, in order (``retrostats.report.steps.STEPS``, checked)."""
    from .steps import STEPS

    return check_steps(STEPS)


_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _write_numbers(ctx: Context) -> None:
    path = ctx.out / "numbers.json"
    path.write_text(json.dumps(ctx.numbers, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    ctx.files.append(path)
    tex = ctx.out / "numbers.tex"
    lines = ["% generated by `retrostats reproduce`; do not edit"]
    seen: dict[str, str] = {}
    for k in sorted(ctx.numbers):
        # TeX macro names are letters only: digits are spelled out so that q025 and q975 stay distinct
        spelled = "".join(f"_{_DIGITS[int(ch)]}_" if ch in "0123456789" else ch for ch in k)
        macro = "".join(part.capitalize() for part in spelled.replace("-", "_").split("_") if part)
        macro = "".join(ch for ch in macro if ch.isalpha())
        if macro in seen:
            raise ValueError(f"numbers {seen[macro]!r} and {k!r} give the same TeX macro \\rs{macro}; "
                             "rename one.")
        seen[macro] = k
        lines.append(f"\\newcommand{{\\rs{macro}}}{{{ctx.numbers[k]}}}")
    tex.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ctx.files.append(tex)


def _run_steps(names: list[str], out: Path, quick: bool, where: str = "main process") -> list[dict[str, Any]]:
    """Run a chain of steps (in a worker process or this one), sharing one cache; return what each recorded."""
    by_name = {s.name: s for s in steps()}
    cache: dict[str, Any] = {}
    parts = []
    for name in names:
        ctx = Context(out=out, quick=quick, cache=cache)
        before = {k: (len(v) if isinstance(v, list) else None) for k, v in cache.items()}
        t0, c0 = time.perf_counter(), time.process_time()
        by_name[name](ctx)
        new = {k: (v[before.get(k) or 0:] if isinstance(v, list) else v)  # lists: only this step's items
               for k, v in cache.items() if k not in before or isinstance(v, list)}
        parts.append({"numbers": ctx.numbers, "sections": ctx.sections, "files": ctx.files, "cache": new,
                      "seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "process": where})
    return parts


def _run_chains(chains: list[list[str]], out: Path, quick: bool, jobs: int) -> dict[str, dict[str, Any]]:
    """Run the chains on ``jobs - 1`` worker processes and this one; return what each step recorded.

    Chains are taken in the order given (longest expected cost first) by whichever process is free: a
    worker that finishes is handed the next chain at once (a callback), and this process runs chains too
    instead of waiting, so a run with two jobs starts one extra interpreter, not two. A chain that fails
    stops the handing out; the error is raised after the running chains finished (none then writes into a
    folder that is being removed).
    """
    import threading
    from concurrent.futures import wait

    from joblib.externals.loky import get_reusable_executor

    pending = list(chains)
    futures: list[Any] = []
    lock = threading.Lock()
    executor = get_reusable_executor(max_workers=min(jobs, len(chains)) - 1)

    def hand_out(done: Any = None) -> None:
        if done is not None and (done.cancelled() or done.exception() is not None):
            return
        with lock:  # take a chain and record its future in one go: the list is complete once pending is empty
            if not pending:
                return
            chain = pending.pop(0)
            fut = executor.submit(_run_steps, chain, out, quick, "worker")
            futures.append((chain, fut))
        fut.add_done_callback(hand_out)

    got: dict[str, dict[str, Any]] = {}
    try:
        for _ in range(min(jobs, len(chains)) - 1):
            hand_out()
        while True:
            with lock:
                chain = pending.pop(0) if pending else None
            if chain is None:
                break
            got.update(zip(chain, _run_steps(chain, out, quick, "main process")))
    except Exception:
        with lock:
            pending.clear()
        wait([f for _, f in futures])
        raise
    with lock:
        running = list(futures)
    for chain, fut in running:
        got.update(zip(chain, fut.result()))
    return got


def _chains(todo: list[Step]) -> list[list[str]]:
    """Group steps with the steps they need (transitively) into chains that run in one worker each, the
    chains with the largest expected cost first (ties: step order).

    Workers take the next chain when they finish one, so starting with the longest chains (the "longest
    processing time first" rule) keeps two workers busy until about the same time instead of leaving one
    step of several seconds for the end.

    Examples
    --------
    >>> a, b, c = (step(n, n, cost=t, needs=nd)(print) for n, t, nd in (("a", 1, ()), ("b", 3, ()), ("c", 3, ("a",))))
    >>> _chains([a, b, c])
    [['a', 'c'], ['b']]
    """
    group = {s.name: i for i, s in enumerate(todo)}
    for s in todo:
        for dep in s.needs:
            if dep in group:
                old, new = group[s.name], group[dep]
                group = {k: (new if g == old else g) for k, g in group.items()}
    chains: dict[int, list[str]] = {}
    cost: dict[int, float] = {}
    for s in todo:
        chains.setdefault(group[s.name], []).append(s.name)
        cost[group[s.name]] = cost.get(group[s.name], 0.0) + s.cost
    return [chains[g] for g in sorted(chains, key=lambda g: -cost[g])]  # stable: ties keep step order


def _merge(ctx: Context, part: dict[str, Any]) -> None:
    ctx.numbers.update(part["numbers"])
    ctx.sections.extend(part["sections"])
    ctx.files.extend(part["files"])
    for key, val in part["cache"].items():
        if isinstance(val, list) and isinstance(ctx.cache.get(key), list):
            ctx.cache[key].extend(val)  # e.g. the figure list, kept in step order
        else:
            ctx.cache.setdefault(key, val)


def _default_jobs() -> int:
    """Two workers on a machine with two or more cores that are not already saturated, else one."""
    import os

    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0] >= cores  # workers only add start-up cost when every core is taken
    except OSError:  # pragma: no cover - platforms without a load average
        busy = False
    return 2 if cores >= 2 and not busy else 1


def _check_target(target: Path, force: bool) -> bool:
    """Whether ``target`` is a folder written by reproduce; refuse a user's non-empty folder unless forced."""
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"--out {target} is a file, not a folder; choose a folder.")
    if not target.exists() or not any(target.iterdir()):
        return False
    man = target / MANIFEST
    try:
        ours = json.loads(man.read_text(encoding="utf-8")).get("generator") == _GENERATOR
    except (OSError, ValueError, AttributeError):
        ours = False
    if not ours and not force:
        raise FileExistsError(f"{target} is not empty and was not written by `retrostats reproduce` (it has no "
                              f"{MANIFEST}); its report.html, numbers.json, paper.md, tables/ and figures/ "
                              "would be replaced. Choose an empty or new folder, or pass --force "
                              "(force=True) to write into it.")
    return ours


def _write_manifest(ctx: Context) -> Path:
    files = sorted({f.relative_to(ctx.out).as_posix() for f in ctx.files if f.is_file()})
    entries = []
    for rel in files:
        h = hashlib.sha256((ctx.out / rel).read_bytes()).hexdigest()
        entries.append({"path": rel, "sha256": h})
    path = ctx.out / MANIFEST
    path.write_text(json.dumps({"generator": _GENERATOR, "complete": True, "files": entries}, indent=2) + "\n",
                    encoding="utf-8")
    return path


def _move_into_place(tmp: Path, target: Path, ours: bool) -> None:
    """Put the finished folder ``tmp`` at ``target``: a swap for our own folder, a merge into a forced one."""
    if not target.exists() or not any(target.iterdir()):
        if target.exists():
            target.rmdir()
        tmp.rename(target)
        return
    if ours:
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        old.rmdir()
        target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        return
    # forced into a user's folder: replace our files only, keep everything else there
    (target / MANIFEST).unlink(missing_ok=True)
    for src in sorted(tmp.rglob("*")):
        rel = src.relative_to(tmp)
        if src.is_dir() or rel.as_posix() == MANIFEST:
            continue
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        src.replace(dest)
    (tmp / MANIFEST).replace(target / MANIFEST)  # last: the folder is complete
    shutil.rmtree(tmp, ignore_errors=True)


def resolve_only(only: list[str] | None) -> list[str] | None:
    """Step names for ``only``: a step name stays, a paper figure (``fig05`` or its file stem) becomes the
    step that draws it (:data:`PAPER_FIGURES`); each step once, in the order given.

    Raises
    ------
    ValueError
        A name is neither a step nor a paper figure.

    Examples
    --------
    >>> resolve_only(["fig05", "fig04_forest_synthetic", "planning"])
    ['synthetic_meta', 'planning']
    """
    if only is None:
        return None
    known = [s.name for s in steps()]
    by_stem = {stem: name for name, stem in PAPER_FIGURES.values()}
    out: list[str] = []
    for item in only:
        name = PAPER_FIGURES[item][0] if item in PAPER_FIGURES else by_stem.get(item, item)
        if name not in known:
            raise ValueError(f"only names unknown step(s) [{item!r}]; the steps are {known} and the paper "
                             f"figures {list(PAPER_FIGURES)}.")
        if name not in out:
            out.append(name)
    return out


def reproduce(out: str | Path = "output", *, quick: bool = False, progress: bool = True,
              only: list[str] | None = None, jobs: int | None = None, force: bool = False) -> Context:
    """Run every registered step into ``out`` and write ``numbers.json``, ``report.html`` and the manifest.

    Parameters
    ----------
    out : path
        Output folder: new, empty, or one written by an earlier run (which is replaced as a whole).
    quick : bool
        Smaller simulations and draws (for tests); the numbers differ from a full run.
    progress : bool
        Print one line per step with its wall time.
    only : list of str, optional
        Run only these steps (by name, or a paper figure such as ``"fig05"``: the step that draws it); the
        folder then holds only their outputs.
    force : bool
        Write into a non-empty folder that an earlier run did not write (same-named files are replaced,
        other files kept).
    jobs : int, optional
        Worker processes (joblib) for the independent steps; default 2 on a machine with two or more cores
        whose load average is below the core count, else 1 (everything in this process). Each step is
        deterministic and writes its own files, and the results are merged in step order, so the output is
        the same byte for byte whatever ``jobs``.

    Returns
    -------
    Context
        With ``files`` (everything written) and ``numbers``.

    Raises
    ------
    FileExistsError
        ``out`` is a file, or a non-empty folder without a reproduce ``MANIFEST.json`` and ``force`` is false.

    Notes
    -----
    Everything is written into a temporary folder beside ``out`` and moved into place only when every step
    succeeded, with ``MANIFEST.json`` (each file's SHA-256) written last; a failed or interrupted run (Ctrl-C)
    leaves ``out`` as it was and removes the temporary folder.
    """
    from .html import write_report

    only = resolve_only(only)
    target = Path(out)
    ours = _check_target(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    ctx = Context(out=tmp, quick=quick)
    try:
        _run_all(ctx, only, jobs, quick, progress, write_report)
        ctx.files.append(_write_manifest(ctx))
        _move_into_place(tmp, target, ours)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    ctx.files = [target / f.relative_to(tmp) for f in ctx.files]
    ctx.out = target
    if progress:
        print(f"wrote {len(ctx.files)} files to {ctx.out}", flush=True)
    return ctx


def _run_all(ctx: Context, only: list[str] | None, jobs: int | None, quick: bool, progress: bool,
             write_report: Callable[[Context], Path]) -> None:
    """Every step into ``ctx.out`` (in workers where independent), then numbers and the report."""
    todo = [s for s in steps() if only is None or s.name in only]
    jobs = _default_jobs() if jobs is None else int(jobs)
    early = [s for s in todo if not s.gather]
    chains = _chains(early)
    if jobs > 1 and len(chains) > 1:
        got = _run_chains(chains, ctx.out, quick, jobs)
        for i, s in enumerate(early, 1):  # merged in step order, as a run in one process records them
            _merge(ctx, got[s.name])
            if progress:
                part = got[s.name]
                print(f"[{i}/{len(todo)}] {s.name}: {s.description}\n      done in {part['seconds']:.1f} s "
                      f"({part['cpu']:.1f} s CPU, {part['process']})", flush=True)
        todo = [s for s in todo if s.gather]
        start = len(early) + 1
    else:
        start = 1
    for i, s in enumerate(todo, start):
        t0, c0 = time.perf_counter(), time.process_time()
        if progress:
            print(f"[{i}/{start + len(todo) - 1}] {s.name}: {s.description}", flush=True)
        s(ctx)
        if progress:
            print(f"      done in {time.perf_counter() - t0:.1f} s ({time.process_time() - c0:.1f} s CPU)", flush=True)
    _write_numbers(ctx)
    ctx.files.append(write_report(ctx))
