"""The registry: the library read from the domains' maps, aliases, user registration, prompt
templates, and listing that imports nothing heavy."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_library import FILES, installed_library, write_library

from streamflow import Filter, Generator, Operator, StreamflowError, UnknownOperatorError
from streamflow.operators.registry import (
    OPERATORS,
    OperatorRegistry,
    domains,
    load_prompt,
    prompt_templates,
    register_operator,
)
from streamflow.prompts.base import PromptTemplate

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "vllm", "ray", "transformers", "trafilatura")


@pytest.fixture
def fake_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from installed_library(tmp_path, monkeypatch)


# -- the library ----------------------------------------------------------------------------------


DOMAINS = [
    "agentic_rag",
    "chemistry",
    "code",
    "conversations",
    "core_speech",
    "core_text",
    "core_vision",
    "general_text",
    "knowledge_cleaning",
    "pdf2vqa",
    "reasoning",
    "text2sql",
    "text_pt",
    "text_sft",
    "web",
]


def test_the_library_has_its_domains_and_no_others():
    # text/ and general/ (0.1's import paths) are not domains
    assert [d.name for d in domains()] == DOMAINS


@pytest.mark.parametrize("domain", domains(), ids=lambda d: d.name)
def test_every_map_entry_is_an_operator_of_that_name_in_that_package(domain):
    package = importlib.import_module(domain.package)
    for name, module in domain.operators.items():
        op = getattr(package, name)
        assert inspect.isclass(op) and issubclass(op, Operator), name
        assert op.__module__ == f"{domain.package}.{module}", name
        if op.__name__ != name:  # an alias: its class is listed under its own name too
            assert domain.operators.get(op.__name__) == module, name
        assert OPERATORS.get(name) is op
        assert OPERATORS.info(name).domain == domain.name
    for name, module in domain.prompts.items():
        template = getattr(package, name)
        assert issubclass(template, PromptTemplate) and template.__name__ == name
        assert hasattr(importlib.import_module(f"{domain.package}.{module}"), name)


def test_every_operator_module_is_in_a_map():
    """A class defined in a domain's module but missing from its map would be unreachable."""
    mapped = {op for d in domains() for op in map(OPERATORS.get, d.operators)}
    for domain in domains():
        root = Path(importlib.import_module(domain.package).__file__ or "").parent
        for path in root.rglob("*.py"):
            rel = path.relative_to(root).with_suffix("")
            module = importlib.import_module(".".join([domain.package, *rel.parts]).removesuffix(
                ".__init__"))  # fmt: skip
            for obj in vars(module).values():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, Operator)
                    and obj.__module__ == module.__name__
                    and not obj.__name__.startswith("_")
                    and obj.has_hook()
                ):
                    assert obj in mapped, f"{module.__name__}.{obj.__name__} is not in the map"


def test_infos_list_each_class_once_sorted_and_filtered():
    infos = OPERATORS.infos()
    expected = {op for d in domains() for op in map(OPERATORS.get, d.operators)}
    assert len(infos) == len(expected) >= 54
    assert [(i.domain, i.kind, i.name) for i in infos] == sorted(
        (i.domain, i.kind, i.name) for i in infos
    )
    web = OPERATORS.infos(domain="web")
    assert web and all(i.domain == "web" for i in web)
    assert {i.name for i in OPERATORS.infos(kind="refiner", domain="general_text")} >= {
        "LowercaseRefiner",
        "TextNormalizationRefiner",
    }
    assert OPERATORS.info("PromptedFilter").summary.startswith("An LLM judge: keeps rows")


def test_unknown_names_say_where_to_look():
    with pytest.raises(UnknownOperatorError, match=r"no operator named 'Nope'.*ops list"):
        OPERATORS.get("Nope")
    assert OPERATORS.is_builtin("WordNumberFilter") and not OPERATORS.is_builtin("Nope")


# -- a library of our own: aliases, domains, clashes --------------------------------------------


def test_domains_come_from_the_packages_and_aliases_share_a_class(fake_library):
    registry = OperatorRegistry(package=fake_library)
    assert set(registry.builtin()) == {"Shout", "Yell", "Quiet", "Whisper"}
    assert f"{fake_library}.alpha.shout" not in sys.modules  # known by name, not imported
    assert registry.get("Yell") is registry.get("Shout")
    assert registry.info("Yell").name == "Shout"
    infos = registry.infos()
    assert [(i.name, i.domain, i.kind) for i in infos] == [
        ("Shout", "alpha", "generator"),
        ("Quiet", "alpha", "refiner"),
        ("Whisper", "beta", "filter"),
    ]
    assert infos[0].summary == "Upper-cases a field."
    assert infos[0].keys[1].name == "output_key" and infos[0].keys[1].default == "'loud'"


def test_infos_of_one_domain_import_only_that_domain(fake_library):
    registry = OperatorRegistry(package=fake_library)
    assert [i.name for i in registry.infos(domain="beta")] == ["Whisper"]
    assert f"{fake_library}.alpha.shout" not in sys.modules
    registry.load_builtin()  # streamflow 0.1's way to import the whole library
    assert f"{fake_library}.alpha.shout" in sys.modules


