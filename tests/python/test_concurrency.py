"""8 Python threads at once through mwt, each on its own WeightFile and all on one shared one:
open (GIL released), metadata and tensor reads, dequantize (GIL released, itself split over 2
threads), quantize (GIL released), scheme detection (GIL released). Every thread's results must
equal those of the same work done on one thread first. The C++ side of the same check runs
under ThreadSanitizer in `make test-tsan` (tests/cpp/test_concurrency.cpp)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

mwt = pytest.importorskip("mwt")

THREADS = 8


@pytest.fixture(scope="module")
def gguf_path(tmp_path_factory):
    rng = np.random.default_rng(5)
    tensors = {
        # 2^20 values: large enough for dequantize(threads=2) to split
        "blk.0.attn_q.weight": mwt.RawTensor(
            "Q8_0", (1024, 1024),
            mwt.quantize(rng.standard_normal((1024, 1024)).astype(np.float32) * 0.02, "Q8_0")),
        "blk.0.ffn_down.weight": mwt.RawTensor(
            "Q4_K", (64, 512),
            mwt.quantize(rng.standard_normal((64, 512)).astype(np.float32) * 0.02, "Q4_K")),
        "output_norm.weight": rng.standard_normal(512).astype(np.float32),
    }
    meta = {"general.architecture": "llama", "general.file_type": 7,
            "test.array": np.arange(1000, dtype=np.uint32),
            "tokenizer.ggml.tokens": [f"tok{j}" for j in range(300)]}
    path = tmp_path_factory.mktemp("conc") / "model.gguf"
    mwt.save_gguf(path, tensors, meta, metadata_types={"general.file_type": "UINT32"})
    return path


def _work(wf) -> list:
    out = [wf.quantization["scheme"], len(wf.metadata), wf.metadata["general.file_type"],
           int(wf.metadata["test.array"].sum()), wf.metadata["tokenizer.ggml.tokens"][123],
           list(wf.metadata_types.items())]
    for name, t in wf.tensors.items():
        values = t.dequantize(threads=2)
        out.append((name, t.dtype, values.tobytes()))
        if t.dtype != "F32":
            out.append(mwt.quantize(values, t.dtype).tobytes())
    return out


def _run(target) -> list:
    results: list = [None] * THREADS
    errors: list = []
    start = threading.Barrier(THREADS)

    def body(i: int) -> None:
        try:
            start.wait()
            results[i] = target()
        except BaseException as e:  # reported by the main thread
            errors.append(e)
    threads = [threading.Thread(target=body, args=(i,)) for i in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    return results


def test_separate_handles(gguf_path):
    with mwt.open(gguf_path) as wf:
        want = _work(wf)

    def own():
        with mwt.open(gguf_path) as wf:
            return _work(wf)
    for got in _run(own):
        assert got == want


def test_one_shared_handle(gguf_path):
    with mwt.open(gguf_path) as wf:
        want = _work(wf)
    shared = mwt.open(gguf_path)
    try:
        for got in _run(lambda: _work(shared)):
            assert got == want
    finally:
        shared.close()
