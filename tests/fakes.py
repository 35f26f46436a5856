"""Deterministic fakes for unit tests (never used by the product).

`FakePipeline` has the same public surface as `rag.Pipeline` but no model:
it answers by quoting the corpus sentence that shares the most words with the
question, and declines when nothing shares at least two words. Its citations
obey the real invariant (exact spans of the files), so UI and evaluation code
can be tested against it quickly.
"""

from __future__ import annotations

import re
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.embeddings import Embeddings
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from index.sync import IndexReport
from rag.chat_base import MISSING_LOGPROB, Piece, ScoringChatModel, TokenStream
from rag.guard import check_history
from rag.types import Answer, Citation, Passage

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_STOP = {"the", "a", "an", "of", "to", "in", "is", "was", "what", "who", "which", "and", "does"}


@dataclass(frozen=True)
class FakeSource:
    source: str
    passages: int


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


class FakePipeline:
    """A model-free stand-in for `rag.Pipeline` (deterministic; for tests only)."""

    model_name = "fake-model"

    def __init__(self, corpus_dir: Path, delay: float = 0.0) -> None:
        self.corpus_dir = Path(corpus_dir)
        self.delay = delay
        self.calls: list[str] = []

    def _sentences(self) -> list[Passage]:
        out = []
        for path in sorted(self.corpus_dir.rglob("*")):
            if path.suffix not in {".txt", ".md"} or not path.is_file():
                continue
            with open(path, encoding="utf-8", newline="") as fh:
                text = fh.read()
            rel = path.relative_to(self.corpus_dir).as_posix()
            for i, m in enumerate(_SENTENCE.finditer(text)):
                s, e = m.start(), m.end()
                while s < e and text[s].isspace():
                    s += 1
                if e - s > 10:
                    out.append(Passage(f"{rel}:{i}", rel, s, e, text[s:e]))
        return out

    def answer(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        *_, final = self.stream_answer(question, history)
        assert isinstance(final, Answer)
        return final

    def stream_answer(
        self, question: str, history: Sequence[tuple[str, str]] = ()
    ) -> Iterator[str | Answer]:
        check_history(history, max_chars=2000)  # the Answerer contract
        self.calls.append(question)
        t0 = time.perf_counter()
        q = _words(question)
        scored = sorted(
            ((len(q & _words(p.text)), p) for p in self._sentences()),
            key=lambda sp: -sp[0],
        )
        passages = [
            Passage(p.id, p.source, p.start, p.end, p.text, float(s)) for s, p in scored[:4]
        ]
        if not scored or scored[0][0] < 2:
            text = "The documents do not say."
            yield text
            yield Answer(text, [], True, passages, question, question,
                         {"retrieve": 0.0, "first_token": 0.0, "generate": 0.0,
                          "total": time.perf_counter() - t0}, "not_in_documents", self.model_name)
            return
        best = scored[0][1]
        text = f"{best.text} [1]"
        for word in text.split(" "):
            if self.delay:
                time.sleep(self.delay)
            yield word + " "
        cite = Citation(best.source, best.start, best.end, best.text, best.id)
        yield Answer(text, [cite], False, passages, question, question,
                     {"retrieve": 0.0, "first_token": 0.0, "generate": 0.0,
                      "total": time.perf_counter() - t0}, "", self.model_name)

    def sources(self) -> list[FakeSource]:
        counts: dict[str, int] = {}
        for p in self._sentences():
            counts[p.source] = counts.get(p.source, 0) + 1
        return [FakeSource(s, n) for s, n in sorted(counts.items())]

    def skipped(self) -> list[tuple[str, str]]:
        """(source, reason) of each file the fake does not read (only .txt and .md)."""
        return [(p.relative_to(self.corpus_dir).as_posix(), f"{p.suffix or 'no'} files are not read")
                for p in sorted(self.corpus_dir.rglob("*"))
                if p.is_file() and p.suffix not in {".txt", ".md"}]

    def document_text(self, source: str) -> str:
        return open(self.corpus_dir / source, encoding="utf-8", newline="").read()

    def page_image(self, source: str, page: int, start: int, end: int) -> bytes | None:
        return None  # text files only: no pages

    def uploads(self) -> None:
        return None  # the fake reads its folder at each question: nothing to upload into

    def index(self, reset: bool = False, progress: bool = True, on_file: object = None
              ) -> IndexReport:
        return IndexReport()  # nothing is kept between questions, so nothing to bring up to date


class FakeOpenPipeline(FakePipeline):
    """`FakePipeline` that answers like the open-question path: up to three quoted
    sentences, each ending with its own marker ``[n]`` (for tests only)."""

    def stream_answer(
        self, question: str, history: Sequence[tuple[str, str]] = ()
    ) -> Iterator[str | Answer]:
        first = self.inner_answer(question, history)
        if first.refused:
            yield first.text
            yield first
            return
        q = _words(question)
        ranked = [p for p in first.passages if len(q & _words(p.text)) >= 1][:3]
        cites = [Citation(p.source, p.start, p.end, p.text, p.id) for p in ranked]
        text = " ".join(f"{c.quote} [{n}]" for n, c in enumerate(cites, start=1))
        yield text
        yield Answer(text, cites, False, first.passages, question, question, first.timings,
                     "", self.model_name)

    def inner_answer(self, question: str, history: Sequence[tuple[str, str]]) -> Answer:
        *_, final = FakePipeline.stream_answer(self, question, history)
        assert isinstance(final, Answer)
        return final

    def answer(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        *_, final = self.stream_answer(question, history)
        assert isinstance(final, Answer)
        return final


class AlwaysDeclines:
    """A degenerate pipeline that declines every question (floors must fail it)."""

    model_name = "fake-always-declines"

    def stream_answer(
        self, question: str, history: Sequence[tuple[str, str]] = ()
    ) -> Iterator[str | Answer]:
        text = "The documents do not say."
        yield text
        yield Answer(text, [], True, [], question, question, {"total": 0.0},
                     "not_in_documents", self.model_name, {"confidence": 0.0})


class NeverDeclines:
    """A degenerate pipeline that answers every question, right or not (floors must fail it).

    It answers like `FakePipeline` and, where that would decline, with a fixed guess.
    """

    model_name = "fake-never-declines"

    def __init__(self, corpus_dir: Path) -> None:
        self.inner = FakePipeline(corpus_dir)

    def stream_answer(
        self, question: str, history: Sequence[tuple[str, str]] = ()
    ) -> Iterator[str | Answer]:
        final = self.inner.answer(question, history)
        if final.refused:
            final = Answer("It was in 1990.", [], False, final.passages, question, question,
                           final.timings, "", self.model_name)
        yield final.text
        yield final


class ScriptedConfidence:
    """Answers from a table ``question -> (text, refused, signals, draft)``; for decision tests.

    `draft` is what the reader proposed (kept on the `Answer` when it declines).
    """

    model_name = "fake-scripted-confidence"

    def __init__(self, table: dict[str, tuple[str, bool, dict[str, float], str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    def stream_answer(
        self, question: str, history: Sequence[tuple[str, str]] = ()
    ) -> Iterator[str | Answer]:
        self.calls.append(question)
        text, refused, signals, draft = self.table[question]
        yield text
        yield Answer(text, [], refused, [], question, question, {"total": 0.0}, "",
                     self.model_name, dict(signals), draft=draft)


# --- fakes of the model parts, for running the real `Pipeline` without models ------------

_TOKEN = re.compile(r"\w+")


class HashingFakeEmbeddings(Embeddings):
    """A deterministic stand-in for MiniLM: hashed bag of words, L2-normalised.

    Texts that share words are close, so retrieval behaves sensibly; nothing is
    loaded and the same text always gives the same vector (for tests only).
    """

    def __init__(self, dims: int = 64, delay: float = 0.0) -> None:
        self.dims = dims
        self.delay = delay  # seconds per embedding call: gives a crash test time to strike

    def _vector(self, text: str) -> list[float]:
        import hashlib
        import math

        vec = [0.0] * self.dims
        for word in _TOKEN.findall(text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")
            vec[h % self.dims] += 1.0 if h & 1 << 31 else -1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        if not any(vec):
            vec[0] = 1.0  # Chroma's cosine space needs a non-zero vector
        return [v / norm for v in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.delay:
            time.sleep(self.delay)
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


class FakeEchoChatModel(ScoringChatModel):
    """A model-free chat model (for tests only): it quotes the numbered sentence
    sharing most words with the question, with confident token probabilities, or
    says it is not there (NOT_FOUND / NONE / "No"); asked to rewrite a follow-up,
    it returns the question unchanged. Deterministic; counts its calls.

    Its "tokens" are words: a prompt of 12 words reports 12 prompt tokens, and
    `token_delay` seconds pass per word it writes (so a test can see `timeout`).
    """

    model_name: str = "fake-echo"
    calls: int = 0
    token_delay: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "fake-echo"

    # --- LangChain's invoke / stream (the follow-up rewrite, the baseline chain) --------
    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        # max_tokens is not applied here: a rewrite repeats the question whole
        self.calls += 1
        words = self._reply(messages).split(" ")
        for i, word in enumerate(words):
            yield self._text_chunk(("" if i == 0 else " ") + word, run_manager)
        yield self._usage_chunk(_prompt_words(messages), len(words), model_name=self.model_name)

    def _reply(self, messages: list[BaseMessage]) -> str:
        prompt = _prompt_text(messages)
        if "Rewritten question:" in prompt:  # rag.prompts.rewrite_messages
            return prompt.rsplit("Last question:", 1)[-1].split("\n")[0].strip()
        question = prompt.rsplit("Question:", 1)[-1].strip()
        asked = _words(question)
        best, shared = "NOT_FOUND", 1
        for line in prompt.split("\n"):
            if not line.startswith("["):
                continue
            for sentence in _SENTENCE.findall(line.split("] ", 1)[-1]):
                n = len(asked & _words(sentence))
                if n > shared:
                    best, shared = sentence.strip(), n
        return best

    # --- the scoring contract (`rag.chat_base.ScoringChatModel`) -----------------------
    def choice_logprobs(self, messages: list[BaseMessage],
                        options: Sequence[str]) -> dict[str, float]:
        self.calls += 1
        number, _ = _best_numbered(messages)
        sure, unsure = -0.05, -4.0
        out = {}
        for option in options:
            if option == "Yes":
                out[option] = sure if number else unsure
            elif option in ("No", "NONE"):
                out[option] = unsure if number else sure
            elif option.isdigit():
                out[option] = sure if int(option) == number else unsure
            else:
                out[option] = MISSING_LOGPROB
        return out

    def stream_with_logprobs(self, messages: list[BaseMessage], max_tokens: int,
                             stop: Sequence[str] = ()) -> TokenStream:
        self.calls += 1
        return TokenStream(self._pieces(messages, max_tokens, stop))

    def _pieces(self, messages: list[BaseMessage], max_tokens: int,
                stop: Sequence[str]) -> Generator[Piece, None, int]:
        started = time.perf_counter()
        _, sentence = _best_numbered(messages)
        text = ""
        for i, word in enumerate((sentence or "NONE").split(" ")[:max_tokens]):
            if self.token_delay:
                time.sleep(self.token_delay)
            piece = ("" if i == 0 else " ") + word
            cut = min(((text + piece).find(s) for s in stop if s and s in text + piece),
                      default=-1)
            if cut >= 0:
                piece = (text + piece)[len(text) : cut]
            if piece:
                yield Piece(piece, -0.05)
                text += piece
            if cut >= 0 or time.perf_counter() - started > self.timeout:
                break
        return _prompt_words(messages)


def _prompt_text(messages: list[BaseMessage]) -> str:
    return "\n".join(str(m.content) for m in messages)


def _prompt_words(messages: list[BaseMessage]) -> int:
    return len(_prompt_text(messages).split())


_NUMBERED = re.compile(r"\[(\d+)\] (.*)")


def _best_numbered(messages: list[BaseMessage]) -> tuple[int, str]:
    """(number, text) of the reader's numbered sentence (`rag.reader.numbered`) sharing
    most words with the question, at least two; (0, "") when none does."""
    prompt = _prompt_text(messages)
    asked = _words(prompt.rsplit("Question:", 1)[-1].split("\n\n")[0])
    best, shared = (0, ""), 1
    for line in prompt.split("\n"):
        m = _NUMBERED.match(line)
        if m and len(asked & _words(m.group(2))) > shared:
            best, shared = (int(m.group(1)), m.group(2).strip()), len(asked & _words(m.group(2)))
    return best


def fake_echo_chat_model() -> FakeEchoChatModel:
    """A new `FakeEchoChatModel`."""
    return FakeEchoChatModel()


def pipeline_with_fakes(corpus: Path, store_dir: Path, **settings: Any) -> Pipeline:
    """The real `Pipeline` (real Chroma store, BM25, verification) over `corpus`,
    with `HashingFakeEmbeddings` and `FakeEchoChatModel` in place of the models."""
    from index.store import PassageStore
    from index.sync import SplitOptions, sync_folder
    from rag.corpus import Corpus
    from rag.pipeline import Pipeline
    from rag.settings import Settings

    s = Settings(config_file=store_dir / "absent.yaml", corpus_dir=corpus, store_dir=store_dir,
                 context_mode="retrieve", **settings)
    embeddings = HashingFakeEmbeddings()
    store = PassageStore(store_dir, embeddings)
    sync_folder(corpus, store, SplitOptions(s.passage_chars, s.min_passage_chars), progress=False)
    return Pipeline(Corpus(s, store, embeddings), fake_echo_chat_model())
