"""``rag bench --embed``: the packaged embedder's throughput and retrieval quality
in each precision this machine can run, side by side, in one process.

Variants: torch float32, torch bfloat16 and, when the ``onnx`` package is
installed (it is not a dependency), ONNX Runtime float32 and int8 (dynamic
quantisation), exported locally from the packaged weights. For each: passages
embedded per second over the corpus's own passages (our splitter, batch 32),
and dense-only recall@k on the set's answerable questions (a gold answer
string inside one of the k nearest passages), plus how many of float32's top-k
each variant keeps.

Example::

    rag bench --embed --set ../shared/squad2-dev/questions.jsonl \\
        --corpus ../shared/squad2-dev/corpus --questions 300
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

Encoder = Callable[[list[str]], np.ndarray]
BATCH = 32


def corpus_passages(corpus: Path) -> list[Any]:
    """Every passage of the .txt/.md files in `corpus`, as indexing makes them."""
    from index.load import read_text_exact
    from index.sync import SplitOptions, document_passages

    return [p for path in sorted(corpus.rglob("*")) if path.suffix in {".txt", ".md"}
            and path.is_file()
            for p in document_passages(path.name, read_text_exact(path), SplitOptions())]


def torch_encoder(precision: str) -> Encoder:
    from index.embed import packaged_embeddings

    emb = packaged_embeddings(batch_size=BATCH, precision=precision)  # type: ignore[arg-type]
    return lambda texts: np.asarray(emb.embed_documents(texts), dtype=np.float32)


def onnx_encoders(folder: Path) -> dict[str, Encoder]:
    """ONNX Runtime float32 and int8 encoders, exported into `folder` (empty without onnx)."""
    try:
        import onnx  # noqa: F401  (the exporter and the quantiser need it)
        import onnxruntime as ort
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        print("onnx is not installed: ONNX variants skipped (pip install onnx)", file=sys.stderr)
        return {}
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel

    from index.embed import offline_environment, packaged_model_path

    offline_environment()
    path = Path(packaged_model_path())
    base = AutoModel.from_pretrained(str(path)).eval()

    class Hidden(torch.nn.Module):  # keyword call: BertModel's positional order varies
        def __init__(self) -> None:
            super().__init__()
            self.base = base

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.base(input_ids=input_ids, attention_mask=attention_mask,
                        token_type_ids=token_type_ids).last_hidden_state

    fp32, int8 = folder / "minilm.onnx", folder / "minilm-int8.onnx"
    ids = torch.ones(2, 16, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(Hidden(), (ids, ids, torch.zeros_like(ids)), str(fp32), input_names=names,
                      output_names=["hidden"], dynamic_axes={n: axes for n in [*names, "hidden"]},
                      opset_version=17, dynamo=False)
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    tok = Tokenizer.from_file(str(path / "tokenizer.json"))
    tok.enable_truncation(256)
    tok.enable_padding()

    def encoder(model: Path) -> Encoder:
        options = ort.SessionOptions()
        session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

        def encode(texts: list[str]) -> np.ndarray:
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            out = np.zeros((len(texts), 384), dtype=np.float32)
            for i in range(0, len(texts), BATCH):
                idx = order[i:i + BATCH]
                enc = tok.encode_batch([texts[j] for j in idx])
                input_ids = np.array([e.ids for e in enc], dtype=np.int64)
                mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
                hidden = session.run(None, {"input_ids": input_ids, "attention_mask": mask,
                                            "token_type_ids": np.zeros_like(input_ids)})[0]
                weights = mask[..., None].astype(np.float32)
                pooled = (hidden * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
                out[idx] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
            return out

        return encode

    return {"onnx float32": encoder(fp32), "onnx int8": encoder(int8)}


def top_k(query_vecs: np.ndarray, passage_vecs: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` nearest passages per query, best first (vectors are normalised).

    >>> top_k(np.eye(3, dtype=np.float32)[:1], np.eye(3, dtype=np.float32), 2).tolist()[0][0]
    0
    """
    scores = query_vecs @ passage_vecs.T
    return np.argsort(-scores, axis=1)[:, :k]


def measure(encoders: dict[str, Encoder], passages: list[str], questions: list[Any],
            k: int = 4) -> dict[str, dict[str, float]]:
    """Throughput and dense recall@k per encoder; `questions` have `.question` and `.answers`."""
    results: dict[str, dict[str, float]] = {}
    reference: np.ndarray | None = None
    for name, encode in encoders.items():
        encode(passages[:BATCH])  # warm-up: first-call allocations are not throughput
        t = time.perf_counter()
        vecs = encode(passages)
        seconds = time.perf_counter() - t
        hits = top_k(encode([q.question for q in questions]), vecs, k)
        found = [any(a in passages[i] for i in row for a in q.answers)
                 for q, row in zip(questions, hits, strict=True)]
        if reference is None:
            reference = hits
        kept = np.mean([len(set(a) & set(b)) / k for a, b in zip(hits, reference, strict=True)])
        results[name] = {"passages_per_s": len(passages) / seconds,
                         f"recall_at_{k}": float(np.mean(found)), "top_k_kept": float(kept)}
    return results


def report(results: dict[str, dict[str, float]], passages: int, questions: int) -> str:
    lines = [f"{passages:,} passages, {questions} answerable questions",
             f"{'variant':<16}{'passages/s':>12}{'recall@4':>10}{'top-4 kept':>12}"]
    for name, r in results.items():
        lines.append(f"{name:<16}{r['passages_per_s']:>12.1f}{r['recall_at_4']:>10.3f}"
                     f"{r['top_k_kept']:>12.3f}")
    return "\n".join(lines)


def main(args: Any) -> int:
    """Called by `rag bench --embed` (evals.bench.cli) with its parsed arguments."""
    from evals.questions import load_questions

    if args.corpus is None or not args.set:
        print("error: --embed needs --corpus DIR and --set FILE", file=sys.stderr)
        return 2
    passages = [p.text for p in corpus_passages(args.corpus)]
    qs = [q for q in load_questions([Path(s) for s in args.set], corpus=args.corpus)
          if q.answerable and q.answers]
    qs = random.Random(0).sample(qs, min(args.questions, len(qs)))
    encoders = {"torch float32": torch_encoder("float32"),
                "torch bfloat16": torch_encoder("bfloat16")}
    with tempfile.TemporaryDirectory(prefix="rag-onnx-") as tmp:
        encoders.update(onnx_encoders(Path(tmp)))
        print(report(measure(encoders, passages, qs), len(passages), len(qs)))
    return 0
