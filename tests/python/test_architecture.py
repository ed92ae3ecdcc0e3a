"""Architecture reconstruction (issue 12): `mwt.analyze(path).to_dict()` of small random models
of many transformers families (tests/python/arch_models.py), each as a safetensors directory
without its config.json and, where gguf-py maps the family, as a GGUF written with gguf-py.

What the weights decide (source "shapes") must equal the config; what they cannot decide is
"inferred" (the config's value among the candidates when candidates are given) or
"undetermined", never a wrong value under "shapes". A GGUF's hparam keys appear as "stated"
entries without disagreements. parameter_count.total is exactly the torch model's
sum(p.numel() for p in model.parameters()). The oracles are transformers' configs and models and
gguf-py; nothing here is a number mwt computed.
"""

from __future__ import annotations

import json
import shutil
import time

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("safetensors")
gguf = pytest.importorskip("gguf")
mwt = pytest.importorskip("mwt")

import arch_files  # noqa: E402  (after the skips: they need torch, transformers and gguf)
import arch_models as A  # noqa: E402

# The API lands from helpers h-arch (C++ analysis) and h-py (mwt.analyze, mwt.names); until then
# these tests are skipped, not failed.
needs_analyze = pytest.mark.skipif(not hasattr(mwt, "analyze"),
                                   reason="mwt.analyze is not in this build yet (issue 12)")
needs_names = pytest.mark.skipif(not hasattr(mwt, "names"),
                                 reason="mwt.names is not in this build yet (issue 12)")

SOURCES = {"shapes", "metadata", "config.json", "inferred", "undetermined"}
GGUF_FAMILIES = [n for n in A.FAMILIES if A.SPECS[n].gguf_arch]
# model_type spellings that name the same weights: a text-only Gemma 3 is Gemma 3's language
# model, so "gemma3" names it as well as its config's "gemma3_text".
ALIASES = {"gemma3_text": {"gemma3"}}
# Fields the weights of every family here decide (a tensor count, a row count, the presence of
# a tensor): reporting them as anything but "shapes" is a miss, not caution.
DECIDED = ("num_layers", "hidden_size", "vocab_size", "intermediate_size", "qk_norm", "fused_qkv",
           "moe.num_experts", "moe.moe_intermediate_size", "mla.kv_lora_rank", "mla.q_lora_rank")
# Per family, more fields the shapes decide:
#  qwen3/qwen3_moe/gemma3: q_norm/k_norm are [head_dim], so heads = q rows / head_dim and
#    kv heads = k rows / head_dim;
#  t5: relative_attention_bias is [buckets, heads], then head_dim = q rows / heads;
#  deepseek_v2: with r = rope (kv_a rows - kv_a_layernorm width), v = o_proj in / H,
#    H * nope = kv_b rows - o_proj in, H * (nope + r) = q_b rows, so H = (q_b - kv_b + o_in) / r.
DECIDED_BY_FAMILY = {
    "qwen3": ("num_heads", "num_kv_heads", "head_dim"),
    "qwen3_moe": ("num_heads", "num_kv_heads", "head_dim"),
    "gemma3": ("num_heads", "num_kv_heads", "head_dim"),
    "t5": ("num_heads", "head_dim"),
    "deepseek_v2": ("num_heads", "mla.qk_rope_head_dim", "mla.qk_nope_head_dim",
                    "mla.v_head_dim"),
}
# Fields compared between a float model and its quantized copies.
SAME_ARCH = ("family", "num_layers", "hidden_size", "num_heads", "num_kv_heads", "head_dim",
             "intermediate_size", "vocab_size", "tied_embeddings", "norm", "qk_norm", "position",
             "attention_bias", "mlp_bias", "fused_qkv", "gated_mlp")


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Every family built once per session (about 5 s for all on 2 cores, most of it importing
    transformers and making the first model)."""
    root = tmp_path_factory.mktemp("arch_models")
    t0 = time.perf_counter()
    out = {n: A.build(n, root) for n in A.FAMILIES}
    out["_seconds"] = time.perf_counter() - t0
    return out


@pytest.fixture(scope="session")
def quantized(tmp_path_factory):
    """The float llama_q (safetensors + GGUF), GPTQ and AWQ packings of its safetensors, and
    mwt's Q4_K_M of its GGUF."""
    root = tmp_path_factory.mktemp("arch_quant")
    b = A.build(A.QUANT_SOURCE, root)
    files = {"float": b.st_dir, "float_gguf": b.gguf,
             "gptq": arch_files.write_gptq_awq(b, "gptq", root / "gptq"),
             "awq": arch_files.write_gptq_awq(b, "awq", root / "awq")}
    if hasattr(mwt, "quantize_file"):
        files["q4_k_m"] = root / "q4km.gguf"
        mwt.quantize_file(str(b.gguf), str(files["q4_k_m"]), "Q4_K_M", threads=2)
    return b, files


