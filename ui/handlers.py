"""What the web chat does on each event, bound to one pipeline.

`ChatHandlers` holds no conversation (only which session has an answer
running, see `ui.runs`): each browser session's conversation lives in
Gradio `State` values that are passed in and returned — the chat
`messages` (what is displayed), and `turns`, a dict from the index of an
assistant message to ``(question, Answer)`` for every verified answer. Only
verified answers go into the history a follow-up is rewritten with; a stopped
or failed answer never does.

Example:
    >>> from tests.fakes import FakePipeline            # doctest: +SKIP
    >>> chat = ChatHandlers(FakePipeline("seeds"))      # doctest: +SKIP
    >>> *_, last = chat.answer("Where did they meet?", [], {})   # doctest: +SKIP
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import gradio as gr

from rag.answerer import Assistant
from rag.errors import BadQuestion, ModelError, RagError
from rag.text_checks import invalid_text
from rag.types import Answer, Citation
from ui import render
from ui.gate import Busy, ModelGate
from ui.runs import SessionRuns

log = logging.getLogger(__name__)

# A whole document larger than this is shown as a window around its citations,
# so a huge file cannot freeze the browser.
MAX_DOCUMENT_CHARS = 300_000

Messages = list[dict[str, Any]]
Turns = dict[int, tuple[str, Answer]]


def _session(request: gr.Request | None) -> str:
    return str(getattr(request, "session_hash", "") or "")


def _assistant(content: str) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


def _close_unfinished(messages: Messages, stopped: bool = False) -> Messages:
    """Settle a last answer that never finished (call only when no run is active).

    An answer still streaming or searching was stopped; one still waiting was
    stopped too (`stopped`) or never reached the model (the queue was full).
    None was verified, so none may stay looking like an answer.
    """
    content = str(messages[-1].get("content")) if messages else ""
    if "rag-waiting" in content and not stopped:
        messages[-1] = _assistant(render.not_answered_html())
    elif "rag-provisional" in content or "rag-working" in content:
        messages[-1] = _assistant(render.stopped_html())
    return messages


class ChatHandlers:
    """Event handlers of one web chat. See the module docstring."""

    def __init__(self, pipeline: Assistant, gate: ModelGate | None = None) -> None:
        self.pipeline = pipeline
        self.runs = SessionRuns()
        self.gate = gate  # a ui.gate.ModelGate shared with the API, or None

    # --- helpers -------------------------------------------------------------
    def document_text(self, source: str) -> str | None:
        """The stored document, or None when it can no longer be read."""
        try:
            return self.pipeline.document_text(source)
        except (OSError, KeyError, ValueError, RagError) as exc:
            log.warning("cannot read document %s: %s", source, exc)
            return None

    @staticmethod
    def history(turns: Turns) -> list[tuple[str, str]]:
        """(question, answer text) pairs of the verified turns, oldest first."""
        return [(q, a.text) for _, (q, a) in sorted(turns.items())]

    def page_image(self, cite: Citation) -> str | None:
        """A PDF citation's page as a PNG data URI, quote highlighted; None if it cannot be drawn."""
        if not cite.page:
            return None
        try:
            png = self.pipeline.page_image(cite.source, cite.page, cite.start, cite.end)
        except (OSError, ValueError, RagError) as exc:
            log.warning("cannot draw page %s of %s: %s", cite.page, cite.source, exc)
            return None
        return "data:image/png;base64," + base64.b64encode(png).decode("ascii") if png else None

    def sources_for(self, turns: Turns, turn: int | None) -> str:
        if turn is None or turn not in turns:
            return render.sources_placeholder()
        return render.sources_html(turns[turn][1], turn, self.document_text, self.page_image)

    # --- asking --------------------------------------------------------------
    @staticmethod
    def validate(question: str, messages: Messages | None) -> tuple[Any, Any]:
        """Reject an empty question, or text that is not valid Unicode, before it is queued."""
        ok = bool((question or "").strip())
        if not ok:
            return (gr.validate(False, "Type a question about the documents first."),
                    gr.validate(True, ""))
        bad = invalid_text(question, "question")
        return gr.validate(bad is None, bad or ""), gr.validate(True, "")

    def begin(
        self, question: str, messages: Messages | None, request: gr.Request | None = None
    ) -> tuple[Any, ...]:
        """Show the question at once and clear the box; the answer follows."""
        session = _session(request)
        if self.runs.answering(session):
            # Keep the question in the box; `answer` does nothing for "".
            note = "One question at a time: wait for this answer, or press Stop."
            return gr.skip(), "", gr.skip(), render.status_html(note, "info")
        self.runs.settle(session)
        messages = _close_unfinished(list(messages or []))
        messages += [
            {"role": "user", "content": render.user_html(question)},
            _assistant(render.waiting_html()),
        ]
        return "", question, messages, render.status_html()

    def answer(
        self,
        question: str,
        messages: Messages,
        turns: Turns | None,
        request: gr.Request | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream an answer into the last chat message, then show the verified one.

        Yields (messages, turns, selected turn, sources panel, status, question box).
        """
        if not question:  # turned away by `begin`: an answer is already being written
            yield (gr.skip(),) * 6
            return
        with self.runs.running(_session(request)):
            if self.gate is None:
                yield from self._answer(question, messages, turns)
                return
            try:
                self.gate.enter()
            except Busy:  # the API took the last places: the question goes back to the box
                messages = list(messages or [])
                messages[-1] = _assistant(render.not_answered_html())
                yield messages, gr.skip(), gr.skip(), gr.skip(), self.busy(), question
                return
            started = time.perf_counter()
            try:
                yield from self._answer(question, messages, turns)
            finally:
                self.gate.leave(time.perf_counter() - started)

    def _answer(
        self, question: str, messages: Messages, turns: Turns | None
    ) -> Iterator[tuple[Any, ...]]:
        messages, turns = list(messages or []), dict(turns or {})
        idx = len(messages) - 1
        skip = gr.skip()
        messages[idx] = _assistant(render.pending_html())
        yield list(messages), skip, skip, skip, skip, skip
        stream = self.pipeline.stream_answer(question, self.history(turns))
        text, final = "", None
        try:
            for item in stream:
                if isinstance(item, Answer):
                    final = item
                    break
                text += item
                messages[idx] = _assistant(render.provisional_html(text))
                yield list(messages), skip, skip, skip, skip, skip
        except BadQuestion as exc:
            # The question never becomes part of the conversation: take it back
            # out of the chat and return it to the box to be edited.
            del messages[idx - 1 :]
            yield messages, skip, skip, skip, render.status_html(str(exc)), question
            return
        except (ModelError, RagError) as exc:
            log.warning("answering failed: %s", exc)
            messages[idx] = _assistant(render.error_html(f"The answer failed: {exc}"))
            yield messages, skip, skip, skip, render.status_html(str(exc)), skip
            return
        except Exception as exc:  # an unexpected bug: log it, keep the page usable
            log.exception("unexpected error while answering")
            messages[idx] = _assistant(render.error_html(
                f"Something went wrong ({type(exc).__name__}). Please ask again."))
            yield messages, skip, skip, skip, skip, skip
            return
        finally:
            stream.close()  # stops generation when the user pressed Stop
        if final is None:
            messages[idx] = _assistant(render.error_html("The model returned no answer."))
            yield messages, skip, skip, skip, skip, skip
            return
        if not final.question:
            final = replace(final, question=question)
        turns[idx] = (question, final)
        messages[idx] = _assistant(render.answer_html(final, idx))
        yield messages, turns, idx, self.sources_for(turns, idx), render.status_html(), skip

    @staticmethod
    def busy() -> str:
        """The queue was full, so the question was not taken; it stays in the box."""
        return render.status_html("The chat is busy right now. Please try again in a moment.",
                                  "info")

    def stop(
        self, messages: Messages | None, turns: Turns | None, request: gr.Request | None = None
    ) -> tuple[Any, ...]:
        """Mark an answer that was stopped before it was verified.

        Returns only once the run has ended, so no late streamed update from
        it can land on top of the mark.
        """
        self.runs.stop_requested(_session(request))
        self.runs.settle(_session(request), margin=0.0)
        closed = _close_unfinished(list(messages or []), stopped=True)
        if closed != messages:
            return closed, render.status_html("Stopped.", "info")
        return gr.skip(), gr.skip()

    @staticmethod
    def example_picked(evt: gr.SelectData) -> str:
        """A click on an example question asks it."""
        value = evt.value
        return str(value.get("text", "")) if isinstance(value, dict) else str(value)

    def api_ask(self, question: str, history: list[list[str]] | None = None) -> dict[str, Any]:
        """The `/ask` API endpoint: the verified Answer as a dict (for scripts)."""
        pairs = [(str(q), str(a)) for q, a in (history or [])]
        try:
            bad = invalid_text(question, "question") or next(
                (m for n, (q, a) in enumerate(pairs)
                 if (m := invalid_text(q + a, f"history[{n}]"))), None)
            if bad:
                raise BadQuestion(bad)
            if self.gate is None:
                return self.pipeline.answer(question, pairs).to_dict()
            with self.gate.slot():  # one bound on waiting work, shared with /v1
                return self.pipeline.answer(question, pairs).to_dict()
        except (RagError, Busy) as exc:
            # A gr.Error's message reaches the client even with show_error off.
            raise gr.Error(str(exc), print_exception=False) from None

    # --- looking at sources ----------------------------------------------------
    def select(self, turns: Turns | None, evt: gr.SelectData) -> tuple[Any, ...]:
        """A click on a chat message shows the sources of that answer."""
        turns = turns or {}
        idx = evt.index if isinstance(evt.index, int) else None
        if idx is not None and idx not in turns and idx + 1 in turns:
            idx += 1  # a click on a question shows its answer
        if idx not in turns:
            return gr.skip(), gr.skip(), gr.skip()
        return idx, self.sources_for(turns, idx), self._first_source(turns, idx)

    @staticmethod
    def _first_source(turns: Turns, idx: int) -> Any:
        cites = turns[idx][1].citations
        return gr.update(value=cites[0].source) if cites else gr.skip()

    def open_document(
        self, source: str | None, turns: Turns | None, selected: int | None
    ) -> tuple[Any, ...]:
        """The whole document, with the selected answer's citations marked."""
        if not source:
            return render.status_html(), gr.skip()
        text = self.document_text(source)
        if text is None:
            return render.status_html(f"{source} can no longer be read."), gr.Accordion(open=True)
        spans = []
        if selected is not None and turns and selected in turns:
            spans = [(c.start, c.end, n)
                     for n, c in enumerate(turns[selected][1].citations, start=1)
                     if c.source == source and text[c.start:c.end] == c.quote]
        offset = 0
        if len(text) > MAX_DOCUMENT_CHARS:
            offset = max(0, min((s for s, _, _ in spans), default=0) - 2_000)
            text = text[offset : offset + MAX_DOCUMENT_CHARS]
            spans = [(s - offset, e - offset, n) for s, e, n in spans if e - offset <= len(text)]
        body = render.document_html(text, spans)
        if offset or len(text) == MAX_DOCUMENT_CHARS:
            body = render.status_html(
                f"Long document: showing characters {offset:,}–{offset + len(text):,}.", "info"
            ) + body
        return body, gr.Accordion(open=True)

    def open_from_panel(
        self, turns: Turns | None, selected: int | None, evt: gr.EventData
    ) -> tuple[Any, ...]:
        """A click on a document name in the sources panel opens that document."""
        source = getattr(evt, "source", None) if evt is not None else None
        if not source:
            return gr.skip(), gr.skip(), gr.skip()
        body, acc = self.open_document(source, turns, selected)
        return gr.update(value=source), body, acc

    def reset(self, request: gr.Request | None = None) -> tuple[Any, ...]:
        """Start over: an empty chat, no selection, nothing open.

        Waits for a running answer to end first, like `stop`.
        """
        self.runs.stop_requested(_session(request))
        self.runs.settle(_session(request), margin=0.0)
        return [], {}, None, render.sources_placeholder(), "", render.status_html(), ""
