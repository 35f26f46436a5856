"""The pipeline: rewrite → retrieve → read → verify → decide → the `Answer`.

Each step is a module of its own, read in this order:

1. `rag.rewrite`  — a follow-up becomes a standalone question;
2. `rag.retrieve` — the best passages of the corpus (`rag.corpus`) for it;
3. `rag.reader`   — the model reads their best sentences and proposes an
   answer, with its token probabilities;
4. `rag.verify`   — the answer is tied to an exact span of what it read;
5. `rag.decide`   — shown, or declined, from measured signals;

and `Pipeline.stream_answer` names them, one line each, then composes the
`Answer`. A `Pipeline` is handed a `Corpus` (the indexed documents) and loads
its chat model on first use. One lock serialises use of the model: llama.cpp
answers one request at a time.

Example:
    >>> p = Pipeline.from_settings(Settings(corpus_dir="seeds"))   # doctest: +SKIP
    >>> a = p.answer("Where did the envoys meet?")                  # doctest: +SKIP
    >>> a.citations[0].quote                                         # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING

from index.sync import IndexReport, OnFile
from index.uploads import Uploads
from rag import backends, reader, rewrite
from rag.compose import Composer, OpenCorpus  # issue 16: open questions
from rag.corpus import Corpus, SourceInfo, open_corpus
from rag.decide import Decision, DeclineModel, decide, name_signals, off_corpus
from rag.decisions import ChosenDecision, choose_decision
from rag.guard import INSTRUCTION_DECLINE, check_history, check_question, strip_instructions
from rag.models import model_label
from rag.reader import Reading
from rag.retrieve import vouched
from rag.route import Kind, is_open, route_question
from rag.settings import Settings
from rag.timings import Timings
from rag.types import Answer, Passage, last_answer
from rag.verify import DECLINE_TEXT, answer_with_citation, locate_answer
from rag.write import WRITE_TOKENS, Writer

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

    from rag.chat_base import ScoringChatModel

log = logging.getLogger(__name__)

__all__ = ["Pipeline", "SourceInfo"]


class Pipeline:
    """Answers questions from a `Corpus` with verified citations.

    It is an `rag.answerer.Answerer`, and it passes the corpus's document
    methods on (`sources`, `document_text`, `page_image`, `index`, `uploads`),
    so the web chat and the API are handed one object.
    """

    def __init__(
        self,
        corpus: Corpus,
        chat_model: ScoringChatModel | None = None,
        decline_model: DeclineModel | None = None,
    ) -> None:
        self.corpus = corpus
        self.settings = corpus.settings
        self._chat_model = chat_model
        if decline_model is None:  # the decision fitted for this model, else the 0.5B's
            self.decision = choose_decision(self.settings)
            if not self.decision.own:
                log.warning("no decline decision was fitted for %s: using the one fitted for "
                            "%s (run `rag calibrate` to fit one)", self.model_name,
                            self.decision.fitted_for)
        else:
            self.decision = ChosenDecision(decline_model, 0.25, "given", True, "given")
        self.decline_model = self.decision.model
        self._lock = threading.RLock()
        self._primed = ""  # the system text whose tokens the model has read
        self.composer = Composer(OpenCorpus(  # issue 16: answers open questions by quoting
            retrieve=lambda query, k: corpus.retriever.retrieve(query, k),
            passages=lambda: corpus.retriever.passages.values(),
            embed=corpus.embeddings.embed_documents), model_name="extractive")
        if self.settings.open_answers == "written":  # issue 16: model-written, then verified
            self.composer.write = Writer(self._write_pieces).stream
            self.composer.model_name = f"written by {self.model_name}"

    @classmethod
    def from_settings(cls, settings: Settings | None = None, progress: bool = True) -> Pipeline:
        """Open the corpus of `settings` and index it first when the store is empty,
        an indexing run was interrupted, or it was made with other splitting settings
        (never answer from a half index)."""
        corpus = open_corpus(settings)
        corpus.finish_interrupted(progress)
        corpus.current()  # build the retriever now, not at the first question
        return cls(corpus)

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
    def threshold(self) -> float:
        """`decline_threshold` when set (an override), else the decision's own."""
        t = self.settings.decline_threshold
        return self.decision.threshold if t is None else t

    @property
    def model_name(self) -> str:
        return model_label(self.settings)

    def warm_up(self) -> None:
        """Load the model and have its fixed prompt prefix read (or restored from disk)."""
        with self._lock:
            self._prime(self.corpus.full_context)

    def _prime(self, whole: list[Passage] | None) -> None:
        system = reader.system_for(whole)
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

    def close(self) -> None:
        """Let go of the chat model and wait for a background index refresh to end."""
        with self._lock:
            self._chat_model = None
            self._primed = ""
        self.corpus.close()

    # --- answering --------------------------------------------------------
    def answer(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        """Answer `question` (see `stream_answer`) and return the verified `Answer`."""
        return last_answer(self.stream_answer(question, history))

    def stream_answer(
        self, question: str, history: Sequence[tuple[str, str]] = ()
    ) -> Generator[str | Answer, None, None]:
        """Yield provisional text deltas, then the verified `Answer` (always last).

        Raises:
            BadQuestion: the question is empty, too long or not text.
            ModelError: the model could not be loaded or failed.
        """
        timings = Timings()
        asked = check_question(question, self.settings.max_question_chars)
        history = check_history(history, self.settings.max_question_chars)
        self.corpus.refresh_if_changed()
        q = strip_instructions(asked)
        if not q:  # only an instruction: nothing to look up
            yield INSTRUCTION_DECLINE
            yield Answer(INSTRUCTION_DECLINE, refused=True, question=asked,
                         rewritten_question=asked, timings=timings.finish(),
                         reason="instruction_in_question", model=self.model_name)
            return
        turns = rewrite.recent_turns(history, self.settings.history_turns)
        kind = route_question(q)  # an open question gets a composed, quoted answer (issue 16)
        if is_open(kind):
            yield from self._answer_open(asked, q, turns, kind, timings)
            return
        with self._lock:  # the model reads one prompt at a time
            indexed = self.corpus.current()  # one state of the index for the whole answer
            if indexed.whole:
                with timings.step("prime"):  # no-op once primed; restores a saved prefix
                    self._prime(indexed.whole)
            standalone = q
            if turns and rewrite.refers_back(q):  # 1. rewrite (a follow-up only)
                with timings.step("rewrite"):
                    standalone = rewrite.standalone(self.chat_model, q, turns,
                                                    reader.system_for(indexed.whole))
            with timings.step("retrieve"):  # 2. retrieve
                passages = indexed.retriever.retrieve(standalone, self.settings.top_k)
            # a question naming what no document mentions is not read at all (issue 17)
            names = name_signals(standalone, indexed.names, passages)
            reading = Reading()  # 3. read (the phrase streams out as it is written)
            if passages and not off_corpus(names):
                reading = yield from timings.stream(reader.read(
                    self.chat_model, standalone, passages, indexed.whole,
                    self.settings.context_chars, self.settings.max_answer_tokens))
        # 4. verify: the span of what was read that holds the phrase, and the shown text
        located = locate_answer(reading.answer, standalone, reading.sentences,
                                vouched(passages))
        verified = answer_with_citation(reading.answer, located)
        # 5. decide: show it, or decline
        decision = decide(standalone, reading, located, verified, passages, self.decline_model,
                          self.threshold, self.corpus.similarity, names)
        decision.signals["decision_fitted_for_model"] = float(self.decision.own)
        answer = self._compose(asked, standalone, passages, decision, timings.finish(
            completion_tokens=float(len(reading.logprobs)),
            prompt_tokens=float(reading.prompt_tokens)))
        if decision.refused:
            yield ("\n\n" if reading.answer else "") + DECLINE_TEXT
        yield answer

    def _answer_open(self, asked: str, q: str, turns: list[tuple[str, str]], kind: Kind,
                     timings: Timings) -> Generator[str | Answer, None, None]:
        """An open question (`rag.route`), answered with quoted sentences (`rag.compose`)."""
        standalone = q
        if turns and rewrite.refers_back(q):
            with self._lock, timings.step("rewrite"):
                standalone = rewrite.standalone(self.chat_model, q, turns,
                                                reader.system_for(self.corpus.full_context))
        written = self.composer.write is not None
        with self._lock if written else contextlib.nullcontext():  # written: the model is used
            yield from self.composer.stream(standalone, kind, asked=asked,
                                            timings=timings.finish())

    def _write_pieces(self, messages: list[BaseMessage]) -> Iterator[str]:
        """The model's greedy reply to `messages`, piece by piece (`rag.write`)."""
        for piece in self.chat_model.stream_with_logprobs(messages, WRITE_TOKENS):
            yield piece.text

    def _compose(self, asked: str, question: str, passages: list[Passage], decision: Decision,
                 timings: dict[str, float]) -> Answer:
        """The `Answer`: what was decided, and how it was found."""
        return Answer(
            text=decision.text, citations=decision.citations, refused=decision.refused,
            passages=passages, question=asked, rewritten_question=question, timings=timings,
            reason=decision.reason, model=self.model_name, signals=decision.signals,
            draft=decision.draft,
        )

    # --- the documents (the corpus's, passed on) --------------------------------
    def sources(self) -> list[SourceInfo]:
        return self.corpus.sources()

    def document_text(self, source: str) -> str:
        return self.corpus.document_text(source)

    def page_image(self, source: str, page: int, start: int, end: int) -> bytes | None:
        return self.corpus.page_image(source, page, start, end)

    def index(self, reset: bool = False, progress: bool = True,
              on_file: OnFile | None = None) -> IndexReport:
        return self.corpus.index(reset, progress, on_file)

    def skipped(self) -> list[tuple[str, str]]:
        return self.corpus.skipped()

    def uploads(self) -> Uploads | None:
        return self.corpus.uploads()


if TYPE_CHECKING:  # mypy holds `Pipeline` to what the web chat and the API rely on
    from rag.answerer import Assistant

    def _is_an_assistant(p: Pipeline) -> Assistant:
        return p
