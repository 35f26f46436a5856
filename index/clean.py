"""Find the content of a document: drop web boilerplate, keep offsets.

Pages copied from the web end with comment prompts, share links, e-mail
addresses, "Previous Post Next Post", ad slots and a publisher blurb. None of
that may be retrieved or cited, so cleaning returns the *ranges* of the
original text that are content; the text itself is never rewritten (citations
index into the file as stored).

Rules (deliberately generic, no site-specific strings):
1. A block (text between blank lines) that is a boilerplate line — a comment
   or share prompt, post navigation, an ad slot, a bare e-mail address or URL,
   a copyright line — is dropped wherever it is.
2. A *footer* is dropped whole: from the first boilerplate block after the
   document's last substantial paragraph to the end, everything goes (the
   publisher blurb after "ADS" is not boilerplate by itself, but nothing that
   follows a footer marker with no real paragraph after it is content).

Example:
    >>> text = "Title\\n\\nA real paragraph of news.\\n\\nPost a Comment\\n\\nAbout us blurb."
    >>> [text[s:e] for s, e in content_ranges(text)]
    ['Title', 'A real paragraph of news.']
"""

from __future__ import annotations

import re

_BLOCK = re.compile(r"\S(?:.*?\S)?(?=\s*(?:\r?\n\s*\r?\n|\Z))", re.S)

_BOILERPLATE = re.compile(
    r"""^(?:
        (?:post|leave|add|write)\s+a\s+comment | \d*\s*comments? | no\s+comments?
      | (?:previous|next|older|newer)\s+(?:post|article|story)
        (?:\s+(?:previous|next|older|newer)\s+(?:post|article|story))?
      | ads? | advertisements? | sponsored(?:\s+content)? | promoted
      | share(?:\s+(?:this|on|via)\b.*)? | tweet | pin\s+it | print | e-?mail
      | (?:follow|like)\s+us\b.* | subscribe\b.* | sign\s+up\b.* | newsletter\b.*
      | (?:related|popular|recent|more)\s+(?:posts?|articles?|stories|news)\b.*
      | read\s+more\b.* | click\s+here\b.* | skip\s+to\s+(?:main\s+)?content
      | tags?:.* | labels?:.* | categor(?:y|ies):.*
      | (?:copyright|©|\(c\)).* | .*all\s+rights\s+reserved\.?
      | [\w.+-]+@[\w-]+(?:\.[\w-]+)+          # a bare e-mail address
      | (?:https?://|www\.)\S+                # a bare link
    )\s*$""",
    re.I | re.X,
)

# A paragraph this long is prose, not a footer line.
_SUBSTANTIAL_WORDS = 20


def blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) of each block of non-blank text, trimmed of outer spaces."""
    return [(m.start(), m.end()) for m in _BLOCK.finditer(text)]


def is_boilerplate(block: str) -> bool:
    """True for a block that is a known kind of page furniture.

    >>> is_boilerplate("Previous Post Next Post"), is_boilerplate("ADS")
    (True, True)
    >>> is_boilerplate("Jordan wants a deal that keeps the front quiet.")
    False
    """
    return bool(_BOILERPLATE.match(block.strip()))


def content_ranges(text: str) -> list[tuple[int, int]]:
    """Ranges of `text` that are content, in order (see the module rules)."""
    spans = blocks(text)
    marks = [is_boilerplate(text[s:e]) for s, e in spans]
    substantial = [len(text[s:e].split()) >= _SUBSTANTIAL_WORDS for s, e in spans]
    last_prose = max((i for i, big in enumerate(substantial) if big), default=-1)
    footer_at = next((i for i in range(last_prose + 1, len(spans)) if marks[i]), len(spans))
    return [span for i, span in enumerate(spans[:footer_at]) if not marks[i]]
