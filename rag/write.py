"""Model-written open answers, every sentence verified (issue 16, ``open_answers: written``).

The composer (`rag.compose`) chooses the sentences an open answer rests on. In
the *written* variant the small model may rephrase and join them; each
sentence it writes must end with the marker(s) of the chosen sentence(s) it
comes from, and is shown only when `rag.verify.support` holds against those
spans: its names and numbers present in them, its content words covered. A
sentence that fails (or carries no marker, or a marker of no chosen sentence)
is dropped, never shown. When nothing survives, the quoted sentences are
shown instead (`rag.compose.render`), so the answer is never worse than the
extractive one in what it shows.

The model is a collaborator: `generate(messages)` yields the reply's text
pieces (greedy). Each verified sentence is yielded as soon as the model has
finished it.

Example (a named fake model):
    >>> from rag.compose import _demo_pick
    >>> fake = lambda messages: iter(["A safe area", " may come [1]. Paris", " is next [1]."])
    >>> w = Writer(fake)
    >>> pieces, done = [], None
    >>> gen = w.stream("What about the zone?", "topic", [_demo_pick()])
    >>> try:
    ...     while True: pieces.append(next(gen))
    ... except StopIteration as stop: done = stop.value
    >>> "".join(pieces), len(done[0]), done[1]["written"]
    ('A safe area may come [1].', 1, 2.0)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from rag.compose import Sentence, render
from rag.types import Citation
from rag.verify import support, terms_of

WRITE_TOKENS = 200  # enough for 4 short sentences with markers; the model stops earlier
WRITE_SYSTEM = (
    "You answer a question from numbered source sentences. Write one to four short "
    "sentences that answer the question. Use only facts, names and numbers from the "
    "sources; you may shorten, rephrase and join them. End every sentence with the number "
    "of the source it comes from, like [2]. Do not add anything the sources do not say."
)

# "X. [1]" → "X [1]." : the model often puts the marker after the full stop
_MARK_AFTER = re.compile(r"([.!?])\s*((?:\[\d+\]\s*)+)")
# a sentence ends after its marker(s) (the model is told to end each with one), so "U.S."
# does not cut a sentence; a line break ends one too (bullets)
_BOUNDARY = re.compile(r"(?<=\][.!?])\s+|\n+")
# "[2] Jordan said no." → "Jordan said no [2]." : the 0.5B copies the sources' numbering
_MARK_BEFORE = re.compile(r"(^|(?<=[.!?])\s+|\n)\s*((?:\[\d+\]\s*)+)([^\[\]\n]*?)([.!?])"
                          r"(?=\s+[A-Z\[]|\s*$)")
_MARKER = re.compile(r"\[(\d+)\]")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


@dataclass(frozen=True)
class Written:
    """A sentence the model wrote: its text without markers and the sources it cites (from 1)."""

    body: str
    markers: tuple[int, ...]


def messages_for(question: str, picked: Sequence[Sentence]) -> list[BaseMessage]:
    """The prompt: the chosen sentences, numbered, and the question."""
    sources = "\n".join(f"[{n}] {' '.join(s.text.split())}" for n, s in enumerate(picked, 1))
    return [SystemMessage(WRITE_SYSTEM),
            HumanMessage(f"Sources:\n{sources}\n\nQuestion: {question}")]


def parse(text: str) -> list[Written]:
    """The sentences of a written reply, each with the markers it ends with.

    >>> [(w.body, w.markers) for w in parse("- Jordan said no. [2]\\nIt left [1][3]. Why?")]
    [('Jordan said no.', (2,)), ('It left.', (1, 3)), ('Why?', ())]
    >>> [(w.body, w.markers) for w in parse("[2] But it said no. [1] It left.")]
    [('But it said no.', (2,)), ('It left.', (1,))]
    """
    text = _normal(text)
    out = []
    for piece in _BOUNDARY.split(text):
        piece = _BULLET.sub("", piece.strip())
        if not re.search(r"\w", _MARKER.sub("", piece)):
            continue
        markers = tuple(dict.fromkeys(int(n) for n in _MARKER.findall(piece)))
        body = " ".join(_MARKER.sub(" ", piece).split())
        body = re.sub(r"\s+([.!?,;:])", r"\1", body)
        out.append(Written(body, markers))
    return out


def _normal(text: str) -> str:
    text = _MARK_BEFORE.sub(lambda m: f"{m.group(1)}{m.group(3)} {m.group(2).strip()}{m.group(4)}",
                            text)
    return _MARK_AFTER.sub(lambda m: " " + m.group(2).strip() + m.group(1) + " ", text)


def verified(w: Written, picked: Sequence[Sentence]) -> bool:
    """`rag.verify.support` of the sentence against the spans it cites (and only them).

    No question is passed, so nothing is excused as "borrowed from the question":
    every name and number must be in the cited spans, and the content words covered.
    """
    if not w.markers or any(not 1 <= n <= len(picked) for n in w.markers):
        return False
    spans = " ".join(picked[n - 1].text for n in w.markers)
    return support(w.body, "", terms_of(spans)) > 0.0


def _shown(body: str, numbers: Iterable[int]) -> str:
    marks = "".join(f"[{n}]" for n in numbers)
    m = re.search(r"[.!?]+[\"'”’)]*$", body)
    return f"{body[: m.start()]} {marks}{body[m.start():]}" if m else f"{body} {marks}."


@dataclass
class Writer:
    """Writes an open answer from chosen sentences with `generate`, keeping verified sentences."""

    generate: Callable[[list[BaseMessage]], Iterable[str]]

    def stream(self, question: str, kind: str, picked: Sequence[Sentence], header: str = ""
               ) -> Generator[str, None, tuple[list[Citation], dict[str, float]]]:
        """Yield each verified sentence (formatted) when it is done; return the citations,
        marker n for ``citations[n-1]`` (only the chosen sentences that are cited), and
        counts: sentences written, shown, and whether the quoted ones were shown instead."""
        used: dict[int, int] = {}  # chosen sentence number -> shown marker number
        shown = 0
        written = 0
        bullets = kind == "list" or bool(header)

        def emit(w: Written) -> str | None:
            nonlocal shown, written
            written += 1
            if not verified(w, picked):
                return None
            numbers = [used.setdefault(n, len(used) + 1) for n in w.markers]
            line = _shown(w.body, numbers)
            if bullets:
                line = ("" if shown == 0 and not header else "\n") + "- " + line
                if shown == 0 and header:
                    line = header + line
            elif shown:
                line = " " + line
            shown += 1
            return line

        buffer = ""
        for piece in self.generate(messages_for(question, picked)):
            buffer += piece
            parts = _BOUNDARY.split(_normal(buffer))
            # a sentence is finished once the next one has begun (its marker may come late)
            if len(parts) > 1 and re.search(r"[A-Za-z]", parts[-1]):
                for w in (w for part in parts[:-1] for w in parse(part)):
                    line = emit(w)
                    if line is not None:
                        yield line
                buffer = parts[-1]
        for w in parse(buffer):
            line = emit(w)
            if line is not None:
                yield line
        counts = {"written": float(written), "written_shown": float(shown),
                  "written_fallback": float(not shown)}
        if not shown:  # nothing the model wrote holds: the quoted sentences
            pieces, citations = render(picked, kind, header)
            yield from pieces
            return citations, counts
        order = sorted(used, key=used.__getitem__)
        return [picked[n - 1].citation() for n in order], counts
