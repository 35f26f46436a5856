"""Evaluation: question sets, metrics, the tutorial baseline, runs, reports, benchmark.

``rag eval`` (`evals.cli`) and ``rag bench`` (`evals.bench`) are the entry
points; `evals/README.md` says what a run writes and how to read it. This
package calls `rag` and never the other way round; nothing loads at import.
"""
