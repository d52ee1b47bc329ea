"""The README's example runs as written, and its Quick start holds exactly two commands."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

from conftest import ROOT  # noqa: E402


def _readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_has_two_commands():
    m = re.search(r"^#+\s*Quick ?start.*?```[a-z]*\n(.*?)```", _readme(), re.S | re.I | re.M)
    assert m, "README has no Quick start code block"
    cmds = [line for line in m.group(1).splitlines() if line.strip() and not line.strip().startswith("#")]
    assert len(cmds) == 2
    assert "retrostats reproduce" in cmds[0] and "pytest" in cmds[1]
    assert cmds[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8"), "CI must run the README's test command"


def test_readme_example_runs(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    blocks = re.findall(r"```python\n(.*?)```", _readme(), re.S)
    assert blocks, "README has no python example"
    monkeypatch.chdir(tmp_path)
    import pytest

    import retrostats as rs

    try:
        # the example runs a funnel plot on 4 studies: the small-k warning is part of what it shows
        with pytest.warns(rs.SmallSampleWarning):
            for code in blocks:
                exec(compile(code, "README.md", "exec"), {"__name__": "readme_example"})
    finally:
        plt.close("all")
    assert (tmp_path / "forest.pdf").exists()