def analyze(path, **kw):
    return mwt.analyze(str(path), **kw).to_dict()


def field(arch, name):
    """The Value of `name` ("moe.num_experts" reaches into the moe object), or None when the
    object holding it is null (no moe / no mla)."""
    node = arch
    for part in name.split("."):
        if node is None:
            return None
        node = node[part]
    return node


def where(name, kind):
    return f"{name}/{kind}"


def check_value(tag, fname, v, expected):
    """The contract's rule for one field whose right value is known."""
    src = v["source"]
    got = v["value"]
    msg = f"{tag}: field {fname}: expected {expected!r}, got {got!r} (source {src}): {v['how']}"
    if src == "shapes":
        assert got == expected, msg
    elif src in ("metadata", "config.json"):
        # A stated value is used only when the weights cannot decide; our files state truth.
        assert got == expected, msg
    elif src == "inferred":
        if v.get("candidates"):
            assert expected in v["candidates"], msg + f"; candidates {v['candidates']}"
    else:
        assert src == "undetermined" and got is None, msg


def check_all(tag, arch, expected, family):
    flat = {k: v for k, v in expected.items()
            if k not in ("moe", "mla", "components", "kind", "family", "parameter_count",
                         "shared_intermediate_size")}
    for sub in ("moe", "mla"):
        for k, v in expected.get(sub, {}).items():
            flat[f"{sub}.{k}"] = v
    for fname, want in flat.items():
        v = field(arch, fname)
        assert v is not None, f"{tag}: field {fname}: expected {want!r}, got no value"
        if not isinstance(v, dict):
            # A plain member (moe.moe_layers is a list of layer indices in the contract).
            assert v == want, f"{tag}: field {fname}: expected {want!r}, got {v!r}"
            continue
        check_value(tag, fname, v, want)
    for fname in DECIDED + DECIDED_BY_FAMILY.get(family, ()):
        if fname in flat:
            v = field(arch, fname)
            assert v["source"] in ("shapes", "metadata"), (
                f"{tag}: field {fname}: expected {flat[fname]!r} from the shapes, got "
                f"{v['value']!r} (source {v['source']}): {v['how']}")
    for sub in ("moe", "mla"):
        if sub not in expected:
            assert arch[sub] is None, f"{tag}: field {sub}: expected null, got {arch[sub]}"
        else:
            assert arch[sub] is not None, f"{tag}: field {sub}: expected an object, got null"


def check_components(tag, arch, expected):
    names = {c["name"]: c for c in arch["components"]}
    for comp, layers in expected.get("components", {}).items():
        # Whisper's encoder is an audio encoder; the contract has a name for that too.
        alt = {"encoder": ("encoder", "audio_encoder")}.get(comp, (comp,))
        found = [names[n] for n in alt if n in names]
        assert found, f"{tag}: component {comp}: expected {layers} layers, got {sorted(names)}"
        assert found[0]["num_layers"] == layers, (
            f"{tag}: component {comp}: num_layers expected {layers}, got {found[0]['num_layers']}")


def check_family(tag, arch, model_type):
    fam = arch["family"]
    ok = {model_type} | ALIASES.get(model_type, set())
    named = {fam["value"], *(fam.get("candidates") or [])}
    # A llama-named file of a mistral (same tensor names) has "mistral" among the candidates.
    assert ok & named, (f"{tag}: field family: expected {model_type}, got {fam['value']!r} "
                        f"(source {fam['source']}, candidates {fam.get('candidates')})")


def walk_values(tag, node, path=""):
    """Every Value object: a known source, a `how`, null exactly when undetermined."""
    if isinstance(node, dict) and "source" in node and "value" in node:
        assert node["source"] in SOURCES, f"{tag}: {path}: source {node['source']!r}"
        assert isinstance(node.get("how"), str) and node["how"], f"{tag}: {path}: no how"
        if node["source"] == "undetermined":
            assert node["value"] is None, f"{tag}: {path}: undetermined with a value"
        return
    if isinstance(node, dict):
        for k, v in node.items():
            if k not in ("parameter_count", "components", "disagreements", "notes"):
                walk_values(tag, v, f"{path}.{k}")


# ------------------------------------------------------------------------------ fixtures

