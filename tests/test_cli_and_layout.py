"""The `rag` command's edges and the project's import rules."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED, read_exact

RAG = [sys.executable, "-m", "rag.cli"]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    environment.update(env, HF_HUB_OFFLINE="1")
    return subprocess.run(RAG + args, cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=600)


def test_help_and_version(tmp_path: Path) -> None:
    assert "ask" in run(["--help"], tmp_path).stdout
    assert run(["--version"], tmp_path).stdout.startswith("rag ")
    assert "--port" in run(["serve", "--help"], tmp_path).stdout


def test_bad_setting_is_a_clear_error_and_nonzero(tmp_path: Path) -> None:
    r = run(["sources"], tmp_path, RAG_TOP_KAY="3")
    assert r.returncode != 0 and "RAG_TOP_KAY" in r.stderr and "Traceback" not in r.stderr


def test_missing_corpus_is_a_clear_error(tmp_path: Path) -> None:
    r = run(["index", str(tmp_path / "nowhere")], tmp_path)
    assert r.returncode == 1 and "does not exist" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_index_then_ask_json_from_a_user_folder(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEED, docs / SEED.name)
    (docs / "blob.txt").write_bytes(b"\x00\x01\x02")
    r = run(["index", "docs"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "skipped blob.txt" in r.stderr
    r = run(["ask", "Where have the envoys met?", "--json"], tmp_path,
            RAG_CORPUS_DIR="docs", RAG_MODEL="qwen2.5-0.5b")
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    assert set(answer) >= {"text", "citations", "refused", "passages", "timings"}
    for c in answer["citations"]:
        assert read_exact(docs / c["source"])[c["start"] : c["end"]] == c["quote"]
    assert (tmp_path / ".rag").is_dir()  # the default store, relative to the working folder
    r = run(["ask", "   "], tmp_path, RAG_CORPUS_DIR="docs")
    assert r.returncode == 1 and "empty" in r.stderr


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, dotted: ``from evals import bench`` gives ``evals.bench``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


# Data flows one way: index/ → rag/ → ui/, evals/; inside evals/, the speed benchmarks
# (evals.bench) and the tuning (evals.tuning) use the quality evaluation (evals), never the
# reverse. A unit is a package, a subpackage or a module; a file belongs to the longest
# unit its dotted name starts with, and may import only its own unit and those listed for it
# (rag/cli.py, the one dispatcher, reaches ui/ and evals/ lazily and is left out).
ALLOWED_EDGES: dict[str, set[str]] = {
    "index": set(),
    "rag": {"index"},
    "ui": {"rag", "index"},
    "evals": {"rag", "index"},
    "evals.bench": {"evals", "rag", "index"},
    "evals.tuning": {"evals", "rag", "index"},
}
EXEMPT = {"rag/cli.py"}


def unit_of(module: str, units: set[str]) -> str | None:
    """The longest unit that `module` is or lies in (None: not ours).

    >>> unit_of("evals.bench.scale", {"evals", "evals.bench"}), unit_of("numpy", {"evals"})
    ('evals.bench', None)
    """
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in units:
            return ".".join(parts[:n])
    return None


def disallowed_edges(root: Path, allowed: dict[str, set[str]],
                     exempt: set[str] = EXEMPT) -> list[str]:
    """Each file under `root` and each unit it reaches that `allowed` does not list for its own."""
    units = set(allowed)
    found = []
    for top in sorted({u.split(".")[0] for u in units}):
        for path in sorted((root / top).rglob("*.py")):
            rel = path.relative_to(root)
            if rel.as_posix() in exempt:
                continue
            own = unit_of(".".join(rel.with_suffix("").parts), units)
            assert own is not None, rel
            bad: dict[str, str] = {}  # target unit -> the first module seen that reaches it
            for module in sorted(_imported_modules(path)):
                target = unit_of(module, units)
                if target is not None and target != own and target not in allowed[own]:
                    bad.setdefault(target, module)
            found += [f"{rel}: {own} -> {t} ({m})" for t, m in sorted(bad.items())]
    return found


def test_package_edges() -> None:
    assert disallowed_edges(ROOT, ALLOWED_EDGES) == []


def test_every_package_is_a_listed_unit() -> None:
    """A new subpackage must be placed in ALLOWED_EDGES, not counted silently as its parent."""
    for top in {u.split(".")[0] for u in ALLOWED_EDGES}:
        for init in (ROOT / top).rglob("__init__.py"):
            name = ".".join(init.parent.relative_to(ROOT).parts)
            assert name in ALLOWED_EDGES, f"{name} is not in ALLOWED_EDGES"


def test_the_edge_check_fails_on_a_new_edge(tmp_path: Path) -> None:
    """The checker, on a synthetic tree: an edge up; quality importing speed or tuning;
    tuning importing speed. Allowed edges in the same tree are not reported."""
    files = {
        "index/__init__.py": "",
        "index/split.py": "import rag.types\n",  # upward
        "rag/__init__.py": "",
        "rag/types.py": "from index import split\n",  # allowed
        "evals/__init__.py": "",
        "evals/report.py": "from evals import bench\n",  # quality -> speed: not allowed
        "evals/metrics.py": "from evals.tuning.fit import x\n",  # quality -> tuning: not allowed
        "evals/bench/__init__.py": "",
        "evals/bench/cli.py": "from evals import metrics\nfrom evals.bench import scale\n",
        "evals/tuning/__init__.py": "",
        "evals/tuning/fit.py": "from evals.bench.cli import table\n",  # tuning -> speed
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    found = disallowed_edges(tmp_path, {k: v for k, v in ALLOWED_EDGES.items() if k != "ui"})
    assert [f.split(":")[0] for f in found] == [
        "evals/metrics.py", "evals/report.py", "evals/tuning/fit.py", "index/split.py"], found
    assert "evals -> evals.bench" in found[1] and "index -> rag" in found[3]


def import_circles(root: Path, tops: Sequence[str]) -> list[list[str]]:
    """Modules under `tops` that import each other in a loop, imports inside functions
    included (a lazy import hides a circle from the interpreter, not from a reader)."""
    files: dict[str, Path] = {}
    for top in tops:
        for path in (root / top).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {m: _module_imports(p, set(files)) - {m} for m, p in files.items()}
    circles: list[list[str]] = []
    seen: set[str] = set()
    for start in sorted(graph):
        reach = _reaches(graph, start)
        if start in reach and start not in seen:  # a loop: the modules that reach `start` back
            loop = sorted(m for m in reach if start in _reaches(graph, m))
            circles.append(loop)
            seen.update(loop)
    return circles


def _module_imports(path: Path, modules: set[str]) -> set[str]:
    """The `modules` that `path` imports: ``from ui import render`` is ui.render alone (a
    package is loaded before its modules anyway); ``from rag import Settings`` is rag."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(unit_of(a.name, modules) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.update(f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules
                         else unit_of(node.module, modules) for a in node.names)
    return {m for m in found if m is not None}


