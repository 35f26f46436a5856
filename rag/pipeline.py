"""The pipeline: rewrite → retrieve → generate → verify citations.

A `Pipeline` is built once from `Settings` (embedder, store and retriever at
once; the chat model on first use) and then answers many questions. One lock
serialises use of the model: llama.cpp answers one request at a time.

Example:
    >>> p = Pipeline.from_settings(Settings(corpus_dir="seeds"))   # doctest: +SKIP
    >>> a = p.answer("Where did the envoys meet?")                  # doctest: +SKIP
    >>> a.citations[0].quote                                         # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.embed import offline_environment
from index.names import NameVocabulary
from index.store import PassageStore
from index.sync import (
    IndexReport,
    OnFile,
    SplitOptions,
    finish_interrupted,
    sync_folder,
    text_cache_for,
)
from index.types import ExtractedText
from rag import backends, prompts, reader
from rag.compose import Composer, OpenCorpus  # issue 16: open questions
from rag.decide import DeclineModel, name_signals, off_corpus, shipped_model, signals
from rag.errors import CorpusError
from rag.guard import (
    INSTRUCTION_DECLINE,
    carries_instructions,
    check_history,
    check_question,
    strip_instructions,
)
from rag.models import model_label
from rag.reader import Reading, describe
from rag.retrieve import HybridRetriever
from rag.route import Kind, is_open, route_question  # issue 16
from rag.settings import Settings
from rag.types import Answer, Passage, last_answer
from rag.verify import DECLINE_TEXT, Verified, answer_with_citation, locate_answer

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from rag.chat_base import ScoringChatModel

log = logging.getLogger(__name__)

_REFERENCE = re.compile(
    r"\b(?:he|she|it|they|them|his|her|its|their|there|this|that|these|those)\b", re.I
)
HISTORY_CHARS = 600
# Seconds between two looks at the store's generation while answering: an index written
# by another process (`rag index` beside `rag serve`, another client of a Chroma server)
# is picked up without a restart. A look reads the small manifest, nothing else.
REFRESH_EVERY = 5.0
VOUCH_SIMILARITY = 0.4  # MiniLM cosine: paraphrases of a passage score ~0.45-0.6  # per past message: enough to resolve a reference, cheap to read


@dataclass(frozen=True)
class SourceInfo:
    """An indexed document and how many passages it has."""

    source: str
    passages: int


class Pipeline:
    """Answers questions from the indexed corpus with verified citations."""

    def __init__(
        self,
        settings: Settings,
        store: PassageStore,
        embeddings: Embeddings,
        chat_model: ScoringChatModel | None = None,
        decline_model: DeclineModel | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embeddings = embeddings
        self._chat_model = chat_model
        self.decline_model = decline_model or shipped_model()
        self._lock = threading.RLock()
        self._index_lock = threading.Lock()  # one sync at a time; answering does not wait
        self._primed = ""  # the system text whose tokens the model has read
        self._generation = store.generation()  # read before the build: a later change is seen
        self._checked = time.monotonic()
        self.retriever = HybridRetriever.build(store, settings.candidates)
        self._whole = self._whole_corpus()
        self.names = NameVocabulary.from_texts(p.text for p in self.retriever.passages.values())
        self.texts = text_cache_for(store)
        self._hashes: dict[str, str] | None = None  # source -> sha256, refreshed by index()
        self.composer = Composer(OpenCorpus(  # issue 16: answers open questions by quoting
            retrieve=lambda query, k: self.retriever.retrieve(query, k),
            passages=lambda: self.retriever.passages.values(),
            embed=self.embeddings.embed_documents), model_name="extractive")

    @property
    def full_context(self) -> list[Passage] | None:
        """Every passage, in document order, when the model reads the whole corpus."""
        return self._whole

    def _whole_corpus(self) -> list[Passage] | None:
        mode = self.settings.context_mode
        everything = sorted(self.retriever.passages.values(), key=lambda p: (p.source, p.start))
        if mode == "retrieve" or not everything:
            return None
        if mode == "auto" and prompts.estimate_tokens(everything) > self.settings.full_context_tokens:
            return None
        return everything

    @classmethod
    def from_settings(cls, settings: Settings | None = None, progress: bool = True) -> Pipeline:
        """Build the embedder and store; index the corpus first when the store is empty
        or an indexing run was interrupted (never answer from a half index), or it
        was made with other splitting settings or an older version (no texts kept)."""
        offline_environment()
        settings = (settings or Settings()).resolved()
        embeddings = backends.load_embeddings(settings)
        store = backends.open_store(settings, embeddings)
        options = _split_options(settings)
        stale = store.count() > 0 and store.manifest().get("fingerprint") != options.fingerprint()
        report = (sync_folder(settings.corpus_dir, store, options, progress=progress) if stale
                  else finish_interrupted(settings.corpus_dir, store, options, progress))
        if report:
            log.info("%s", report.summary())
        return cls(settings, store, embeddings)

    # --- the model --------------------------------------------------------
    @property
    def chat_model(self) -> ScoringChatModel:
        """The LangChain chat model, loaded on first use."""
        with self._lock:
            if self._chat_model is None:
                started = time.perf_counter()
                self._chat_model = backends.load_chat_model(self.settings)
                log.info("loaded %s in %.1f s", self.model_name, time.perf_counter() - started)
            return self._chat_model

    @property
    def model_name(self) -> str:
        return model_label(self.settings)

    def warm_up(self) -> None:
        """Load the model and have its fixed prompt prefix read (or restored from disk)."""
        with self._lock:
            whole = self.full_context
            system = reader.whole_system(whole) if whole else reader.READER_SYSTEM
            if self._primed == system:
                return
            key = hashlib.sha256(
                f"{self.settings.model}|{self.settings.context_size}|{system}".encode()
            ).hexdigest()[:24]
            path = self.settings.model_cache_dir / "prefix" / f"{key}.state"
            t = time.perf_counter()
            if self.chat_model.load_prefix(path):
                log.info("restored the cached prompt prefix in %.1f s", time.perf_counter() - t)
            else:
                self.chat_model.choice_logprobs(reader.priming_messages(system), ["Yes"])
                if whole:  # only a long prefix is worth a file
                    self.chat_model.save_prefix(path)
                log.info("read the prompt prefix in %.1f s", time.perf_counter() - t)
            self._primed = system

    def _similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two texts under the index's embedder."""
        import numpy as np

        va, vb = (np.asarray(v, dtype=float) for v in self.embeddings.embed_documents([a, b]))
        return float(va @ vb / ((np.linalg.norm(va) * np.linalg.norm(vb)) or 1.0))

    # --- the corpus -------------------------------------------------------
    def index(self, reset: bool = False, progress: bool = True,
              on_file: OnFile | None = None) -> IndexReport:
        """Sync the store with `settings.corpus_dir` and rebuild the retriever.

        Answering goes on while files are read and embedded (uploads are indexed
        in the background): only the swap to the new retriever waits for the model.
        """
        with self._index_lock:
            report = sync_folder(self.settings.corpus_dir, self.store,
                                 _split_options(self.settings), reset=reset, progress=progress,
                                 on_file=on_file)
            self._swap_retriever()
            return report

    def _swap_retriever(self) -> None:
        """Build the retriever for the store as it is now and put it in place (the caller
        holds `_index_lock`); answers go on with the old one until the swap."""
        generation = self.store.generation()
        retriever = HybridRetriever.build(self.store, self.settings.candidates)
        names = NameVocabulary.from_texts(p.text for p in retriever.passages.values())
        with self._lock:
            self._hashes = None
            self.retriever = retriever
            self.names = names
            self._generation = generation
            self._whole = self._whole_corpus()
            self._primed = ""

    def refresh_if_changed(self, wait: bool = False) -> bool:
        """Pick up an index another process wrote, at most every `REFRESH_EVERY` seconds.

        When the store's generation has changed and its manifest says complete, the
        new retriever is built in the background (or at once with `wait`); True then.
        """
        now = time.monotonic()
        if now - self._checked < REFRESH_EVERY or self._index_lock.locked():
            return False
        self._checked = now
        try:
            manifest = self.store.manifest()
        except Exception as exc:  # a store that cannot be read now: answer from what we have
            log.warning("could not look for a changed index: %s", exc)
            return False
        if manifest.get("generation", "") == self._generation or not manifest.get("complete"):
            return False

        def swap() -> None:
            if self._index_lock.acquire(blocking=False):  # our own sync swaps it anyway
                try:
                    self._swap_retriever()
                except Exception as exc:  # a failed refresh keeps the old, working retriever
                    log.warning("could not load the changed index: %s", exc)
                finally:
                    self._index_lock.release()

        if wait:
            swap()
        else:
            threading.Thread(target=swap, name="refresh-index", daemon=True).start()
        return True

    def sources(self) -> list[SourceInfo]:
        counts: dict[str, int] = {}
        # the retriever already holds every stored passage: no second scan of the store
        for p in self.retriever.passages.values():
            counts[p.source] = counts.get(p.source, 0) + 1
        return [SourceInfo(s, n) for s, n in sorted(counts.items())]

    def skipped(self) -> list[tuple[str, str]]:
        """(source, reason) of each corpus file not indexed (see `PassageStore.skipped`)."""
        return self.store.skipped()

    def extracted(self, source: str) -> ExtractedText:
        """The indexed document's `ExtractedText` (its text, and its pages for a PDF)."""
        if self._hashes is None:
            self._hashes = self.store.file_hashes()
        sha = self._hashes.get(source)
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
                    read_regular(path)).hexdigest() != (self._hashes or {}).get(source)):
                return None
        except OSError:
            return None
        p_start = extracted.pages[page - 1][0]
        return render_highlight(path, page, start - p_start, end - p_start)

    # --- answering --------------------------------------------------------
    def answer(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        """Answer `question` (see `stream_answer`) and return the verified `Answer`."""
        return last_answer(self.stream_answer(question, history))

    def stream_answer(
        self, question: str, history: Sequence[tuple[str, str]] = ()
    ) -> Iterator[str | Answer]:
        """Yield provisional text deltas, then the verified `Answer` (always last).

        Raises:
            BadQuestion: the question is empty, too long or not text.
            ModelError: the model could not be loaded or failed.
        """
        started = time.perf_counter()
        asked = check_question(question, self.settings.max_question_chars)
        history = check_history(history, self.settings.max_question_chars)
        self.refresh_if_changed()
        q = strip_instructions(asked)
        timings: dict[str, float] = {}
        if not q:
            timings["total"] = time.perf_counter() - started
            yield INSTRUCTION_DECLINE
            yield Answer(INSTRUCTION_DECLINE, refused=True, question=asked,
                         rewritten_question=asked,
                         timings=_complete(timings), reason="instruction_in_question",
                         model=self.model_name)
            return
        kind = route_question(q)  # issue 16: an open question gets a composed, cited answer
        if is_open(kind):
            yield from self._answer_open(asked, q, history, kind)
            return
        with self._lock:
            whole = self.full_context
            if whole:
                t = time.perf_counter()
                self.warm_up()  # no-op once primed; restores a saved prefix on a cold start
                timings["prime"] = time.perf_counter() - t
            standalone = self._standalone(q, history, timings)
            t = time.perf_counter()
            passages = self.retriever.retrieve(standalone, self.settings.top_k)
            timings["retrieve"] = time.perf_counter() - t
            # issue 17: a question naming what no document mentions is not read at all
            names = name_signals(standalone, self.names, passages)
            not_about = off_corpus(names)
            reading = (Reading() if not_about
                       else (yield from self._read(standalone, passages, timings, whole)))
        # The two best retrieved passages vouch for relevance to a paraphrased question,
        # when they are also semantically close (an off-topic question has no such passage).
        vouched = [p.id for p in passages[:2] if (p.dense or 0.0) >= VOUCH_SIMILARITY]
        located = locate_answer(reading.answer, standalone, reading.context, vouched)
        found = signals(standalone, reading.answer, describe(reading), located, passages,
                        self._similarity, reading.chosen())
        found["confidence"] = self.decline_model.confidence(found)
        found.update(names)
        verified = answer_with_citation(reading.answer, located)
        draft = reading.answer if verified.refused else verified.text
        if not verified.refused and found["confidence"] < self.settings.decline_threshold:
            verified = Verified(DECLINE_TEXT, refused=True, reason="low_confidence")
        if not_about:
            verified = Verified(DECLINE_TEXT, refused=True, reason=not_about)
        timings["total"] = time.perf_counter() - started
        if verified.refused:
            yield ("\n\n" if reading.answer else "") + DECLINE_TEXT
        yield Answer(
            text=verified.text, citations=verified.citations, refused=verified.refused,
            passages=passages, question=asked, rewritten_question=standalone,
            timings=_complete(timings), reason=verified.reason, model=self.model_name,
            signals={k: round(v, 4) for k, v in found.items()}, draft=draft,
        )

    def _answer_open(self, asked: str, q: str, history: Sequence[tuple[str, str]],
                     kind: Kind) -> Iterator[str | Answer]:
        """Issue 16: an open question (`rag.route`), answered by `rag.compose`."""
        timings: dict[str, float] = {}
        with self._lock:
            standalone = self._standalone(q, history, timings)
        yield from self.composer.stream(standalone, kind, asked=asked, timings=timings)

    def _standalone(self, q: str, history: Sequence[tuple[str, str]], timings: dict) -> str:
        turns = [(u[:HISTORY_CHARS], a[:HISTORY_CHARS]) for u, a in history if u or a]
        turns = turns[-self.settings.history_turns :] if self.settings.history_turns else []
        if not turns:
            return q
        t = time.perf_counter()
        whole = self.full_context
        system = reader.whole_system(whole) if whole else reader.READER_SYSTEM
        reply = self.chat_model.invoke(prompts.rewrite_messages(q, turns, system), max_tokens=64)
        timings["rewrite"] = time.perf_counter() - t
        return _clean_rewrite(str(reply.content), q, turns[-1][0])

    def _read(self, question: str, passages: list[Passage], timings: dict,
              whole: list[Passage] | None):  # type: ignore[no-untyped-def]
        """Stream the reader's proposed answer (yielding deltas); return the `Reading`."""
        if not passages:
            timings.update(first_token=0.0, generate=0.0)
            return Reading()
        t = time.perf_counter()
        stream = reader.read(self.chat_model, question, passages, whole,
                             self.settings.context_chars, self.settings.max_answer_tokens)
        first = True
        try:
            while True:
                delta = next(stream)
                if first:
                    timings["first_token"] = time.perf_counter() - t
                    first = False
                yield delta
        except StopIteration as done:
            reading: Reading = done.value
        timings["generate"] = time.perf_counter() - t
        timings.setdefault("first_token", timings["generate"])
        timings["completion_tokens"] = float(len(reading.logprobs))
        timings["prompt_tokens"] = float(reading.prompt_tokens)
        return reading


def _clean_rewrite(reply: str, question: str, last_user: str) -> str:
    """The model's rewrite if it looks like one question; else a safe concatenation."""
    line = next((ln.strip() for ln in reply.splitlines() if ln.strip()), "")
    line = line.removeprefix("Rewritten question:").strip().strip('"').strip()
    unchanged = line.lower() == question.lower() and _REFERENCE.search(question)
    if not line or unchanged or len(line) > 3 * len(question) + 200 or carries_instructions(line):
        # Retrieval still needs the conversation's subject: carry the last question along.
        return f"{last_user} {question}"
    return line


def _complete(timings: dict[str, float]) -> dict[str, float]:
    for key in ("retrieve", "first_token", "generate", "total", "prompt_tokens",
                "completion_tokens"):
        timings.setdefault(key, 0.0)
    return {k: round(v, 4) for k, v in timings.items()}


def _split_options(settings: Settings) -> SplitOptions:
    return backends.split_options(settings)