def test_a_name_two_domains_declare_is_an_error_naming_both(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    files = dict(FILES)
    files["beta/__init__.py"] = FILES["beta/__init__.py"].replace(
        '{"Whisper": "whisper"}', '{"Whisper": "whisper", "Shout": "whisper"}'
    )
    name = write_library(tmp_path, files)
    with pytest.raises(
        StreamflowError, match=rf"'Shout' is declared by two domains: {name}\.alpha"
    ):
        OperatorRegistry(package=name).builtin()


def test_a_map_entry_that_is_not_an_operator_fails_with_its_name(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    files = {**FILES, "beta/whisper.py": "Whisper = 42\n"}
    name = write_library(tmp_path, files)
    with pytest.raises(StreamflowError, match=r"'Whisper' of domain beta.*not an Operator"):
        OperatorRegistry(package=name).get("Whisper")


def test_a_broken_library_module_names_the_operator(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    files = {**FILES, "beta/whisper.py": "raise ImportError('no such thing')\n"}
    name = write_library(tmp_path, files)
    registry = OperatorRegistry(package=name)
    with pytest.raises(StreamflowError, match=r"operator 'Whisper' could not be loaded.*no such"):
        registry.get("Whisper")
    assert registry.get("Shout").__name__ == "Shout"  # the other modules are unaffected


# -- user code ------------------------------------------------------------------------------------


def test_register_operator_at_run_time(monkeypatch):
    registry = OperatorRegistry()
    monkeypatch.setattr("streamflow.operators.registry.OPERATORS", registry)

    @register_operator
    class Mine(Generator):
        def process(self, rows, input_key):
            return rows

    @register_operator("my_domain", "MyOldFilter")
    class MyFilter(Filter):
        def process(self, rows, input_key):
            return [True for _ in rows]

    assert registry.get("Mine") is Mine and registry.info("Mine").domain == "test_registry"
    assert registry.get("MyOldFilter") is MyFilter
    assert registry.info("MyFilter").domain == "my_domain"
    assert registry.is_builtin("Mine")  # not from an extension
    assert {"Mine", "MyFilter"} <= {i.name for i in registry.infos()}
    registry.register(Mine)  # the same class again is fine

    class WordNumberFilter(Filter):  # a library name, another class
        def process(self, rows, input_key):
            return [True for _ in rows]

    with pytest.raises(StreamflowError, match="'WordNumberFilter' is registered twice"):
        registry.register(WordNumberFilter)
    with pytest.raises(TypeError, match="is not an Operator subclass"):
        registry.register(int)  # type: ignore[arg-type]


# -- prompt templates -----------------------------------------------------------------------------


def test_prompt_templates_come_from_the_maps(fake_library):
    found = prompt_templates(fake_library)
    assert found["ShoutPrompt"].target == f"{fake_library}.alpha.prompts:ShoutPrompt"
    assert found["ShoutPrompt"].extension is None
    assert f"{fake_library}.alpha.prompts" not in sys.modules  # listed, not imported
    assert load_prompt("ShoutPrompt", fake_library)().build_prompt(text="hi") == "HI"
    with pytest.raises(StreamflowError, match="no prompt template named 'Nope'"):
        load_prompt("Nope", fake_library)


def test_the_library_templates_load():
    assert {"FormatStrPrompt", "DIYPromptABC"} <= set(prompt_templates())
    assert load_prompt("FormatStrPrompt").__module__ == "streamflow.prompts.base"


def test_prompts_and_actors_do_not_import_the_operator_layer_at_import():
    """actors/ and prompts/ sit below operators/: their registry aliases defer that import."""
    for module in ("streamflow.actors.registry", "streamflow.prompts.registry"):
        source = inspect.getsource(importlib.import_module(module))
        top = [n for n in ast.parse(source).body if isinstance(n, ast.Import | ast.ImportFrom)]
        names = [getattr(n, "module", None) or n.names[0].name for n in top]
        assert not [n for n in names if n.startswith("streamflow.operators")], module


def test_the_old_registry_modules_still_answer():
    from streamflow.actors.registry import OPERATORS as old_operators
    from streamflow.actors.registry import OperatorRegistry as OldRegistry
    from streamflow.prompts.registry import load_prompt as old_load_prompt
    from streamflow.prompts.registry import prompt_templates as old_prompt_templates

    assert old_operators is OPERATORS and OldRegistry is OperatorRegistry
    assert old_prompt_templates() == prompt_templates()
    assert old_load_prompt("FormatStrPrompt") is load_prompt("FormatStrPrompt")
    with pytest.raises(ImportError):
        from streamflow.actors.registry import Nope  # noqa: F401


# -- listing is cheap -----------------------------------------------------------------------------


_RUN_CLI = """
import json, runpy, sys
sys.argv = ["streamflow", *json.loads(sys.argv[1])]
try:
    runpy.run_module("streamflow", run_name="__main__")
except SystemExit as exc:
    status = exc.code
else:
    status = 0
print(json.dumps({"status": status, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "command",
    [["ops", "list", "--json"], ["ops", "show", "HtmlTextExtractor"], ["prompts", "list"]],
    ids=" ".join,
)
def test_listing_imports_no_heavy_library(command):
    done = subprocess.run(
        [sys.executable, "-c", _RUN_CLI, json.dumps(command)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    report = json.loads(done.stderr.splitlines()[-1])
    assert report["status"] in (0, None), done.stderr[-2000:]
    modules = set(report["modules"])
    if command[0] == "ops":  # the operator modules were imported: their imports are checked too
        assert "streamflow.operators.web.html_text_extractor" in modules
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == [], heavy
