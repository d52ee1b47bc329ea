"""The public namespace: every contract name resolves, and `import retrostats` stays light."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import retrostats as rs

CONTRACT = [
    "list_datasets", "load_dataset", "read_extraction", "effect_sizes", "convert", "meta_analysis",
    "power_ttest", "simulate_power", "ancova", "mmrm", "bayes_meta_analysis", "dataset_info",
    "DataError", "ConvergenceError", "RetrostatsWarning",
]
CONVERT = ["sd_from_se", "sd_from_ci", "se_from_p", "mean_from_median", "sd_from_median", "combine_groups",
           "change_sd", "correlation_from_sds"]


@pytest.mark.parametrize("name", CONTRACT)
def test_contract_names_resolve(name):
    assert name in rs.__all__
    assert getattr(rs, name) is not None


@pytest.mark.parametrize("name", CONVERT)
def test_convert_names(name):
    assert callable(getattr(rs.convert, name))


def test_all_names_resolve():
    for name in rs.__all__:
        assert getattr(rs, name) is not None, name
    assert sorted(rs.__all__) == rs.__all__
    assert len(set(rs.__all__)) == len(rs.__all__)


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        rs.nope  # noqa: B018


def test_exceptions_hierarchy():
    assert issubclass(rs.DataError, ValueError)
    assert issubclass(rs.ConvergenceError, RuntimeError)
    assert issubclass(rs.SmallSampleWarning, rs.RetrostatsWarning)
    assert issubclass(rs.DataWarning, UserWarning)
    assert issubclass(rs.MissingExtraError, ImportError)


#: Run in one fresh interpreter (a new interpreter importing retrostats costs 1-3 s of CPU: one run, not three).
#: Each step only adds imports, so a module found missing after a step was missing after the steps before it.
FRESH_IMPORT = """
import json, sys
import matplotlib as mpl
before = dict(mpl.rcParams)
import retrostats as rs
rs.load_dataset("retro_trials")
heavy = [m for m in ("pymc", "pytensor", "arviz", "seaborn", "matplotlib.pyplot", "statsmodels", "pingouin", "dask")
         if m in sys.modules]
rs.bayes_meta_analysis(yi=[0.1, 0.4], vi=[0.1, 0.2])
bayes = [m for m in ("pymc", "arviz") if m in sys.modules]
import retrostats.figures, retrostats.report.steps
after = dict(mpl.rcParams)
print(json.dumps({"heavy": heavy, "bayes": bayes, "pyplot": "matplotlib.pyplot" in sys.modules,
                  "rc_same": after == before, "rc_changed": sorted(k for k in before if before[k] != after.get(k))}))
"""


def test_a_fresh_import_is_light_and_leaves_global_state_alone():
    # MPLBACKEND=Agg as tests/conftest.py sets it for every test: with the backend left to matplotlib to choose,
    # reading rcParams["backend"] (in `dict(mpl.rcParams)`) imports pyplot to resolve it
    env = {**os.environ, "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", FRESH_IMPORT], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    # `import retrostats` and loading a dataset import no heavy optional dependency
    assert seen["heavy"] == [], seen
    # the exact Bayesian path (the default method) never imports PyMC or ArviZ
    assert seen["bayes"] == [], seen
    # importing the figures and the report steps neither imports pyplot nor changes matplotlib's rcParams
    assert not seen["pyplot"], "pyplot imported at import"
    assert seen["rc_same"], f"rcParams changed: {seen['rc_changed']}"


def test_version():
    assert rs.__version__.count(".") == 2


def test_no_public_name_is_shadowed_by_a_submodule():
    """Importing a submodule binds it on its package: a lazily exported name with the same name as a submodule
    becomes that module (the function ``assurance_curve`` became the module ``planning.assurance_curve``, and
    ``report.steps()`` the package ``report.steps``). After importing every module, each exported name must
    still be what the package exports, not a module."""
    import importlib
    import pkgutil
    import types

    infos = list(pkgutil.walk_packages(rs.__path__, "retrostats."))
    for info in infos:
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    clashes = []
    for info in infos:
        if info.ispkg:
            pkg = importlib.import_module(info.name)
            subs = {m.name for m in pkgutil.iter_modules(pkg.__path__)}
            clashes += [f"{info.name}.{n}" for n in getattr(pkg, "__all__", ())
                        if n in subs and isinstance(getattr(pkg, n), types.ModuleType)]
    assert not clashes
