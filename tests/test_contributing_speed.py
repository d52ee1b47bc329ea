"""CONTRIBUTING.md's list of the slowest tests stays honest: 25 rows, each naming a test (and the fixtures its
setup builds) that exists in the module it names."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _rows() -> list[str]:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## Test suite speed", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if re.match(r"\| \d+ \| ", line)]


def test_slowest_tests_list_has_25_rows_in_descending_order():
    rows = _rows()
    assert len(rows) == 25
    seconds = [int(r.split("|")[1]) for r in rows]
    assert seconds == sorted(seconds, reverse=True)


def test_every_listed_test_and_fixture_exists():
    conftest = (ROOT / "tests" / "conftest.py").read_text(encoding="utf-8")
    for row in _rows():
        cell = row.split("|")[2]
        found = re.search(r"`(test_\w+\.py)(?:::(\w+))?`", cell)
        assert found, f"row names no test module: {row}"
        module = ROOT / "tests" / found[1]
        assert module.exists(), f"{found[1]} does not exist: {row}"
        source = module.read_text(encoding="utf-8")
        names = ([found[2]] if found[2] else []) + re.findall(r"`(\w+)`", cell.split("(", 1)[1] if "(" in cell else "")
        assert names, f"row names no test or fixture: {row}"
        for name in names:
            assert f"def {name}(" in source or f"def {name}(" in conftest, f"{name} is not defined: {row}"
