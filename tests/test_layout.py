"""The shape of the code: floors, no import running up one, no circle, no private name shared.

The README's "Code layout" lists gdlab's modules from the bottom floor up; a
module may import its own floor and the floors below, never one above (an
import inside a function counts too: it is the same dependency, only later).
Module-level imports form no circle, and no module imports another module's
private (``_name``) attribute. A new module must be given a floor here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gdlab

SRC = Path(gdlab.__file__).parent

#: (module or package prefix, floor); the longest matching prefix decides. The
#: README's "Code layout" lists the same floors.
FLOORS = {
    "gdlab._version": 0,
    "gdlab._validation": 1,
    "gdlab._param_checks": 1,
    "gdlab._sequence_checks": 1,
    "gdlab._state_checks": 1,
    "gdlab._tree_checks": 1,
    "gdlab._load_checks": 1,
    "gdlab.capability_tags": 2,
    "gdlab.bayes": 2,
    "gdlab.distributions": 3,
    "gdlab.inference": 4,
    "gdlab.base": 5,
    "gdlab.tokenizers": 5,
    "gdlab.nn": 6,
    "gdlab.data": 7,
    "gdlab.models": 8,
    "gdlab.sklearn": 8,
    "gdlab.hmmlearn": 8,
    "gdlab.persistence": 8,
    "gdlab.metrics": 9,
    "gdlab.ranking": 9,
    "gdlab.answers": 10,
    "gdlab.studies": 10,
    "gdlab.report": 11,
    "gdlab.verdict": 11,
    "gdlab.comparison": 12,
    "gdlab.advice": 13,
    "gdlab.cli": 14,
    "gdlab": 15,
}


def _floor(module: str) -> int | None:
    # "gdlab" is the package's __init__ alone, not a prefix of every module
    matches = [p for p in FLOORS if module == p or (p != "gdlab" and module.startswith(p + "."))]
    return FLOORS[max(matches, key=len)] if matches else None


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = ("gdlab",) + path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(path: Path, *, top_level_only: bool = False):
    """(imported module, names, line) of each absolute gdlab import of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "gdlab":
            names = [a.name for a in node.names]
            if node.module == "gdlab":  # from gdlab import base: the module gdlab.base
                yield from ((f"gdlab.{n}", [], node.lineno) for n in names)
            else:
                yield node.module, names, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "gdlab":
                    yield alias.name, [], node.lineno


def test_every_module_has_a_floor():
    missing = [name for name in MODULES if _floor(name) is None]
    assert not missing, f"give these modules a floor in FLOORS (and the README): {missing}"


def test_the_floor_table_catches_an_import_running_up():
    assert _floor("gdlab.models.naive_bayes") > _floor("gdlab.distributions.gaussian")
    assert _floor("gdlab.models._blend_fit") == _floor("gdlab.models")
    assert _floor("gdlab.numbers") is None  # a module not in the table is reported


# a package's __init__ gathers its own modules, so packages are not checked
@pytest.mark.parametrize("name", [n for n, p in MODULES.items() if p.name != "__init__.py"])
def test_no_import_runs_up_a_floor(name):
    own = _floor(name)
    above = [f"line {line}: {module} (floor {_floor(module)})"
             for module, _, line in _imports(MODULES[name])
             if _floor(module) is not None and _floor(module) > own]
    assert not above, f"{name} (floor {own}) imports from above: {above}"


def test_module_level_imports_form_no_circle():
    graph = {}
    for name, path in MODULES.items():
        if path.name == "__init__.py":
            continue  # packages re-export their modules; importing one is not a cycle
        targets = set()
        for module, names, _ in _imports(path, top_level_only=True):
            targets.add(module)
            targets.update(f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES)
        graph[name] = {t for t in targets if t in MODULES and MODULES[t].name != "__init__.py"}
    state, path_stack = {}, []

    def visit(node):
        state[node] = "open"
        path_stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycle = path_stack[path_stack.index(nxt):] + [nxt]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path_stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_no_private_name_is_imported_from_another_module():
    shared = []
    for name, path in MODULES.items():
        for module, names, line in _imports(path):
            for imported in names:
                is_private = imported.startswith("_") and not imported.startswith("__")
                # a private module imported from its package is fine (studies._common)
                if is_private and f"{module}.{imported}" not in MODULES:
                    shared.append(f"{name}:{line} imports {module}.{imported}")
    assert not shared, shared
