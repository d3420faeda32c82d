"""Reply-path overhead: first SSE byte -> first safe sentence handed to the speech sink.

Both paths read the same stream from the local Messages-API server in this process:
- baseline: raw SSE parsing with ``httpx2`` (lines -> JSON -> text deltas -> first ". ! ?");
- teddy: the ``Responder`` (official SDK stream, sentence splitter, safety filter, sink).
Printed: medians in ms and the ratio teddy / baseline (and the absolute overhead).

    python benchmarks/llm_overhead.py [--runs 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx2  # noqa: E402

from processors.engine.task import ProcessingTask, ProcessingType  # noqa: E402
from processors.reply.stage import Responder  # noqa: E402
from tests.fake_messages_api import Behaviour, FakeMessagesAPI  # noqa: E402

REPLY = (
    "Hello there, my little friend, it is so lovely to hear from you today! "
    "Shall we go on a pretend adventure to the moon? I will bring the honey sandwiches."
)
BODY = {
    "model": "claude-bench",
    "max_tokens": 200,
    "stream": True,
    "messages": [{"role": "user", "content": "hi"}],
}


class _FirstSentenceSink:
    def __init__(self) -> None:
        self.first_at: float | None = None

    async def put(self, interaction_id: str, sentence: str) -> None:
        if self.first_at is None:
            self.first_at = time.monotonic()

    async def close(self, interaction_id: str, error: BaseException | None = None) -> None:
        return None


async def _baseline_once(client: httpx2.AsyncClient, server: FakeMessagesAPI) -> float:
    text = ""
    async with client.stream("POST", f"{server.base_url}/v1/messages", json=BODY) as response:
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            event = json.loads(line[6:])
            if event.get("type") == "content_block_delta":
                text += event["delta"]["text"]
                if any(mark in text for mark in ".!?"):
                    found_at = time.monotonic()
                    break
    assert server.timing.first_byte_at is not None
    return found_at - server.timing.first_byte_at


async def _teddy_once(
    responder: Responder, sink: _FirstSentenceSink, server: FakeMessagesAPI
) -> float:
    sink.first_at = None
    task = ProcessingTask(ProcessingType.AI_RESPONSE, {"text": "hi", "interaction_id": "bench"})
    result = await responder(task)
    assert not result["offline"], result
    assert sink.first_at is not None and server.timing.first_byte_at is not None
    return sink.first_at - server.timing.first_byte_at


async def main(runs: int) -> None:
    async with FakeMessagesAPI(Behaviour(reply=REPLY, chunk_size=4)) as server:
        sink = _FirstSentenceSink()
        responder = Responder(
            api_key="bench-key", base_url=server.base_url, model="claude-bench", sentence_sink=sink
        )
        await responder.load()
        async with httpx2.AsyncClient() as client:
            for _ in range(5):  # warm-up: imports, connections, regex caches
                await _baseline_once(client, server)
                await _teddy_once(responder, sink, server)
            base, ours = [], []
            for _ in range(runs):  # interleaved, so both see the same machine state
                base.append(await _baseline_once(client, server))
                ours.append(await _teddy_once(responder, sink, server))
        await responder.aclose()
    b, t = statistics.median(base) * 1e3, statistics.median(ours) * 1e3
    print(f"runs: {runs} (reply of {len(REPLY)} chars in 4-char deltas, no network delay)")
    print(f"baseline raw SSE parse, first byte -> first sentence: median {b:.2f} ms")
    print(f"teddy SDK+splitter+safety, first byte -> first sentence to sink: median {t:.2f} ms")
    print(f"ratio teddy/baseline: {t / b:.2f}x; overhead {t - b:.2f} ms per reply")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    asyncio.run(main(parser.parse_args().runs))
