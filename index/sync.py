"""Keep the store in step with a folder: add new files, replace changed ones,
remove deleted ones, and rebuild everything when the embedder or splitting
settings changed.

Example:
    >>> report = sync_folder(Path("seeds"), store, SplitOptions())   # doctest: +SKIP
    >>> report.summary()                                              # doctest: +SKIP
    'indexed 1 new, 0 changed, 0 removed, 0 unchanged file(s); 22 passages; 0 skipped'
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from index.clean import content_ranges
from index.embed import EMBEDDER_NAME
from index.errors import CorpusError
from index.injection import looks_like_instruction
from index.load import Skipped, load_folder
from index.split import split_into_passages
from index.store import PassageStore
from index.types import Passage

log = logging.getLogger(__name__)

# Bump when cleaning or splitting rules change: stored offsets would differ.
PIPELINE_VERSION = 1
# Passages embedded and stored per call: small files are batched together
# (one call per file ran the embedder on tiny batches).
ADD_BATCH = 512


@dataclass(frozen=True)
class SplitOptions:
    """Settings that decide passage boundaries (part of the index fingerprint)."""

    passage_chars: int = 500
    min_passage_chars: int = 80
    max_file_bytes: int = 20_000_000
    embedder: str = EMBEDDER_NAME  # which embedder (and where): a change re-embeds

    def fingerprint(self) -> dict[str, object]:
        return {
            "embedder": self.embedder,
            "passage_chars": self.passage_chars,
            "min_passage_chars": self.min_passage_chars,
            "version": PIPELINE_VERSION,
        }


@dataclass
class IndexReport:
    """What one sync did, file by file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    passages: int = 0
    rebuilt: bool = False

    def summary(self) -> str:
        text = (
            f"indexed {len(self.added)} new, {len(self.updated)} changed, "
            f"{len(self.removed)} removed, {len(self.unchanged)} unchanged file(s); "
            f"{self.passages} passages; {len(self.skipped)} skipped"
        )
        return text + (" (rebuilt: settings changed)" if self.rebuilt else "")


def sync_folder(
    folder: Path, store: PassageStore, options: SplitOptions, reset: bool = False,
    progress: bool = True,
) -> IndexReport:
    """Bring `store` in line with the supported files under `folder`."""
    if not folder.is_dir():
        raise CorpusError(f"The corpus folder {folder} does not exist: create it and add .txt/.md files.")
    report = IndexReport()
    fingerprint = options.fingerprint()
    if reset or store.manifest().get("fingerprint") != fingerprint:
        report.rebuilt = not reset and store.count() > 0
        store.reset()
    docs, report.skipped = load_folder(folder, options.max_file_bytes, exclude=[store.store_dir])
    stored = store.file_hashes()
    on_disk = {d.source for d in docs}
    for source in sorted(set(stored) - on_disk):
        if any(s.source == source for s in report.skipped):
            # The file is still there but unreadable now: keep what we had, say so.
            log.warning("keeping the indexed copy of %s (the file cannot be read now)", source)
            continue
        store.delete_source(source)
        report.removed.append(source)
    todo = [d for d in docs if stored.get(d.source) != d.sha256]
    report.unchanged = [d.source for d in docs if stored.get(d.source) == d.sha256]
    bar = _progress(todo, progress)
    pending: list[tuple[Passage, str, bool]] = []
    for doc in bar:
        spans = split_into_passages(
            doc.source, doc.text, content_ranges(doc.text),
            options.passage_chars, options.min_passage_chars,
        )
        flags = [looks_like_instruction(s.text) for s in spans]
        for s, flagged in zip(spans, flags, strict=True):
            if flagged:
                log.warning("%s: passage at %d-%d holds instructions; it will not be "
                            "shown to the model", doc.source, s.start, s.end)
        # add before delete would double-count; delete first, ids are deterministic
        if doc.source in stored:
            store.delete_source(doc.source)
            report.updated.append(doc.source)
        else:
            report.added.append(doc.source)
        pending.extend((s, doc.sha256, f) for s, f in zip(spans, flags, strict=True))
        if len(pending) >= ADD_BATCH:  # embed many files' passages together
            store.add_batch(pending)
            pending = []
    store.add_batch(pending)
    store.write_manifest({"fingerprint": fingerprint})
    report.passages = store.count()
    if not docs and report.passages == 0:
        raise CorpusError(
            f"No readable .txt or .md document in {folder}"
            + (f" ({len(report.skipped)} skipped: see the warnings)" if report.skipped else "")
            + ". Add documents, then run `rag index`."
        )
    return report


def _progress(items: list, enabled: bool):  # type: ignore[no-untyped-def]
    if not enabled or len(items) < 2:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="indexing", unit="file")
