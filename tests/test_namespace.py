"""The public namespace: every contract name resolves, and `import retrostats` stays light."""

from __future__ import annotations

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


def test_import_is_light():
    code = (
        "import sys, retrostats as rs; rs.load_dataset('retro_trials'); "
        "heavy = [m for m in ('pymc', 'pytensor', 'arviz', 'seaborn', 'matplotlib.pyplot', 'statsmodels', "
        "'pingouin', 'dask') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


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
