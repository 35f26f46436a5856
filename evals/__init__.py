"""Evaluation: how good the pipeline is, and, in two subpackages, how fast and how tuned.

This package is the quality evaluation: question sets, metrics, the tutorial
baseline, runs, reports, floors; ``rag eval`` (`evals.cli`) is its entry point.
`evals.bench` holds the speed benchmarks (``rag bench``, ``rag bench-ingest``,
``rag loadtest``) and `evals.tuning` the fitting of constants from logged rows;
both use this package, never the other way round. `evals/README.md` says what a
run writes and how to read it. Nothing here is imported by `rag`, `index` or `ui`
(only `rag/cli.py` dispatches here, lazily); nothing loads at import.
"""
