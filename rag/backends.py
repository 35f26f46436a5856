"""The one place that picks each external system from `Settings`.

Every backend has its own module and its library is imported only when it is
chosen (private-gpt's `match settings.llm.mode` components are the pattern):

| system      | setting empty (default)              | setting set                            |
|-------------|--------------------------------------|----------------------------------------|
| chat model  | llama.cpp in process (`rag.llm`)     | `llm_url`: OpenAI-compatible server (`rag.llm_openai`) |
| embedder    | packaged MiniLM (`index.embed`)      | `embed_url`: OpenAI-compatible `/embeddings` (`index.embed_remote`) |
| store       | embedded Chroma in `store_dir`       | `chroma_url`: a Chroma server (`index.store.chroma_client`) |

Example:
    >>> llm_mode(Settings(llm_url="http://127.0.0.1:8080/v1"))
    'openai'
    >>> embedder_id(Settings())
    'all-MiniLM-L6-v2'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from index.embed import EMBEDDER_NAME
from index.sync import SplitOptions
from rag.settings import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from index.store import PassageStore
    from rag.chat_base import ScoringChatModel


def llm_mode(settings: Settings) -> Literal["llama_cpp", "openai"]:
    return "openai" if settings.llm_url else "llama_cpp"


def load_chat_model(settings: Settings) -> ScoringChatModel:
    """The configured chat model: llama.cpp in process, or the server at `llm_url`."""
    match llm_mode(settings):
        case "openai":
            from rag.llm_openai import connect_chat_model

            return connect_chat_model(settings)
        case "llama_cpp":
            from rag.llm import load_chat_model as load_in_process

            return load_in_process(settings)


def embedder_id(settings: Settings) -> str:
    """Names the embedder in the index fingerprint: a change re-embeds."""
    if settings.embed_url:
        return f"{settings.embed_model}@{settings.embed_url}"
    return EMBEDDER_NAME


def load_embeddings(settings: Settings) -> Embeddings:
    if settings.embed_url:
        from index.embed_remote import RemoteEmbeddings

        return RemoteEmbeddings(settings.embed_url, settings.embed_model,
                                settings.llm_api_key.get_secret_value(),
                                batch_size=settings.embed_batch_size,
                                timeout=settings.generation_timeout)
    from index.embed import packaged_embeddings

    return packaged_embeddings(batch_size=settings.embed_batch_size,
                               precision=settings.embed_precision)


def open_store(settings: Settings, embeddings: Embeddings) -> PassageStore:
    """The passage store: embedded in `store_dir`, or on the Chroma server at `chroma_url`."""
    from index.store import PassageStore

    return PassageStore(settings.store_dir, embeddings, url=settings.chroma_url,
                        token=settings.chroma_token.get_secret_value())


def split_options(settings: Settings) -> SplitOptions:
    return SplitOptions(settings.passage_chars, settings.min_passage_chars,
                        settings.max_file_bytes, settings.extract_timeout,
                        embedder=embedder_id(settings))
