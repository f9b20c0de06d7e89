"""Domain packages import nothing until a name is used, and then only that name's module."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_library import installed_library

from streamflow.operators._lazy import declared_domain, lazy_domain

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from installed_library(tmp_path, monkeypatch)


def modules_after(code: str) -> list[str]:
    """The ``streamflow.operators`` modules a fresh interpreter holds after running ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    )
    loaded = json.loads(done.stdout.splitlines()[-1])
    return [m for m in loaded if m.startswith("streamflow.operators.")]


@pytest.mark.parametrize("domain", ["general_text", "core_text", "web"])
def test_importing_a_domain_imports_none_of_its_modules(domain):
    loaded = modules_after(f"import streamflow.operators.{domain}")
    assert [m for m in loaded if m.startswith(f"streamflow.operators.{domain}.")] == []


def test_a_name_imports_only_its_own_module():
    loaded = modules_after("from streamflow.operators.general_text import WordNumberFilter")
    in_domain = {m for m in loaded if m.startswith("streamflow.operators.general_text.")}
    # count_filters defines it; _rule_filter is the base class it derives from.
    assert in_domain == {
        "streamflow.operators.general_text.count_filters",
        "streamflow.operators.general_text._rule_filter",
    }
    assert not any(m.startswith(("streamflow.operators.web.", "streamflow.operators.core_text."))
                   for m in loaded)  # fmt: skip


def test_attribute_access_resolves_and_caches(fake_library):
    package = importlib.import_module(f"{fake_library}.alpha")
    assert f"{fake_library}.alpha.shout" not in sys.modules
    shout = package.Shout
    assert shout.__module__ == f"{fake_library}.alpha.shout"
    assert "Shout" in vars(package)  # the next access is a plain attribute lookup
    assert package.Yell is shout  # an alias: another name of the same class
    assert package.Quiet.__module__ == f"{fake_library}.alpha.sub.quiet"  # dotted module
    assert package.__all__ == ["Quiet", "Shout", "ShoutPrompt", "Yell"]
    assert {"Shout", "ShoutPrompt", "lazy_domain"} <= set(dir(package))
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = package.Nope


def test_star_import_gives_every_name(fake_library):
    scope: dict[str, object] = {}
    exec(f"from {fake_library}.alpha import *", scope)
    assert {"Quiet", "Shout", "ShoutPrompt", "Yell"} <= set(scope)


def test_declared_maps_are_read_without_importing_modules(fake_library):
    domain = declared_domain(f"{fake_library}.alpha")
    assert domain is not None and domain.name == "alpha"
    assert dict(domain.operators) == {"Shout": "shout", "Yell": "shout", "Quiet": "sub.quiet"}
    assert domain.module_of("ShoutPrompt") == f"{fake_library}.alpha.prompts"
    assert f"{fake_library}.alpha.shout" not in sys.modules
    assert declared_domain(f"{fake_library}.plain") is None


def test_a_bad_map_fails_when_the_domain_is_imported():
    with pytest.raises(ValueError, match="'X' is both an operator and a prompt template"):
        lazy_domain("somewhere", operators={"X": "a"}, prompts={"X": "b"})
    with pytest.raises(ValueError, match="is not name -> module"):
        lazy_domain("somewhere", operators={"X": ".relative"})
    with pytest.raises(ValueError, match="is not name -> module"):
        lazy_domain("somewhere", operators={"not a name": "mod"})
