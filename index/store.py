"""The one module that talks to Chroma: a persistent collection of passages.

Each passage is stored with its source, offsets, the sha256 of the file it
came from and its content-derived id. A small manifest records the fingerprint
of the embedder and splitting settings (a change there re-embeds everything)
and which files are wholly stored. It lives where the vectors live: in
``index.json`` beside an embedded store, and in a collection of its own on a
Chroma server, so every client of one server shares it.

Example:
    >>> store = PassageStore(Path(".rag"), embeddings)   # doctest: +SKIP
    >>> store.search("who are the envoys", k=3)           # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from index.errors import StoreError
from index.types import Passage

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)

COLLECTION = "passages"
MANIFEST = "index.json"
MANIFEST_ID = "manifest"  # the one record of the server's `<collection>-state` collection
NO_VECTOR = [0.0]  # state records are looked up by id; Chroma still wants a vector
PAGE = 5000  # rows read per `get`: one unpaged get of ~100k rows is too many SQL variables
ADD_BATCH = 256  # passages embedded and written at once: bounded memory, visible progress, and
# enough texts for the embedder to sort by length and pad little (measured: 64 → 256, ~9 % faster)


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
    """Passages in a persistent Chroma collection under `store_dir`."""

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
            self.collection = collection
            self._state = self.side_collection("state") if url else None
        except Exception as exc:  # chromadb raises many kinds; all mean "cannot open"
            fix = ("Check that the Chroma server is running and chroma_url is right."
                   if url else "Delete that folder and run `rag index --reset` to rebuild it.")
            raise StoreError(f"Cannot open the index at {where}: {exc}. {fix}") from exc

    def side_collection(self, kind: str) -> Any:
        """A collection of records looked up by id beside the passages (on the same
        server): ``<collection>-<kind>``. Its records carry `NO_VECTOR`."""
        return self.client.get_or_create_collection(
            f"{self.collection}-{kind}", embedding_function=None)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Turn a failed write (full disk, read-only folder, broken database, a server
        that refuses) into `StoreError` naming where the index is."""
        try:
            yield
        except StoreError:
            raise
        except Exception as exc:  # chromadb and sqlite raise many kinds; all mean "cannot write"
            fix = ("Check that the Chroma server is running and accepts writes"
                   if self.url else "Free some disk space or make the folder writable")
            raise StoreError(
                f"Cannot write the index at {self.url or self.store_dir}: {exc}. {fix}, then "
                "run `rag index` again (it finishes the interrupted work)."
            ) from exc

    # --- manifest -------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        try:
            if self._state is not None:
                got = self._state.get(ids=[MANIFEST_ID], include=["documents"])
                return dict(json.loads(got["documents"][0])) if got["ids"] else {}
            return dict(json.loads((self.store_dir / MANIFEST).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return {}

    def generation(self) -> str:
        """Changes whenever the manifest is written (the retriever's cache key)."""
        return str(self.manifest().get("generation", ""))

    def write_manifest(self, data: dict[str, Any]) -> None:
        """Replace the manifest atomically (a crash leaves the old or the new one), with a
        new `generation`: a file renamed over the old one, or one upsert on the server."""
        data = {**data, "generation": uuid.uuid4().hex}
        if self._state is not None:
            with self._writing():
                self._state.upsert(ids=[MANIFEST_ID], documents=[json.dumps(data, sort_keys=True)],
                                   embeddings=[NO_VECTOR])
            return
        tmp = self.store_dir / (MANIFEST + ".tmp")
        with self._writing():
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(data, indent=2, sort_keys=True))
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(self.store_dir / MANIFEST)

    def skipped(self) -> list[tuple[str, str]]:
        """(source, reason) of each file in the corpus that the last sync did not index: too
        large, unreadable, outside the corpus, or with nothing left once hostile blocks were
        dropped. Read-only: it reads the manifest."""
        return sorted((str(s), str(r)) for s, r in self.manifest().get("skipped", {}).items())

    def is_complete(self) -> bool:
        """False while a sync runs or after one was killed: run `rag index` to finish it."""
        return bool(self.manifest().get("complete"))

    # --- passages -------------------------------------------------------
    def count(self) -> int:
        return int(self._vs._collection.count())

    def _rows(self, include: list[str]) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
        """(id, document, metadata) of every stored passage, `PAGE` rows per request."""
        offset = 0
        while True:
            got = self._vs.get(include=include, limit=PAGE, offset=offset)
            ids = got["ids"]
            docs = got.get("documents") or [None] * len(ids)
            metas = got.get("metadatas") or [{}] * len(ids)
            yield from zip(ids, docs, metas, strict=True)
            if len(ids) < PAGE:
                return
            offset += PAGE

    def sources(self) -> set[str]:
        """Every source with at least one stored passage."""
        return {m["source"] for _, _, m in self._rows(["metadatas"]) if m}

    def file_hashes(self) -> dict[str, str]:
        """source → sha256 of the file its passages came from."""
        return {m["source"]: m["file_sha256"] for _, _, m in self._rows(["metadatas"]) if m}

    def add(self, spans: Sequence[Passage], file_sha256: str) -> None:
        """Embed and store `spans` (one file's passages), `ADD_BATCH` at a time."""
        for i in range(0, len(spans), ADD_BATCH):
            batch = spans[i : i + ADD_BATCH]
            with self._writing():
                self._vs.add_texts(
                    texts=[s.text for s in batch],
                    ids=[s.id for s in batch],
                    metadatas=[
                        {
                            "source": s.source,
                            "start": s.start,
                            "end": s.end,
                            "file_sha256": file_sha256,
                            # Chroma metadata cannot hold None: 0 means "no page"
                            "page": s.page or 0,
                        }
                        for s in batch
                    ],
                )
            log.info("stored %d/%d passages of %s", i + len(batch), len(spans), batch[0].source)

    def delete_source(self, source: str) -> None:
        with self._writing():  # by filter: a huge file's ids would be too many
            self._vs._collection.delete(where={"source": source})

    def reset(self) -> None:
        with self._writing():
            self._vs.reset_collection()
            (self.store_dir / MANIFEST).unlink(missing_ok=True)
            if self._state is not None:
                self._state.delete(ids=[MANIFEST_ID])

    def get(self, ids: Sequence[str]) -> list[Passage]:
        """The stored passages with these ids (in the order given; unknown ids left out)."""
        if not ids:
            return []
        got = self._vs.get(ids=list(ids), include=["documents", "metadatas"])
        found = {pid: _to_passage(pid, doc, meta) for pid, doc, meta
                 in zip(got["ids"], got["documents"], got["metadatas"], strict=True)}
        return [found[i] for i in ids if i in found]

    def all_passages(self) -> list[Passage]:
        """Every stored passage, in source order."""
        out = [_to_passage(pid, doc or "", meta)
               for pid, doc, meta in self._rows(["documents", "metadatas"])]
        out.sort(key=lambda p: (p.source, p.start))
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
        id=pid, source=meta["source"], start=int(meta["start"]), end=int(meta["end"]), text=text,
        page=int(meta.get("page") or 0) or None,
    )
