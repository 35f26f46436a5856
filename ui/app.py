"""`build_ui(pipeline)`: the Gradio page of the web chat.

The page only builds the interface around a pipeline it is handed; it never
builds one (that is `ui.server.main`). Layout, left to right: the chat (with
example questions, a question box, Ask / Stop / Start over), and the sources
panel (the selected answer's cited passages — a PDF's page as an image with the
quote highlighted —, the whole document, the indexed documents and the model,
and a box to drop files into or remove uploaded ones).

One model answers one question at a time: every event that runs the model
shares the concurrency group ``"model"`` with a limit of 1, and the queue holds
at most ``settings.queue_size`` waiting requests; past that Gradio tells the
user the app is busy and to try again. Page events that do not touch the
model (selecting an answer, opening a document) skip the queue.

Example:
    >>> from tests.fakes import FakePipeline          # doctest: +SKIP
    >>> demo = build_ui(FakePipeline("seeds"))        # doctest: +SKIP
    >>> from ui.server import launch                   # doctest: +SKIP
    >>> launch(demo, port=7860)                        # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr

from rag.answerer import Assistant
from ui import render
from ui.examples import corpus_examples
from ui.gate import ModelGate
from ui.handlers import ChatHandlers
from ui.theme import OPEN_DOCUMENT_JS
from ui.upload_handlers import DocumentHandlers

# Serving (`main`, `launch`) is `ui.server`'s, which imports this module, not the reverse.
__all__ = ["build_ui"]

TITLE = "Ask your documents"
DEFAULT_QUEUE_SIZE = 16
MODEL = "model"  # the concurrency group of every event that runs the model
DOCUMENTS = "documents"  # uploads and removals: they wait for indexing, never for the model


def _document_handlers(pipeline: Assistant, chat: ChatHandlers,
                       examples: Sequence[str] | None) -> DocumentHandlers | None:
    """Uploads need a corpus folder to save them in (`uploads()` is None without one)."""
    uploads = pipeline.uploads()
    if uploads is None:
        return None
    return DocumentHandlers(pipeline, uploads, TITLE, examples, chat.document_text)


def build_ui(pipeline: Assistant, examples: Sequence[str] | None = None,
             gate: ModelGate | None = None, queue_size: int = DEFAULT_QUEUE_SIZE) -> gr.Blocks:
    """Build (not launch) the chat page for `pipeline`.

    Args:
        pipeline: a `rag.Pipeline`, or any `rag.answerer.Assistant`.
        examples: questions to offer a first-time user; by default they are
            derived from the indexed documents (see `ui.examples`).
        gate: a `ui.gate.ModelGate` shared with the API (one bound on waiting work).
        queue_size: requests that may wait for the model (`Settings.queue_size`).
    """
    chat = ChatHandlers(pipeline, gate)
    documents = _document_handlers(pipeline, chat, examples)
    sources = list(pipeline.sources())
    names = [s.source for s in sources]
    if examples is None:
        examples = corpus_examples(names, chat.document_text)
    model_name = pipeline.model_name or "unknown model"

    # Uploads that never reached an event (or a crash between) are swept after an hour.
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(600, 3600)) as demo:
        turns = gr.State({})  # assistant message index -> (question, Answer)
        selected = gr.State(None)  # the answer whose sources are shown
        asked = gr.State("")  # the question between `begin` and `answer`

        header = gr.HTML(render.header_html(TITLE, len(names), model_name), js_on_load=None,
                         elem_id="rag-header")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=380):
                chatbot = gr.Chatbot(
                    label="Chat",
                    show_label=False,
                    elem_id="rag-chat",
                    height=560,
                    render_markdown=False,  # content is our own escaped HTML
                    sanitize_html=True,
                    latex_delimiters=[],
                    buttons=[],
                    feedback_options=None,
                    examples=[{"text": q} for q in examples] or None,
                    placeholder="Ask a question about the documents, or pick an example.",
                    allow_tags=False,
                )
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        label="Your question",  # named in validation messages
                        show_label=False,
                        placeholder="Ask a question about the documents…",
                        elem_id="rag-question",
                        container=False,
                        scale=6,
                        lines=1,
                        max_lines=6,
                        autofocus=True,
                    )
                    ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=70)
                    stop_btn = gr.Button("Stop", variant="secondary", scale=1, min_width=70)
                with gr.Row(equal_height=False):
                    status = gr.HTML("", elem_id="rag-status", js_on_load=None, scale=5)
                    clear_btn = gr.Button("Start over", size="sm", variant="secondary",
                                          elem_id="rag-clear", scale=0, min_width=120)
            with gr.Column(scale=2, min_width=320):
                gr.Markdown("### Sources")
                panel = gr.HTML(
                    render.sources_placeholder(),
                    elem_id="rag-sources",
                    js_on_load=OPEN_DOCUMENT_JS,
                    max_height=620,
                    autoscroll=False,
                )
                with gr.Accordion("Whole document", open=False) as doc_box:
                    doc_choice = gr.Dropdown(
                        choices=names, value=names[0] if names else None,
                        label="Document", elem_id="rag-doc-choice",
                    )
                    doc_view = gr.HTML("", elem_id="rag-doc", js_on_load=None)
                with gr.Accordion(render.documents_label(len(names)), open=False,
                                  elem_id="rag-docs-box") as docs_box:
                    docs_table = gr.HTML(
                        render.documents_table_html(sources, model_name, pipeline.skipped()),
                        js_on_load=None, elem_id="rag-docs")
                if documents is not None:
                    with gr.Accordion("Add or remove documents", open=False,
                                      elem_id="rag-upload-box"):
                        upload = gr.File(
                            label="Drop files here or click to pick",
                            file_count="multiple", file_types=list(documents.uploads.allowed),
                            elem_id="rag-upload", height=120,
                        )
                        upload_status = gr.HTML("", elem_id="rag-upload-status",
                                                js_on_load=None)
                        with gr.Row(equal_height=True):
                            removable = gr.Dropdown(
                                choices=documents.uploads.uploaded(), value=None,
                                label="Uploaded document", elem_id="rag-removable", scale=3,
                            )
                            remove_btn = gr.Button("Remove", size="sm", scale=1,
                                                   elem_id="rag-remove")

        # Page events: instant, outside the queue, and not part of the public API.
        quick: dict[str, Any] = {"queue": False, "show_progress": "hidden",
                                 "api_visibility": "private"}
        answer_outputs = [chatbot, turns, selected, panel, status, question]
        model_events = []
        for trigger in (question.submit, ask_btn.click):
            started = trigger(
                chat.begin, [question, chatbot], [question, asked, chatbot, status],
                validator=chat.validate, show_progress="hidden",
                concurrency_limit=None, api_visibility="private",
            )
            # Rejected by a full queue: nothing was taken, the question stays in the box.
            # (No `.failure` on the model run itself: Stop also ends it as a failure.)
            started.failure(chat.busy, None, [status], **quick)
            run = started.success(
                chat.answer, [asked, chatbot, turns], answer_outputs,
                concurrency_id=MODEL, concurrency_limit=1, show_progress="minimal",
                api_visibility="private",
            )
            model_events.append(run)

        picked = chatbot.example_select(chat.example_picked, None, [asked], **quick).then(
            chat.begin, [asked, chatbot], [question, asked, chatbot, status], **quick
        )
        run = picked.then(
            chat.answer, [asked, chatbot, turns], answer_outputs,
            concurrency_id=MODEL, concurrency_limit=1, show_progress="minimal",
            api_visibility="private",
        )
        model_events.append(run)

        # Cancel in the page at once (a server function in the same event would
        # delay the cancel until it returned), then mark the stopped answer.
        stop_btn.click(None, None, None, cancels=model_events, **quick).then(
            chat.stop, [chatbot, turns], [chatbot, status], **quick
        )
        reset_outputs = [chatbot, turns, selected, panel, doc_view, status, question]
        for trigger in (clear_btn.click, chatbot.clear):
            trigger(None, None, None, cancels=model_events, **quick).then(
                chat.reset, None, reset_outputs, **quick
            )
        chatbot.select(chat.select, [turns], [selected, panel, doc_choice], **quick)
        panel.click(chat.open_from_panel, [turns, selected], [doc_choice, doc_view, doc_box],
                    **quick)
        doc_choice.input(chat.open_document, [doc_choice, turns, selected], [doc_view, doc_box],
                         **quick)
        doc_box.expand(chat.open_document, [doc_choice, turns, selected], [doc_view, doc_box],
                       **quick)

        if documents is not None:
            # Every part of the page that shows which documents are indexed (DocumentHandlers.LISTS).
            lists = [docs_table, doc_choice, removable, header, docs_box, chatbot]
            upload.upload(documents.upload, [upload], [upload_status, upload, *lists],
                          concurrency_id=DOCUMENTS, concurrency_limit=8,
                          show_progress="hidden", api_visibility="private")
            remove_btn.click(documents.remove, [removable], [upload_status, *lists],
                             concurrency_id=DOCUMENTS, concurrency_limit=8,
                             show_progress="hidden", api_visibility="private")

        # The public API: one endpoint for scripts and gradio_client, same queue.
        with gr.Row(visible=False):
            api_q, api_h, api_a = gr.Textbox(), gr.JSON(), gr.JSON()
        api_q.submit(chat.api_ask, [api_q, api_h], [api_a], api_name="ask",
                     concurrency_id=MODEL, concurrency_limit=1)

    demo.queue(max_size=queue_size, default_concurrency_limit=1)
    return demo
