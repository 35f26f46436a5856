"""Embeddings from an OpenAI-compatible ``/embeddings`` endpoint (llama.cpp's
server, vLLM, Ollama's ``/v1``, text-embeddings-inference…).

Chosen by the `embed_url` / `embed_model` settings (see `rag.backends`); the
packaged MiniLM in process stays the default. The `openai` client is imported
only when this embedder is built.

Example:
    >>> emb = RemoteEmbeddings("http://127.0.0.1:8081/v1", "all-MiniLM-L6-v2")  # doctest: +SKIP
    >>> len(emb.embed_query("hello"))                                           # doctest: +SKIP
    384
"""

from __future__ import annotations

from typing import Any

from langchain_core.embeddings import Embeddings

from index.errors import StoreError


class RemoteEmbeddings(Embeddings):
    """LangChain embeddings over an OpenAI-compatible server, in batches."""

    def __init__(self, url: str, model: str, api_key: str = "", batch_size: int = 64,
                 timeout: float = 60.0) -> None:
        try:
            import openai
        except ImportError as exc:  # pragma: no cover - install problem
            raise ImportError("embed_url needs the `openai` package: run `make setup`.") from exc
        self.url, self.model, self.batch_size = url, model, batch_size
        self._errors: tuple[type[BaseException], ...] = (openai.OpenAIError,)
        self._client: Any = openai.OpenAI(base_url=url, api_key=api_key or "unused",
                                          timeout=timeout, max_retries=1)

    def _embed(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i : i + self.batch_size]
            try:
                got = self._client.embeddings.create(model=self.model, input=batch)
            except self._errors as exc:
                raise StoreError(f"The embeddings server at {self.url} failed: {exc}") from exc
            out.extend(list(d.embedding) for d in sorted(got.data, key=lambda d: d.index))
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(list(texts))

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text])[0]
