"""The web chat's document events: upload files, see them indexed, remove one.

Uploads are saved by `index.uploads.Uploads` (safe names, types and size
limits, a record of what was uploaded) and indexed by one
`BackgroundIndexer`, so the chat keeps answering meanwhile: these events run
in their own concurrency group, never the model's. Each handler is a
generator that reports progress until the index run that covers its files
has finished, then refreshes the document lists.

Example:
    >>> docs = DocumentHandlers(pipeline, Uploads(corpus, [".pdf"], 10**7))   # doctest: +SKIP
    >>> *_, last = docs.upload(["report.pdf"])               # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from index.errors import UploadRefused
from index.sync import IndexReport
from index.uploads import Uploads
from rag.answerer import Assistant
from ui import render
from ui.examples import corpus_examples
from ui.indexer import BackgroundIndexer

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5


def _upload_folder() -> Path:
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder()).resolve()


def _uploaded_here(path: Path) -> bool:
    """True for a regular file inside Gradio's upload folder (no link out of it)."""
    try:
        real = path.resolve(strict=True)
    except OSError:
        return False
    return real.is_relative_to(_upload_folder()) and real.is_file() and not path.is_symlink()


def _discard_upload(path: Path) -> None:
    """Delete Gradio's copy of an upload (and its folder, when empty); never anything else."""
    if not _uploaded_here(path):
        return
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()  # Gradio gives each upload a folder of its own


class DocumentHandlers:
    """Upload and remove events bound to one pipeline; see the module docstring."""

    def __init__(self, pipeline: Assistant, uploads: Uploads, title: str = "Documents",
                 examples: Sequence[str] | None = None,
                 document_text: Callable[[str], str | None] | None = None) -> None:
        self.pipeline = pipeline
        self.uploads = uploads
        self.title = title  # of the page header, which shows the document count
        self.examples = examples  # a deployment's own examples stay; None: from the documents
        self.document_text = document_text or (lambda source: pipeline.document_text(source))
        self.indexer = BackgroundIndexer(self._index)

    def _index(self) -> IndexReport:
        def on_file(done: int, total: int, source: str) -> None:
            self.indexer.progress = f"{done}/{total}: {source}"

        return self.pipeline.index(progress=False, on_file=on_file)

    # --- what the page shows --------------------------------------------------
    # Everything on the page that depends on which documents are indexed, in this
    # order; the upload and remove events have these as their last outputs.
    LISTS = ("documents table", "document dropdown", "removable dropdown", "header",
             "indexed documents panel (its label)", "chat (its example questions)")

    def lists(self) -> tuple[Any, ...]:
        """The `LISTS` updates, refreshed from the index: all change together."""
        sources = list(self.pipeline.sources())
        names = [s.source for s in sources]
        model = self.pipeline.model_name or "unknown model"
        removable = [s for s in self.uploads.uploaded() if s in names]
        examples = self.examples
        if examples is None:
            examples = corpus_examples(names, self.document_text)
        return (render.documents_table_html(sources, model, self.pipeline.skipped()),
                gr.update(choices=names),
                gr.update(choices=removable, value=None),
                render.header_html(self.title, len(names), model),
                gr.update(label=render.documents_label(len(names))),
                gr.update(examples=[{"text": q} for q in examples] or None))

    def _wait_for_index(self, note: str) -> Iterator[str]:
        ticket = self.indexer.request()
        while not self.indexer.wait(ticket, POLL_SECONDS):
            progress = self.indexer.progress
            yield render.status_html(f"{note} {progress}".strip(), "info")

    def _outcome(self, saved: list[str], refused: list[str]) -> str:
        lines = []
        report: IndexReport | None = self.indexer.last_report
        if self.indexer.last_error is not None:
            lines.append(f"Indexing failed: {self.indexer.last_error}")
        skipped = {s.source: s.reason for s in (report.skipped if report else [])}
        indexed = [s for s in saved if s not in skipped]
        if indexed:
            lines.append("Indexed: " + ", ".join(indexed) + ".")
        lines += [f"Not indexed: {s}: {skipped[s]}" for s in saved if s in skipped]
        lines += [f"Not accepted: {r}" for r in refused]
        kind = "info" if indexed and not refused and len(indexed) == len(saved) else "error"
        return render.status_html("\n".join(lines) or "Nothing to index.", kind)

    # --- events ------------------------------------------------------------------
    def upload(self, files: list[Any] | None) -> Iterator[tuple[Any, ...]]:
        """Save the dropped or picked files, index them, report each one.

        Only bytes the client sent through the upload route are taken: a file
        the event names outside Gradio's upload folder is refused. Gradio's copy
        is deleted once saved or refused, and a saved file that cannot be indexed
        is removed again (it would only take disk space).

        Yields (status, file box, *`LISTS`).
        """
        skip = gr.skip()
        rest = (skip,) * len(self.LISTS)
        saved, refused = [], []
        for f in files or []:
            path = Path(str(getattr(f, "name", f)))
            shown = str(getattr(f, "orig_name", "") or path.name)
            try:
                if not _uploaded_here(path):
                    raise UploadRefused(f"{shown}: not a file uploaded to this chat")
                saved.append(self.uploads.save(shown, path))
            except (UploadRefused, OSError) as exc:
                refused.append(str(exc))
            finally:
                _discard_upload(path)
        if saved:
            note = f"Indexing {len(saved)} file(s)…"
            yield render.status_html(note, "info"), None, *rest
            for status in self._wait_for_index(note):
                yield status, skip, *rest
            self._drop_unindexed(saved)
        yield (self._outcome(saved, refused), None, *self.lists())

    def _drop_unindexed(self, saved: list[str]) -> None:
        """Remove saved uploads the index run skipped: they would stay on disk for nothing."""
        report = self.indexer.last_report
        for s in getattr(report, "skipped", []):
            if s.source in saved:
                try:
                    self.uploads.remove(s.source)
                except (UploadRefused, OSError) as exc:
                    log.warning("could not remove unindexed upload %s: %s", s.source, exc)

    def remove(self, source: str | None) -> Iterator[tuple[Any, ...]]:
        """Delete one uploaded file and drop it from the index.

        Yields (status, *`LISTS`).
        """
        rest = (gr.skip(),) * len(self.LISTS)
        if not source:
            yield render.status_html("Choose an uploaded document to remove."), *rest
            return
        try:
            self.uploads.remove(source)
        except UploadRefused as exc:
            yield render.status_html(str(exc)), *rest
            return
        for status in self._wait_for_index(f"Removing {source}…"):
            yield status, *rest
        yield (render.status_html(f"Removed {source}.", "info"), *self.lists())
