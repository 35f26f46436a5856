"""The `rag` command's edges and the project's import rules."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
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


# Data flows one way: index/ → rag/ → ui/, evals/. Each package may import
# only the packages listed for it (rag/cli.py dispatches to ui/evals lazily).
ALLOWED_EDGES = {
    "index": set(),
    "rag": {"index"},
    "ui": {"rag", "index"},
    "evals": {"rag", "index"},
}


@pytest.mark.parametrize("package", sorted(ALLOWED_EDGES))
def test_package_edges(package: str) -> None:
    ours = set(ALLOWED_EDGES)
    for path in (ROOT / package).rglob("*.py"):
        if path == ROOT / "rag" / "cli.py":
            continue  # the one dispatcher, and only lazily
        edges = (_imports(path) & ours) - {package}
        assert edges <= ALLOWED_EDGES[package], f"{path} imports {sorted(edges)}"


# Inside rag/, the answer path is one module per step, in this order (rag/pipeline.py
# names them; rag/corpus.py holds the documents they are found in). Each lists exactly
# the steps it imports, all earlier in the order: a new edge between steps fails here.
STEPS = ["rewrite", "retrieve", "reader", "verify", "decide", "corpus", "pipeline"]
STEP_EDGES: dict[str, set[str]] = {
    "rewrite": set(),
    "retrieve": set(),
    "reader": set(),
    "verify": {"reader"},  # the sentences the reader split, to cite from
    "decide": {"reader", "verify"},  # what was read, and what verification found
    "corpus": {"retrieve"},  # the retriever over the store
    "pipeline": {"rewrite", "retrieve", "reader", "verify", "decide", "corpus"},
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
    for path in ROOT.glob("*/*.py"):
        top = path.parent.name
        if top in {"tests", ".venv"} or not (ROOT / top / "__init__.py").exists():
            continue
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
