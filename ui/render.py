"""HTML for the web chat: chat messages, the sources panel, a whole document.

Everything here is plain string building with no Gradio import, so it is
tested without a server. Every piece of text that comes from a document, the
model or the user goes through `html.escape` before it is placed in markup:
a document that carries ``<script>`` shows it as text, and nothing runs.

What it leaves out: layout and events (`ui.app`), page styles (`ui.theme`).

Example:
    >>> from rag.types import Answer, Citation
    >>> a = Answer("Zones [1].", [Citation("a.txt", 0, 5, "Zones")])
    >>> "rag-marker" in answer_html(a, turn=1)
    True
    >>> html = document_html("a <b> c", [(2, 5, 1)])
    >>> '<mark class="rag-quote" data-n="1">&lt;b&gt;</mark> c' in html
    True
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from rag.answerer import Source
from rag.types import Answer, Citation, Passage

# How much text around a quoted span the sources panel shows, per side: at
# least PAD_CHARS beyond the quote, at most CONTEXT_CHARS.
PAD_CHARS = 160
CONTEXT_CHARS = 360

_MARKER = re.compile(r"\[(\d{1,3})\]")

DECLINE_HINT = (
    "I only answer from the indexed documents, and they don't seem to cover this. "
    "Try rephrasing, or ask about something the documents discuss."
)


def esc(text: str) -> str:
    """Escape text for HTML, keeping line breaks visible.

    >>> esc("a <b>\\nc")
    'a &lt;b&gt;<br>c'
    """
    return html.escape(text, quote=True).replace("\r\n", "\n").replace("\n", "<br>")


def user_html(question: str) -> str:
    """A user's message as shown in the chat."""
    return f'<div class="rag-user">{esc(question)}</div>'


def pending_html(note: str = "Searching the documents…") -> str:
    """The placeholder shown before the first streamed token."""
    return f'<div class="rag-note rag-working">{esc(note)}</div>'


def waiting_html() -> str:
    """The placeholder shown while a question waits in the queue for the model."""
    return '<div class="rag-note rag-working rag-waiting">Waiting for the model</div>'


def not_answered_html() -> str:
    """What replaces a question that never reached the model (the queue was full)."""
    return '<div class="rag-note">Not answered: the chat was busy. Please ask again.</div>'


def provisional_html(text: str) -> str:
    """Streamed text: shown while it arrives, replaced by the verified answer."""
    return (
        f'<div class="rag-provisional">{esc(text)}<span class="rag-cursor"></span></div>'
        '<div class="rag-note">Writing… citations are checked when the answer is complete.</div>'
    )


def error_html(message: str) -> str:
    """An error shown in place of an answer; the chat keeps working."""
    return f'<div class="rag-error" role="alert">⚠ {esc(message)}</div>'


def stopped_html() -> str:
    """What replaces an answer the user stopped before it was checked."""
    return (
        '<div class="rag-note rag-stopped">Stopped. The unfinished answer was not checked '
        "against the documents, so it is not kept.</div>"
    )


def answer_html(answer: Answer, turn: int) -> str:
    """The verified answer, with each ``[n]`` turned into a clickable marker.

    `turn` is the chat message index; the marker carries it so the page script
    can scroll the sources panel to the right citation.
    """
    if answer.refused:
        return (
            f'<div class="rag-decline"><strong>Not in the documents.</strong> {esc(answer.text)}'
            f'<div class="rag-note">{esc(DECLINE_HINT)}</div></div>'
        )
    parts, last = [], 0
    for m in _MARKER.finditer(answer.text):
        n = int(m.group(1))
        if not 1 <= n <= len(answer.citations):
            continue  # not a citation marker (e.g. "[2017]"): leave it as text
        cite = answer.citations[n - 1]
        parts.append(esc(answer.text[last : m.start()]))
        parts.append(
            # The chat's HTML sanitizer drops data-* attributes; classes survive.
            f'<a class="rag-marker rag-m-{turn}-{n}" '
            f'title="{esc(cite.source)}: show the source">[{n}]</a>'
        )
        last = m.end()
    parts.append(esc(answer.text[last:]))
    return f'<div class="rag-answer">{"".join(parts)}</div>'


def _passage_for(cite: Citation, passages: Sequence[Passage]) -> Passage | None:
    """The retrieved passage a citation came from (by id, else by overlap)."""
    for p in passages:
        if cite.passage_id is not None and p.id == cite.passage_id:
            return p
    for p in passages:
        if p.source == cite.source and p.start < cite.end and cite.start < p.end:
            return p
    return None


def _snap(text: str, i: int, forward: bool) -> int:
    """Move a cut point to a word boundary so context never starts mid-word."""
    if forward:
        j = text.find(" ", i)
        return len(text) if j < 0 else j
    j = text.rfind(" ", 0, i)
    return 0 if j < 0 else j + 1


