"""The follow-up rewrite prompt, as a LangChain template, and a token estimate.

The rewrite runs behind the answer prompt's own system message (see
`rewrite_messages`), so llama.cpp's cached prefix is not evicted. The reading
prompts are in `rag.reader`.

Example:
    >>> msgs = rewrite_messages("When did she start?", "Who runs it?", "Maria", (), "Be exact.")
    >>> msgs[0].content, "Last question: When did she start?" in msgs[1].content
    ('Be exact.', True)
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate

from rag.types import Passage

REWRITE_TASK = (
    "Task: the last question refers back to the conversation. Rewrite it so it can be "
    "understood alone: keep all its words and replace only the pronoun or vague reference "
    "(he, it, they, there, that, \"the other one\") with the name it refers to, taken from "
    "the conversation. Reply with the rewritten question only.\n\n"
    "Example:\nEarlier question: Who runs the harbour authority?\n"
    "Answer began: Maria Olsen\n\nLast question: When did she start?\n\n"
    "Rewritten question: When did Maria Olsen start?"
)
# The example is generic on purpose; small models rewrite far more reliably with one.
# The task goes in the user message, after the same system message the answers use:
# llama.cpp keeps one prompt prefix cached, and a rewrite with its own system prompt
# would evict the (possibly whole-corpus) answer prefix and cost a full re-read.
# The context is bounded (rag.rewrite.Context): its cost does not grow with the history.

REWRITE_USER = (
    "{task}\n\n{history}\n\nLast question: {question}\n\nRewritten question:"
)


def estimate_tokens(passages: Sequence[Passage]) -> int:
    """A cautious token estimate for English text (about 3.5 characters a token)."""
    return int(sum(len(p.text) + 6 for p in passages) / 3.5)


def rewrite_messages(
    question: str, last_question: str, lead: str, earlier: Sequence[str], system: str
) -> list[BaseMessage]:
    """The follow-up rewrite over a bounded context, behind `system` (pass the answer
    prompt's own system text)."""
    lines = [f"Earlier question: {' '.join(q.split())}" for q in (*earlier, last_question) if q]
    if lead:
        lines.append(f"Answer began: {' '.join(lead.split())}")
    return ChatPromptTemplate.from_messages(
        [("system", "{system}"), ("human", REWRITE_USER)]
    ).format_messages(system=system, task=REWRITE_TASK, history="\n".join(lines),
                      question=question)
