"""The stock LangChain RAG tutorial pipeline, as the yardstick for ours.

What people build first from the LangChain tutorial: split every document with
`RecursiveCharacterTextSplitter` (1,000 characters, 200 overlap), embed the
chunks into Chroma, fetch the top 4 by similarity, and ask the model with the
tutorial's prompt (LangChain hub ``rlm/rag-prompt``). Here it runs on the same
MiniLM embedder and the same llama.cpp model object as our pipeline, at
temperature 0, in its own Chroma store, so a comparison measures the method and
not the machine.

What it leaves out, on purpose: boilerplate cleaning, lexical retrieval,
question rewriting, citations and refusal logic. It cannot cite, so its
`Answer` has no citations; `refused` is decided afterwards by
`looks_like_decline`, the one decline detector, applied to its text. History,
which the tutorial chain has no slot for, is passed as earlier chat messages
(the simplest way people add memory to it); retrieval uses the raw question.

Example:
    >>> looks_like_decline("I don't know who leads Hezbollah.")
    True
    >>> b = BaselinePipeline(chat, embeddings, Path("seeds"), Path("store"))  # doctest: +SKIP
    >>> b.answer("Where did the envoys meet?").text                             # doctest: +SKIP
    'The envoys met in Amman, the Jordanian capital.'
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rag.guard import check_history
from rag.types import Answer, Passage, last_answer

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4
COLLECTION = "tutorial_baseline"
# LangChain hub "rlm/rag-prompt", the prompt of the RAG tutorial, word for word.
TUTORIAL_PROMPT = (
    "You are an assistant for question-answering tasks. Use the following pieces of "
    "retrieved context to answer the question. If you don't know the answer, just say "
    "that you don't know. Use three sentences maximum and keep the answer concise.\n"
    "Question: {question} \nContext: {context} \nAnswer:"
)

# The one decline detector. It is deliberately phrase-based and narrow: a
# sentence that says the context lacks the answer, in the ways small instruct
# models word it. Used only for the baseline; our pipeline reports `refused`.
_DECLINE = re.compile(
    r"\b(?:"
    r"i (?:do not|don't|dont) know"
    r"|(?:is|are|was|were) not (?:mentioned|provided|specified|stated|given|available|included)"
    r"|not (?:mentioned|specified|stated|provided|given) in"
    r"|no (?:information|mention|details?|data) (?:about|on|of|regarding|is|are|in|provided)"
    r"|does(?:n't| not) (?:say|mention|provide|specify|state|contain|include|give|tell)"
    r"|do(?:es)?(?:n't| not) have (?:enough |any |the )?(?:information|details|data)"
    r"|(?:cannot|can't|can not) (?:be )?(?:answer|determine|find|tell|say|provide)"
    r"|unable to (?:answer|determine|find|provide)"
    r"|not (?:possible|able) to (?:answer|determine)"
    r")",
    re.IGNORECASE,
)


def looks_like_decline(text: str) -> bool:
    """True when the text says it does not know or the context lacks the answer.

    >>> looks_like_decline("The context does not mention his age.")
    True
    >>> looks_like_decline("They met in Amman.")
    False
    """
    return bool(_DECLINE.search(text.replace("\u2019", "'")))


class BaselinePipeline:
    """The tutorial pipeline with the `answer`/`stream_answer` surface of `rag.Pipeline`."""

    def __init__(self, chat_model: Any, embeddings: Any, corpus_dir: Path, store_dir: Path,
                 k: int = TOP_K) -> None:
        self.chat_model = chat_model
        self.embeddings = embeddings
        self.corpus_dir = Path(corpus_dir)
        self.store_dir = Path(store_dir)
        self.k = k
        self.model_name = getattr(chat_model, "model_name", "model")
        self._store: Any = None

    # --- indexing -----------------------------------------------------------
    def _vector_store(self) -> Any:
        if self._store is None:
            import chromadb
            from langchain_chroma import Chroma

            client = chromadb.PersistentClient(
                path=str(self.store_dir),
                settings=chromadb.config.Settings(anonymized_telemetry=False),
            )
            self._store = Chroma(collection_name=COLLECTION, embedding_function=self.embeddings,
                                 client=client)
        return self._store

    def index(self, reset: bool = False) -> dict[str, float]:
        """Split and embed every .txt/.md file of the corpus (skipped when already indexed).

        Returns counts and the seconds it took, for the report and the benchmark.
        """
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        store = self._vector_store()
        if reset:
            store.reset_collection()
        started = time.perf_counter()
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
        )
        docs = []
        chars = 0
        for path in sorted(self.corpus_dir.rglob("*")):
            if path.suffix.lower() not in {".txt", ".md"} or not path.is_file():
                continue
            with open(path, encoding="utf-8", newline="") as fh:
                text = fh.read()
            chars += len(text)
            rel = path.relative_to(self.corpus_dir).as_posix()
            docs.append(Document(page_content=text, metadata={"source": rel}))
        chunks = splitter.split_documents(docs)
        ids = [f"{c.metadata['source']}:{c.metadata['start_index']}" for c in chunks]
        # a store that holds every chunk is reused (a resumed run); one cut short by a
        # kill while embedding is completed rather than trusted
        have = set(store.get(ids=ids, include=[])["ids"]) if ids and not reset else set()
        if have == set(ids):
            return {"documents": 0.0, "chunks": 0.0, "chars": 0.0, "seconds": 0.0}
        missing = [(c, i) for c, i in zip(chunks, ids, strict=True) if i not in have]
        store.add_documents([c for c, _ in missing], ids=[i for _, i in missing])
        return {"documents": float(len(docs)), "chunks": float(len(chunks)),
                "chars": float(chars), "seconds": time.perf_counter() - started}

    # --- answering ----------------------------------------------------------
    def retrieve(self, question: str) -> list[Passage]:
        """Top-k chunks by embedding distance, as `Passage`s (score = -distance)."""
        hits = self._vector_store().similarity_search_with_score(question, k=self.k)
        out = []
        for doc, distance in hits:
            start = int(doc.metadata.get("start_index", 0))
            source = str(doc.metadata.get("source", ""))
            out.append(Passage(id=f"{source}:{start}", source=source, start=start,
                               end=start + len(doc.page_content), text=doc.page_content,
                               score=-float(distance)))
        return out

    def answer(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        """Answer like the tutorial does; see the module docstring."""
        return last_answer(self.stream_answer(question, history))

    def stream_answer(
        self, question: str, history: Sequence[tuple[str, str]] = ()
    ) -> Iterator[str | Answer]:
        """Yield text deltas, then the `Answer` (no citations; `refused` by the detector)."""
        from langchain_core.messages import AIMessage, HumanMessage

        history = check_history(history, max_chars=2000)  # the Answerer contract
        started = time.perf_counter()
        passages = self.retrieve(question)
        timings: dict[str, float] = {"retrieve": time.perf_counter() - started}
        context = "\n\n".join(p.text for p in passages)
        messages: list[Any] = []
        for user, assistant in history:
            messages += [HumanMessage(user), AIMessage(assistant)]
        messages.append(HumanMessage(TUTORIAL_PROMPT.format(question=question, context=context)))

        t = time.perf_counter()
        parts: list[str] = []
        for chunk in self.chat_model.stream(messages, temperature=0.0):
            usage = getattr(chunk, "usage_metadata", None)
            if usage:
                timings["prompt_tokens"] = float(usage.get("input_tokens", 0))
                timings["completion_tokens"] = float(usage.get("output_tokens", 0))
            delta = str(chunk.content)
            if delta:
                if not parts:
                    timings["first_token"] = time.perf_counter() - t
                parts.append(delta)
                yield delta
        timings["generate"] = time.perf_counter() - t
        timings.setdefault("first_token", timings["generate"])
        timings["total"] = time.perf_counter() - started
        text = "".join(parts).strip()
        refused = looks_like_decline(text)
        yield Answer(text=text, citations=[], refused=refused, passages=passages,
                     question=question, rewritten_question=question,
                     timings={k: round(v, 4) for k, v in timings.items()},
                     reason="decline_detected" if refused else "", model=self.model_name)
