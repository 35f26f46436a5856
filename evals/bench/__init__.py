"""Speed benchmarks: how fast, not how good (that is the `evals` package itself).

Nothing here asserts a time; each prints a table and, where it says so, saves it.

- `evals.bench.cli`: ``rag bench``, ours beside the tutorial pipeline, each in a
  process of its own; ``--scale`` and ``--embed`` hand over to the two below;
- `evals.bench.scale`: a large corpus (``rag bench --scale``), made by `evals.bench.pydocs`;
- `evals.bench.embed`: the embedder's precisions (``rag bench --embed``);
- `evals.bench.ingest`: text extraction per format (``rag bench-ingest``);
- `evals.bench.loadtest`: a running ``rag serve`` under load (``rag loadtest``).

This package may use `evals` (questions, metrics, report) and `rag`/`index`;
the quality evaluation never imports it.
"""
