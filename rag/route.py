"""Tell a factoid question from an open one, by its wording alone.

The factoid reader (`rag.reader`) proposes the shortest phrase that answers:
right for who/when/where/how many/which, wrong for a question whose answer is
a sentence or a few. `route_question` names the kind so the pipeline can send
open questions to the composer (`rag.compose`) instead:

* ``overview`` — "What is this article about?", "Summarize the main points", "TL;DR"
* ``topic`` — "What do the documents say about Iran?", "Tell me about the talks"
* ``explanation`` — why / how (not how many) / explain / describe / what is the role of…
* ``list`` — "List the…", "What are the conditions…", "Name all the…"
* ``comparison`` — "Compare A and B", "How does A differ from B?"
* ``clause`` — the answer is a clause, not a name: "What did Jordan reject?"
* ``factoid`` — everything else (the reader of today).

Rules on the question's first words and a few cheap features (a verb after
"what did X", a plural noun after "what are the"), no model: it runs in
microseconds and it is the same for every document. Measured on the labelled
set in ``evals/sets/open/route.jsonl`` (see the test ``tests/test_route_unit.py``,
which prints the accuracy of the tuned and the held-out part).

Example:
    >>> route_question("What is this article about?")
    'overview'
    >>> route_question("What do the documents say about Brazil?")
    'topic'
    >>> route_question("Who is the Russian envoy?")
    'factoid'
    >>> route_question("What did Jordan reject?")
    'clause'
    >>> route_question("What is the boiling point of mercury?"), route_question("What is Iran doing?")
    ('factoid', 'clause')
    >>> is_open("clause"), is_open("factoid")
    (True, False)
"""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["factoid", "overview", "topic", "explanation", "list", "comparison", "clause"]
KINDS: tuple[Kind, ...] = ("factoid", "overview", "topic", "explanation", "list", "comparison",
                           "clause")

_DOC = (r"(?:documents?|docs?|articles?|texts?|files?|reports?|pages?|papers?|stor(?:y|ies)|"
        r"pieces?|sources?|materials?|pdfs?|this|these|it|they|corpus|memo|handbook|guide|"
        r"manual|post|entry|chapter|section|passages?)")
_OVERVIEW = re.compile(
    rf"""\b(?:summar(?:y|ies|ise|ize|ising|izing)|tl\s*;?\s*dr|gist|overview|synopsis|
    recap|in\s+a\s+nutshell|in\s+brief|main\s+(?:points?|ideas?|themes?|topics?|takeaways?|
    messages?|findings?|story|subject|argument)|key\s+(?:points?|takeaways?|ideas?|themes?|
    messages?|findings?)|(?:central|main|overall)\s+(?:theme|topic|point|idea|message)|
    what(?:'s|\s+is|\s+are|\s+was|\s+were)\s+(?:the\s+|this\s+|these\s+|that\s+)?{_DOC}
    (?:\s+\w+){{0,3}}\s+(?:all\s+)?about|
    what\s+(?:do|does|did)\s+(?:the\s+|this\s+|these\s+|that\s+)?{_DOC}\s+
    (?:say|cover|discuss|describe|report|tell\s+(?:me|us))\s*[?.!]*$|
    what\s+(?:is|are)\s+(?:discussed|covered|described|reported)\s+(?:in\s+)?
    (?:the\s+|this\s+|these\s+)?{_DOC}|
    (?:give|tell)\s+(?:me\s+|us\s+)?(?:an?\s+)?(?:short\s+|brief\s+|quick\s+)?
    (?:overview|summary|rundown|outline)|
    what\s+happened\s*[?.!]*$|
    what(?:'s|\s+is)\s+(?:going\s+on|the\s+news|the\s+story)\s*[?.!]*$)""",
    re.I | re.X,
)
_TOPIC = re.compile(
    rf"""^\s*(?:and\s+|so\s+|ok(?:ay)?,?\s+|please,?\s+)?(?:
    what\s+(?:do|does|did|can|could|would)\s+(?:the\s+|this\s+|these\s+|those\s+|my\s+|
    our\s+|your\s+)?{_DOC}\s+(?:\w+\s+)?(?:say|tell|mention|report|write|state|claim|note|
    reveal|show|explain)\w*\s+(?:(?:me|us)\s+)?(?:about|on|regarding|concerning|of)\b|
    what\s+(?:is|was|are|were)\s+(?:said|written|known|reported|mentioned|stated)\s+
    (?:about|on|regarding|concerning|of)\b|
    (?:please\s+)?tell\s+(?:me|us)\s+(?:(?:a\s+bit|a\s+little|more|something|everything|
    all|anything)\s+)?(?:about|regarding|on)\b|
    (?:what|anything)\s+(?:(?:is|are)\s+there\s+)?(?:on|about|regarding)\b|
    (?:what\s+)?(?:information|info|details?)\s+(?:is\s+there\s+|do\s+(?:you|they|we)\s+
    have\s+)?(?:on|about|regarding)\b|
    (?:do|does|did)\s+(?:the\s+)?{_DOC}\s+(?:say|mention|talk|discuss)\w*\s+
    (?:anything\s+|something\s+)?(?:about|regarding|on)?\b|
    what\s+can\s+(?:you|i|we)\s+(?:tell|learn|find\s+out|say)\s+(?:\w+\s+)?(?:about|on|
    regarding|from)\b|
    what\s+do\s+(?:we|you|i)\s+know\s+about\b|
    how\s+(?:do|does|did)\s+(?:the\s+)?{_DOC}\s+(?:describe|present|portray|characteri[sz]e|
    cover|discuss)\b|
    talk\s+(?:to\s+me\s+)?about\b|what\s+about\b|(?:discuss|cover|outline)\s+)""",
    re.I | re.X,
)
_COMPARISON = re.compile(
    r"""\b(?:compare[sd]?|comparing|comparison|contrast(?:s|ed|ing)?|
    differ(?:s|ed|ence|ences|ent|ently)?|distinguish(?:es)?|versus|vs\.?|
    similarit(?:y|ies)|in\s+common|same\s+as|(?:alike|unlike)\b|
    (?:better|worse|more|less)\s+\w+\s+than|(?:better|worse)\s+than)""",
    re.I | re.X,
)
# "how many", "how long" ... ask for a quantity: factoid. "how" + an auxiliary asks for a manner.
_HOW_QUANTITY = re.compile(
    r"\bhow\s+(?:many|much|far|long|old|big|large|tall|high|often|soon|fast|deep|wide|"
    r"heavy|hot|cold|early|late|frequently|close|near)\b", re.I)
