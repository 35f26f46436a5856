"""The one module that talks to Chroma: a collection of passages.

The collection lives either in an embedded, persistent Chroma under
`store_dir` (the default) or on a Chroma server (`chroma_client(url=...)`,
e.g. `chroma run` or Chroma's distributed deployment's front end): the rest of
the code sees the same `PassageStore`.

Each passage is stored with its source, offsets, the sha256 of the file it
came from and its content-derived id. The collection's metadata holds the
manifest: the fingerprint of the embedder and splitting settings (a change
re-embeds everything) and a `generation` that changes with every write, so
caches derived from the passages (the BM25 index) know when they are stale.

Example:
    >>> store = PassageStore(Path(".rag"), embeddings)   # doctest: +SKIP
    >>> store.search("who are the envoys", k=3)           # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from index.errors import StoreError
from index.types import Passage

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)

COLLECTION = "passages"
MANIFEST = "index.json"  # legacy location of the manifest
MANIFEST_KEY = "rag_manifest"


def chroma_client(store_dir: Path, url: str = "", token: str = "") -> Any:
    """A Chroma client: embedded and persistent under `store_dir`, or a server's at `url`.

    `token` is sent as ``Authorization: Bearer <token>`` (Chroma's token auth).

    Example:
        >>> chroma_client(Path(".rag"))                                # doctest: +SKIP
        >>> chroma_client(Path(".rag"), "http://127.0.0.1:8000")       # doctest: +SKIP
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if not url:
        Path(store_dir).mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(store_dir), settings=settings)
    parts = urlsplit(url)
    ssl = parts.scheme == "https"
    headers = {"Authorization": f"Bearer {token}"} if token else None
    client = chromadb.HttpClient(
        host=parts.hostname or "localhost", port=parts.port or (443 if ssl else 8000),
        ssl=ssl, headers=headers, settings=settings,
    )
    client.heartbeat()  # fail here, naming the URL, rather than at the first query
    return client


class PassageStore:
    """Passages in a Chroma collection (embedded under `store_dir`, or a server's).

    `store_dir` also holds local caches derived from the passages (e.g. the
    BM25 index); with a server it is a cache folder only.
    """

    def __init__(self, store_dir: Path, embeddings: Embeddings, collection: str = COLLECTION,
                 url: str = "", token: str = ""):
        from langchain_chroma import Chroma

        self.store_dir = Path(store_dir)
        self.url = url
        where = url or str(self.store_dir)
        try:
            self.store_dir.mkdir(parents=True, exist_ok=True)
            self.client = chroma_client(self.store_dir, url, token)
            self._vs = Chroma(
                collection_name=collection,
                embedding_function=embeddings,
                client=self.client,
                collection_metadata={"hnsw:space": "cosine"},
            )
        except Exception as exc:  # chromadb raises many kinds; all mean "cannot open"
            fix = ("Check that the Chroma server is running and chroma_url is right."
                   if url else "Delete that folder and run `rag index --reset` to rebuild it.")
            raise StoreError(f"Cannot open the index at {where}: {exc}. {fix}") from exc

    # --- manifest -------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        """The collection's manifest (fingerprint, generation); {} when there is none."""
        # fetched afresh: another client of the same server may have re-indexed
        current = self.client.get_collection(self._vs._collection.name)
        raw = (current.metadata or {}).get(MANIFEST_KEY)
        if raw:
            try:
                return dict(json.loads(raw))
            except ValueError:
                return {}
        legacy = self.store_dir / MANIFEST  # stores written before the manifest moved
        try:
            return dict(json.loads(legacy.read_text(encoding="utf-8"))) if not self.url else {}
        except (OSError, ValueError):
            return {}

    def write_manifest(self, data: dict[str, Any]) -> None:
        """Store `data` as the manifest, with a new `generation`."""
        data = {**data, "generation": uuid.uuid4().hex}
        self._vs._collection.modify(metadata={MANIFEST_KEY: json.dumps(data, sort_keys=True)})

    def generation(self) -> str:
        """Changes whenever the passages change (through `write_manifest`)."""
        return str(self.manifest().get("generation", ""))

    # --- passages -------------------------------------------------------
    def count(self) -> int:
        return int(self._vs._collection.count())

    def file_hashes(self) -> dict[str, str]:
        """source → sha256 of the file its passages came from."""
        got = self._vs.get(include=["metadatas"])
        return {m["source"]: m["file_sha256"] for m in got["metadatas"] or [] if m}

    def add(self, spans: Sequence[Passage], file_sha256: str, flags: Sequence[bool]) -> None:
        """Embed and store `spans` (one file's passages)."""
        self.add_batch([(s, file_sha256, bool(f)) for s, f in zip(spans, flags, strict=True)])

    def add_batch(self, items: Sequence[tuple[Passage, str, bool]]) -> None:
        """Embed and store (passage, file sha256, suspicious) items of any files at once.

        One call embeds them in the embedder's batches: many small files cost
        no more than one large one.
        """
        if not items:
            return
        self._vs.add_texts(
            texts=[s.text for s, _, _ in items],
            ids=[s.id for s, _, _ in items],
            metadatas=[
                {
                    "source": s.source,
                    "start": s.start,
                    "end": s.end,
                    "file_sha256": sha,
                    "suspicious": bool(flag),
                }
                for s, sha, flag in items
            ],
        )

    def delete_source(self, source: str) -> None:
        got = self._vs.get(where={"source": source}, include=[])
        if got["ids"]:
            self._vs.delete(ids=got["ids"])

    def reset(self) -> None:
        self._vs.reset_collection()
        (self.store_dir / MANIFEST).unlink(missing_ok=True)

    def get(self, ids: Sequence[str]) -> list[Passage]:
        """The stored passages with these ids (in the order given; unknown ids left out)."""
        if not ids:
            return []
        got = self._vs.get(ids=list(ids), include=["documents", "metadatas"])
        found = {pid: _to_passage(pid, doc, meta) for pid, doc, meta
                 in zip(got["ids"], got["documents"], got["metadatas"], strict=True)}
        return [found[i] for i in ids if i in found]

    def all_passages(self) -> list[tuple[Passage, bool]]:
        """Every stored passage with its `suspicious` flag, in source order."""
        got = self._vs.get(include=["documents", "metadatas"])
        out = [
            (_to_passage(pid, doc, meta), bool(meta.get("suspicious")))
            for pid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        ]
        out.sort(key=lambda pf: (pf[0].source, pf[0].start))
        return out

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """(passage id, cosine similarity) of the `k` nearest passages."""
        n = min(k, self.count())
        if n <= 0:
            return []
        hits = self._vs.similarity_search_with_score(query, k=n)
        # cosine space: distance = 1 - similarity
        return [(str(doc.id), 1.0 - float(dist)) for doc, dist in hits]


def _to_passage(pid: str, text: str, meta: dict[str, Any]) -> Passage:
    return Passage(
        id=pid, source=meta["source"], start=int(meta["start"]), end=int(meta["end"]), text=text
    )
