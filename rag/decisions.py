"""Which fitted decline decision a model runs with.

A decision (`rag.decide.DeclineModel` and its threshold) is fitted for one
model by `rag calibrate` (`evals/tuning/calibrate.py`): the signals of another model
sit elsewhere (the 1.5B is surer of itself than the 0.5B), so a decision fitted
on one declines too much or too little with another. They are looked up, in
order:

1. ``store_dir/decisions/<model>.json`` — what `rag calibrate` wrote here;
2. the package's ``rag/decisions/*.json`` — today the 0.5B's only — matched by the
   GGUF's sha256 (a model file at a path is hashed once), or, for a model
   served at ``llm_url``, by ``llm_model`` (the name the server was given);
3. else the 0.5B's, and the pipeline says so: a warning at start-up,
   ``decision_fitted_for_model = 0`` in every `Answer.signals`, and in
   ``/health``.

`Settings.decline_threshold`, when set, overrides the decision's threshold.

Example:
    >>> d = choose_decision(Settings(model="qwen2.5-0.5b"), None)
    >>> d.own, d.fitted_for
    (True, 'qwen2.5-0.5b')
    >>> choose_decision(Settings(llm_url="http://127.0.0.1:1/v1", llm_model="x"), None).own
    False
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from rag.decide import DeclineModel
from rag.models import PRESETS, sha256_of
from rag.settings import Settings

log = logging.getLogger(__name__)

FALLBACK = "qwen2.5-0.5b"  # whose decision a model without its own runs with


@dataclass(frozen=True)
class Identity:
    """What a decision is matched by: a name, and the GGUF's sha256 or the served name."""

    name: str
    sha256: str = ""
    llm_model: str = ""

    @property
    def key(self) -> str:
        """What a cache of this model's readings is named by."""
        return self.llm_model and f"server-{self.llm_model}" or self.sha256[:16] or self.name

    @property
    def file_stem(self) -> str:
        """``store_dir/decisions/<file_stem>.json``.

        >>> Identity("qwen2.5-1.5b", "cc32").file_stem, Identity("m", llm_model="a/b").file_stem
        ('qwen2.5-1.5b', 'server-a_b')
        """
        raw = f"server-{self.llm_model}" if self.llm_model else self.name
        return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in raw)

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "sha256": self.sha256, "llm_model": self.llm_model}


@lru_cache(maxsize=8)
def _hash_file(path: str, size: int, mtime: int) -> str:
    return sha256_of(Path(path))


def identity_of(settings: Settings) -> Identity:
    """The identity of the configured model (no file is read for a preset or a server).

    >>> identity_of(Settings(model="qwen2.5-1.5b")).sha256[:8]
    'cc324af0'
    """
    if settings.llm_url:
        return Identity(settings.llm_model or settings.model, "", settings.llm_model or
                        settings.model)
    preset = PRESETS.get(settings.model)
    if preset is not None:
        return Identity(preset.name, preset.sha256)
    path = Path(settings.model).expanduser()
    try:
        st = path.stat()
        digest = _hash_file(str(path.resolve()), st.st_size, st.st_mtime_ns)
    except OSError:
        digest = ""
    return Identity(path.stem, digest)


@dataclass(frozen=True)
class ChosenDecision:
    """The decision a model runs with, and whether it was fitted for that model."""

    model: DeclineModel
    threshold: float
    fitted_for: str  # the name of the model it was fitted for
    own: bool  # fitted for the configured model
    origin: str  # where it was read from ("package:<file>" or a path)

    def describe(self) -> dict[str, Any]:
        """What `/health` shows."""
        return {"fitted_for": self.fitted_for, "fitted_for_this_model": self.own,
                "threshold": self.threshold, "origin": self.origin}


def _packaged() -> list[tuple[str, dict[str, Any]]]:
    folder = resources.files("rag").joinpath("decisions")
    out = []
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.name.endswith(".json"):
            out.append((item.name, json.loads(item.read_text(encoding="utf-8"))))
    return out


def _matches(doc: dict[str, Any], ident: Identity) -> bool:
    fitted = doc.get("fitted_for") or {}
    if ident.llm_model:  # a served model is matched by the name it was served under
        return ident.llm_model in (fitted.get("llm_model"), fitted.get("name"))
    return bool(ident.sha256) and fitted.get("sha256") == ident.sha256


def _chosen(doc: dict[str, Any], own: bool, origin: str) -> ChosenDecision:
    fitted = doc.get("fitted_for") or {}
    return ChosenDecision(DeclineModel.from_dict(doc["model"]), float(doc["threshold"]),
                          str(fitted.get("llm_model") or fitted.get("name", "")), own, origin)


def choose_decision(settings: Settings, store_dir: Path | None = ...  # type: ignore[assignment]
                    ) -> ChosenDecision:
    """The decision for `settings`' model (see the module's docstring for the order).

    `store_dir` is where `rag calibrate` wrote (default: `settings.store_dir`; None:
    look only in the package).
    """
    ident = identity_of(settings)
    if store_dir is ...:
        store_dir = settings.store_dir.expanduser()
    if store_dir is not None:
        mine = Path(store_dir) / "decisions" / f"{ident.file_stem}.json"
        if mine.is_file():
            try:
                doc = json.loads(mine.read_text(encoding="utf-8"))
                if _matches(doc, ident):
                    return _chosen(doc, True, str(mine))
                log.warning("%s was fitted for another model; not used", mine)
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("%s is not a decision file (%s); not used", mine, exc)
    packaged = _packaged()
    for name, doc in packaged:
        if _matches(doc, ident):
            return _chosen(doc, True, f"package:{name}")
    fallback = next(doc for name, doc in packaged
                    if (doc.get("fitted_for") or {}).get("name") == FALLBACK)
    return _chosen(fallback, False, f"package:{FALLBACK}")
