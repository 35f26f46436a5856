"""The corpus: the indexed documents an answer is found in.

A `Corpus` owns the store (Chroma), the retriever built over it, and the texts
kept beside it; it indexes a folder, picks up an index another process wrote,
and lists and shows documents. It never runs the chat model: `rag.Pipeline`
answers and is handed a `Corpus`. `open_corpus` is the one place that composes
one from `Settings` (the CLI, the chat, the API and the evaluations all use it).

Opening and listing only read: an index that a killed run left half-written is
finished by `rag index`, by `rag serve` or before the next answer
(`Corpus.finish_interrupted`), never by `rag sources` or ``/v1/documents``.

Example:
    >>> corpus = open_corpus(Settings(corpus_dir="seeds"))       # doctest: +SKIP
    >>> [s.source for s in corpus.sources()]                     # doctest: +SKIP
    ['000_45462b0256a40011.txt']
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.embed import offline_environment
from index.names import NameVocabulary
from index.store import PassageStore
from index.sync import IndexReport, OnFile, finish_interrupted, sync_folder, text_cache_for
from index.types import ExtractedText
from index.uploads import Uploads
from rag import backends, prompts
from rag.errors import CorpusError
from rag.retrieve import HybridRetriever
from rag.settings import Settings
from rag.types import Passage

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)

# Seconds between two looks at the store's generation while answering: an index written
# by another process (`rag index` beside `rag serve`, another client of a Chroma server)
# is picked up without a restart. A look reads the small manifest, nothing else.
REFRESH_EVERY = 5.0


@dataclass(frozen=True)
class SourceInfo:
    """An indexed document and how many passages it has."""

    source: str
    passages: int


@dataclass(frozen=True)
class Indexed:
    """What one state of the index answers from; replaced whole, never changed."""

    generation: str
    retriever: HybridRetriever
    whole: list[Passage] | None  # every passage in document order, when read whole
    names: NameVocabulary  # every name and word the documents hold (off-corpus questions)


def open_corpus(settings: Settings | None = None) -> Corpus:
    """The corpus of `settings` (embedder and store opened; nothing indexed or written)."""
    offline_environment()
    settings = (settings or Settings()).resolved()
    embeddings = backends.load_embeddings(settings)
    return Corpus(settings, backends.open_store(settings, embeddings), embeddings)


class Corpus:
    """The indexed documents; see the module docstring.

    The retriever is built on first use (`rag index` never needs one). Indexing
    runs one at a time (`_index_lock`) while answers go on with the current
    `Indexed`; the new one replaces it in one assignment, so an answer never
    sees half of each.
    """

    def __init__(self, settings: Settings, store: PassageStore, embeddings: Embeddings) -> None:
        self.settings = settings
        self.store = store
        self.embeddings = embeddings
        self.texts = text_cache_for(store)
        self._index_lock = threading.Lock()  # one sync or swap at a time
        self._build_lock = threading.Lock()  # the first build of the retriever
        self._indexed: Indexed | None = None
        self._checked = time.monotonic()
        self._refreshing: threading.Thread | None = None
        self._hashes: dict[str, str] | None = None  # source -> sha256, read when first needed

    # --- what answers read ----------------------------------------------------
    def current(self) -> Indexed:
        """The index as answers see it now (built on first call)."""
        indexed = self._indexed
        if indexed is None:
            with self._build_lock:
                if self._indexed is None:
                    self._indexed = self._build()
                indexed = self._indexed
        return indexed

    @property
    def retriever(self) -> HybridRetriever:
        return self.current().retriever

    @property
    def full_context(self) -> list[Passage] | None:
        """Every passage, in document order, when the model reads the whole corpus."""
        return self.current().whole

    def _build(self) -> Indexed:
        generation = self.store.generation()  # read before the build: a later change is seen
        retriever = HybridRetriever.build(self.store, self.settings.candidates)
        names = NameVocabulary.from_texts(p.text for p in retriever.passages.values())
        return Indexed(generation, retriever, self._whole_corpus(retriever), names)

    def _whole_corpus(self, retriever: HybridRetriever) -> list[Passage] | None:
        mode = self.settings.context_mode
        everything = sorted(retriever.passages.values(), key=lambda p: (p.source, p.start))
        if mode == "retrieve" or not everything:
            return None
        if mode == "auto" and prompts.estimate_tokens(everything) > self.settings.full_context_tokens:
            return None
        return everything

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two texts under the index's embedder."""
        import numpy as np

        va, vb = (np.asarray(v, dtype=float) for v in self.embeddings.embed_documents([a, b]))
        return float(va @ vb / ((np.linalg.norm(va) * np.linalg.norm(vb)) or 1.0))

    # --- indexing -------------------------------------------------------------
    def is_complete(self) -> bool:
        """False while a sync runs elsewhere or after one was killed."""
        return self.store.is_complete()

    def finish_interrupted(self, progress: bool = True) -> IndexReport | None:
        """Index the folder first when the store is empty or an indexing run was
        interrupted (never answer from a half index), or when it was made with other
        splitting settings or an older version (no texts kept). None: nothing to do."""
        options = backends.split_options(self.settings)
        with self._index_lock:
            stale = (self.store.count() > 0
                     and self.store.manifest().get("fingerprint") != options.fingerprint())
            report = (sync_folder(self.settings.corpus_dir, self.store, options,
                                  progress=progress) if stale
                      else finish_interrupted(self.settings.corpus_dir, self.store, options,
                                              progress))
            if report is not None and self._indexed is not None:
                self._swap()
        if report:
            log.info("%s", report.summary())
        return report

    def index(self, reset: bool = False, progress: bool = True,
              on_file: OnFile | None = None) -> IndexReport:
        """Sync the store with `settings.corpus_dir`; then rebuild the retriever, when
        one is in use.

        Answering goes on while files are read and embedded (uploads are indexed
        in the background): the new retriever replaces the old one in one step.
        """
        with self._index_lock:
            report = sync_folder(self.settings.corpus_dir, self.store,
                                 backends.split_options(self.settings), reset=reset,
                                 progress=progress, on_file=on_file)
            if self._indexed is not None:
                self._swap()
            return report

    def _swap(self) -> None:
        """Build the index state for the store as it is now and put it in place (the
        caller holds `_index_lock`); answers go on with the old one until then."""
        indexed = self._build()
        self._hashes = None
        self._indexed = indexed

    def refresh_if_changed(self, wait: bool = False) -> bool:
        """Pick up an index another process wrote, at most every `REFRESH_EVERY` seconds.

        When the store's generation has changed and its manifest says complete, the
        new retriever is built in the background (or at once with `wait`); True then.
        """
        now = time.monotonic()
        indexed = self._indexed
        if indexed is None or now - self._checked < REFRESH_EVERY or self._index_lock.locked():
            return False
        self._checked = now
        try:
            manifest = self.store.manifest()
        except Exception as exc:  # a store that cannot be read now: answer from what we have
            log.warning("could not look for a changed index: %s", exc)
            return False
        if manifest.get("generation", "") == indexed.generation or not manifest.get("complete"):
            return False

        def swap() -> None:
            if self._index_lock.acquire(blocking=False):  # our own sync swaps it anyway
                try:
                    self._swap()
                except Exception as exc:  # a failed refresh keeps the old, working retriever
                    log.warning("could not load the changed index: %s", exc)
                finally:
                    self._index_lock.release()

        if wait:
            swap()
        else:
            self._refreshing = threading.Thread(target=swap, name="refresh-index", daemon=True)
            self._refreshing.start()
        return True

    def close(self, timeout: float = 30.0) -> None:
        """Wait for a background refresh to end (a store must not close under it)."""
        refreshing = self._refreshing
        if refreshing is not None:
            refreshing.join(timeout)

    # --- documents ------------------------------------------------------------
    def sources(self) -> list[SourceInfo]:
        """Every indexed document with its number of passages (reads only)."""
        counts: dict[str, int] = {}
        # the retriever already holds every stored passage: no second scan of the store
        for p in self.retriever.passages.values():
            counts[p.source] = counts.get(p.source, 0) + 1
        return [SourceInfo(s, n) for s, n in sorted(counts.items())]

    def skipped(self) -> list[tuple[str, str]]:
        """(source, reason) of each corpus file not indexed (see `PassageStore.skipped`)."""
        return self.store.skipped()

    def uploads(self) -> Uploads:
        """Where the web chat saves uploaded files: the corpus folder, with the limits of
        `settings`."""
        s = self.settings
        return Uploads(s.corpus_dir, s.upload_types, s.max_upload_bytes)

    def _file_hashes(self) -> dict[str, str]:
        hashes = self._hashes
        if hashes is None:
            hashes = self._hashes = self.store.file_hashes()
        return hashes

    def extracted(self, source: str) -> ExtractedText:
        """The indexed document's `ExtractedText` (its text, and its pages for a PDF)."""
        sha = self._file_hashes().get(source)
        got = self.texts.get(sha) if sha else None
        if got is None:
            raise CorpusError(f"'{source}' is not an indexed document (run `rag index`).")
        return got

    def document_text(self, source: str) -> str:
        """The indexed document's text: every citation's offsets index into it.

        For .txt/.md it is the file exactly as stored when it was indexed; for
        PDF, HTML and DOCX the text extracted then (kept beside the index), so
        ``document_text(c.source)[c.start:c.end] == c.quote`` for every citation.
        """
        return self.extracted(source).text

    def page_image(self, source: str, page: int, start: int, end: int) -> bytes | None:
        """PNG of a PDF page with the span ``start:end`` highlighted; None if it cannot be drawn.

        None when the file is gone or changed since indexing (boxes would be wrong).
        """
        from index.extract import read_regular
        from index.load import outside_reason
        from index.pdf_page import render_highlight

        extracted = self.extracted(source)
        path = self.settings.corpus_dir / source
        if not extracted.pages or not 1 <= page <= len(extracted.pages):
            return None
        try:  # never a FIFO or a link out of the corpus planted since indexing
            if (outside_reason(path, self.settings.corpus_dir) or hashlib.sha256(
                    read_regular(path)).hexdigest() != self._file_hashes().get(source)):
                return None
        except OSError:
            return None
        p_start = extracted.pages[page - 1][0]
        return render_highlight(path, page, start - p_start, end - p_start)
