"""Step 1 of an answer: rewrite a follow-up into a standalone question.

Retrieval sees one question, not a conversation. A follow-up ("When did she
start?") is rewritten by the chat model behind the answer prompt's own system
text (so llama.cpp keeps its cached prefix); a question asked without history
is used as it is. A reply that does not look like one question — empty, far
too long, unchanged although the question refers back, or carrying
instructions — is replaced by the last question and this one side by side, so
retrieval still sees the conversation's subject.

Example:
    >>> clean_rewrite("Rewritten question: When did Maria Olsen start?",
    ...               "When did she start?", "Who runs it?")
    'When did Maria Olsen start?'
    >>> clean_rewrite("When did she start?", "When did she start?", "Who runs it?")
    'Who runs it? When did she start?'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rag import prompts
from rag.guard import carries_instructions

REFERENCE = re.compile(
    r"\b(?:he|she|it|they|them|his|her|its|their|there|this|that|these|those)\b", re.I
)
HISTORY_CHARS = 600  # per past message: enough to resolve a reference, cheap to read
REWRITE_TOKENS = 64


def recent_turns(
    history: Sequence[tuple[str, str]], keep: int
) -> list[tuple[str, str]]:
    """The last `keep` turns of `history` (none when `keep` is 0), each message cut to
    `HISTORY_CHARS`; empty turns are left out.

    >>> recent_turns([("a", "b"), ("", ""), ("c", "d")], keep=1)
    [('c', 'd')]
    """
    turns = [(u[:HISTORY_CHARS], a[:HISTORY_CHARS]) for u, a in history if u or a]
    return turns[-keep:] if keep else []


def standalone(model: Any, question: str, turns: Sequence[tuple[str, str]], system: str) -> str:
    """`question` as it reads without the conversation `turns` (asks `model` only when
    there are turns). `system` is the answer prompt's system text.

    `model` is a LangChain chat model (only its `invoke` is used).
    """
    if not turns:
        return question
    reply = model.invoke(prompts.rewrite_messages(question, turns, system),
                         max_tokens=REWRITE_TOKENS)
    return clean_rewrite(str(reply.content), question, turns[-1][0])


def clean_rewrite(reply: str, question: str, last_user: str) -> str:
    """The model's rewrite if it looks like one question; else a safe concatenation."""
    line = next((ln.strip() for ln in reply.splitlines() if ln.strip()), "")
    line = line.removeprefix("Rewritten question:").strip().strip('"').strip()
    unchanged = line.lower() == question.lower() and REFERENCE.search(question)
    if not line or unchanged or len(line) > 3 * len(question) + 200 or carries_instructions(line):
        # Retrieval still needs the conversation's subject: carry the last question along.
        return f"{last_user} {question}"
    return line
