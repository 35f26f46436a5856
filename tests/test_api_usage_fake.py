"""The API reports the prompt tokens the model read (it said 0 for every answer).

The real `Pipeline` with the fake models (`tests.fakes.pipeline_with_fakes`; the
fake's tokens are words) behind the real FastAPI app, in process.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.fakes import pipeline_with_fakes
from ui.api import build_api
from ui.gate import ModelGate


def test_usage_counts_the_prompt_the_reader_read(seed_corpus: Path, tmp_path: Path) -> None:
    pipeline = pipeline_with_fakes(seed_corpus, tmp_path / "store")
    client = TestClient(build_api(pipeline, ModelGate(4)))
    body = {"model": "any", "messages": [
        {"role": "user", "content": "Which base near the border with Iraq is mentioned?"}]}
    usage = client.post("/v1/chat/completions", json=body).json()["usage"]
    assert usage["prompt_tokens"] > 50  # the reader's instructions alone are longer
    assert usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
