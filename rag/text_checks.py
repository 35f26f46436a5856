"""Is a piece of text valid Unicode? One check for every way text comes in.

JSON allows escapes such as ``"\\ud800"``: a lone UTF-16 surrogate, which is not
a character. Python keeps it in a `str`, and the first attempt to encode the
text (a log line, a JSON reply, the model's tokenizer) fails deep inside the
server. Every front door calls `invalid_text` on what it was sent and turns a
message into a 400 (API), a validation note (chat) or `BadQuestion` (Python).

Example:
    >>> invalid_text("Who met in Amman?", "question") is None
    True
    >>> invalid_text("Who met\\ud800?", "question")
    'question is not valid Unicode text: it holds a lone surrogate (\\\\ud800) at character 7.'
"""

from __future__ import annotations


def invalid_text(text: str, field: str) -> str | None:
    """None when `text` is valid Unicode; else a message naming `field` and the spot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        return (f"{field} is not valid Unicode text: it holds a lone surrogate "
                f"(\\u{ord(bad):04x}) at character {exc.start}.")
    return None