def test_fixture_models_match_their_configs(built):
    """The fixtures themselves: every family was built, the GGUFs hold every parameter (the
    converter's dropped RoBERTa rows aside) and the build stays fast."""
    assert built["_seconds"] < 60, built["_seconds"]
    for name in A.FAMILIES:
        b = built[name]
        if b.gguf is not None:
            dropped = 2 * b.config["hidden_size"] if name == "roberta" else 0
            assert b.params_gguf == b.params - dropped, name
        assert b.config["model_type"] == A.SPECS[name].model_type
    assert len(A.FAMILIES) >= 25 and len(GGUF_FAMILIES) >= 20


# ------------------------------------------------------------------------------ per family

@needs_analyze
@pytest.mark.parametrize("name", A.FAMILIES)
def test_safetensors_without_config(built, name):
    b = built[name]
    tag = where(name, "safetensors")
    arch = analyze(b.st_dir)
    assert arch["schema"] == 1
    assert arch["naming"] == "hf", tag
    walk_values(tag, arch)
    assert arch["model_type"] == b.expected["kind"], (
        f"{tag}: field model_type: expected {b.expected['kind']}, got {arch['model_type']}")
    check_family(tag, arch, b.spec.model_type)
    check_all(tag, arch, b.expected, name)
    check_components(tag, arch, b.expected)
    pc = arch["parameter_count"]
    # Exact: parameters once each (tied heads once), persistent buffers such as BART's
    # final_logits_bias (in the file, not a parameter) not counted.
    assert pc["total"] == b.params, (
        f"{tag}: field parameter_count.total: expected {b.params}, got {pc['total']} "
        f"(buffers in the file: {b.buffers_in_file}): {pc.get('how')}")
    assert pc["embedding"] + pc["non_embedding"] == pc["total"], tag
    # No config.json beside the weights: nothing to disagree with.
    assert arch["disagreements"] == [], f"{tag}: disagreements {arch['disagreements']}"


@needs_analyze
@pytest.mark.parametrize("name", GGUF_FAMILIES)
def test_gguf(built, name):
    b = built[name]
    tag = where(name, "gguf")
    arch = analyze(b.gguf)
    assert arch["naming"] == "gguf", tag
    walk_values(tag, arch)
    assert arch["model_type"] == b.expected["kind"], tag
    check_family(tag, arch, b.spec.model_type)
    check_all(tag, arch, b.expected_gguf, name)
    check_components(tag, arch, b.expected_gguf)
    pc = arch["parameter_count"]
    # Exact against the tensors the converter writes: the torch total, less the RoBERTa
    # position rows the converter drops (arch_models._converter_tensors).
    assert pc["total"] == b.params_gguf, (
        f"{tag}: field parameter_count.total: expected {b.params_gguf}, got {pc['total']}: "
        f"{pc.get('how')}")
    assert arch["disagreements"] == [], f"{tag}: disagreements {arch['disagreements']}"


# GGUF keys whose Architecture field is not the key's plain value: the MLA converter writes
# head_count_kv 1 and key/value lengths of the compressed KV (DeepSeek-V2 has 4 kv heads);
# T5's block_count is the encoder's (checked through components); DeepSeek-V2's
# feed_forward_length is its leading dense layer's width, not one for every layer.
NOT_A_FIELD = {"deepseek_v2": {"num_kv_heads", "intermediate_size"}, "t5": {"num_layers"}}


@needs_analyze
@pytest.mark.parametrize("name", GGUF_FAMILIES)
def test_gguf_stated_values(built, name):
    """Each hparam key written maps to its field's `stated` list, with its key and value."""
    b = built[name]
    tag = where(name, "gguf")
    arch = analyze(b.gguf)
    for fname, (key, value) in b.stated_gguf.items():
        if fname in NOT_A_FIELD.get(name, ()):
            continue
        try:
            v = field(arch, fname)
        except KeyError:
            continue  # a key with no field of its own (head_dim_v, leading_dense, ...)
        assert v is not None, f"{tag}: field {fname}: expected stated {key} = {value}, got null"
        stated = [s for s in v.get("stated", []) if s["source"] == "metadata"]
        assert {"source": "metadata", "key": key, "value": value} in stated, (
            f"{tag}: field {fname}: expected stated {key} = {value}, got {v.get('stated')} "
            f"(value {v['value']!r}, source {v['source']})")


# ------------------------------------------------------------------------------ quantized

def test_quantized_fixtures(quantized):
    """The packed copies are what they claim to be (mwt's scheme detection, tested against the
    tools' layouts in test_scheme_detect.py) and the Q4_K_M file has Q4_K tensors."""
    _, files = quantized
    for kind, scheme in (("gptq", "GPTQ"), ("awq", "AWQ")):
        q = mwt.open(str(files[kind] / "model.safetensors")).quantization
        assert q["scheme"] == scheme, q
        assert q["methods"][0]["modules"] == 2 * len(arch_files.LINEARS)
    with mwt.open(str(files["q4_k_m"])) as wf:
        types = {t.dtype for t in wf.tensors.values()}
    assert "Q4_K" in types and "Q6_K" in types, types


