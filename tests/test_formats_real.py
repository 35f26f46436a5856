"""Every format through the real embedder and Chroma: sync, the text kept beside
the index, citations' pages, edits, deletion, bad input and watch mode."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from index.store import PassageStore
from rag import Settings
from rag.corpus import Corpus
from rag.errors import CorpusError
from rag.pipeline import Pipeline
from tests import documents as docs
from tests.conftest import SEED

pytestmark = pytest.mark.slow


def mixed_folder(folder: Path) -> Path:
    folder.mkdir()
    docs.make_pdf(folder / "handbook.pdf")
    docs.make_saved_page(folder, "harbour")
    docs.make_docx(folder / "memo.docx")
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture
def pipeline(tmp_path: Path, embeddings) -> Pipeline:  # type: ignore[no-untyped-def]
    corpus = mixed_folder(tmp_path / "corpus")
    settings = Settings(corpus_dir=corpus, store_dir=tmp_path / "store").resolved()
    store = PassageStore(settings.store_dir, embeddings)
    p = Pipeline(Corpus(settings, store, embeddings))
    p.index(progress=False)
    return p


def test_every_format_is_indexed_with_exact_passages_and_pages(pipeline: Pipeline) -> None:
    sources = {s.source for s in pipeline.sources()}
    assert sources == {"handbook.pdf", "harbour.html", "memo.docx", SEED.name}
    passages = list(pipeline.corpus.retriever.passages.values())
    for p in passages:
        assert pipeline.document_text(p.source)[p.start : p.end] == p.text
        assert (p.page is not None) == p.source.endswith(".pdf")
        for word in [*docs.BOILERPLATE, docs.HEADER]:
            assert word not in p.text
    warranty = next(p for p in passages if "warranty excludes" in p.text)
    assert warranty.page == 2
    # a .txt is still the file exactly as stored
    assert pipeline.document_text(SEED.name) == SEED.read_bytes().decode("utf-8")


def test_retrieval_finds_pdf_html_and_docx_content(pipeline: Pipeline) -> None:
    for question, source in [("What does the warranty exclude?", "handbook.pdf"),
                             ("How much did the museum restoration cost?", "harbour.html"),
                             ("Where does the office move to?", "memo.docx")]:
        top = pipeline.corpus.retriever.retrieve(question, 2)
        assert top[0].source == source, (question, top)


def test_edit_reindexes_and_deletion_leaves(pipeline: Pipeline) -> None:
    corpus = pipeline.settings.corpus_dir
    pages = [list(p) for p in docs.PAGES]
    pages[1][0] = "The warranty now covers manufacturing defects for five years."
    docs.make_pdf(corpus / "handbook.pdf", pages)
    (corpus / "memo.docx").unlink()
    report = pipeline.index(progress=False)
    assert report.updated == ["handbook.pdf"] and report.removed == ["memo.docx"]
    assert "five years" in pipeline.document_text("handbook.pdf")
    assert "two years" not in pipeline.document_text("handbook.pdf")
    with pytest.raises(CorpusError):
        pipeline.document_text("memo.docx")
    texts = list((pipeline.settings.store_dir / "texts").glob("*.json"))
    assert len(texts) == 3  # the old PDF's and the memo's texts were pruned


def test_bad_files_are_skipped_by_name_and_nothing_is_lost(pipeline: Pipeline) -> None:
    corpus = pipeline.settings.corpus_dir
    before = sorted(pipeline.corpus.retriever.passages)
    docs.make_encrypted_pdf(corpus / "locked.pdf")
    docs.make_image_only_pdf(corpus / "scan.pdf")
    docs.make_zip_bomb_docx(corpus / "bomb.docx")
    (corpus / "script.html").write_text("<html><body><script>x()</script></body></html>")
    (corpus / "handbook.pdf").write_bytes(b"%PDF-1.4 now corrupt")  # was fine before
    report = pipeline.index(progress=False)
    reasons = {s.source: s.reason for s in report.skipped}
    assert set(reasons) == {"locked.pdf", "scan.pdf", "bomb.docx", "script.html", "handbook.pdf"}
    assert "OCR is not supported" in reasons["scan.pdf"]
    # the old handbook stays indexed (its new version cannot be read), and so does the rest
    assert sorted(pipeline.corpus.retriever.passages) == before
    assert "warranty excludes" in pipeline.document_text("handbook.pdf")


def test_watch_picks_up_a_new_file(pipeline: Pipeline) -> None:
    from index.watch import watch_folder

    stop = threading.Event()
    synced: list[int] = []
    thread = threading.Thread(
        target=watch_folder,
        args=(pipeline.settings.corpus_dir, lambda: pipeline.index(progress=False)),
        kwargs={"on_sync": lambda _r, n: synced.append(n), "stop": stop, "debounce_ms": 300,
                "ignore": pipeline.settings.store_dir},
        daemon=True,
    )
    thread.start()
    try:
        time.sleep(1.0)  # the watcher is registered
        docs.make_pdf(pipeline.settings.corpus_dir / "new.pdf",
                      [["The lighthouse keeper retired in 1998 after forty years."]])
        deadline = time.monotonic() + 30
        while "new.pdf" not in {s.source for s in pipeline.sources()}:
            assert time.monotonic() < deadline, "watch mode did not index the new file"
            time.sleep(0.2)
        assert synced
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


QUESTIONS = [
    ("How long does the warranty cover manufacturing defects?", "handbook", "two years", 2),
    ("What is the heating element made of?", "handbook", "stainless steel", 1),
    ("How is a replacement kettle sent?", "handbook", "courier", 3),
    ("How much did the harbour museum restoration cost?", "harbour", "2.4 million", None),
    ("Where does the office move to?", "memo", "Mill Street", None),
]


def plain_twin(folder: Path) -> Path:
    """The same texts as .txt files: what the formats are compared with."""
    folder.mkdir()
    (folder / "handbook.txt").write_text("\n\n".join(" ".join(p) for p in docs.PAGES))
    (folder / "harbour.txt").write_text("\n\n".join(docs.ARTICLE))
    table = "\n".join(" | ".join(row) for row in docs.TABLE)
    (folder / "memo.txt").write_text("\n\n".join([*docs.MEMO, table]))
    return folder


def ask_all(p: Pipeline) -> list[tuple[str, str]]:
    """Ask every question; check each citation; return the misses."""
    misses = []
    for question, stem, fact, page in QUESTIONS:
        a = p.answer(question)
        for c in a.citations:
            assert p.document_text(c.source)[c.start : c.end] == c.quote, c
            assert c.page == p.corpus.extracted(c.source).page_of(c.start), c
            assert all(word not in c.quote for word in [*docs.BOILERPLATE, docs.HEADER])
            assert a.to_dict()["citations"][a.citations.index(c)]["page"] == c.page
        hit = [c for c in a.citations
               if c.source.startswith(stem) and fact in " ".join(c.quote.split())]
        if a.refused or not hit:
            misses.append((question, a.text))
        elif hit[0].source.endswith(".pdf"):
            assert hit[0].page == page, hit
    return misses


def test_answers_cite_pdf_pages_html_and_docx_as_well_as_plain_text(tmp_path: Path) -> None:
    """The packaged 0.5B over a PDF, a saved web page and a DOCX, and over the same
    texts as .txt: citations pass the invariant against document_text, name the
    right page, never quote boilerplate; the formats answer as well as plain text."""
    corpus = mixed_folder(tmp_path / "corpus")
    (corpus / SEED.name).unlink()  # only the three new formats
    p = Pipeline.from_settings(Settings(corpus_dir=corpus, store_dir=tmp_path / "store",
                                        model="qwen2.5-0.5b"), progress=False)
    twin = Pipeline.from_settings(Settings(corpus_dir=plain_twin(tmp_path / "plain"),
                                           store_dir=tmp_path / "store2",
                                           model="qwen2.5-0.5b"), progress=False)
    twin._chat_model = p.chat_model  # one model in memory
    formats, plain = ask_all(p), ask_all(twin)
    assert len(formats) <= len(plain) + 1 and len(formats) <= 2, (formats, plain)
