"""MLLM-Face90 curation against a local fake OpenAI-compatible server."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from vfebench.video import Clip
from vividface.curate import (
    DIMENSIONS,
    PROMPT,
    PROMPT_VERSION,
    ChatClient,
    CurationError,
    curate,
    parse_scores,
    read_manifest,
    sample_indices,
)

GOOD = {
    "facial_detail": 19,
    "stability_motion_blur": 19,
    "lighting": 18,
    "artifacts_noise": 19,
    "occlusion": 20,
    "total": 95,
    "reason": "sharp and clean",
}
LOW = {**GOOD, "facial_detail": 12, "total": 88, "reason": "soft eyes"}


def test_parser_tolerates_prose_and_fences():
    assert parse_scores(json.dumps(GOOD))["total"] == 95.0
    prose = (
        "Sure! Here is my assessment:\n```json\n" + json.dumps(GOOD) + "\n```\nHope this helps {not json}."
    )
    assert parse_scores(prose)["scores"]["lighting"] == 18.0
    inline = "The video {mostly} looks good. " + json.dumps(LOW) + " Overall fine."
    r = parse_scores(inline)
    assert r["total"] == 88.0 and r["reason"] == "soft eyes"
    # the total is recomputed from the dimensions, the model's own sum is kept aside
    r = parse_scores(json.dumps({**GOOD, "total": 100}))
    assert r["total"] == 95.0 and r["model_total"] == 100.0
    # braces inside strings do not break the scan
    assert parse_scores(json.dumps({**GOOD, "reason": "a } b { c"}))["reason"] == "a } b { c"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no json here",
        '{"facial_detail": 20}',
        json.dumps({**GOOD, "lighting": 35}),
        json.dumps({**GOOD, "occlusion": "high"}),
        '{"facial_detail": 19, "stabil',
    ],
)
def test_parser_rejects_bad_replies(text):
    with pytest.raises(CurationError):
        parse_scores(text)


def test_prompt_is_versioned_and_complete():
    assert PROMPT_VERSION.startswith("vf-curate-v")
    for d in DIMENSIONS:
        assert d in PROMPT
    for w in ("EYES", "MOUTH", "TEETH", "NOSE"):
        assert w in PROMPT
    assert (
        sample_indices(33, 8)[0] == 0
        and sample_indices(33, 8)[-1] == 32
        and sample_indices(3, 8) == [0, 1, 2]
    )


class _Fake(BaseHTTPRequestHandler):
    script: dict = {}
    calls: list = []

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        content = body["messages"][0]["content"]
        clip = [c for c in content if c["type"] == "text"][0]["text"]
        n_images = sum(c["type"] == "image_url" for c in content)
        key = body.get("model")
        type(self).calls.append((key, n_images, self.path))
        # which clip? the server pops replies per call in order of a shared queue
        reply = type(self).script["queue"].pop(0) if type(self).script["queue"] else ("good", None)
        kind, payload = reply
        assert clip == PROMPT
        if kind == "hang":
            time.sleep(payload)
            kind, payload = "good", GOOD
        if kind == "http":
            self.send_response(payload)
            self.end_headers()
            return
        text = payload if isinstance(payload, str) else json.dumps(payload or GOOD)
        data = json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server():
    _Fake.script = {"queue": []}
    _Fake.calls = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    srv.handle_error = lambda request, address: None  # a hung reply hits a closed socket: expected
    srv.daemon_threads = True
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", _Fake
    srv.shutdown()
    srv.server_close()


def _clip(cid: str) -> Clip:
    rng = np.random.default_rng(abs(hash(cid)) % 1000)
    return Clip(
        cid, rng.integers(0, 256, (6, 40, 48, 3), dtype=np.uint8), meta={"source": f"/data/{cid}.mp4"}
    )


def _fixed_detector(frame):
    from vfebench.facedetect import Detection

    return [Detection((10, 8, 30, 32), 0.99)]


def _run(url, out, ids, **kw):
    client = ChatClient(
        url, model="qwen-test", timeout=kw.pop("timeout", 1.0), retries=kw.pop("retries", 2), backoff=0.01
    )
    return curate(
        [(c, (lambda c=c: _clip(c))) for c in ids],
        client,
        out,
        num_frames=4,
        crop_size=32,
        detector=_fixed_detector,
        progress=False,
        **kw,
    )


def test_curate_end_to_end_with_bad_replies_and_timeouts(server, tmp_path):
    url, fake = server
    fake.script["queue"] = [
        ("good", GOOD),  # a: kept
        ("good", "Let me look... " + json.dumps(LOW) + " That's all."),  # b: prose around JSON, rejected (88)
        ("good", "I cannot rate this video."),  # c: malformed, then ...
        ("hang", 3.0),  # ... a timeout, then ...
        ("good", "```json\n" + json.dumps(GOOD) + "\n```"),  # ... success on the 3rd attempt
        ("http", 500),
        ("good", "garbage"),
        ("hang", 3.0),  # d: every attempt fails → error record
    ]
    res = _run(url, tmp_path, ["a", "b", "c", "d"], write_crops=True)
    assert res["scored"] == 3 and res["kept"] == 2 and res["errors"] == 1
    man = read_manifest(tmp_path / "manifest.jsonl")
    assert man["a"]["kept"] and man["a"]["total"] == 95.0 and man["a"]["scores"]["lighting"] == 18.0
    assert not man["b"]["kept"] and man["b"]["reason"] == "soft eyes"
    assert man["c"]["kept"] and man["c"]["attempts"] == 3
    assert (
        man["d"]["status"] == "error" and "timeout" in man["d"]["reason"] and "HTTP 500" in man["d"]["reason"]
    )
    for rec in man.values():
        assert rec["model"] == "qwen-test" and rec["prompt_version"] == PROMPT_VERSION
    assert man["a"]["source"] == "/data/a.mp4" and man["a"]["window"]["side"] > 0
    assert {c[1] for c in fake.calls} == {4} and fake.calls[0][2] == "/v1/chat/completions"
    assert (tmp_path / "clips" / "a").is_dir() and not (tmp_path / "clips" / "b").exists()
    assert len(list((tmp_path / "clips" / "a").glob("*.png"))) == 6


def test_curate_resumes_and_retries_errors(server, tmp_path):
    url, fake = server
    fake.script["queue"] = [("good", GOOD), ("http", 400)]
    res = _run(url, tmp_path, ["a", "b"])
    assert res["errors"] == 1  # HTTP 400 is not retried
    n_calls = len(fake.calls)
    res = _run(url, tmp_path, ["a", "b"])
    assert res["skipped"] == 2 and len(fake.calls) == n_calls  # nothing re-sent
    fake.script["queue"] = [("good", LOW)]
    res = _run(url, tmp_path, ["a", "b", "e"], retry_errors=True)
    assert res["skipped"] == 1 and res["scored"] == 2
    man = read_manifest(tmp_path / "manifest.jsonl")
    assert man["b"]["status"] == "ok" and man["e"]["status"] == "ok"
    # a torn last line (interrupted run) is ignored
    with open(tmp_path / "manifest.jsonl", "a") as f:
        f.write('{"clip_id": "x", "sta')
    assert set(read_manifest(tmp_path / "manifest.jsonl")) == {"a", "b", "e"}


def test_unreachable_endpoint_is_a_clear_error():
    client = ChatClient("http://127.0.0.1:9", timeout=0.5, retries=1, backoff=0.01)
    with pytest.raises(CurationError, match="connection error"):
        client.score([b"x"])
