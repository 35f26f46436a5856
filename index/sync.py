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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from index.clean import blocks, content_ranges
from index.embed import EMBEDDER_NAME
from index.errors import CorpusError, StoreError, UnreadableFile
from index.extract import Extractor
from index.hostile import readable_runs
from index.load import FileEntry, Skipped, scan_folder
from index.split import split_into_passages
from index.store import PassageStore
from index.textcache import FOLDER, ChromaTextCache, TextCache
from index.types import ExtractedText, Passage

log = logging.getLogger(__name__)

# Bump when cleaning or splitting rules change: stored offsets would differ.
PIPELINE_VERSION = 4  # 2: hostile blocks are not indexed; 3: PDF/HTML/DOCX, passages carry a page;
# 4: judged in skeletons, markup decided per format, loader ranges judged block by block

OnFile = Callable[[int, int, str], None]  # (done, total, source) as each file is indexed


@dataclass(frozen=True)
class SplitOptions:
    """Settings that decide passage boundaries (part of the index fingerprint),
    and the limits of reading a file (not part of it)."""

    passage_chars: int = 500
    min_passage_chars: int = 80
    max_file_bytes: int = 20_000_000
    extract_timeout: float = 60.0
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

    def skipped_lines(self) -> list[str]:
        """One line per skipped file, naming it and the reason."""
        return [f"skipped {s.source}: {s.reason}" for s in self.skipped]


def text_cache_for(store: PassageStore) -> TextCache | ChromaTextCache:
    """Where a store keeps its documents' extracted texts: beside the vectors, on the
    Chroma server when there is one (every client of it can then check citations)."""
    if store.url:
        return ChromaTextCache(store.side_collection("texts"))
    return TextCache(store.store_dir / FOLDER)


def sync_folder(
    folder: Path, store: PassageStore, options: SplitOptions, reset: bool = False,
    progress: bool = True, on_file: OnFile | None = None,
) -> IndexReport:
    """Bring `store` in line with the supported files under `folder`.

    Every format follows the same rules: a file's identity is its sha256, its
    text is extracted once per content (kept in the `TextCache` beside the
    index), a changed file replaces its passages and a deleted one leaves. A
    file that cannot be read is skipped with its reason; an earlier indexed
    version of it stays. A file that must not be read (a link out of the
    corpus, a FIFO) is skipped and anything indexed from it leaves. A file
    whose every block is dropped (0 passages) is skipped too, with the reason,
    at every sync while it is unchanged; the manifest keeps the list of
    skipped files (`PassageStore.skipped`).

    Crash-safe: the manifest names a file's hash only after all its passages
    are stored, and says the index is complete only at the very end. A sync
    that was killed is finished by the next one, which ends with exactly the
    passages a clean index has (see `PassageStore.is_complete`).
    """
    if not folder.is_dir():
        raise CorpusError(f"The corpus folder {folder} does not exist: create it and add documents.")
    report = IndexReport()
    fingerprint = options.fingerprint()
    manifest = store.manifest()
    if reset or manifest.get("fingerprint") != fingerprint:
        report.rebuilt = not reset and store.count() > 0
        store.reset()
        manifest = {}
    entries, report.skipped = scan_folder(folder, options.max_file_bytes,
                                          exclude=[store.store_dir])
    cache = text_cache_for(store)
    # Only the manifest says a file is wholly stored; passages of a file it does not
    # name (a sync killed mid-file) are stale and are replaced.
    done: dict[str, str] = dict(manifest.get("files", {}))
    # A complete manifest names every stored source; only after a killed sync can the
    # store hold others (scanning every passage's metadata costs seconds at 100k).
    present = set(done) if manifest.get("complete") else store.sources()
    on_disk = {e.source for e in entries}
    unreadable = {s.source for s in report.skipped if not s.forbidden}
    files = {s: h for s, h in done.items() if s in present or s in on_disk}
    todo = [e for e in entries if files.get(e.source) != e.sha256]
    # `files` is shared with `header`: every manifest written below holds its current state
    skipped_before: dict[str, str] = dict(manifest.get("skipped", {}))
    header: dict[str, object] = {"fingerprint": fingerprint, "folder": str(folder.resolve()),
                                 "files": files, "skipped": skipped_before}
    gone = sorted((present | set(files)) - on_disk)
    missing_texts = [e for e in entries if e not in todo and cache.get(e.sha256) is None]
    # unchanged files that gave no passage: skipped again, with the reason found then
    was_empty = {e.source: str(skipped_before[e.source]) for e in entries
                 if e not in todo and e.source in files and e.source in skipped_before}
    report.skipped += [Skipped(source, reason) for source, reason in was_empty.items()]
    if (not todo and not gone and not missing_texts and manifest.get("complete")
            and skipped_before == _reasons(report.skipped)):
        report.unchanged = sorted(on_disk - set(was_empty))
        report.passages = store.count()
        return _nonempty(folder, entries, report)
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
    report.unchanged = [e.source for e in entries if e not in todo and e.source not in was_empty]
    with Extractor(options.extract_timeout) as extractor:
        for n, entry in enumerate(_progress(todo, progress), 1):
            extracted = _extracted(entry, cache, extractor)
            if on_file:
                on_file(n, len(todo), entry.source)
            if isinstance(extracted, str):
                report.skipped.append(Skipped(entry.source, extracted))
                if entry.source in files:
                    log.warning("keeping the indexed copy of %s (the new version cannot be "
                                "read)", entry.source)
                continue
            spans, dropped = _passages(entry.source, extracted, options)
            files.pop(entry.source, None)  # not done until every passage is stored
            store.write_manifest({**header, "complete": False})
            store.delete_source(entry.source)  # delete first: ids are deterministic
            if spans:  # a file that gave no passage before was not indexed: it is new now
                known = entry.source in done and entry.source not in manifest.get("skipped", {})
                (report.updated if known else report.added).append(entry.source)
            else:
                report.skipped.append(Skipped(entry.source, _no_passage_reason(dropped)))
            store.add(spans, entry.sha256)
            files[entry.source] = entry.sha256
            store.write_manifest({**header, "complete": False})
        for entry in missing_texts:  # an index made before the text cache existed
            _extracted(entry, cache, extractor)
    for item in report.skipped:
        log.warning("skipping %s: %s", item.source, item.reason)
    header["skipped"] = _reasons(report.skipped)
    store.write_manifest({**header, "complete": True})
    cache.prune(files.values())
    report.passages = store.count()
    return _nonempty(folder, [e for e in entries if e.source in files], report)


