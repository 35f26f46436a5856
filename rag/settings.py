"""One typed settings object for the whole project.

Sources, later wins: the defaults below → an optional ``rag.yaml`` in the
working folder (read by pydantic-settings' `YamlConfigSettingsSource`) →
``RAG_<FIELD>`` environment variables → keyword arguments.
Unknown keys (in the file or as ``RAG_*`` variables) and conflicting values
fail with a message that names the setting.

Example:
    >>> s = Settings(top_k=3)
    >>> s.top_k
    3
    >>> Settings(top_k=0)
    Traceback (most recent call last):
    ...
    rag.errors.SettingsError: ...
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from rag.errors import SettingsError

CONFIG_FILE = "rag.yaml"
# what index/ can read (index.extract.SUFFIXES; not imported: settings load before index)
_READABLE = (".txt", ".md", ".markdown", ".pdf", ".html", ".htm", ".xhtml", ".docx")
ENV_PREFIX = "RAG_"


def default_model_cache() -> Path:
    """Where assembled model files live: ``$XDG_CACHE_HOME/rag-cited/models``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag-cited" / "models"


class _Fields(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", validate_default=True, frozen=True
    )

    # --- where things are
    corpus_dir: Path = Field(Path("seeds"), description="Folder of documents to answer from.")
    store_dir: Path = Field(Path(".rag"), description="Folder of the persistent Chroma store.")
    model_cache_dir: Path = Field(
        default_factory=default_model_cache,
        description="Where packaged chat models are assembled (once) from their parts.",
    )

    # --- models
    model: str = Field(
        "qwen2.5-0.5b",
        description="Chat model: a preset (qwen2.5-0.5b, qwen2.5-1.5b, smollm2-135m) or a .gguf path.",
    )
    context_size: int = Field(4096, ge=512, le=32768, description="llama.cpp context window.")
    threads: int = Field(
        default_factory=lambda: max(1, os.cpu_count() or 1), ge=1, description="CPU threads."
    )
    max_answer_tokens: int = Field(
        48, ge=8, le=2048,
        description="Longest answer the reader drafts, in tokens (longer drafts are cut; the "
        "answer is a phrase copied from the text, so 48 rarely binds).",
    )
    open_answers: Literal["extractive", "written"] = Field(
        "extractive",
        description="Open questions (issue 16): 'extractive' shows the chosen sentences quoted; "
        "'written' lets the model rephrase and join them, showing only the sentences that pass "
        "the support check against the span they cite (see evals/sets/open/README.md).",
    )
    temperature: float = Field(
        0.0, ge=0.0, le=2.0,
        description="Sampling temperature of the chat model's free-text calls (LangChain "
        "invoke/stream: rag eval's tutorial baseline chain, your own code using "
        "pipeline.chat_model). Answers never sample: the reader, the written open answers and "
        "the follow-up rewrite decode greedily (the decision reads token probabilities, "
        "fitted at temperature 0).",
    )
    generation_timeout: float = Field(120.0, gt=0, description="Seconds before a generation stops.")

    # --- splitting (changing these re-embeds the corpus on the next index)
    passage_chars: int = Field(500, ge=80, le=4000, description="Largest passage, characters.")
    min_passage_chars: int = Field(80, ge=0, description="Shorter paragraphs join the next.")

    # --- retrieval and answering
    top_k: int = Field(4, ge=1, le=50, description="Passages retrieved (and given to the model).")
    context_mode: Literal["auto", "full", "retrieve"] = Field(
        "retrieve",
        description="What the model reads: 'retrieve' = the best sentences of the top_k "
        "passages (the decline decision was fitted on this); 'full' = the whole corpus as a "
        "fixed, cached prefix (faster on a tiny corpus, decisions less calibrated); 'auto' = "
        "full when the corpus fits full_context_tokens.",
    )
    full_context_tokens: int = Field(
        1800, ge=0, description="Largest corpus (estimated tokens) read whole in 'auto' mode."
    )
    candidates: int = Field(20, ge=1, le=500, description="Candidates per retriever before fusion.")
    context_chars: int = Field(
        900, ge=100, le=20000,
        description="Focused context: characters of the best sentences of the top_k passages "
        "the model reads (in 'retrieve' mode).",
    )
    decline_threshold: float | None = Field(
        None, ge=0.0, le=1.0,
        description="Show an answer only when the decision model's probability that it is "
        "right is at least this. Unset (the default): the threshold of the model's decision "
        "file (rag/decisions/, or store_dir/decisions/ after `rag calibrate`; see "
        "evals/thresholds.json for how each was chosen). Set: an override.",
    )
    max_question_chars: int = Field(2000, ge=16, description="Longer questions are rejected.")
    history_turns: int = Field(3, ge=0, le=50, description="Past turns used to rewrite follow-ups.")
    max_file_bytes: int = Field(20_000_000, ge=1, description="Larger files are skipped.")
    extract_timeout: float = Field(
        60.0, ge=0, description="Seconds one PDF/HTML/DOCX may take to extract before it is "
        "skipped (0 = no limit)."
    )
    upload_types: list[str] = Field(
        [".pdf", ".html", ".htm", ".docx", ".txt", ".md"],
        description="File types the web chat accepts as uploads.",
    )
    max_upload_bytes: int = Field(20_000_000, ge=1, description="Larger uploads are refused.")

    # --- serving
    host: str = Field("127.0.0.1", description="Web chat bind address.")
    port: int = Field(7860, ge=0, le=65535, description="Web chat port (0 = any free port).")
    queue_size: int = Field(16, ge=1, description="Requests that may wait for the model.")
    api_key: SecretStr = Field(
        SecretStr(""),
        description="Bearer token the API requires (required when host is not loopback).",
    )
    cors_origins: str = Field(
        "", description="Comma-separated origins allowed to call the API from a browser; "
        "empty = CORS off.",
    )
    allowed_hosts: str = Field(
        "", description="Comma-separated Host names the server answers besides localhost, "
        "127.0.0.1, [::1] and host (others get 400: no DNS rebinding); '*' = any.",
    )

    # --- external systems (empty = the embedded, in-process default; see rag/backends.py)
    chroma_url: str = Field(
        "", description="Chroma server, e.g. http://127.0.0.1:8000; empty = embedded store_dir."
    )
    chroma_token: SecretStr = Field(
        SecretStr(""), description="Token sent to the Chroma server (Authorization: Bearer)."
    )
    llm_url: str = Field(
        "", description="OpenAI-compatible model server base URL, e.g. "
        "http://127.0.0.1:8080/v1; empty = llama.cpp in process.",
    )
    llm_model: str = Field("", description="Model name sent to llm_url (default: `model`).")
    llm_api_key: SecretStr = Field(SecretStr(""), description="API key sent to llm_url.")
    embed_url: str = Field(
        "", description="OpenAI-compatible embeddings endpoint base URL; empty = packaged "
        "MiniLM in process. Part of the index fingerprint.",
    )
    embed_model: str = Field("", description="Embedding model name sent to embed_url.")
    embed_batch_size: int = Field(32, ge=1, le=4096, description="Passages embedded per call.")
    embed_precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="Packaged embedder's arithmetic: auto = bfloat16 where the CPU has "
        "it natively (AMX, AVX512-BF16; ~2.5x faster), else float32.",
    )

    @model_validator(mode="after")
    def _check_conflicts(self) -> _Fields:
        if self.min_passage_chars >= self.passage_chars:
            raise ValueError(
                f"min_passage_chars ({self.min_passage_chars}) must be below "
                f"passage_chars ({self.passage_chars})"
            )
        if self.full_context_tokens + self.max_answer_tokens + 300 > self.context_size:
            raise ValueError(
                f"full_context_tokens ({self.full_context_tokens}) + max_answer_tokens "
                f"({self.max_answer_tokens}) do not fit context_size ({self.context_size})"
            )
        unknown_types = sorted({t.lower() for t in self.upload_types} - set(_READABLE))
        if unknown_types:
            raise ValueError(f"upload_types {unknown_types} cannot be indexed; choose from "
                             f"{', '.join(_READABLE)}")
        if self.top_k > self.candidates:
            raise ValueError(f"top_k ({self.top_k}) cannot exceed candidates ({self.candidates})")
        for name in ("chroma_url", "llm_url", "embed_url"):
            url = getattr(self, name)
            if url and not url.startswith(("http://", "https://")):
                raise ValueError(f"{name} must start with http:// or https:// (got {url!r})")
        if self.embed_url and not self.embed_model:
            raise ValueError("embed_url needs embed_model (the model name the server expects)")
        if not is_loopback(self.host) and not self.api_key.get_secret_value():
            raise ValueError(
                f"host {self.host} is reachable from other machines: set api_key "
                "(RAG_API_KEY) so the API asks callers for it, or bind 127.0.0.1"
            )
        if self.max_answer_tokens * 2 > self.context_size:
            raise ValueError(
                f"max_answer_tokens ({self.max_answer_tokens}) leaves too little of "
                f"context_size ({self.context_size}) for the passages"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # earlier wins: keyword arguments, then RAG_* variables, then the YAML file
        # (pydantic-settings' own source), then the defaults.
        return (init_settings, env_settings, _YamlFile(settings_cls, _config_file.get()))


# The file the `Settings` being built reads (a constructor argument, so it cannot
# live in the class's model_config); a context variable keeps threads apart.
_config_file: ContextVar[Path] = ContextVar("rag_config_file", default=Path(CONFIG_FILE))


class _YamlFile(YamlConfigSettingsSource):
    """pydantic-settings' YAML source, with our messages for a file that is not a mapping."""

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        import yaml

        try:
            data = super()._read_file(file_path)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{file_path} is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise SettingsError(f"{file_path} must hold a mapping of setting: value")
        return data


class Settings(_Fields):
    """The project's settings. See the module docstring for the sources.

    Paths stay as given (relative to the working folder); use `resolved()`
    for absolute ones.
    """

    def __init__(self, config_file: Path | str | None = None, **values: Any) -> None:
        _reject_unknown_env()
        token = _config_file.set(Path(config_file) if config_file else Path(CONFIG_FILE))
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(_explain(exc, _config_file.get())) from None
        finally:
            _config_file.reset(token)

    def resolved(self) -> Settings:
        """A copy with absolute paths, resolved against the working folder."""
        return self.model_copy(
            update={
                "corpus_dir": self.corpus_dir.expanduser().resolve(),
                "store_dir": self.store_dir.expanduser().resolve(),
                "model_cache_dir": self.model_cache_dir.expanduser().resolve(),
            }
        )


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_settings(settings: _Fields) -> dict[str, Any]:
    """The settings as JSON-ready values, secrets left out (for run records and logs).

    >>> "api_key" in public_settings(Settings(api_key="s3cret"))
    False
    """
    return {k: v for k, v in settings.model_dump(mode="json").items()
            if not isinstance(getattr(settings, k), SecretStr)}


def _reject_unknown_env() -> None:
    known = {ENV_PREFIX + name.upper() for name in _Fields.model_fields}
    unknown = sorted(k for k in os.environ if k.startswith(ENV_PREFIX) and k not in known)
    if unknown:
        raise SettingsError(
            f"unknown environment setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )


def _explain(exc: ValidationError, config_file: Path) -> str:
    parts, unknown = [], []
    for err in exc.errors():
        name = ".".join(str(p) for p in err.get("loc", ())) or "settings"
        if err.get("type") == "extra_forbidden":
            unknown.append(name)
        else:
            parts.append(f"setting '{name}': {err.get('msg', 'invalid')}")
    if unknown:
        parts.insert(0, f"unknown setting(s) {', '.join(sorted(unknown))} (in {config_file} or "
                        f"given as arguments); known: {', '.join(sorted(_Fields.model_fields))}")
    return "; ".join(parts) + f" (set it in {CONFIG_FILE} or as {ENV_PREFIX}<NAME>)"
