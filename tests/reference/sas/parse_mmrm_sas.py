"""Parse the SAS PROC MIXED listings published with R package mmrm into tests/reference/expected/mmrm_sas.json.

Source: github openpharma/mmrm, design/SAS/*.txt (listings written by the package authors' scripts
design/SAS/*.R on fev_data), and the SAS Kenward-Roger numbers quoted in tests/testthat/test-kenwardroger.R.
Numbers are kept as printed (strings); tests compare at half a unit of the last printed digit.
Run: python parse_mmrm_sas.py <path of a git checkout or bare mirror of openpharma/mmrm>
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

NUM = r"-?\d*\.?\d+(?:[Ee][-+]?\d+)?"
OUT = Path(__file__).resolve().parents[1] / "expected" / "mmrm_sas.json"
LISTINGS = [f"sas_{s}_{m}" for s in ("cs", "csh", "ar1", "ar1h", "adh", "toeph", "sp_exp") for m in ("ml", "reml")]
LISTINGS += [f"sas_group_{s}_{m}" for s in ("cs", "csh", "ar1", "ar1h", "adh", "toeph") for m in ("ml", "reml")]
LISTINGS += ["sas_log", "sas_log_reml", "sas_weighted"]


def show(repo: str, commit: str, path: str) -> str:
    return subprocess.run(["git", "--git-dir", repo, "show", f"{commit}:{path}"], capture_output=True, text=True,
                          check=True).stdout


def block(text: str, title: str) -> list[str]:
    i = text.find(title)
    if i < 0:
        return []
    lines = text[i:].splitlines()[1:]
    out, started = [], False
    for ln in lines:
        if not ln.strip():
            if started and len(out) > 1:
                blank = True
                if blank and out and out[-1] == "":
                    break
                out.append("")
            continue
        started = True
        out.append(ln)
    return [x for x in out if x]


def parse(text: str) -> dict:
    res = {}
    hist = re.findall(rf"^\s+\d+\s+\d+\s+({NUM})(?:\s+{NUM})?\s*$", text.split("Iteration History")[1]
                      .split("Convergence")[0], flags=re.M)
    res["minus2ll"] = hist[-1]
    res["estimation"] = re.search(r"Estimation Method\s+(\S+)", text).group(1)
    cp = []
    for ln in block(text, "Covariance Parameter Estimates"):
        m = re.match(rf"^\s+(\S+)\s+(?:USUBJID\s+)?(?:ARMCD (\S+)\s+)?({NUM})\s+0\.05\s", ln)
        if m:
            cp.append({"parm": m.group(1), "group": m.group(2), "estimate": m.group(3)})
    res["covparms"] = cp
    fx = []
    for ln in block(text, "Solution for Fixed Effects"):
        toks = ln.split()
        if len(toks) >= 6 and re.fullmatch(NUM, toks[-5]) and toks[-4] != ".":
            fx.append({"effect": toks[0], "levels": " ".join(toks[1:-5]), "estimate": toks[-5], "se": toks[-4],
                       "df": toks[-3]})
    res["fixed"] = fx
    ls = []
    for ln in block(text, "Least Squares Means"):
        toks = ln.split()
        if toks and toks[0] == "AVISIT*ARMCD" and len(toks) == 11:
            ls.append({"visit": toks[1], "arm": toks[2], "estimate": toks[3], "se": toks[4], "df": toks[5]})
    if ls:
        res["lsmeans"] = ls
    dif = []
    for ln in block(text, "Differences of Least Squares Means"):
        toks = ln.split()
        if toks and toks[0] == "AVISIT*ARMCD" and toks[1] == toks[3]:
            dif.append({"visit": toks[1], "arm": toks[2], "vs": toks[4], "estimate": toks[5], "se": toks[6],
                        "df": toks[7]})
    if dif:
        res["diffs"] = dif
    t3 = []
    for ln in block(text, "Type 3 Tests of Fixed Effects"):
        m = re.match(rf"^\s+(\S+)\s+(\d+)\s+(\d+)\s+({NUM})\s+({NUM})\s", ln)
        if m:
            t3.append({"effect": m.group(1), "num_df": m.group(2), "den_df": m.group(3), "F": m.group(5)})
    if t3:
        res["type3"] = t3
    return res


def kr_quotes(text: str) -> dict:
    out = {}
    for m in re.finditer(r'test_that\("(kr(?: linear)?) give similar results as SAS for ([^"]+)".*?'
                         r"FEV1 ~ ARMCD \+ (\w+)\((\w+)(?:, (\w+))? \| USUBJID\).*?expected <- c\(([^)]*)\)",
                         text, flags=re.S):
        kind, _, struct, c1, c2, vals = m.groups()
        if c2:  # two-dimensional spatial coordinates: not offered
            continue
        se, df = (v.strip() for v in vals.split(","))
        out[f"{struct}_{'kr_linear' if 'linear' in kind else 'kr'}"] = {"se": se, "df": df}
    return out


if __name__ == "__main__":
    repo = sys.argv[1]
    commit = subprocess.run(["git", "--git-dir", repo, "rev-parse", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    base = f"https://github.com/openpharma/mmrm/blob/{commit}/"
    out = {"source": {"what": "SAS PROC MIXED listings and quoted SAS Kenward-Roger results published with R "
                      "package mmrm (fev_data)", "repository": "https://github.com/openpharma/mmrm",
                      "commit": commit, "parser": "tests/reference/sas/parse_mmrm_sas.py"}, "listings": {}}
    for name in LISTINGS:
        path = f"design/SAS/{name}.txt"
        rec = parse(show(repo, commit, path))
        rec["source_url"] = base + path
        out["listings"][name] = rec
    path = "tests/testthat/test-kenwardroger.R"
    out["kenward_roger"] = {"source_url": base + path, "source_location": "tests 'kr give similar results as SAS "
                            "for <structure>' (expected <- c(se, df)); model FEV1 ~ ARMCD, contrast ARMCD",
                            "values": kr_quotes(show(repo, commit, path))}
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")