def _reaches(graph: dict[str, set[str]], start: str) -> set[str]:
    reach: set[str] = set()
    todo = [start]
    while todo:
        for t in graph[todo.pop()] - reach:
            reach.add(t)
            todo.append(t)
    return reach


def test_no_import_circles() -> None:
    assert import_circles(ROOT, sorted({u.split(".")[0] for u in ALLOWED_EDGES})) == []


def test_the_circle_check_sees_a_lazy_circle(tmp_path: Path) -> None:
    files = {"evals/__init__.py": "", "evals/a.py": "import evals.b\n",
             "evals/b.py": "def f():\n    from evals import a\n", "evals/c.py": "import evals.a\n"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert import_circles(tmp_path, ["evals"]) == [["evals.a", "evals.b"]]


# Inside rag/, the answer path is one module per step, in this order (rag/pipeline.py
# names them; rag/corpus.py holds the documents they are found in). Each lists exactly
# the steps it imports, all earlier in the order: a new edge between steps fails here.
# An open question (`route`) takes the quoting path: retrieve -> compose (issue 16).
# With `open_answers: written`, the model rewrites the quoted sentences (`write`).
# The decision each model runs with is chosen beside the step it configures (`decisions`).
STEPS = ["rewrite", "route", "retrieve", "reader", "verify", "compose", "write", "decide",
         "decisions", "corpus", "pipeline"]
STEP_EDGES: dict[str, set[str]] = {
    "rewrite": set(),
    "route": set(),
    "retrieve": set(),
    "reader": set(),
    "verify": {"reader"},  # the sentences the reader split, to cite from
    "compose": {"route", "verify"},  # the kind of question; the decline text
    "write": {"compose", "verify"},  # the chosen sentences; the support check
    "decide": {"reader", "verify"},  # what was read, and what verification found
    "decisions": {"decide"},  # the fitted DeclineModel of each model
    "corpus": {"retrieve"},  # the retriever over the store
    "pipeline": {"rewrite", "route", "retrieve", "reader", "verify", "compose", "write",
                 "decide", "decisions", "corpus"},
}
# The composition roots: `rag` (the default pipeline) and the CLI build the steps.
COMPOSERS = {"__init__", "cli"}


def _rag_imports(path: Path) -> set[str]:
    """The rag/ modules `path` imports (``from rag import x`` counts as x)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "rag":
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rag."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[1] for a in node.names if a.name.startswith("rag."))
    return names & {p.stem for p in (ROOT / "rag").glob("*.py")}


def test_step_edges_point_back_along_the_answer_path() -> None:
    for step, allowed in STEP_EDGES.items():
        assert all(STEPS.index(other) < STEPS.index(step) for other in allowed), step


@pytest.mark.parametrize("step", STEPS)
def test_each_step_imports_exactly_the_steps_listed(step: str) -> None:
    got = _rag_imports(ROOT / "rag" / f"{step}.py") & set(STEPS)
    assert got == STEP_EDGES[step], f"rag/{step}.py imports steps {sorted(got)}"


def test_no_other_rag_module_reaches_into_the_steps() -> None:
    for path in (ROOT / "rag").glob("*.py"):
        if path.stem in set(STEPS) | COMPOSERS:
            continue
        assert not _rag_imports(path) & set(STEPS), \
            f"{path} imports a step: list it in STEPS and STEP_EDGES, or move the code"


def test_core_never_imports_gradio() -> None:
    for path in list((ROOT / "rag").glob("*.py")) + list((ROOT / "index").glob("*.py")):
        assert "gradio" not in _imports(path), path


def test_only_ui_imports_gradio_and_only_store_imports_chroma() -> None:
    packages = [d for d in ROOT.iterdir() if (d / "__init__.py").exists() and d.name != "tests"]
    for path in (p for d in packages for p in d.rglob("*.py")):  # subpackages too
        top = path.relative_to(ROOT).parts[0]
        imported = _imports(path)
        if "gradio" in imported:
            assert top == "ui", path
        if {"chromadb", "langchain_chroma"} & imported and top != "evals":
            assert path == ROOT / "index" / "store.py", path
        if "llama_cpp" in imported:
            assert path == ROOT / "rag" / "llm.py", path


def test_import_does_no_work() -> None:
    code = ("import sys, rag, index; "
            "assert 'torch' not in sys.modules and 'chromadb' not in sys.modules, "
            "sorted(m for m in sys.modules if m in ('torch','chromadb'))")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)