def highlighted_context(doc: str, cite: Citation, passage: Passage | None) -> str:
    """The quoted span marked inside its surrounding text (escaped HTML).

    The surrounding text is the retrieved passage, widened by a little of the
    document on each side so a quote that fills its whole passage still shows
    where it sits; cut points fall on word boundaries.
    """
    lo = min(passage.start if passage else cite.start, cite.start - PAD_CHARS)
    hi = max(passage.end if passage else cite.end, cite.end + PAD_CHARS)
    lo = max(0, lo, cite.start - CONTEXT_CHARS)
    hi = min(len(doc), hi, cite.end + CONTEXT_CHARS)
    if lo > 0:
        lo = min(_snap(doc, lo, forward=False), cite.start)
    if hi < len(doc):
        hi = max(_snap(doc, hi, forward=True), cite.end)
    before = ("…" if lo > 0 else "") + doc[lo : cite.start].lstrip()
    after = doc[cite.end : hi].rstrip() + ("…" if hi < len(doc) else "")
    quote = esc(doc[cite.start : cite.end])
    return f'{esc(before)}<mark class="rag-quote">{quote}</mark>{esc(after)}'


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd".

    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 103)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '103rd']
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _rank(p: Passage | None, passages: Sequence[Passage]) -> str:
    """Where the passage came in the search, best first ("2nd of 8 passages found").

    A raw fusion score (0.0328) means nothing to a reader; its rank does. The
    scores stay in the tooltip for whoever wants them.
    """
    rank = next((i for i, q in enumerate(passages, start=1) if p is not None and q.id == p.id),
                None)
    if p is None or rank is None:
        return '<span class="rag-score">not among the passages found</span>'
    detail = [f"score {p.score:.3g}"]
    if p.dense is not None:
        detail.append(f"dense {p.dense:.3g}")
    if p.lexical is not None:
        detail.append(f"lexical {p.lexical:.3g}")
    title = "retrieval: " + ", ".join(detail)
    return (f'<span class="rag-score" title="{esc(title)}">{ordinal(rank)} of '
            f"{len(passages)} passage{'s' if len(passages) != 1 else ''} found</span>")


def sources_html(
    answer: Answer, turn: int, document_text: Callable[[str], str | None],
    page_image: Callable[[Citation], str | None] | None = None,
) -> str:
    """The sources panel for one answer: each cited passage, quote highlighted.

    `document_text(source)` returns the stored document or None when it is gone.
    `page_image(citation)` returns a ``data:`` URI of a PDF citation's page
    with the quote highlighted, or None (shown under the passage when given).
    """
    head = f'<div class="rag-sources" data-turn="{turn}">'
    head += f'<div class="rag-asked">Sources for: <q>{esc(answer.question)}</q></div>'
    if answer.rewritten_question and answer.rewritten_question.strip() != answer.question.strip():
        head += (
            '<details class="rag-rewrite"><summary>Searched as a standalone question</summary>'
            f"<p>{esc(answer.rewritten_question)}</p></details>"
        )
    if answer.refused or not answer.citations:
        body = (
            '<p class="rag-note">Nothing is cited: the documents did not support an answer.</p>'
            if answer.refused
            else '<p class="rag-note">This answer has no citations.</p>'
        )
        return head + body + _closest(answer.passages) + _timings(answer) + "</div>"
    items = []
    for n, cite in enumerate(answer.citations, start=1):
        passage = _passage_for(cite, answer.passages)
        doc = document_text(cite.source)
        if doc is not None and doc[cite.start : cite.end] == cite.quote:
            context = highlighted_context(doc, cite, passage)
        else:  # the file changed or vanished since indexing: show the quote alone
            context = f'<mark class="rag-quote">{esc(cite.quote)}</mark>'
            context += (
                '<div class="rag-note">(The document has changed since it was indexed.)</div>'
            )
        items.append(
            f'<section class="rag-cite" id="rag-cite-{turn}-{n}" data-n="{n}">'
            f'<header><span class="rag-num">[{n}]</span> '
            f'<button class="rag-open" data-source="{esc(cite.source)}" '
            f'title="Open the whole document">{esc(cite.source)}</button> '
            f"{_page_label(cite)}{_rank(passage, answer.passages)}</header>"
            f'<blockquote class="rag-context">{context}</blockquote>'
            f"{_page_figure(cite, page_image)}</section>"
        )
    return head + "".join(items) + _timings(answer) + "</div>"


def _page_label(cite: Citation) -> str:
    return f'<span class="rag-page-num">page {cite.page}</span> ' if cite.page else ""