_EXPLANATION = re.compile(
    r"""^\s*(?:and\s+|so\s+|but\s+)?(?:
    why\b|
    how\s+(?:do|does|did|is|are|was|were|can|could|would|will|should|has|have|had|might|
    may|must)\b|
    how\s+come\b|how\s+(?:exactly\s+)?\w+(?:s|ed)\b|
    (?:please\s+|can\s+you\s+|could\s+you\s+)?(?:explain|describe|elaborate|clarify|
    illustrate|walk\s+me\s+through)\b|
    in\s+what\s+(?:way|ways|manner|sense)\b|
    what\s+(?:is|was|are|were)\s+(?:the\s+)?(?:reason|reasons|purpose|rationale|role|
    significance|importance|effect|effects|impact|consequences?|result|cause|causes|
    motivation|point|goal|aim|idea|problem|concern|concerns|risk|risks|benefit|benefits|
    advantage|advantages|disadvantages?|difficult(?:y|ies)|mechanism|process|logic|basis|
    meaning|nature|relationship|context|background|situation|state|view|stance|position|
    attitude)s?\b|
    what\s+(?:causes|caused|led\s+to|leads\s+to|makes|made|happens|happened|explains|
    motivates|motivated|drives|drove)\b|
    what\s+(?:role|part|effect|impact|influence)\s+(?:does|do|did|is|was|will|would|could|
    might|has|have)\b|
    for\s+what\s+(?:reason|purpose)\b|
    what\s+is\s+meant\s+by\b|
    what\s+(?:does|do|did)\s+\S+(?:\s+\S+){0,4}?\s+mean\b|
    what\s+is\s+the\s+(?:history|story)\s+of\b)""",
    re.I | re.X,
)
_LIST = re.compile(
    r"""^\s*(?:and\s+|so\s+)?(?:
    (?:please\s+)?(?:list|enumerate|itemi[sz]e)\b|
    (?:please\s+)?name\s+(?:all|the|some|every|each|any|both|a\s+few|several|three|two|four|
    five)\b|
    what\s+(?:two|three|four|five|six|several)\s+\w+s\b|
    give\s+(?:me\s+|us\s+)?(?:a\s+list|all|the\s+list|some\s+examples|examples|a\s+few)\b|
    what\s+(?:are|were)\s+(?:the\s+|some\s+(?:of\s+the\s+)?|all\s+(?:the\s+)?)?
    (?:main\s+|major\s+|key\s+|different\s+|various\s+|other\s+|known\s+|possible\s+|
    proposed\s+|stated\s+|specific\s+)?(?:[\w-]+['’]s\s+)?(?:[\w-]+\s+){0,2}?
    [\w-]+(?:s|ies|ren|ia|men|ople|ces)\b(?!\s+(?:of|for)\s+
    (?:the\s+)?(?:two|both))|
    which\s+(?:are|were)\s+the\b|
    what\s+(?:kinds|types|sorts|examples|forms)\s+of\b|
    (?:what|which)\s+\w+(?:s|ies)\s+(?:are|were)\s+(?:mentioned|listed|named|given|
    described|discussed|involved|cited)\b)""",
    re.I | re.X,
)
# "What did Jordan reject?": what + did/does/do/will/would/has + a subject + a verb at the end
# (or an object after it). The answer is whatever was rejected: a clause, not a name.
_CLAUSE = re.compile(
    r"""^\s*(?:and\s+|so\s+|but\s+)?what\s+(?:else\s+)?(?:
    (?:did|does|do|will|would|could|should|can|has|have|had|must|might|may)\s+
    (?!(?:the\s+|this\s+|these\s+)?(?:documents?|articles?|texts?)\b)|
    (?:is|are|was|were)\s+(?:the\s+|a\s+|an\s+)?(?!(?:the|a|an)\b)[\w.'’-]+(?:\s+[\w.'’-]+){0,4}?\s+\w+ing\b)""",
    re.I | re.X,
)
# A "what did X <verb>" whose verb asks for a thing with a name, date or number, or what a
# thing becomes ("What could the zone turn into?" → "a safe area"), is factoid.
_CLAUSE_FACTOID_VERB = re.compile(
    r"\b(?:call|called|name|named|title|titled|cost|costs|weigh|weighs|measure|number|"
    r"become|became|invent|invented|discover|discovered|win|won|found|founded|build|built|"
    r"use|used|uses|receive|received|earn|earned|buy|bought|sell|sold|produce|produced|"
    r"create|created|publish|published|write|wrote|study|studied|stand\s+for|abbreviat\w*|"
    r"equal|equals|contain|contains|hold|holds)\s*[?.!]*$|"
    r"\b(?:turn(?:ed)?\s+into|end\s+up\s+(?:as|being)|grow\s+into|develop\s+into)\b|"
    r"\b(?:called|named|known\s+as|made\s+of|composed\s+of|based\s+in|located|born|"
    r"measured\s+in|worth)\b", re.I)