@needs_analyze
@pytest.mark.parametrize("kind", ["gptq", "awq", "q4_k_m"])
def test_quantized_copies_have_the_float_architecture(quantized, kind):
    b, files = quantized
    if kind not in files:
        pytest.skip("mwt.quantize_file is missing")
    ref = analyze(files["float_gguf" if kind == "q4_k_m" else "float"], config=False)
    # config=False: the AWQ directory has the model's config.json; the comparison is about
    # what the packed weights say.
    arch = analyze(files[kind], config=False)
    tag = where(A.QUANT_SOURCE, kind)
    for fname in SAME_ARCH:
        a, r = arch[fname], ref[fname]
        assert a["value"] == r["value"], (
            f"{tag}: field {fname}: expected {r['value']!r} (as the float file, source "
            f"{r['source']}), got {a['value']!r} (source {a['source']}): {a['how']}")
    check_all(tag, arch, b.expected, A.QUANT_SOURCE)
    pc = arch["parameter_count"]
    # Logical elements: packed int32 words decoded to 8 weights each, K-quant blocks to 256.
    assert pc["total"] == b.params, (
        f"{tag}: field parameter_count.total: expected {b.params}, got {pc['total']}: "
        f"{pc.get('how')}")
    if kind in ("gptq", "awq"):
        # scales / qzeros (/ g_idx) exist and are not parameters of the model.
        assert pc["quantization_aux"] > 0, f"{tag}: quantization_aux {pc['quantization_aux']}"
    else:
        assert "Q4_K" in pc["by_dtype"], f"{tag}: by_dtype {pc['by_dtype']}"
    assert sum(pc["by_dtype"].values()) == pc["total"], f"{tag}: by_dtype {pc['by_dtype']}"


@needs_analyze
def test_awq_config_json_agrees(quantized):
    """The AWQ directory's config.json is the model's own: no disagreement with the weights."""
    _, files = quantized
    arch = analyze(files["awq"])
    assert arch["disagreements"] == [], arch["disagreements"]


# ------------------------------------------------------------------------------ config.json

def _with_config(b, tmp_path, **changes):
    d = tmp_path / b.name
    shutil.copytree(b.st_dir, d)
    cfg = dict(b.config, **changes)
    (d / "config.json").write_text(json.dumps(cfg))
    return d


@needs_analyze
def test_config_json_contradicting_the_weights(built, tmp_path):
    """qwen3 (its per-head q_norm makes heads and kv heads shape facts): a config.json with
    other layer, head, kv-head and vocabulary counts is reported field by field, and the
    weights' values stand."""
    b = built["qwen3"]
    e = b.expected
    stated = dict(num_hidden_layers=e["num_layers"] + 1, num_attention_heads=e["num_heads"] * 2,
                  num_key_value_heads=1, vocab_size=e["vocab_size"] + 43)
    arch = analyze(_with_config(b, tmp_path, **stated))
    got = {d["field"]: d for d in arch["disagreements"]}
    want = {"num_layers": ("num_hidden_layers", e["num_layers"]),
            "num_heads": ("num_attention_heads", e["num_heads"]),
            "num_kv_heads": ("num_key_value_heads", e["num_kv_heads"]),
            "vocab_size": ("vocab_size", e["vocab_size"])}
    for fname, (key, weights) in want.items():
        tag = where("qwen3", "safetensors+config.json")
        assert fname in got, f"{tag}: field {fname}: no disagreement in {arch['disagreements']}"
        d = got[fname]
        assert (d["weights"], d["stated"], d["source"], d["key"]) == (
            weights, stated[key], "config.json", key), f"{tag}: {d}"
        v = arch[fname]
        assert (v["value"], v["source"]) == (weights, "shapes"), f"{tag}: field {fname}: {v}"
        assert {"source": "config.json", "key": key, "value": stated[key]} in v["stated"], v


@needs_analyze
@pytest.mark.parametrize("name", A.FAMILIES)
def test_safetensors_with_own_config(built, tmp_path, name):
    """Each family with its own config.json back beside the weights: nothing disagrees (the
    config and the weights are one model), and no field is wrong whatever its source."""
    b = built[name]
    tag = where(name, "safetensors+config.json")
    arch = analyze(_with_config(b, tmp_path))
    assert arch["disagreements"] == [], f"{tag}: disagreements {arch['disagreements']}"
    walk_values(tag, arch)
    check_family(tag, arch, b.spec.model_type)
    check_all(tag, arch, b.expected, name)
    assert arch["parameter_count"]["total"] == b.params, tag


