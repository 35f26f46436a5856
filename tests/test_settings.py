"""Settings: defaults, file, environment, and loud failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import SettingsError
from rag.settings import Settings


def test_defaults() -> None:
    s = Settings(config_file="/nonexistent.yaml")
    assert s.corpus_dir == Path("seeds") and s.store_dir == Path(".rag")
    assert s.temperature == 0.0 and s.host == "127.0.0.1"


def test_file_then_env_then_kwargs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "rag.yaml"
    cfg.write_text("top_k: 3\nmodel: qwen2.5-1.5b\ncorpus_dir: docs\n", encoding="utf-8")
    monkeypatch.setenv("RAG_MODEL", "qwen2.5-0.5b")
    s = Settings(config_file=cfg)
    assert (s.top_k, s.model, s.corpus_dir) == (3, "qwen2.5-0.5b", Path("docs"))
    assert Settings(config_file=cfg, top_k=5).top_k == 5


def test_unknown_file_key_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "rag.yaml"
    cfg.write_text("topk: 3\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="topk"):
        Settings(config_file=cfg)


def test_unknown_env_var_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_TOPK", "3")
    with pytest.raises(SettingsError, match="RAG_TOPK"):
        Settings()


def test_bad_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_TOP_K", "many")
    with pytest.raises(SettingsError, match="top_k"):
        Settings()


def test_conflict_is_explained() -> None:
    with pytest.raises(SettingsError, match="top_k"):
        Settings(top_k=30, candidates=10)
    with pytest.raises(SettingsError, match="min_passage_chars"):
        Settings(passage_chars=100, min_passage_chars=200)


def test_file_is_read_by_pydantic_settings_yaml_source(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic_settings import YamlConfigSettingsSource

    from rag.settings import _YamlFile

    assert issubclass(_YamlFile, YamlConfigSettingsSource)
    cfg = tmp_path / "rag.yaml"
    cfg.write_text("top_k: 2\ncandidates: 9\n", encoding="utf-8")
    monkeypatch.setenv("RAG_TOP_K", "3")
    s = Settings(config_file=cfg, candidates=7)
    assert (s.top_k, s.candidates, s.port) == (3, 7, 7860)  # env > yaml, kwargs > yaml > default


def test_working_folder_file_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rag.yaml").write_text("port: 9000\n", encoding="utf-8")
    assert Settings().port == 9000


@pytest.mark.parametrize("body, message", [
    ("top_k: [1\n", "not valid YAML"),
    ("- top_k\n- 3\n", "mapping"),
    ("port: 80\nportt: 81\n", "portt"),
])
def test_malformed_file_is_named(tmp_path: Path, body: str, message: str) -> None:
    cfg = tmp_path / "rag.yaml"
    cfg.write_text(body, encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        Settings(config_file=cfg)
def test_upload_types_must_be_readable_and_match_the_loaders() -> None:
    from index.extract import SUFFIXES
    from rag.settings import _READABLE

    assert set(_READABLE) == set(SUFFIXES)  # settings cannot import index/ at load time
    assert ".pdf" in Settings().upload_types
    with pytest.raises(SettingsError, match="upload_types"):
        Settings(upload_types=[".pdf", ".exe"])


def test_every_setting_is_read_by_the_code_and_listed_in_the_readme() -> None:
    """A setting nothing reads, or one the README does not explain, misleads its user
    (`log_level` was read nowhere)."""
    import re

    root = Path(__file__).resolve().parents[1]
    code = "\n".join(p.read_text(encoding="utf-8")
                     for folder in ("rag", "index", "ui", "evals")
                     for p in sorted((root / folder).rglob("*.py"))
                     if p != root / "rag" / "settings.py")
    readme = (root / "README.md").read_text(encoding="utf-8")
    unread = [n for n in Settings.model_fields if not re.search(rf"\.{n}\b", code)]
    unlisted = [n for n in Settings.model_fields if f"`{n}`" not in readme]
    assert unread == [] and unlisted == [], (unread, unlisted)


def test_max_answer_tokens_caps_the_readers_draft(tmp_path: Path) -> None:
    """The setting reaches the reader (a constant 48 did): the fake model's words are
    its tokens, and the answer sentence below has 13 of them."""
    from tests.fakes import pipeline_with_fakes

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "The harbour crane at Tanf lifted forty containers of grain every single day.\n",
        encoding="utf-8")
    question = "How many containers did the harbour crane at Tanf lift every day?"
    short = pipeline_with_fakes(corpus, tmp_path / "s1", max_answer_tokens=8).answer(question)
    whole = pipeline_with_fakes(corpus, tmp_path / "s2").answer(question)
    assert short.timings["completion_tokens"] == 8
    assert whole.timings["completion_tokens"] == 13
