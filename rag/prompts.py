"""The follow-up rewrite prompt, as a LangChain template, and a token estimate.

The rewrite runs behind the answer prompt's own system message (see
`rewrite_messages`), so llama.cpp's cached prefix is not evicted. The reading
prompts are in `rag.reader`.

Example:
    >>> msgs = rewrite_messages("When did she start?", [("Who runs it?", "Maria.")], "Be exact.")
    >>> msgs[0].content, "Last question: When did she start?" in msgs[1].content
    ('Be exact.', True)
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate

from rag.types import Passage

REWRITE_TASK = (
    "Task: rewrite the user's last question so that it can be understood without the "
    "conversation: replace pronouns and vague references (they, it, there, that) with "
    "the names they refer to. Reply with the rewritten question only.\n\n"
    "Example:\nConversation:\nUser: Who runs the harbour authority?\n"
    "Assistant: Maria Olsen runs it [1].\n\nLast question: When did she start?\n\n"
    "Rewritten question: When did Maria Olsen start running the harbour authority?"
)
# The example is generic on purpose; small models rewrite far more reliably with one.
# The task goes in the user message, after the same system message the answers use:
# llama.cpp keeps one prompt prefix cached, and a rewrite with its own system prompt
# would evict the (possibly whole-corpus) answer prefix and cost a full re-read.

REWRITE_USER = (
    "{task}\n\nConversation:\n{history}\n\nLast question: {question}\n\nRewritten question:"
)


def estimate_tokens(passages: Sequence[Passage]) -> int:
    """A cautious token estimate for English text (about 3.5 characters a token)."""
    return int(sum(len(p.text) + 6 for p in passages) / 3.5)


def rewrite_messages(
    question: str, history: Sequence[tuple[str, str]], system: str
) -> list[BaseMessage]:
    """The follow-up rewrite, behind `system` (pass the answer prompt's own system text)."""
    lines = []
    for user, assistant in history:
        lines.append(f"User: {' '.join(user.split())}")
        lines.append(f"Assistant: {' '.join(assistant.split())}")
    return ChatPromptTemplate.from_messages(
        [("system", "{system}"), ("human", REWRITE_USER)]
    ).format_messages(system=system, task=REWRITE_TASK, history="\n".join(lines),
                      question=question)