@needs_analyze
def test_gguf_metadata_contradicting_the_tensors(built, tmp_path):
    """The same for a GGUF whose hparam keys contradict its tensors: disagreements from
    "metadata" with the keys' names, and the tensors' values stand."""
    import dataclasses

    import transformers

    b = dataclasses.replace(built["qwen3"], gguf_names={})
    e = b.expected
    cfg = getattr(transformers, b.spec.config)(**b.spec.kw)
    stated = {"num_layers": e["num_layers"] + 1, "num_heads": e["num_heads"] * 2,
              "num_kv_heads": 1, "vocab_size": e["vocab_size"] + 43}
    path = tmp_path / "qwen3-contradicting.gguf"
    arch_files.write_gguf(b, cfg, path, overrides=stated)
    arch = analyze(path)
    got = {d["field"]: d for d in arch["disagreements"]}
    tag = where("qwen3", "gguf-contradicting")
    for fname, value in stated.items():
        key = b.stated_gguf[fname][0]
        assert fname in got, f"{tag}: field {fname}: no disagreement in {arch['disagreements']}"
        assert (got[fname]["weights"], got[fname]["stated"], got[fname]["source"],
                got[fname]["key"]) == (e[fname], value, "metadata", key), f"{tag}: {got[fname]}"
        v = arch[fname]
        assert (v["value"], v["source"]) == (e[fname], "shapes"), f"{tag}: field {fname}: {v}"


@needs_analyze
def test_config_json_agreeing(built, tmp_path):
    """The model's own config.json beside its weights: stated entries, no disagreement."""
    b = built["llama"]
    arch = analyze(_with_config(b, tmp_path))
    assert arch["disagreements"] == [], arch["disagreements"]
    v = arch["num_layers"]
    assert {"source": "config.json", "key": "num_hidden_layers",
            "value": b.expected["num_layers"]} in v["stated"], v
    # The weights cannot tell llama heads from head_dim; the config states them.
    assert arch["num_heads"]["value"] == b.expected["num_heads"], arch["num_heads"]


@needs_analyze
def test_config_ignored_when_asked(built, tmp_path):
    b = built["qwen3"]
    d = _with_config(b, tmp_path, num_hidden_layers=b.expected["num_layers"] + 1)
    assert analyze(d, config=False)["disagreements"] == []
    assert [x["field"] for x in analyze(d)["disagreements"]] == ["num_layers"]


# ------------------------------------------------------------------------------ names

def _family_arg(model_type):
    fams = set(mwt.names.families())
    if model_type in fams:
        return model_type
    alias = [a for a in ALIASES.get(model_type, ()) if a in fams]
    return alias[0] if alias else model_type


@needs_names
@pytest.mark.parametrize("name", GGUF_FAMILIES)
def test_names_match_gguf_py(built, name):
    """mwt.names.to_gguf equals gguf-py's TensorNameMap for every tensor of the model that
    gguf-py maps by its own name (the merged expert tensors and the k_b/v_b halves of
    DeepSeek's kv_b_proj are the converter's products, not names in the file), and to_hf maps
    each GGUF name back to an HF name that maps to it."""
    b = built[name]
    fam = _family_arg(b.spec.model_type)
    by_gguf = {}
    for hf, g in b.gguf_names.items():
        by_gguf.setdefault(g, []).append(hf)
    assert b.gguf_names, name
    for hf, g in sorted(b.gguf_names.items()):
        got = mwt.names.to_gguf(hf, fam)
        assert got == g, f"{name}/names: to_gguf({hf!r}, {fam!r}): expected {g!r}, got {got!r}"
    for g, hfs in sorted(by_gguf.items()):
        back = mwt.names.to_hf(g, fam)
        # A family's table may hold several HF spellings of one GGUF tensor (T5 v1.0's
        # DenseReluDense.wi and v1.1's wi_1 are both ffn_up), and to_hf, given no file, may
        # answer any of them: the check is that the answer maps back to the same GGUF name.
        assert back is not None and mwt.names.to_gguf(back, fam) == g, (
            f"{name}/names: to_hf({g!r}): expected a name mapping back to it such as {hfs[0]!r}, "
            f"got {back!r}")


@needs_names
def test_names_unknown():
    assert mwt.names.to_gguf("not.a.tensor.name", "llama") is None
    assert mwt.names.to_hf("blk.0.not_a_tensor.weight", "llama") is None
    assert "llama" in mwt.names.families()
