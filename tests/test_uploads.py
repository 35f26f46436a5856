"""Uploads: safe names, limits, concurrent saves, removal of uploaded files only,
background indexing that coalesces requests; and, with the real embedder, two
users uploading at once through the chat's handlers."""

from __future__ import annotations

import threading
import time
import types
from pathlib import Path

import pytest

from index.errors import UploadRefused
from index.uploads import Uploads, safe_name
from tests import documents as docs
from ui.indexer import BackgroundIndexer


@pytest.mark.parametrize(
    ("given", "expected"),
    [("../../etc/passwd.txt", "passwd.txt"), ("/abs/path/Report.PDF", "Report.pdf"),
     ("..\\..\\win.docx", "win.docx"), (".hidden.md", "hidden.md"),
     ("evil\u202egnp.txt", "evilgnp.txt"), ("zero\u200bwidth.txt", "zerowidth.txt"),
     ("ｆｕｌｌｗｉｄｔｈ.txt", "fullwidth.txt"), ("a<b>|c?.html", "a_b_c_.html"),
     ("Café résumé.pdf", "Café résumé.pdf"), ("..", "upload")],
)
def test_safe_names(given: str, expected: str) -> None:
    assert safe_name(given) == expected


def make_source(tmp_path: Path, name: str = "in.txt", data: bytes = b"hello there") -> Path:
    path = tmp_path / "incoming" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_save_stays_inside_the_corpus_and_taken_names_get_a_suffix(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    up = Uploads(corpus, [".txt"], 1000)
    src = make_source(tmp_path)
    names = [up.save("../../../notes.txt", src) for _ in range(3)]
    assert names == ["uploads/notes.txt", "uploads/notes (2).txt", "uploads/notes (3).txt"]
    assert all((corpus / n).read_bytes() == b"hello there" for n in names)
    assert not (tmp_path / "notes.txt").exists()
    assert sorted(up.uploaded()) == sorted(names)
    assert not [p for p in (corpus / "uploads").iterdir() if p.name.startswith(".part-")]


def test_wrong_type_and_too_large_are_refused(tmp_path: Path) -> None:
    up = Uploads(tmp_path / "corpus", [".txt", ".pdf"], 10)
    with pytest.raises(UploadRefused, match="type is not accepted"):
        up.save("run.exe", make_source(tmp_path, "run.exe"))
    with pytest.raises(UploadRefused, match="too large"):
        up.save("big.txt", make_source(tmp_path, "big.txt", b"x" * 11))
    assert up.uploaded() == []


def test_many_users_saving_the_same_name_at_once_lose_nothing(tmp_path: Path) -> None:
    up = Uploads(tmp_path / "corpus", [".txt"], 1000)
    sources = [make_source(tmp_path, f"in{i}.txt", f"file {i}".encode()) for i in range(12)]
    saved: list[str] = []
    threads = [threading.Thread(target=lambda s=s: saved.append(up.save("same.txt", s)))
               for s in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(saved)) == 12
    contents = {(up.corpus_dir / s).read_text() for s in saved}
    assert contents == {f"file {i}" for i in range(12)}
    assert sorted(up.uploaded()) == sorted(saved)  # the record kept every one


def test_remove_deletes_only_uploaded_files(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    own = corpus / "mine.txt"
    own.write_text("my own notes")
    (corpus / "uploads").mkdir()
    planted = corpus / "uploads" / "planted.txt"  # in the folder, but never uploaded
    planted.write_text("x")
    up = Uploads(corpus, [".txt"], 1000)
    name = up.save("up.txt", make_source(tmp_path))
    for source in ("mine.txt", "uploads/planted.txt", "../corpus/mine.txt"):
        with pytest.raises(UploadRefused, match="not uploaded"):
            up.remove(source)
    assert own.exists() and planted.exists()
    up.remove(name)
    assert not (corpus / name).exists() and up.uploaded() == []


def test_background_indexer_coalesces_and_serves_every_request() -> None:
    runs: list[float] = []
    gate = threading.Event()

    def run() -> int:
        gate.wait(5)
        runs.append(time.monotonic())
        return len(runs)

    bg = BackgroundIndexer(run)
    first = bg.request()
    later = [bg.request() for _ in range(5)]  # arrive while the first run waits
    gate.set()
    assert bg.wait(first, 10) and all(bg.wait(t, 10) for t in later)
    assert 1 <= len(runs) <= 2  # the five later requests share at most one more run


@pytest.mark.slow
def test_two_users_upload_at_once_and_both_are_indexed(tmp_path: Path, embeddings,  # type: ignore[no-untyped-def]
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from index.store import PassageStore
    from rag import Settings
    from rag.corpus import Corpus
    from rag.pipeline import Pipeline
    from ui.upload_handlers import DocumentHandlers

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    docs.make_docx(corpus / "memo.docx")
    settings = Settings(corpus_dir=corpus, store_dir=tmp_path / "store").resolved()
    pipeline = Pipeline(Corpus(settings, PassageStore(settings.store_dir, embeddings), embeddings))
    pipeline.index(progress=False)
    handlers = DocumentHandlers(pipeline, Uploads(corpus, settings.upload_types, 10**7))
    uploaded = tmp_path / "gradio"  # where Gradio puts the bytes a browser sent
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploaded))
    a = docs.make_pdf(make_source(uploaded, "report.pdf").parent / "report.pdf")
    b_dir = uploaded / "other"
    b_dir.mkdir()
    b = docs.make_html(b_dir / "report.html")
    c = docs.make_pdf(b_dir / "report.pdf", [["A second report about lighthouses."]])
    results: list[list] = []
    users = [threading.Thread(target=lambda f=f: results.append(list(handlers.upload(f))))
             for f in ([str(a)], [str(b), str(c)])]
    for u in users:
        u.start()
    for u in users:
        u.join(120)
    names = {s.source for s in pipeline.sources()}
    assert {"memo.docx", "uploads/report.pdf", "uploads/report (2).pdf",
            "uploads/report.html"} <= names
    finals = [r[-1][0] for r in results]
    assert all("Indexed" in f for f in finals), finals
    assert not [p for p in uploaded.rglob("*") if p.is_file()]  # Gradio's copies are gone
    # removing an upload works; the user's own memo cannot be removed
    *_, last = handlers.remove("uploads/report.html")
    assert "Removed" in last[0] and "uploads/report.html" not in {s.source for s in pipeline.sources()}
    *_, refused = handlers.remove("memo.docx")
    assert "not uploaded" in refused[0] and (corpus / "memo.docx").exists()


def test_upload_takes_only_files_from_gradios_upload_folder(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.upload_handlers import DocumentHandlers

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    outside = make_source(tmp_path, "secret.md", b"# Secret\n\nserver-only text")
    link = make_source(tmp_path / "gradio", "link.md")
    link.unlink()
    link.symlink_to(outside)  # a link inside the folder to a file outside it
    pipeline = types.SimpleNamespace(index=lambda **kw: None, sources=lambda: [],
                                     skipped=lambda: [], model_name="fake")
    handlers = DocumentHandlers(pipeline, Uploads(corpus, [".md"], 10**6))
    *_, last = handlers.upload([str(outside), str(link)])
    assert last[0].count("Not accepted") == 2 and "Indexed" not in last[0]
    assert not (corpus / "uploads").exists() and outside.exists()
