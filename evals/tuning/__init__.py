"""Tuning: choosing the pipeline's constants from logged answers, without a model run.

- `evals.tuning.fit_decision`: fits the decline decision and its threshold
  (writes ``rag/decision.json`` and ``evals/thresholds.json``);
- `evals.tuning.sweep_verify`: moves the verifier's constants over logged rows.

Both read rows that ``rag eval`` wrote and call `rag` through public functions
only. This package may use `evals` (rows, metrics) and `rag`/`index`; the
quality evaluation never imports it.
"""
