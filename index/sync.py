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
from index.errors import CorpusError, StoreError
from index.hostile import readable_ranges, readable_runs
from index.injection import looks_like_instruction
from index.load import Skipped, load_folder
from index.split import split_into_passages
from index.store import PassageStore
from index.types import Passage

log = logging.getLogger(__name__)

# Bump when cleaning or splitting rules change: stored offsets would differ.
PIPELINE_VERSION = 2  # 2: hostile blocks are not indexed (index.hostile)


@dataclass(frozen=True)
class SplitOptions:
    """Settings that decide passage boundaries (part of the index fingerprint)."""

    passage_chars: int = 500
    min_passage_chars: int = 80
    max_file_bytes: int = 20_000_000

    def fingerprint(self) -> dict[str, object]:
        return {
            "embedder": EMBEDDER_NAME,
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
    """Bring `store` in line with the supported files under `folder`.

    Crash-safe: the manifest names a file's hash only after all its passages
    are stored, and says the index is complete only at the very end. A sync
    that was killed is finished by the next one, which ends with exactly the
    passages a clean index has (see `PassageStore.is_complete`).
    """
    if not folder.is_dir():
        raise CorpusError(f"The corpus folder {folder} does not exist: create it and add .txt/.md files.")
    report = IndexReport()
    fingerprint = options.fingerprint()
    manifest = store.manifest()
    if reset or manifest.get("fingerprint") != fingerprint:
        report.rebuilt = not reset and store.count() > 0
        store.reset()
        manifest = {}
    docs, report.skipped = load_folder(folder, options.max_file_bytes, exclude=[store.store_dir])
    # Only the manifest says a file is wholly stored; passages of a file it does not
    # name (a sync killed mid-file) are stale and are replaced.
    done: dict[str, str] = dict(manifest.get("files", {}))
    present = store.sources()
    on_disk = {d.source for d in docs}
    unreadable = {s.source for s in report.skipped}
    files = {s: h for s, h in done.items() if s in present or s in on_disk}
    todo = [d for d in docs if files.get(d.source) != d.sha256]
    # `files` is shared with `header`: every manifest written below holds its current state
    header = {"fingerprint": fingerprint, "folder": str(folder.resolve()), "files": files}
    gone = sorted((present | set(files)) - on_disk)
    if not todo and not gone and manifest.get("complete"):
        report.unchanged = sorted(on_disk)
        report.passages = store.count()
        return _nonempty(folder, docs, report)
    store.write_manifest({**header, "complete": False})
    for source in gone:
        if source in unreadable and source in files:
            # The file is still there but unreadable now: keep what we had, say so.
            log.warning("keeping the indexed copy of %s (the file cannot be read now)", source)
            continue
        store.delete_source(source)
        files.pop(source, None)
        if source in done:
            report.removed.append(source)
    report.unchanged = [d.source for d in docs if d not in todo]
    bar = _progress(todo, progress)
    for doc in bar:
        spans = document_passages(doc.source, doc.text, options)
        flags = [looks_like_instruction(s.text) for s in spans]
        content = content_ranges(doc.text)
        dropped = len(content) - len(readable_ranges(doc.text, content))
        if dropped:
            log.warning("%s: %d block(s) hold instructions or active markup; they are not "
                        "indexed", doc.source, dropped)
        files.pop(doc.source, None)  # not done until every passage is stored
        store.write_manifest({**header, "complete": False})
        store.delete_source(doc.source)  # delete first: ids are deterministic
        (report.updated if doc.source in done else report.added).append(doc.source)
        store.add(spans, doc.sha256, flags)
        files[doc.source] = doc.sha256
        store.write_manifest({**header, "complete": False})
    store.write_manifest({**header, "complete": True})
    report.passages = store.count()
    return _nonempty(folder, docs, report)


def document_passages(source: str, text: str, options: SplitOptions) -> list[Passage]:
    """The passages indexed for a document: its content (`index.clean`) without hostile
    blocks (`index.hostile`), split run by run so no passage spans a dropped block."""
    return [
        passage
        for run in readable_runs(text, content_ranges(text))
        for passage in split_into_passages(source, text, run, options.passage_chars,
                                           options.min_passage_chars)
    ]


def _nonempty(folder: Path, docs: list, report: IndexReport) -> IndexReport:  # type: ignore[type-arg]
    if not docs and report.passages == 0:
        raise CorpusError(
            f"No readable .txt or .md document in {folder}"
            + (f" ({len(report.skipped)} skipped: see the warnings)" if report.skipped else "")
            + ". Add documents, then run `rag index`."
        )
    return report


def finish_interrupted(
    folder: Path, store: PassageStore, options: SplitOptions, progress: bool = True
) -> IndexReport | None:
    """Index `folder` when the store is empty, or finish a sync that was killed.

    Answering from a half-written index is never allowed: an interrupted sync
    of another folder is a `StoreError` naming the command that finishes it.
    """
    if store.count() > 0 and store.is_complete():
        return None
    was = store.manifest().get("folder")
    if store.count() > 0 and was and Path(was) != folder.resolve():
        raise StoreError(
            f"The index at {store.store_dir} is incomplete: indexing {was} was interrupted. "
            f"Run `rag index {was}` to finish it (or `rag index --reset` to start over)."
        )
    log.info("the index is empty or incomplete: indexing %s first", folder)
    return sync_folder(folder, store, options, progress=progress)


def _progress(items: list, enabled: bool):  # type: ignore[no-untyped-def]
    if not enabled or len(items) < 2:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="indexing", unit="file")
