"""`retrostats reproduce --only` from the command line, end to end.

Kept out of tests/test_reproduce.py on purpose: xdist's ``--dist loadscope`` runs a module's tests on one
worker, and that module's worker already carries the two shared reproduce runs; here this test runs beside
the short modules on the other worker.
"""

from __future__ import annotations

import re

from retrostats.cli import main


def test_cli_reproduce_only_one_step(tmp_path, capsys):
    # one of the cheapest steps that draws a figure (the evidence map took 3 s of the suite here)
    assert main(["reproduce", "--out", str(tmp_path), "--quick", "--only", "reviews"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\[1/1\] reviews", out)
    assert (tmp_path / "figures" / "fig02_published_reviews.pdf").exists()
    assert not (tmp_path / "figures" / "fig01_evidence_map.pdf").exists()
    assert (tmp_path / "report.html").exists()
