"""Loaders, the text cache, page images and watch filtering on real generated files (no model)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from index.errors import UnreadableFile
from index.extract import Extractor, extract_bytes, extract_file
from index.load import iter_candidate_files, scan_folder
from index.load_pdf import layout
from index.pdf_page import render_highlight
from index.split import split_extracted
from index.textcache import TextCache
from index.types import ExtractedText
from index.watch import relevant
from tests import documents as docs


def passages_of(path: Path, max_chars: int = 500):  # type: ignore[no-untyped-def]
    extracted = extract_file(path)
    return extracted, split_extracted(path.name, extracted, max_chars, 80)


def test_pdf_pages_and_passages_never_cross_a_page(tmp_path: Path) -> None:
    extracted, passages = passages_of(docs.make_pdf(tmp_path / "h.pdf"))
    assert len(extracted.pages) == 3
    for number, paragraphs in enumerate(docs.PAGES, 1):
        start, end = extracted.pages[number - 1]
        page_text = " ".join(extracted.text[start:end].split())
        assert all(" ".join(p.split()) in page_text for p in paragraphs)
    assert {p.page for p in passages} == {1, 2, 3}
    for p in passages:
        s, e = extracted.pages[p.page - 1]
        assert s <= p.start < p.end <= e
        assert extracted.text[p.start : p.end] == p.text


def test_running_header_and_page_numbers_are_never_in_passages(tmp_path: Path) -> None:
    extracted, passages = passages_of(docs.make_pdf(tmp_path / "h.pdf"), max_chars=120)
    assert docs.HEADER in extracted.text  # kept in the text, offsets stay simple...
    for p in passages:  # ...but never content
        assert docs.HEADER not in p.text and "Page " not in p.text


def test_layout_keeps_a_single_page_body_and_drops_its_page_number() -> None:
    e = layout(["Only page body text here.\n3"])
    assert [e.text[s:t] for s, t in e.ranges] == ["Only page body text here."]


def test_html_main_text_without_boilerplate(tmp_path: Path) -> None:
    extracted, passages = passages_of(docs.make_html(tmp_path / "n.html"))
    for sentence in docs.ARTICLE:
        assert sentence in extracted.text
    for word in docs.BOILERPLATE:
        assert word not in extracted.text
    assert passages and all(extracted.text[p.start : p.end] == p.text for p in passages)


def test_docx_paragraphs_and_table_in_order_without_footer(tmp_path: Path) -> None:
    extracted, _ = passages_of(docs.make_docx(tmp_path / "m.docx"))
    positions = [extracted.text.index(p) for p in docs.MEMO]
    assert positions == sorted(positions)
    assert "Accounts | Second" in extracted.text
    assert extracted.text.index("Accounts") > positions[-1]
    assert "FOOTERTEXT" not in extracted.text


def _write(data: bytes):  # type: ignore[no-untyped-def]
    def make(path: Path) -> Path:
        path.write_bytes(data)
        return path
    return make


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("f.pdf", docs.make_encrypted_pdf, "encrypted PDF"),
        ("f.pdf", docs.make_image_only_pdf, "no text layer; OCR is not supported"),
        ("f.pdf", _write(b"%PDF-1.4 not really"), "corrupt or not a PDF"),
        ("f.docx", docs.make_zip_bomb_docx, "zip bomb"),
        ("f.docx", _write(b"plain words, not a zip"), "not a DOCX"),
        ("f.html", _write(b"<html><script>var a = 1;</script><body><script>go()</script>"
                          b"</body></html>"), "no readable main text"),
    ],
    ids=["encrypted", "scanned", "corrupt-pdf", "zip-bomb", "not-docx", "all-script"],
)
def test_bad_input_is_refused_with_its_reason(tmp_path: Path, name: str, make, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnreadableFile, match=reason):
        extract_file(make(tmp_path / name))


def test_non_utf8_text_is_read_only_when_its_encoding_is_clear() -> None:
    japanese = "これは日本語のテスト文書です。天気は晴れで、明日は雨が降るでしょう。東京の人々は傘を持って出かけます。"
    assert extract_bytes(".txt", japanese.encode("shift_jis")).text == japanese
    with pytest.raises(UnreadableFile, match="cannot be detected reliably"):
        extract_bytes(".txt", "Le café était plein; la serveuse apportait des crêpes.".encode("cp1252"))
    raw = "\ufeffCRLF stays\r\n".encode()
    assert extract_bytes(".md", raw).text == raw.decode("utf-8")


def test_saved_page_assets_folder_is_not_indexed(tmp_path: Path) -> None:
    docs.make_saved_page(tmp_path, "Article")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_candidate_files(tmp_path)]
    assert found == ["Article.html"]


def test_too_large_file_is_skipped_by_name(tmp_path: Path) -> None:
    docs.make_pdf(tmp_path / "big.pdf")
    files, skipped = scan_folder(tmp_path, max_bytes=100)
    assert not files and skipped[0].source == "big.pdf" and "too large" in skipped[0].reason


def test_extraction_past_the_time_limit_is_stopped(tmp_path: Path) -> None:
    many = [[f"Paragraph {i} of page {n} says something long enough to count." for i in range(30)]
            for n in range(60)]
    slow = docs.make_pdf(tmp_path / "slow.pdf", many)
    with Extractor(timeout=0.001) as extractor, pytest.raises(UnreadableFile, match="longer than"):
        extractor.extract(slow)
    with Extractor(timeout=60) as extractor:  # the same file within a sane limit
        assert len(extractor.extract(slow).pages) >= 60  # long pages flow onto more


def test_text_cache_round_trip_and_prune(tmp_path: Path) -> None:
    cache = TextCache(tmp_path / "texts")
    e = ExtractedText("a\r\nb\n\nc", pages=((0, 4), (6, 7)), ranges=((0, 4), (6, 7)))
    cache.put("aa", e)
    cache.put("bb", ExtractedText("other"))
    assert cache.get("aa") == e and cache.get("missing") is None
    assert cache.prune(["aa"]) == 1 and cache.get("bb") is None and cache.get("aa") == e
    assert not list((tmp_path / "texts").glob("*.tmp"))


def test_page_image_highlights_the_quote(tmp_path: Path) -> None:
    from PIL import Image

    pdf = docs.make_pdf(tmp_path / "h.pdf")
    extracted = extract_file(pdf)
    start = extracted.text.index("The warranty excludes")
    p_start = extracted.pages[1][0]
    plain = Image.open(io.BytesIO(render_highlight(pdf, 2, 0, 0))).convert("RGB")
    marked = Image.open(io.BytesIO(render_highlight(pdf, 2, start - p_start,
                                                     start - p_start + 60))).convert("RGB")
    assert plain.size == marked.size and plain.size[0] > 500

    def yellow(img) -> int:  # type: ignore[no-untyped-def]
        return sum(1 for r, g, b in img.getdata() if r > 200 and g > 180 and b < 150)

    assert yellow(plain) == 0 and yellow(marked) > 1000


def test_watch_filter() -> None:
    folder = Path("/c")
    assert relevant("/c/sub/new.docx", folder)
    assert relevant("/c/renamed-folder", folder)
    assert not relevant("/c/.hidden/a.txt", folder)
    assert not relevant("/c/.rag/texts/1.json", folder, Path("/c/.rag"))
    assert not relevant("/c/photo.jpg", folder)


def test_an_unguarded_user_script_can_extract_in_the_worker(tmp_path: Path) -> None:
    """The worker never re-runs the caller's script (multiprocessing's spawn would)."""
    import subprocess
    import sys

    pdf = docs.make_pdf(tmp_path / "h.pdf")
    script = tmp_path / "user_script.py"
    script.write_text(
        "from pathlib import Path\nfrom index.extract import Extractor\n"
        "print('script ran')\n"
        f"with Extractor(60) as e:\n    print(len(e.extract(Path({str(pdf)!r})).pages))\n",
        encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path, env={"PYTHONPATH": str(root), "PATH": ""})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["script", "ran", "3"]


def test_the_extraction_worker_is_heard_past_descriptor_1024(tmp_path: Path) -> None:
    """A long-running server holds many descriptors; select.select() failed past 1024."""
    import os
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip(f"the descriptor limit ({hard}) is too low to reach 1024 here")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2048), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        pdf = docs.make_pdf(tmp_path / "a.pdf")
        with Extractor(timeout=60) as extractor:  # its pipes get descriptors above 1024
            assert extractor.extract(pdf).text.strip()
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
