"""A throwaway operator library on disk, laid out as streamflow's is, for the registry tests.

Test modules beside this one make it a fixture with :func:`installed_library`.
"""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

FILES = {
    "__init__.py": '"""A fake operator library."""\n',
    "alpha/__init__.py": """
        from streamflow.operators._lazy import lazy_domain

        __getattr__, __dir__, __all__ = lazy_domain(
            __name__,
            operators={"Shout": "shout", "Yell": "shout", "Quiet": "sub.quiet"},
            prompts={"ShoutPrompt": "prompts"},
        )
    """,
    "alpha/shout.py": """
        from streamflow import Generator


        class Shout(Generator):
            '''Upper-cases a field.

            More words.'''

            def process(self, rows, input_key, output_key="loud"):
                return [{**r, output_key: r[input_key].upper()} for r in rows]


        Yell = Shout  # an older spelling of the same operator
    """,
    "alpha/sub/__init__.py": "",
    "alpha/sub/quiet.py": """
        from streamflow import Refiner


        class Quiet(Refiner):
            '''Lower-cases a field.'''

            def process(self, rows, input_key):
                return [{**r, input_key: r[input_key].lower()} for r in rows]
    """,
    "alpha/prompts.py": """
        from streamflow.prompts.base import PromptTemplate


        class ShoutPrompt(PromptTemplate):
            def build_prompt(self, text):
                return text.upper()
    """,
    "beta/__init__.py": """
        from streamflow.operators._lazy import lazy_domain

        __getattr__, __dir__, __all__ = lazy_domain(__name__, operators={"Whisper": "whisper"})
    """,
    "beta/whisper.py": """
        from streamflow import Filter


        class Whisper(Filter):
            '''Keeps short texts.'''

            def process(self, rows, input_key):
                return [len(r[input_key]) < 10 for r in rows]
    """,
    "plain/__init__.py": '"""A subpackage that is not a domain: it declares nothing."""\n',
    "_private/__init__.py": "raise RuntimeError('a private subpackage must not be imported')\n",
}


def write_library(root: Path, files: dict[str, str]) -> str:
    """Write ``files`` as a package under ``root`` with a fresh name; return that name."""
    name = f"fakeops_{uuid.uuid4().hex[:8]}"
    for rel, text in files.items():
        path = root / name / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return name


def installed_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Body of a ``fake_library`` fixture: the package name of a fake library with domains
    ``alpha`` and ``beta``, importable for one test."""
    monkeypatch.syspath_prepend(str(tmp_path))
    name = write_library(tmp_path, FILES)
    yield name
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]
