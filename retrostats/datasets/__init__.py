"""Shipped datasets: the retro-walking evidence registry, outcome scales and synthetic teaching data.

Examples
--------
>>> import retrostats as rs
>>> trials = rs.load_dataset("retro_trials")
>>> {"study_id", "data_level", "source_url"} <= set(trials.columns)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from ..exceptions import DataError
from .schemas import SCHEMAS, Schema

if TYPE_CHECKING:  # pandas is imported where data are read, so `retrostats datasets list` stays fast
    import pandas as pd

__all__ = ["list_datasets", "load_dataset", "dataset_info", "DatasetCard", "SCHEMAS", "registry_changelog"]

#: How each dataset was built and where its numbers come from: views of each schema's ``built_by`` and
#: ``sources`` (the schema in ``schemas.py`` is the one place to say it).
BUILT_BY = {name: s.built_by for name, s in SCHEMAS.items()}
SOURCES = {name: s.sources for name, s in SCHEMAS.items()}


def _names() -> list[str]:
    return sorted(SCHEMAS)


@cache
def _read(name: str) -> pd.DataFrame:
    import pandas as pd

    schema = SCHEMAS[name]
    path = resources.files(__package__).joinpath("_data", f"{name}.csv")
    with resources.as_file(path) as p:
        if not p.exists():
            raise DataError(f"dataset {name!r} is declared but its file {p} is missing; rebuild with "
                            "`python data/build_datasets.py`.")
        raw = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    schema.validate(raw, source=f"{name}.csv")
    return schema.coerce(raw)


def load_dataset(name: str) -> pd.DataFrame:
    """Load a shipped dataset as a DataFrame (a fresh copy each call), validated against its schema.

    Parameters
    ----------
    name : str
        One of the names in :func:`list_datasets`.

    Returns
    -------
    DataFrame
        Columns as documented by :func:`dataset_info`.

    Raises
    ------
    ValueError
        If ``name`` is not a shipped dataset.

    Examples
    --------
    >>> arms = load_dataset("retro_arms")
    >>> set(arms["statistic"]) <= set(SCHEMAS["retro_arms"].columns[6].allowed)
    True
    """
    if name not in SCHEMAS:
        from ..validators import check_option

        check_option("name", name, _names())
    return _read(name).copy()


def dataset_summaries() -> list[dict[str, object]]:
    """``name, title, n_rows`` of each shipped dataset, read without pandas (fast; for the command line).

    Examples
    --------
    >>> [d["n_rows"] for d in dataset_summaries() if d["name"] == "outcome_scales"] == [
    ...     len(load_dataset("outcome_scales"))]
    True
    """
    import csv

    out = []
    for name in _names():
        path = resources.files(__package__).joinpath("_data", f"{name}.csv")
        with path.open(encoding="utf-8", newline="") as fh:
            n = sum(1 for _ in csv.reader(fh)) - 1
        out.append({"name": name, "title": SCHEMAS[name].title, "n_rows": n})
    return out


def list_datasets() -> pd.DataFrame:
    """The shipped datasets: ``name, title, n_rows, n_columns, source, built_by``.

    Examples
    --------
    >>> "retro_trials" in set(list_datasets()["name"])
    True
    """
    import pandas as pd

    rows = []
    for name in _names():
        df = _read(name)
        s = SCHEMAS[name]
        rows.append({"name": name, "title": s.title, "n_rows": len(df), "n_columns": df.shape[1],
                     "source": s.sources, "built_by": s.built_by})
    return pd.DataFrame(rows)


#: The datasets built from the hand-entered registry (their card shows the latest changelog entry).
REGISTRY = ("retro_trials", "retro_arms", "retro_contrasts", "retro_reviews", "outcome_scales")


def registry_changelog(latest: bool = False) -> str:
    """The registry changelog shipped with the data: what was added or corrected, when and why.

    Parameters
    ----------
    latest : bool
        Only the newest entry (the first ``##`` section).

    Returns
    -------
    str
        Markdown text (``retrostats/datasets/_data/registry_changelog.md``, copied from
        ``data/raw/CHANGELOG.md`` by the build).

    Examples
    --------
    >>> registry_changelog().startswith("# Registry changelog")
    True
    """
    path = resources.files(__package__).joinpath("_data", "registry_changelog.md")
    text = path.read_text(encoding="utf-8")
    if not latest:
        return text
    parts = text.split("\n## ")
    return parts[0].rstrip() + ("\n\n## " + parts[1].rstrip() if len(parts) > 1 else "")


@dataclass(frozen=True)
class DatasetCard:
    """A dataset's card: title, description, columns (documented), sources and how it was built."""

    name: str
    title: str
    description: str
    n_rows: int
    columns: pd.DataFrame
    source: str
    built_by: str
    changelog: str = ""

    def __str__(self) -> str:
        lines = [f"{self.name}: {self.title}", "", self.description, "",
                 f"rows: {self.n_rows}", f"source: {self.source}", f"built by: {self.built_by}", "",
                 self.columns.to_string(index=False)]
        if self.changelog:
            lines += ["", self.changelog, "", "(full history: retrostats.registry_changelog())"]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return (f"<h3>{self.name}: {self.title}</h3><p>{self.description}</p><p>{self.n_rows} rows. "
                f"Source: {self.source}. Built by: {self.built_by}.</p>" + self.columns.to_html(index=False))


def dataset_info(name: str) -> DatasetCard:
    """The card of a dataset: every column documented with type, unit and allowed values.

    Examples
    --------
    >>> card = dataset_info("outcome_scales")
    >>> "mcid" in set(card.columns["column"])
    True
    """
    df = load_dataset(name)
    s: Schema = SCHEMAS[name]
    return DatasetCard(name, s.title, s.description, len(df), s.card(), s.sources, s.built_by,
                       registry_changelog(latest=True) if name in REGISTRY else "")
