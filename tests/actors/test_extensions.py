"""Operators from installed packages: entry points, lazy import, clear errors, name clashes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from streamflow import Refiner, StreamflowError
from streamflow.operators.registry import OperatorRegistry

OPS_MODULE = '''
from pathlib import Path
from streamflow import Refiner

Path(__file__).with_name("imported.marker").write_text("yes")


class Exclaim(Refiner):
    """Adds an exclamation mark."""

    domain = "demo"

    def process(self, rows, input_key):
        return [{**r, input_key: r[input_key] + "!"} for r in rows]
'''


def install(site: Path, dist: str, entries: dict[str, str], module: str | None = None) -> None:
    """A real installed distribution as importlib.metadata sees one: a dist-info folder."""
    info = site / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entries.items())
    (info / "entry_points.txt").write_text(f"[streamflow.operators]\n{lines}")
    if module is not None:
        (site / f"{dist.replace('-', '_')}_ops.py").write_text(module)


@pytest.fixture
def site(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    return site


def test_extension_operator_is_listed_without_import_and_loaded_on_use(site):
    install(site, "good-ext", {"Exclaim": "good_ext_ops:Exclaim"}, OPS_MODULE)
    registry = OperatorRegistry()
    entry = registry.extensions()["Exclaim"]
    assert (entry.extension, entry.target) == ("good-ext", "good_ext_ops:Exclaim")
    assert not (site / "imported.marker").exists()  # listing imported nothing

    op = registry.get("Exclaim")
    assert issubclass(op, Refiner) and (site / "imported.marker").exists()
    info = registry.info("Exclaim")
    assert (info.kind, info.domain, info.extension) == ("refiner", "demo", "good-ext")


def test_a_broken_extension_fails_only_when_used(site):
    install(site, "good-ext", {"Exclaim": "good_ext_ops:Exclaim"}, OPS_MODULE)
    install(site, "broken-ext", {"Shatter": "broken_ext_ops:Shatter"}, "raise ImportError('x')")
    registry = OperatorRegistry()
    assert set(registry.extensions()) >= {"Exclaim", "Shatter"}
    assert registry.get("Exclaim").__name__ == "Exclaim"
    with pytest.raises(StreamflowError, match=r"'Shatter' from broken-ext could not be loaded"):
        registry.get("Shatter")


def test_two_packages_declaring_one_name_are_both_named(site):
    install(site, "first-ext", {"Twin": "first_ext_ops:Twin"})
    install(site, "second-ext", {"Twin": "second_ext_ops:Twin"})
    with pytest.raises(
        StreamflowError, match=r"'Twin' is declared twice: by \w+-ext .* by \w+-ext"
    ):
        OperatorRegistry().extensions()


def test_an_extension_may_not_shadow_a_built_in(site, monkeypatch):
    from streamflow.operators.registry import OPERATORS

    install(site, "rogue-ext", {"LowercaseRefiner": "rogue_ext_ops:Lower"})
    monkeypatch.setattr(OPERATORS, "_extensions", None)  # discover again, with rogue-ext
    with pytest.raises(StreamflowError, match=r"declared by rogue-ext .* built into streamflow"):
        OPERATORS.extensions()


def test_cli_lists_lazily_and_explains_a_broken_extension(site):
    install(site, "good-ext", {"Exclaim": "good_ext_ops:Exclaim"}, OPS_MODULE)
    install(site, "broken-ext", {"Shatter": "broken_ext_ops:Shatter"}, "raise ImportError('x')")

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "streamflow", *args],
            capture_output=True,
            text=True,
            env={"PYTHONPATH": str(site), "PATH": ""},
        )

    listed = cli("ops", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert (
        rows["Exclaim"]["kind"] == "(not imported)" and rows["Exclaim"]["extension"] == "good-ext"
    )
    assert rows["LowercaseRefiner"]["extension"] is None
    assert not (site / "imported.marker").exists()

    shown = cli("ops", "show", "Exclaim")
    assert shown.returncode == 0 and "extension good-ext" in shown.stdout
    broken = cli("ops", "show", "Shatter")
    assert broken.returncode == 2 and "broken-ext" in broken.stderr
