"""No import cycle among the library's modules (issue 15: ``selection/_rules`` <-> ``_selector``),
and the layers of docs/contributing.md: who may import whom.

The graph has an edge ``a -> b`` for each module-level ``import`` / ``from ... import`` in ``a``
that names module ``b`` of the package (``from pkg import name`` points at the submodule
``pkg.name`` when there is one, else at ``pkg/__init__``). Imports inside functions are lazy on
purpose and not edges; neither are the parent packages Python initializes on the way.
"""

import ast
from pathlib import Path

import pytest

import fairlearn_online

ROOT = Path(fairlearn_online.__file__).parent
PACKAGE = "fairlearn_online"


def _module_name(path, root):
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _module_graph(root=ROOT):
    files = {_module_name(p, root): p for p in root.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        here = name if is_package else name.rpartition(".")[0]
        edges = set()
        for node in ast.parse(path.read_text()).body:  # module level only
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")
                    base = base[:len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in files
                           else source for alias in node.names]
            edges.update(t for t in targets if t in files and t != name)
        graph[name] = edges
    return graph


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    graph = _module_graph()
    assert len(graph) > 50 and graph[f"{PACKAGE}.forest._aranyani"]
    assert _cycles(graph) == []


@pytest.mark.parametrize("lazy", [False, True])
def test_a_cycle_is_found_and_a_lazy_import_is_not_one(tmp_path, lazy):
    pkg = tmp_path / PACKAGE / "sub"
    pkg.mkdir(parents=True)
    (tmp_path / PACKAGE / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("from ._a import f\n")
    (pkg / "_a.py").write_text("from ._b import g\n\ndef f():\n    return g()\n")
    body = "def g():\n    from ._a import f\n    return f\n" if lazy else "from ._a import f\n"
    (pkg / "_b.py").write_text(body)
    found = _cycles(_module_graph(tmp_path / PACKAGE))
    assert found == ([] if lazy else [[f"{PACKAGE}.sub._a", f"{PACKAGE}.sub._b"]])


#: the method subpackages: each imports only the core, the streaming protocol and ``utils``
METHODS = {"forest", "regret", "dcov", "selection", "optimum"}
#: who may import whom at module level (docs/contributing.md, "Who may import whom"), as the
#: top-level parts of fairlearn_online a part may import; a part not listed may import anything
MAY_IMPORT = {
    "_core": set(),
    "base": {"_core"},
    **{method: {"_core", "base", "utils"} for method in METHODS},
    "baselines": {"_core", "base", "forest", "regret"},
    "metrics": {"_core", "base", "utils"},
    "evaluate": {"_core", "base", "metrics", "utils"},
    "datasets": {"_core", "base", "utils"},
    "utils": set(),
}


def _part(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _forbidden_imports(graph):
    wrong = []
    for module, targets in sorted(graph.items()):
        here = _part(module)
        for target in sorted(targets):
            there = _part(target)
            if there == here:
                continue
            if here in MAY_IMPORT and there not in MAY_IMPORT[here]:
                wrong.append(f"{module} -> {target}")
            elif there == "experiments":  # nothing outside experiments/ imports it
                wrong.append(f"{module} -> {target}")
    return wrong


def test_who_may_import_whom():
    assert _forbidden_imports(_module_graph()) == []


def test_a_method_importing_another_is_found():
    graph = {f"{PACKAGE}.dcov._estimators": {f"{PACKAGE}.forest._kernels", f"{PACKAGE}.base"},
             f"{PACKAGE}.metrics._frame": {f"{PACKAGE}.experiments._runner"},
             f"{PACKAGE}.frontier": {f"{PACKAGE}.experiments"}}
    assert _forbidden_imports(graph) == [
        f"{PACKAGE}.dcov._estimators -> {PACKAGE}.forest._kernels",
        f"{PACKAGE}.frontier -> {PACKAGE}.experiments",
        f"{PACKAGE}.metrics._frame -> {PACKAGE}.experiments._runner"]
