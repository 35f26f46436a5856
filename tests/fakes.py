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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.types import Answer, Citation, Passage

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

    def document_text(self, source: str) -> str:
        return open(self.corpus_dir / source, encoding="utf-8", newline="").read()


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
