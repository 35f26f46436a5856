"""Example questions for a first-time user, derived from the indexed documents.

Nothing about any particular corpus is written here: the questions are built
from generic templates filled with what the documents themselves show — the
names mentioned most often across the corpus. They are of the kinds the
pipeline answers well (see `rag.route`): an overview of the documents, what
the documents say about the most mentioned name, and a factoid about a name
the text itself introduces ("Brandt, the mayor…", "…, Brandt said"). A
deployment may pass its own list to `ui.build_ui(..., examples=[...])`.

Example:
    >>> docs = {"a.txt": "Harbour plans\\n\\nThe port of Elm met Oak. Then Elm and Oak agreed, "
    ...         "said Oak, the mayor of Elm."}
    >>> for q in example_questions(docs):
    ...     print(q)
    What is this document about?
    What do the documents say about Elm?
    Who is the mayor of Elm?
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

# A name: one or more capitalised words ("Golan Heights", "U.S."), not the
# first word of a sentence (that is capitalised for grammar, not meaning).
_NAME = re.compile(r"(?<![.!?\n]\s)(?<!^)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)")
_COMMON = {
    "The", "This", "That", "These", "Those", "There", "It", "He", "She", "They", "We", "You",
    "In", "On", "At", "But", "And", "Or", "If", "When", "What", "Who", "Which", "How", "Why",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "Post", "Comment", "Previous", "Next", "Share", "Read", "More",
}
MAX_TITLE = 80
SAMPLE_CHARS = 200_000  # only the start of each document is read: cheap on big corpora


def _title(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line if 8 <= len(line) <= MAX_TITLE and not line.endswith(".") else None
    return None


_RUN = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")


def _full_name(name: str, texts: Sequence[str]) -> str:
    """The longer form of `name` the text uses at least twice, even where it opens a
    sentence ("Ilse Brandt said…" makes "Brandt" "Ilse Brandt"); else `name`.

    >>> _full_name("Brandt", ["Ilse Brandt said so. Ilse Brandt, the mayor."])
    'Ilse Brandt'
    >>> _full_name("Brandt", ["Yesterday Brandt said so. Then Brandt left."])
    'Brandt'
    """
    runs: Counter[str] = Counter()
    for text in texts:
        for match in _RUN.finditer(text):
            words = match.group(0).split()
            for i in range(len(words) - 1):  # every shorter run ending in the name
                run = " ".join(words[i:])
                if run != name and run.endswith(" " + name) and words[i] not in _COMMON:
                    runs[run] += 1
    best = max(runs.items(), key=lambda rc: (rc[1], -len(rc[0])), default=None)
    return best[0] if best and best[1] >= 2 else name


def _role_question(name: str, texts: Sequence[str]) -> str | None:
    """A factoid the text answers with `name`: "Brandt, the mayor of Kessford" gives
    "Who is the mayor of Kessford?" (the role in apposition, asked the other way).

    >>> _role_question("Ilse Brandt", ["Ilse Brandt, the mayor of Kessford, spoke."])
    'Who is the mayor of Kessford?'
    >>> _role_question("Quneitra", ["in Quneitra, a regional intelligence official said."])
    """
    role = re.compile(rf"\b{re.escape(name)},\s+the\s+((?:[a-z]+\s+){{0,2}}[a-z]+\s+"
                      rf"(?:of|for|at)\s+(?:the\s+)?[A-Z][A-Za-z]+(?:\s+[A-Z][A-Za-z]+)*)")
    for text in texts:
        match = role.search(text)
        if match:
            return f"Who is the {' '.join(match.group(1).split())}?"
    return None


def example_questions(documents: Mapping[str, str], limit: int = 3) -> list[str]:
    """Up to `limit` questions a newcomer could ask about these documents.

    `documents` maps a source name to its text (only the start is read). The
    first is an overview, then one "what do the documents say about <name>"
    for the most mentioned name, then "Who is the <role>?" for a name the text
    introduces by its role; further topic questions fill the rest.
    """
    if not documents or limit < 1:
        return []
    samples = [text[:SAMPLE_CHARS] for text in documents.values()]
    names: Counter[str] = Counter()
    for sample in samples:
        title = _title(sample)
        body = sample[sample.index(title) + len(title):] if title else sample
        for match in _NAME.finditer(body):
            name = match.group(1)
            if name.split()[0] not in _COMMON and len(name) >= 3:
                names[name] += 1
    salient = [_full_name(name, samples) for name, count in names.most_common() if count >= 2]
    overview = ("What is this document about?" if len(documents) == 1
                else "What are the documents about?")
    out = [overview]
    topics = [f"What do the documents say about {name}?" for name in salient]
    who = next((q for name in salient[1:] + salient[:1]
                if (q := _role_question(name, samples))), None)
    out += topics[:1]
    if who:
        out.append(who)
    out += topics[1:]
    return out[:limit]


def corpus_examples(sources: Sequence[str], document_text: Callable[[str], str | None],
                    limit: int = 3, documents: int = 8) -> list[str]:
    """`example_questions` over the first `documents` of `sources` that can be read
    (enough to find names; cheap on big corpora).

    >>> corpus_examples(["a.txt", "b.txt"], {"a.txt": "Elm met Oak. Elm and Oak met."}.get)
    ['What is this document about?', 'What do the documents say about Oak?']
    """
    docs = {}
    for source in list(sources)[:documents]:
        text = document_text(source)
        if text:
            docs[source] = text
    return example_questions(docs, limit)