_LIST_START = re.compile(r"^\s*(?:please\s+)?(?:list|enumerate|itemi[sz]e)\b", re.I)
# "What are the antibodies of the skin called?": a name is asked for, whatever the start.
_NAME_ASKED = re.compile(r"\b(?:called|named|known\s+as|referred\s+to\s+as|termed)\s*[?.!]*$|"
                         r"^\s*what\s+(?:is|was|are|were)\s+the\s+names?\b", re.I)
_FACTOID_START = re.compile(
    r"^\s*(?:and\s+)?(?:who|whom|whose|when|where|which|how\s+(?:many|much|far|long|old|big|"
    r"large|tall|high|often|soon|fast|deep|wide|heavy|hot|cold|early|late)|in\s+which|"
    r"in\s+what\s+(?:year|city|country|month|place|language)|at\s+what|on\s+what|"
    r"what\s+(?:year|date|day|month|time|number|percentage|city|country|name|kind\s+of\s+\w+\s+"
    r"(?:is|was)))\b", re.I)


def route_question(question: str) -> Kind:
    """The kind of answer `question` asks for (see the module docstring)."""
    q = " ".join(question.split())
    if not q:
        return "factoid"
    if _LIST_START.search(q):
        return "list"
    if _NAME_ASKED.search(q):
        return "factoid"
    if _OVERVIEW.search(q):
        return "overview"
    if _TOPIC.search(q):
        return "topic"
    if _COMPARISON.search(q) and not _HOW_QUANTITY.search(q):
        return "comparison"
    if _LIST.search(q):
        return "list"
    if _EXPLANATION.search(q) and not _HOW_QUANTITY.search(q):
        return "explanation"
    if _FACTOID_START.search(q):
        return "factoid"
    if _CLAUSE.search(q) and not _CLAUSE_FACTOID_VERB.search(q):
        return "clause"
    return "factoid"


def is_open(kind: str) -> bool:
    """Open kinds are answered by the composer, the rest by the factoid reader."""
    return kind != "factoid"
