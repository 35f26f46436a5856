"""Plain text (.txt, .md): the file exactly as stored, or a reliably detected encoding.

UTF-8 is read as is (``newline=""`` semantics: CRLF and a BOM stay), so
citation offsets index into the file exactly as stored. Another encoding is
accepted only when charset-normalizer's detection is unambiguous: if two
encodings read the bytes equally well but give different text (cp1252 and
cp1257 for short French text, say), the file is skipped rather than indexed
with the wrong letters.

Example:
    >>> decode_text(b"hi\\r\\n")
    'hi\\r\\n'
    >>> decode_text(b"\\x00\\x01")
    Traceback (most recent call last):
    ...
    index.errors.UnreadableFile: binary file (contains NUL bytes)
"""

from __future__ import annotations

from index.errors import UnreadableFile

# Detection results within this much "chaos" of the best one count as equally good.
_TIE = 0.05


def decode_text(raw: bytes) -> str:
    """The text of a plain-text file, or `UnreadableFile` saying why not."""
    if b"\x00" in raw[:8192]:
        raise UnreadableFile("binary file (contains NUL bytes)")
    try:
        # "utf-8" (not "utf-8-sig") keeps a BOM as U+FEFF, like open(..., encoding="utf-8").
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = _detected(raw, exc.start)
    if not text.strip():
        raise UnreadableFile("empty file")
    return text


def _detected(raw: bytes, bad_byte: int) -> str:
    from charset_normalizer import from_bytes

    results = list(from_bytes(raw))
    if not results:
        raise UnreadableFile(f"not UTF-8 (byte {bad_byte}) and no encoding fits; "
                             "convert it to UTF-8")
    best = min(results, key=lambda r: r.chaos)
    rivals = {str(r) for r in results if r.chaos <= best.chaos + _TIE}
    if best.chaos > 0.2 or len(rivals) > 1:
        names = ", ".join(sorted({r.encoding for r in results if r.chaos <= best.chaos + _TIE}))
        raise UnreadableFile(f"not UTF-8 and its encoding cannot be detected reliably "
                             f"(could be {names}); convert it to UTF-8")
    return str(best)
