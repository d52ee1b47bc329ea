"""`retrostats reproduce --only` from the command line, end to end.

Kept out of tests/test_reproduce.py on purpose: xdist's ``--dist loadscope`` runs a module's tests on one
worker, and that module's worker already carries the two shared reproduce runs; here this test runs beside
the short modules on the other worker.
"""

from __future__ import annotations

import re

from retrostats.cli import main


def test_cli_reproduce_only_one_step(tmp_path, capsys):
    assert main(["reproduce", "--out", str(tmp_path), "--quick", "--only", "evidence_map"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\[1/1\] evidence_map", out)
    assert (tmp_path / "figures" / "fig01_evidence_map.pdf").exists()
    assert (tmp_path / "report.html").exists()