def _page_figure(cite: Citation, page_image: Callable[[Citation], str | None] | None) -> str:
    """The PDF page as an image, the quoted lines highlighted (data URI: no other request)."""
    uri = page_image(cite) if page_image and cite.page else None
    if not uri or not uri.startswith("data:image/png;base64,"):
        return ""
    alt = f"Page {cite.page} of {cite.source}, the quoted lines highlighted"
    return (f'<figure class="rag-page"><img src="{esc(uri)}" alt="{esc(alt)}" loading="lazy">'
            f"<figcaption>{esc(cite.source)}, page {cite.page}</figcaption></figure>")


def _closest(passages: Sequence[Passage]) -> str:
    if not passages:
        return ""
    rows = "".join(
        f'<li><span class="rag-doc">{esc(p.source)}</span> {_rank(p, passages)}'
        f'<div class="rag-context">{esc(p.text[:CONTEXT_CHARS * 2])}</div></li>'
        for p in passages
    )
    return (
        '<details class="rag-closest"><summary>Closest passages found (not used)</summary>'
        f"<ol>{rows}</ol></details>"
    )


def _timings(answer: Answer) -> str:
    t = answer.timings
    keys = ("retrieve", "first_token", "total")
    bits = [f"{k.replace('_', ' ')} {t[k]:.2f} s" for k in keys if k in t]
    model = f" · model {esc(answer.model)}" if answer.model else ""
    return f'<div class="rag-timings">{" · ".join(bits)}{model}</div>' if bits or model else ""


def document_html(text: str, spans: Sequence[tuple[int, int, int]]) -> str:
    """A whole document with the cited spans marked; `spans` are (start, end, n).

    Overlapping spans are split so every character sits in at most one mark,
    labelled with all the citation numbers that cover it.
    """
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out = []
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        if lo >= hi or hi > len(text):
            continue
        ns = sorted({n for s, e, n in spans if s <= lo and hi <= e})
        piece = html.escape(text[lo:hi])
        if ns:
            label = ",".join(map(str, ns))
            first = any(s == lo for s, _, _ in spans)
            tag = f'<sup class="rag-num">[{label}]</sup>' if first else ""
            piece = f'{tag}<mark class="rag-quote" data-n="{label}">{piece}</mark>'
        out.append(piece)
    return f'<div class="rag-doc-text">{"".join(out)}</div>'


def header_html(title: str, documents: int, model_name: str) -> str:
    """The page header: what answers come from (the document count) and which model.

    >>> "2 indexed documents" in header_html("Ask", 2, "m"), "1 indexed document," in header_html("Ask", 1, "m")
    (True, True)
    """
    plural = "s" if documents != 1 else ""
    return (
        f'<div class="rag-header"><h1>{esc(title)}</h1><p>Answers come only from the '
        f"{documents} indexed document{plural}, and every claim "
        "cites the exact passage it rests on. Click a <b>[n]</b> to check it. "
        f"Model: <b>{esc(model_name)}</b>.</p></div>"
    )


def documents_label(documents: int) -> str:
    """The label of the indexed-documents panel.

    >>> documents_label(3)
    'Indexed documents (3)'
    """
    return f"Indexed documents ({documents})"


def documents_table_html(sources: Sequence[Source], model_name: str,
                         skipped: Sequence[tuple[str, str]] = ()) -> str:
    """Which documents are indexed (names, passage counts) and which model answers;
    then the files that were not indexed, each with the reason."""
    rows = "".join(
        f'<tr><td>{esc(s.source)}</td><td class="rag-count">{int(s.passages)}</td></tr>'
        for s in sources
    )
    if not rows:
        rows = '<tr><td colspan="2">No documents are indexed yet.</td></tr>'
    table = (
        f'<div class="rag-model">Answers by <b>{esc(model_name)}</b>, '
        "only from these documents:</div>"
        f'<table class="rag-docs"><thead><tr><th>Document</th><th>Passages</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
    if skipped:
        items = "".join(f"<li><b>{esc(src)}</b>: {esc(why)}</li>" for src, why in skipped)
        table += (f'<div class="rag-skipped"><div class="rag-note">Not indexed '
                  f"({len(skipped)}):</div><ul>{items}</ul></div>")
    return table


def sources_placeholder() -> str:
    """What the sources panel shows before any answer is selected."""
    return (
        '<div class="rag-sources-empty">Ask a question. The passages an answer cites appear '
        "here, with the quoted words highlighted. Click a <b>[n]</b> in an answer to jump to "
        "its source, or a document name to read the whole document.</div>"
    )


def status_html(message: str = "", kind: str = "error") -> str:
    """A one-line notice under the question box (empty string clears it)."""
    if not message:
        return ""
    return f'<div class="rag-status rag-{esc(kind)}" role="status">{esc(message)}</div>'