def _extracted(entry: FileEntry, cache: TextCache | ChromaTextCache, extractor: Extractor) -> ExtractedText | str:
    """The file's text from the cache or freshly extracted (and cached); a reason if none."""
    got = cache.get(entry.sha256)
    if got is not None:
        return got
    try:
        got = extractor.extract(entry.path)
    except UnreadableFile as exc:
        return str(exc)
    cache.put(entry.sha256, got)
    return got


def _reasons(skipped: list[Skipped]) -> dict[str, str]:
    return {s.source: s.reason for s in skipped}


def _no_passage_reason(dropped: int) -> str:
    if dropped:
        return (f"nothing left to index: its {dropped} block(s) all hold instructions to the "
                "assistant or active or hidden markup (see the README, Injection)")
    return "nothing left to index: no content besides page furniture (share links, footers)"


def document_passages(source: str, extracted: ExtractedText | str,
                      options: SplitOptions) -> list[Passage]:
    """The passages indexed for a document: its content (the loader's ranges, or
    `index.clean` for plain text) without hostile blocks (`index.hostile`), split
    run by run so no passage spans a dropped block, and on a PDF page by page so
    every passage lies on one page, which it names.

    A loader's range (a PDF page's content, a whole web page) is judged block by
    block (text between blank lines): one hostile paragraph drops itself, not the
    page. Blocks kept side by side are split as the range they came from."""
    return _passages(source, extracted, options)[0]


def _passages(source: str, extracted: ExtractedText | str,
              options: SplitOptions) -> tuple[list[Passage], int]:
    """`document_passages` and how many blocks were dropped as hostile."""
    if isinstance(extracted, str):
        extracted = ExtractedText(extracted)
    text = extracted.text
    ranges = list(extracted.ranges) if extracted.ranges is not None else content_ranges(text)
    pages = list(extracted.pages) or [(0, len(text))]
    out: list[Passage] = []
    dropped = 0
    for number, (p_start, p_end) in enumerate(pages, 1):
        on_page = [(max(s, p_start), min(e, p_end)) for s, e in ranges
                   if s < p_end and e > p_start]
        parts = [(block, i) for i, (s, e) in enumerate(on_page) for block in _blocks_in(text, s, e)]
        owner = dict(parts)
        runs = readable_runs(text, [b for b, _ in parts], extracted.markup)
        dropped += len(parts) - sum(len(run) for run in runs)
        for run in runs:
            for p in split_into_passages(source, text, _rejoin(run, owner), options.passage_chars,
                                         options.min_passage_chars):
                out.append(replace(p, page=number) if extracted.pages else p)
    if dropped:
        log.warning("%s: %d block(s) hold instructions or active markup; they are not "
                    "indexed", source, dropped)
    return out, dropped


def _blocks_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The blocks (text between blank lines) of ``text[start:end]``, absolute."""
    return [(start + s, start + e) for s, e in blocks(text[start:end])]


def _rejoin(run: list[tuple[int, int]], owner: dict[tuple[int, int], int]) -> list[tuple[int, int]]:
    """Adjacent blocks of one original range merged back into one range (so splitting is
    the same as before the range was judged block by block)."""
    out: list[tuple[int, int]] = []
    last = None
    for block in run:
        if out and owner[block] == last:
            out[-1] = (out[-1][0], block[1])
        else:
            out.append(block)
        last = owner[block]
    return out


def _nonempty(folder: Path, docs: list, report: IndexReport) -> IndexReport:  # type: ignore[type-arg]
    if not docs and report.passages == 0:
        raise CorpusError(
            f"No readable document in {folder}"
            + (f" ({len(report.skipped)} skipped: see the warnings)" if report.skipped else "")
            + ". Add .txt, .md, .pdf, .html or .docx files, then run `rag index`."
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
    if not enabled or not items:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="indexing", unit="file")
