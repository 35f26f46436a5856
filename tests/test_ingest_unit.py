"""Loading, cleaning and splitting: pure functions, no model."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.clean import content_ranges, is_boilerplate
from index.load import Document, Skipped, decode_document, load_folder
from index.split import sentence_spans, split_into_passages
from tests.conftest import SEED, read_exact

FOOTER_WORDS = ["Post a Comment", "@gmail.com", "Previous Post", "ADS", "Magazine publisher"]


def test_seed_footer_is_not_content() -> None:
    text = read_exact(SEED)
    content = " ".join(text[s:e] for s, e in content_ranges(text))
    for word in FOOTER_WORDS:
        assert word not in content
    assert "de-escalation zone" in content


@pytest.mark.parametrize(
    "line", ["Share this", "Leave a comment", "Next Post", "contact@example.org",
             "https://example.org/x", "Copyright © 2024 Example", "Advertisement", "Older Post"],
)
def test_boilerplate_lines(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line", ["The envoys met twice.", "Share prices fell sharply on Tuesday as traders sold.",
             "Ads were banned in the city, officials said."],
)
def test_prose_is_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(line)


def test_footer_only_after_last_real_paragraph() -> None:
    long_para = " ".join(["word"] * 30) + "."
    text = f"Title\n\nShare this\n\n{long_para}\n\nRead more\n\nAbout the publisher blurb."
    kept = [text[s:e] for s, e in content_ranges(text)]
    assert kept == ["Title", long_para]


def test_passages_are_exact_spans_of_the_seed() -> None:
    text = read_exact(SEED)
    passages = split_into_passages("s.txt", text, content_ranges(text), 500, 80)
    assert len(passages) > 10
    for p in passages:
        assert text[p.start : p.end] == p.text
        assert len(p.text) <= 500
    ids = [p.id for p in passages]
    assert len(set(ids)) == len(ids)


def test_offsets_survive_crlf_and_bom(tmp_path: Path) -> None:
    raw = "\ufeffHeading\r\n\r\nFirst sentence here. Second one follows.\r\n\r\nPost a Comment\r\n"
    (tmp_path / "w.txt").write_bytes(raw.encode("utf-8"))
    docs, skipped = load_folder(tmp_path)
    assert not skipped
    text = docs[0].text
    assert text == read_exact(tmp_path / "w.txt")
    for p in split_into_passages("w.txt", text, content_ranges(text), 500, 10):
        assert text[p.start : p.end] == p.text
        assert "Post a Comment" not in p.text


def test_sentences_respect_abbreviations() -> None:
    text = 'A U.S. official met Mr. Lee in Amman. "It went well," he said. Then they left.'
    got = [text[s:e] for s, e in sentence_spans(text, 0, len(text))]
    assert got == ["A U.S. official met Mr. Lee in Amman.", '"It went well," he said.',
                   "Then they left."]


def test_long_sentence_is_cut_within_limit() -> None:
    text = " ".join(["alpha"] * 400) + "."
    passages = split_into_passages("x.txt", text, [(0, len(text))], 300, 50)
    assert len(passages) > 1
    assert all(len(p.text) <= 300 and text[p.start : p.end] == p.text for p in passages)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(b"\x00\x01\x02binary", "binary"), (b"caf\xe9 latin-1", "not UTF-8"), (b"  \n\t ", "empty")],
)
def test_unreadable_files_are_skipped_with_reason(raw: bytes, reason: str) -> None:
    item = decode_document("f.txt", raw)
    assert isinstance(item, Skipped) and reason in item.reason


def test_bad_files_do_not_stop_the_good_ones(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Notes\n\nThe meeting was on Friday.", encoding="utf-8")
    (tmp_path / "bin.txt").write_bytes(b"\x00\xff" * 50)
    (tmp_path / "latin.txt").write_bytes("Ol\xe1".encode("latin-1"))
    (tmp_path / "big.txt").write_text("x" * 200, encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    docs, skipped = load_folder(tmp_path, max_bytes=100)
    assert [d.source for d in docs] == ["good.md"]
    assert isinstance(docs[0], Document)
    assert sorted(s.source for s in skipped) == ["big.txt", "bin.txt", "latin.txt"]
