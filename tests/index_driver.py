"""`python -m tests.index_driver CORPUS STORE`: `sync_folder` with the hashing fake
embedder (slowed down), logging each stored batch — the fast twin of `rag -v index`
that the crash test kills (for tests only)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from index.store import PassageStore
from index.sync import SplitOptions, sync_folder
from tests.fakes import HashingFakeEmbeddings


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    corpus, store_dir = Path(argv[0]), Path(argv[1])
    delay = float(argv[2]) if len(argv) > 2 else 0.0
    store = PassageStore(store_dir, HashingFakeEmbeddings(delay=delay))  # type: ignore[arg-type]
    print(sync_folder(corpus, store, SplitOptions(), progress=False).summary(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
