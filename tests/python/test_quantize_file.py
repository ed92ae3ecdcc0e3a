"""`mwt quantize` / mwt.quantize_file on transformers-made tiny LLaMA models.

The expected per-tensor types are computed here, independently of mwt's rule engine, from
llama.cpp's Q4_K_M rules (its llama_tensor_get_type): output (or tied
token_embd) Q6_K, attn_v and ffn_down Q6_K on use_more_bits layers, Q4_K elsewhere, norms F32,
and the row fallbacks Q4_K->Q5_0, Q6_K->Q8_0 where a row is not whole 256-value super-blocks.
gguf-py reads every output file and decodes it; the decoded weights are held to the
reconstruction error of their type (normalized RMSE per tensor, bounds in _NRMSE).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mwt

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
gguf = pytest.importorskip("gguf")


def _tiny_llama(out: Path, *, hidden: int, ffn: int, layers: int, tie: bool = False,
                seed: int = 0) -> Path:
    torch.manual_seed(seed)
    cfg = transformers.LlamaConfig(vocab_size=512, hidden_size=hidden, intermediate_size=ffn,
                                   num_hidden_layers=layers, num_attention_heads=4,
                                   num_key_value_heads=2, max_position_embeddings=128,
                                   tie_word_embeddings=tie)
    transformers.LlamaForCausalLM(cfg).save_pretrained(str(out), safe_serialization=True)
    return out


def _use_more_bits(i: int, n: int) -> bool:
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


def _expected_q4_k_m(name: str, shape: tuple, n_layer: int, has_output: bool) -> str:
    if name.endswith("_norm.weight") or len(shape) < 2:
        return "F32"
    row = shape[-1]
    if name == "output.weight" or (not has_output and name == "token_embd.weight"):
        return "Q6_K" if row % 256 == 0 else "Q8_0"
    t = "Q4_K"
    if name.startswith("blk.") and (name.endswith("attn_v.weight")
                                    or name.endswith("ffn_down.weight")):
        if _use_more_bits(int(name.split(".")[1]), n_layer):
            t = "Q6_K"
    if row % 256:
        t = {"Q4_K": "Q5_0", "Q6_K": "Q8_0"}[t]
    return t


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mwt.cli", *args], capture_output=True, text=True)


def _nrmse(ref: np.ndarray, got: np.ndarray) -> float:
    return float(np.sqrt(np.mean((ref - got) ** 2)) / np.sqrt(np.mean(ref ** 2)))


# Normalized RMSE bound per type for Gaussian weights (the usual per-bit thresholds are for
# sqrt(sum d^2)/n on unit data; these are the same orders expressed relative to the RMS, with
# room for the 256-value super-block scales).
_NRMSE = {"Q8_0": 0.01, "Q6_K": 0.03, "Q5_0": 0.06, "Q4_K": 0.12, "F32": 0.0}


@pytest.mark.parametrize("hidden,ffn,tie", [(256, 512, False), (128, 352, True)])
def test_q4_k_m_types_follow_llama_cpp_rules(tmp_path, hidden, ffn, tie):
    n_layer = 8
    src = _tiny_llama(tmp_path / "hf", hidden=hidden, ffn=ffn, layers=n_layer, tie=tie)
    out = tmp_path / "model-Q4_K_M.gguf"
    r = _run_cli("quantize", str(src), str(out), "--type", "Q4_K_M", "--progress", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["file_type"] == "Q4_K_M"
    # The progress bar went to stderr and reached the end.
    assert "quantize Q4_K_M [" in r.stderr
    total_mib = f"{summary['bytes_in'] / (1 << 20):,.1f}"
    assert f"{total_mib}/{total_mib} MiB" in r.stderr
    # This checkpoint has no tokenizer files: the missing keys are said on stderr and in JSON.
    assert "no tokenizer.ggml.* keys" in r.stderr
    assert any("tokenizer.ggml" in w for w in summary["warnings"])

    # Reference F32 conversion of the same checkpoint: what was quantized.
    from mwt.convert_hf import hf_llama_to_gguf
    ref_path = hf_llama_to_gguf(src, tmp_path / "ref-f32.gguf", dtype="F32")
    ref = gguf.GGUFReader(str(ref_path))
    ref_tensors = {t.name: np.array(t.data) for t in ref.tensors}

    reader = gguf.GGUFReader(str(out))
    has_output = any(t.name == "output.weight" for t in reader.tensors)
    assert has_output == (not tie)
    names = [t.name for t in reader.tensors]
    assert names == [t.name for t in ref.tensors]
    ft = reader.fields["general.file_type"]
    assert int(ft.parts[ft.data[0]][0]) == 15
    seen_q6k_layers = set()
    for t in reader.tensors:
        shape = tuple(int(d) for d in reversed(t.shape.tolist()))  # numpy order
        want = _expected_q4_k_m(t.name, shape, n_layer, has_output)
        assert t.tensor_type.name == want, t.name
        if want == "Q6_K" and t.name.endswith("ffn_down.weight"):
            seen_q6k_layers.add(int(t.name.split(".")[1]))
        decoded = gguf.quants.dequantize(t.data, t.tensor_type).reshape(shape)
        assert _nrmse(ref_tensors[t.name].reshape(shape), decoded) <= _NRMSE[want], t.name
    if hidden % 256 == 0 and ffn % 256 == 0:
        assert seen_q6k_layers == {0, 3, 6, 7}  # use_more_bits(i, 8)

    # mwt's own reading and its scheme detection.
    with mwt.open(out) as wf:
        q = wf.quantization
    assert q["scheme"] == "Q4_K_M"
    assert q["file_type"]["stated"]["name"] == "Q4_K_M"
    assert q["file_type"]["inferred"]["name"] == "Q4_K_M"
    assert q["file_type"]["inferred"]["matched"] == q["file_type"]["inferred"]["of"]
    assert q["file_type"]["agree"] is True

    # Without general.file_type the mix alone still says Q4_K_M.
    stripped = tmp_path / "no-ftype.gguf"
    with mwt.open(out) as wf:
        meta = {k: v for k, v in wf.metadata.items() if k != "general.file_type"}
        mwt.save_gguf(stripped, wf.tensors, meta, metadata_types=wf.metadata_types)
    r = _run_cli("inspect", str(stripped), "--json")
    assert r.returncode == 0, r.stderr
    q = json.loads(r.stdout)["quantization"]
    assert q["file_type"]["stated"] is None
    assert q["scheme"] == "Q4_K_M"
    assert q["file_type"]["inferred"]["method"] == "rules"
    r = _run_cli("inspect", str(stripped))
    assert "quantization  Q4_K_M" in r.stdout


def test_q8_0_bytes_match_gguf_py(tmp_path):
    src = _tiny_llama(tmp_path / "hf", hidden=128, ffn=256, layers=2)
    out = tmp_path / "q8.gguf"
    res = mwt.quantize_file(src, out, "Q8_0", threads=2)
    assert res.file_type == "Q8_0" and res.quantized > 0
    from mwt.convert_hf import hf_llama_to_gguf
    ref = gguf.GGUFReader(str(hf_llama_to_gguf(src, tmp_path / "ref.gguf", dtype="F32")))
    ref_tensors = {t.name: np.array(t.data) for t in ref.tensors}
    for t in gguf.GGUFReader(str(out)).tensors:
        x = ref_tensors[t.name]
        if x.ndim >= 2:
            assert t.tensor_type.name == "Q8_0", t.name  # output too: the base type is Q8_0
            want = gguf.quants.quantize(x.astype(np.float32), gguf.GGMLQuantizationType.Q8_0)
            assert np.array_equal(np.array(t.data).reshape(-1), want.reshape(-1)), t.name
        else:
            assert t.tensor_type.name == "F32"
    with mwt.open(out) as wf:
        assert wf.quantization["scheme"] == "Q8_0"


def test_every_thread_count_writes_the_same_bytes(tmp_path):
    # hidden 256, ffn 512: the ffn and embedding tensors hold 2^17 values, so with threads > 1
    # their rows are encoded in two parts on two threads; the file must not change.
    src = _tiny_llama(tmp_path / "hf", hidden=256, ffn=512, layers=2)
    paths = []
    for threads in (1, 3):
        out = tmp_path / f"q4km-{threads}.gguf"
        seen: list = []
        res = mwt.quantize_file(src, out, "Q4_K_M", threads=threads,
                                progress=lambda d, n, name, seen=seen: seen.append((d, n, name)))
        # One call per tensor, counting input bytes: cumulative, ending at the total.
        with mwt.open(out) as wf:
            names = list(wf.tensors)
        assert [name for _, _, name in seen] == names
        assert all(n == res.bytes_in for _, n, _ in seen)
        done = [d for d, _, _ in seen]
        assert done == sorted(done) and done[-1] == res.bytes_in and len(done) == res.tensors
        paths.append(out)
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_gguf_input_and_requantize_guard(tmp_path):
    src = _tiny_llama(tmp_path / "hf", hidden=256, ffn=512, layers=2)
    from mwt.convert_hf import hf_llama_to_gguf
    f16 = hf_llama_to_gguf(src, tmp_path / "f16.gguf", dtype="F16")
    q5 = tmp_path / "q5km.gguf"
    res = mwt.quantize_file(f16, q5, "Q5_K_M")
    assert res.types.get("Q5_K", 0) > 0 and res.types.get("Q6_K", 0) > 0
    with mwt.open(q5) as wf:
        assert wf.quantization["file_type"]["inferred"]["name"] == "Q5_K_M"
    # Quantized input is refused unless asked for; the destination is not created.
    again = tmp_path / "again.gguf"
    with pytest.raises(mwt.UnsupportedFeatureError, match="allow"):
        mwt.quantize_file(q5, again, "Q4_K_M")
    assert not again.exists()
    mwt.quantize_file(q5, again, "Q4_K_M", allow_requantize=True)
    with mwt.open(again) as wf:
        assert wf.quantization["scheme"] == "Q4_K_M"
    assert not any(p.name.startswith(".mwt-") for p in tmp_path.iterdir())


def test_unencodable_fallback_is_refused_up_front(tmp_path):
    # Rows of 128: Q3_K_M's Q3_K tensors fall back to IQ4_NL, which mwt has no encoder for.
    src = _tiny_llama(tmp_path / "hf", hidden=128, ffn=256, layers=2)
    with pytest.raises(mwt.UnsupportedFeatureError, match="IQ4_NL"):
        mwt.quantize_file(src, tmp_path / "q3.gguf", "Q3_K_M")
    assert not (tmp_path / "q3.gguf").exists()


def test_cli_usage_and_errors(tmp_path):
    r = _run_cli("quantize", "a", "b", "--type", "Q9_Z")
    assert r.returncode == 2
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00garbage")
    r = _run_cli("quantize", str(bad), str(tmp_path / "o.gguf"), "--type", "Q8_0", "--json")
    assert r.returncode == 1
    assert "error" in json.loads(r.stdout)
    assert not (tmp_path / "o.gguf").exists()


def test_progress_counts_bytes_not_tensors(tmp_path):
    # One big tensor after many small ones: by bytes, the small ones are a sliver of the
    # work (a count of tensors would say 90% done before the big one starts).
    src = tmp_path / "in.gguf"
    tensors = {f"blk.{i}.attn_norm.weight": np.ones(256, np.float32) for i in range(9)}
    tensors["token_embd.weight"] = np.ones((512, 256), np.float32)
    mwt.save_gguf(src, tensors, {"general.architecture": "llama"})
    seen: list = []
    res = mwt.quantize_file(src, tmp_path / "out.gguf", "Q8_0",
                            progress=lambda d, n, name: seen.append((d, n, name)))
    small = 9 * 256 * 4
    order = list(tensors)
    with mwt.open(src) as wf:
        order = list(wf.tensors)
    before_big = [d for d, _, name in seen[:order.index("token_embd.weight")]]
    assert all(d <= small for d in before_big)
    assert seen[-1][0] == seen[-1][1] == res.bytes_in == small + 512 * 256 * 4
    assert res.warnings == []  # a GGUF source keeps its own keys


def test_hf_model_name_from_config(tmp_path):
    src = _tiny_llama(tmp_path / "some-dir", hidden=64, ffn=128, layers=1)
    cfg = json.loads((src / "config.json").read_text())
    cfg["_name_or_path"] = "example-org/Tiny-Llama-Test"
    (src / "config.json").write_text(json.dumps(cfg))
    out = tmp_path / "o.gguf"
    mwt.quantize_file(src, out, "Q8_0")
    with mwt.open(out) as wf:
        assert wf.metadata["general.name"] == "Tiny-Llama-Test"
    del cfg["_name_or_path"]
    (src / "config.json").write_text(json.dumps(cfg))
    mwt.quantize_file(src, out, "Q8_0")
    with mwt.open(out) as wf:  # no name in the config: the directory's
        assert wf.metadata["general.name"] == src.resolve().name


def test_hf_tokenizer_becomes_gguf_keys(tmp_path):
    """A checkpoint's tokenizer.json is written as tokenizer.ggml.* keys: gguf-py reads the
    vocabulary back, and the GGUF's tokenizer encodes as the Hugging Face one does."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    src = _tiny_llama(tmp_path / "hf", hidden=64, ffn=128, layers=1)
    hf = Tokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    text = ["the quick brown fox jumps over the lazy dog", "def f(x): return x * 2"] * 50
    hf.train_from_iterator(text, trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    hf.save(str(src / "tokenizer.json"))
    out = tmp_path / "q8.gguf"
    res = mwt.quantize_file(src, out, "Q8_0", threads=2)
    assert not any("tokenizer.ggml" in w for w in res.warnings), res.warnings
    r = gguf.GGUFReader(str(out))
    assert r.fields["tokenizer.ggml.model"].contents() == "gpt2"
    vocab = sorted(hf.get_vocab().items(), key=lambda kv: kv[1])
    assert r.fields["tokenizer.ggml.tokens"].contents() == [t for t, _ in vocab]
    tok = mwt.Tokenizer.from_file(out)
    for line in ("the lazy fox", "return x * 2  # done", "über naïve 🙂"):
        assert tok.encode(line, add_special_tokens=False) == hf.encode(line).ids
