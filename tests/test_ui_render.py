"""Unit tests of the web chat's HTML, example questions and serving edge cases.

No server, no browser, no model: these run in well under a second.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from rag.types import Answer, Citation, Passage
from ui import render
from ui.examples import example_questions
from ui.server import PortInUse, check_port, free_port

ROOT = Path(__file__).resolve().parent.parent
DOC = "Intro line.\n\nThe envoys met in Amman <b>twice</b>. They will meet again.\n"
QUOTE = "The envoys met in Amman <b>twice</b>."
START = DOC.index(QUOTE)
CITE = Citation("news/a.txt", START, START + len(QUOTE), QUOTE, "p1")
PASSAGE = Passage("p1", "news/a.txt", START, len(DOC) - 1, DOC[START:-1], 0.8123)


def _answer(**kw: object) -> Answer:
    base = dict(text="They met in Amman [1].", citations=[CITE], passages=[PASSAGE],
                question="Where did they meet?", rewritten_question="Where did they meet?")
    base.update(kw)
    return Answer(**base)  # type: ignore[arg-type]


def test_answer_markers_become_links_and_text_is_escaped() -> None:
    html = render.answer_html(_answer(text="<img src=x onerror=alert(1)> in Amman [1] [7]"), 3)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'class="rag-marker rag-m-3-1"' in html
    assert "[7]" in html and "rag-m-3-7" not in html  # no citation 7: stays plain text


def test_refusal_is_a_friendly_decline() -> None:
    html = render.answer_html(_answer(text="The documents do not say.", citations=[],
                                      refused=True), 1)
    assert "Not in the documents" in html and "The documents do not say." in html
    assert "rag-marker" not in html


def test_sources_panel_highlights_the_quote_in_its_passage() -> None:
    html = render.sources_html(_answer(), 5, lambda source: DOC)
    assert 'id="rag-cite-5-1"' in html
    quote = "The envoys met in Amman &lt;b&gt;twice&lt;/b&gt;."
    assert f'<mark class="rag-quote">{quote}</mark>' in html
    assert "They will meet again." in html  # surrounding text of the passage
    assert "news/a.txt" in html and "1st of 1 passage found" in html
    assert "score 0.812" not in html.replace('title="retrieval: score 0.812"', "")  # tooltip only
    assert "<b>twice" not in html


def test_an_open_answer_has_a_marker_and_a_highlighted_card_per_citation() -> None:
    second = "They will meet again."
    s2 = DOC.index(second)
    cite2 = Citation("news/a.txt", s2, s2 + len(second), second, "p2")
    other = Passage("p0", "news/b.txt", 0, 5, "Other", 0.9)
    p2 = Passage("p2", "news/a.txt", s2, len(DOC) - 1, DOC[s2:-1], 0.5)
    answer = _answer(text="They met in Amman twice [1]. They will meet again [2].",
                     citations=[CITE, cite2], passages=[other, PASSAGE, p2])
    text = render.answer_html(answer, 4)
    assert 'rag-m-4-1"' in text and 'rag-m-4-2"' in text
    panel = render.sources_html(answer, 4, lambda s: DOC)
    cards = panel.split('<section class="rag-cite"')[1:]
    assert len(cards) == 2
    assert 'id="rag-cite-4-1"' in cards[0] and 'id="rag-cite-4-2"' in cards[1]
    assert '<mark class="rag-quote">The envoys met in Amman &lt;b&gt;' in cards[0]
    assert f'<mark class="rag-quote">{second}</mark>' in cards[1]
    # Each card says where its passage came in the search, not a fusion score.
    assert "2nd of 3 passages found" in cards[0] and "3rd of 3 passages found" in cards[1]


def test_sources_panel_shows_rewritten_question_on_demand() -> None:
    html = render.sources_html(_answer(question="And when?",
                                       rewritten_question="When did the envoys meet?"),
                               1, lambda s: DOC)
    assert "<details" in html and "When did the envoys meet?" in html
    assert "<details" not in render.sources_html(_answer(), 1, lambda s: DOC)


def test_sources_panel_survives_a_changed_or_missing_document() -> None:
    for doc in (None, "something else entirely"):
        html = render.sources_html(_answer(), 1, lambda s, d=doc: d)
        assert "has changed since it was indexed" in html
        assert "&lt;b&gt;twice" in html


def test_refused_panel_lists_closest_passages_not_citations() -> None:
    html = render.sources_html(_answer(refused=True, citations=[]), 1, lambda s: DOC)
    assert "Nothing is cited" in html and "Closest passages" in html


def test_document_marks_spans_and_escapes_everything_else() -> None:
    text = "<script>alert(1)</script> abc def ghi"
    i = text.index("abc")
    html = render.document_html(text, [(i, i + 7, 1), (i + 4, i + 11, 2)])
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<mark class="rag-quote" data-n="1">abc </mark>' in html
    assert '<mark class="rag-quote" data-n="1,2">def</mark>' in html  # overlap labelled twice
    assert '<mark class="rag-quote" data-n="2"> ghi</mark>' in html


def test_documents_table_and_status_escape_names() -> None:
    class Src:
        source, passages = "<i>x</i>.txt", 4

    html = render.documents_table_html([Src()], "tiny <model>")
    assert "&lt;i&gt;x&lt;/i&gt;.txt" in html and ">4<" in html and "tiny &lt;model&gt;" in html
    assert render.status_html("") == ""
    assert "&lt;b&gt;" in render.status_html("<b>")


def test_example_questions_come_from_the_documents() -> None:
    docs = {"a.md": "# Harbour plans\n\nThe port of Elm met Oak. Then Elm and Oak agreed. "
                    "Later Elm left.\n"}
    qs = example_questions(docs)
    assert qs[0] == "What is this document about?"  # an overview, as rag.route reads it
    assert "What do the documents say about Elm?" in qs
    assert example_questions({}) == []
    assert example_questions({**docs, "b.md": "x"})[0] == "What are the documents about?"


def test_example_questions_are_of_the_kinds_the_pipeline_answers() -> None:
    from rag.route import route_question

    docs = {"a.md": "Ferry plan\n\nThe town of Kessford met Ilse Brandt on Monday. "
                    "Ilse Brandt, the mayor, wants a ferry. Kessford agreed, Ilse Brandt said. "
                    "The fund of Kessford will pay."}
    qs = example_questions(docs)
    assert [route_question(q) for q in qs] == ["overview", "topic", "topic"]
    assert "Who is the mayor?" not in qs  # a role without "of <name>" is no question
    assert "Ferry plan" not in " ".join(qs)  # the title line is not a name
    docs["a.md"] += " Ilse Brandt, the mayor of Kessford, spoke."
    qs = example_questions(docs)
    assert [route_question(q) for q in qs] == ["overview", "topic", "factoid"]
    assert qs[2] == "Who is the mayor of Kessford?"  # answered by a name the text gives


def test_busy_port_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(PortInUse, match=f"Port {port} .* already in use"):
            check_port("127.0.0.1", port)
    check_port("127.0.0.1", free_port())


def test_serve_on_a_busy_port_exits_non_zero_before_loading_anything(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "ui", "--port", str(port)],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
            env={"PATH": "", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
        )
    assert done.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_importing_ui_does_not_import_gradio() -> None:
    code = "import sys, ui; assert 'gradio' not in sys.modules; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr
