"""Small random models of many transformers families, for the architecture-reconstruction tests
(test_architecture.py; issue 12). Not a test module.

Each family is a transformers config with small, mutually distinguishable sizes (hidden 64,
2-3 layers, 4 heads, 2 kv heads where the family has GQA, intermediate 176, vocab 257,
head_dim != hidden/heads where the family allows it). `build(name, root)` makes the model with a
fixed seed, saves it with save_pretrained(safe_serialization=True), moves config.json out of
the weights directory (the analysis must work from the weights alone) and, where gguf-py maps
the architecture, writes a GGUF (arch_files.py) with gguf-py's GGUFWriter under gguf-py's
TensorNameMap names, with the shape changes llama.cpp's converter makes (GPT-2 Conv1D weights
transposed, MoE experts stacked into one 3-D tensor per projection, DeepSeek-V2 kv_b_proj split
into k_b (transposed) and v_b, RoBERTa's position table without its padding_idx + 1 leading
rows) and the hparam keys the converter writes. The expected values come from the config object
and the torch model, never from mwt.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

HIDDEN, INTER, VOCAB = 64, 176, 257
DEC = dict(hidden_size=HIDDEN, intermediate_size=INTER, num_hidden_layers=3,
           num_attention_heads=4, num_key_value_heads=2, vocab_size=VOCAB,
           max_position_embeddings=512, bos_token_id=1, eos_token_id=2, pad_token_id=0)
LLAMA_FACTS = dict(norm="rmsnorm", qk_norm=False, position="rotary", attention_bias=False,
                   mlp_bias=False, fused_qkv=False, gated_mlp=True)
LN_FACTS = dict(norm="layernorm", qk_norm=False, gated_mlp=False)


@dataclass
class Spec:
    model_type: str                  # config.model_type: the family the analysis should name
    config: str                      # transformers config class
    model: str                       # transformers model class
    kw: Dict[str, Any]
    gguf_arch: Optional[str] = None  # gguf.MODEL_ARCH member, when gguf-py maps the family
    kind: str = "decoder"            # Architecture.model_type
    facts: Dict[str, Any] = field(default_factory=dict)   # config-independent expectations
    dims: Optional[Callable[[Any], Dict[str, Any]]] = None  # config -> expected sizes
    model_kw: Dict[str, Any] = field(default_factory=dict)  # model constructor arguments


def _dec_dims(c: Any) -> Dict[str, Any]:
    heads = c.num_attention_heads
    kv = getattr(c, "num_key_value_heads", None) or heads
    return dict(num_layers=c.num_hidden_layers, hidden_size=c.hidden_size, num_heads=heads,
                num_kv_heads=kv, head_dim=getattr(c, "head_dim", None) or c.hidden_size // heads,
                intermediate_size=getattr(c, "intermediate_size", None), vocab_size=c.vocab_size)


def _with(**over: Any) -> Callable[[Any], Dict[str, Any]]:
    """_dec_dims with some sizes read from other config attributes (callables of the config)."""
    def dims(c: Any) -> Dict[str, Any]:
        d = _dec_dims(c)
        d.update({k: (v(c) if callable(v) else v) for k, v in over.items()})
        return d
    return dims


def _moe(experts: str, shared: Callable[[Any], int], moe_inter: str,
         layers: Callable[[Any], List[int]],
         shared_inter: Optional[str] = None) -> Callable[[Any], Dict[str, Any]]:
    def dims(c: Any) -> Dict[str, Any]:
        d = _dec_dims(c)
        # A MoE layer has no dense MLP: config.intermediate_size is not in every layer's weights
        # (qwen2_moe/qwen3_moe: in none), so it is not an expectation; the expert width is.
        del d["intermediate_size"]
        d["moe"] = dict(num_experts=getattr(c, experts), num_shared_experts=shared(c),
                        experts_per_token=c.num_experts_per_tok,
                        moe_intermediate_size=getattr(c, moe_inter), moe_layers=layers(c))
        if shared_inter:
            d["shared_intermediate_size"] = getattr(c, shared_inter)
        return d
    return dims


def _encdec(layers: str, dec_layers: str, d_model: str, heads: str, ffn: str,
            head_dim: Optional[str] = None) -> Callable[[Any], Dict[str, Any]]:
    def dims(c: Any) -> Dict[str, Any]:
        h = getattr(c, heads)
        return dict(hidden_size=getattr(c, d_model), num_heads=h, num_kv_heads=h,
                    head_dim=getattr(c, head_dim) if head_dim else getattr(c, d_model) // h,
                    intermediate_size=getattr(c, ffn), vocab_size=c.vocab_size,
                    components={"encoder": getattr(c, layers), "decoder": getattr(c, dec_layers)})
    return dims


def _and(base: Callable[[Any], Dict[str, Any]], **over: Any) -> Callable[[Any], Dict[str, Any]]:
    def dims(c: Any) -> Dict[str, Any]:
        d = base(c)
        d.update({k: v(c) for k, v in over.items()})
        return d
    return dims


def _all_layers(c: Any) -> List[int]:
    return list(range(c.num_hidden_layers))


MOE = dict(num_local_experts=4, num_experts_per_tok=2)
SPECS: Dict[str, Spec] = {
    "llama": Spec("llama", "LlamaConfig", "LlamaForCausalLM", dict(DEC), "LLAMA",
                  facts=dict(LLAMA_FACTS, activation="silu")),
    # head_dim 24: q_proj has 96 rows for a hidden size of 64.
    "mistral": Spec("mistral", "MistralConfig", "MistralForCausalLM", dict(DEC, head_dim=24),
                    "LLAMA", facts=dict(LLAMA_FACTS, activation="silu")),
    "mixtral": Spec("mixtral", "MixtralConfig", "MixtralForCausalLM",
                    dict(DEC, num_hidden_layers=2, intermediate_size=96, **MOE), "LLAMA",
                    facts=dict(LLAMA_FACTS),
                    dims=_moe("num_local_experts", lambda c: 0, "intermediate_size",
                              _all_layers)),
    "qwen2": Spec("qwen2", "Qwen2Config", "Qwen2ForCausalLM",
                  dict(DEC, tie_word_embeddings=True), "QWEN2",
                  facts=dict(LLAMA_FACTS, attention_bias=True)),  # q/k/v biases
    "qwen2_moe": Spec("qwen2_moe", "Qwen2MoeConfig", "Qwen2MoeForCausalLM",
                      dict(DEC, num_hidden_layers=2, num_experts=4, num_experts_per_tok=2,
                           moe_intermediate_size=48, shared_expert_intermediate_size=80,
                           decoder_sparse_step=1, mlp_only_layers=[]), "QWEN2MOE",
                      facts=dict(LLAMA_FACTS, attention_bias=True),
                      dims=_moe("num_experts", lambda c: 1, "moe_intermediate_size",
                                _all_layers, "shared_expert_intermediate_size")),
    "qwen3": Spec("qwen3", "Qwen3Config", "Qwen3ForCausalLM", dict(DEC, head_dim=24), "QWEN3",
                  facts=dict(LLAMA_FACTS, qk_norm=True)),
    "qwen3_moe": Spec("qwen3_moe", "Qwen3MoeConfig", "Qwen3MoeForCausalLM",
                      dict(DEC, num_hidden_layers=2, head_dim=24, num_experts=4,
                           num_experts_per_tok=2, moe_intermediate_size=48,
                           decoder_sparse_step=1, mlp_only_layers=[]), "QWEN3MOE",
                      facts=dict(LLAMA_FACTS, qk_norm=True),
                      dims=_moe("num_experts", lambda c: 0, "moe_intermediate_size",
                                _all_layers)),
    "gemma": Spec("gemma", "GemmaConfig", "GemmaForCausalLM",
                  dict(DEC, head_dim=24, hidden_act="gelu_pytorch_tanh"), "GEMMA",
                  facts=dict(LLAMA_FACTS, activation="gelu_tanh")),
    "gemma2": Spec("gemma2", "Gemma2Config", "Gemma2ForCausalLM",
                   dict(DEC, head_dim=24, sliding_window=64), "GEMMA2", facts=dict(LLAMA_FACTS)),
    # Text-only Gemma 3; its config's model_type is "gemma3_text" (test_architecture.py accepts
    # "gemma3" for it too: the weights of a text-only Gemma 3 are Gemma 3's language model).
    "gemma3": Spec("gemma3_text", "Gemma3TextConfig", "Gemma3ForCausalLM",
                   dict(DEC, head_dim=24, sliding_window=64), "GEMMA3",
                   facts=dict(LLAMA_FACTS, qk_norm=True)),
    "phi": Spec("phi", "PhiConfig", "PhiForCausalLM",
                dict(DEC, num_key_value_heads=4, partial_rotary_factor=0.5), "PHI2",
                facts=dict(LN_FACTS, position="partial_rotary", attention_bias=True,
                           mlp_bias=True, fused_qkv=False, activation="gelu_tanh")),
    "phi3": Spec("phi3", "Phi3Config", "Phi3ForCausalLM", dict(DEC), "PHI3",
                 facts=dict(LLAMA_FACTS, fused_qkv=True)),
    "gpt2": Spec("gpt2", "GPT2Config", "GPT2LMHeadModel",
                 dict(n_embd=HIDDEN, n_layer=3, n_head=4, n_inner=INTER, n_positions=128,
                      vocab_size=VOCAB, bos_token_id=1, eos_token_id=2), "GPT2",
                 facts=dict(LN_FACTS, position="learned", attention_bias=True, mlp_bias=True,
                            fused_qkv=True, activation="gelu_tanh"),  # gelu_new
                 dims=_with(intermediate_size=lambda c: c.n_inner,
                            max_position_embeddings=lambda c: c.n_positions)),
    "gpt_neox": Spec("gpt_neox", "GPTNeoXConfig", "GPTNeoXForCausalLM",
                     dict(hidden_size=HIDDEN, intermediate_size=INTER, num_hidden_layers=2,
                          num_attention_heads=4, vocab_size=VOCAB, max_position_embeddings=256,
                          rotary_pct=0.25, tie_word_embeddings=False, bos_token_id=1,
                          eos_token_id=2), "GPTNEOX",
                     facts=dict(LN_FACTS, position="partial_rotary", attention_bias=True,
                                mlp_bias=True, fused_qkv=True)),
    "gptj": Spec("gptj", "GPTJConfig", "GPTJForCausalLM",
                 dict(n_embd=HIDDEN, n_layer=2, n_head=4, n_inner=INTER, n_positions=128,
                      rotary_dim=8, vocab_size=VOCAB, bos_token_id=1, eos_token_id=2), "GPTJ",
                 facts=dict(LN_FACTS, position="partial_rotary", attention_bias=False,
                            mlp_bias=True, fused_qkv=False),
                 dims=_with(intermediate_size=lambda c: c.n_inner)),
    "falcon": Spec("falcon", "FalconConfig", "FalconForCausalLM",
                   dict(hidden_size=HIDDEN, num_hidden_layers=2, num_attention_heads=4,
                        num_kv_heads=2, new_decoder_architecture=True, ffn_hidden_size=INTER,
                        vocab_size=VOCAB, max_position_embeddings=256, bias=False, alibi=False,
                        bos_token_id=1, eos_token_id=2), "FALCON",
                   facts=dict(LN_FACTS, position="rotary", attention_bias=False, mlp_bias=False,
                              fused_qkv=True),
                   dims=_with(num_kv_heads=lambda c: c.num_kv_heads,
                              head_dim=lambda c: c.hidden_size // c.num_attention_heads,
                              intermediate_size=lambda c: c.ffn_hidden_size)),
    "bloom": Spec("bloom", "BloomConfig", "BloomForCausalLM",
                  dict(hidden_size=HIDDEN, n_layer=2, n_head=4, vocab_size=VOCAB,
                       bos_token_id=1, eos_token_id=2, pad_token_id=0), "BLOOM",
                  facts=dict(LN_FACTS, position="alibi", attention_bias=True, mlp_bias=True,
                             fused_qkv=True),
                  dims=_with(intermediate_size=lambda c: 4 * c.hidden_size)),  # fixed 4x
    "opt": Spec("opt", "OPTConfig", "OPTForCausalLM",
                dict(hidden_size=HIDDEN, num_hidden_layers=2, ffn_dim=INTER,
                     num_attention_heads=4, vocab_size=VOCAB, max_position_embeddings=128,
                     word_embed_proj_dim=HIDDEN, bos_token_id=1, eos_token_id=2,
                     pad_token_id=0),
                facts=dict(LN_FACTS, position="learned", attention_bias=True, mlp_bias=True,
                           fused_qkv=False, activation="relu"),
                # OPT's position table has max_position_embeddings + 2 rows (offset 2).
                dims=_with(intermediate_size=lambda c: c.ffn_dim,
                           max_position_embeddings=lambda c: c.max_position_embeddings)),
    "starcoder2": Spec("starcoder2", "Starcoder2Config", "Starcoder2ForCausalLM",
                       dict(DEC, num_hidden_layers=2, use_bias=True), "STARCODER2",
                       facts=dict(LN_FACTS, position="rotary", attention_bias=True,
                                  mlp_bias=True, fused_qkv=False)),
    "olmo2": Spec("olmo2", "Olmo2Config", "Olmo2ForCausalLM", dict(DEC, num_hidden_layers=2),
                  "OLMO2", facts=dict(LLAMA_FACTS, qk_norm=True)),
    "deepseek_v2": Spec("deepseek_v2", "DeepseekV2Config", "DeepseekV2ForCausalLM",
                        dict(DEC, num_hidden_layers=2, num_key_value_heads=4, q_lora_rank=40,
                             kv_lora_rank=32, qk_rope_head_dim=8, qk_nope_head_dim=16,
                             v_head_dim=12, head_dim=8, n_routed_experts=4, n_shared_experts=1,
                             moe_intermediate_size=48, first_k_dense_replace=1,
                             num_experts_per_tok=2, n_group=1, topk_group=1), "DEEPSEEK2",
                        # No "position": MLA's rope is a separate qk_rope_head_dim part of
                        # each head (decoupled RoPE); "rotary" or "partial_rotary" is naming,
                        # while rotary_dim (qk_rope_head_dim) is the fact, and is checked.
                        facts={k: v for k, v in LLAMA_FACTS.items() if k != "position"},
                        dims=_moe("n_routed_experts", lambda c: c.n_shared_experts,
                                  "moe_intermediate_size",
                                  lambda c: list(range(c.first_k_dense_replace,
                                                       c.num_hidden_layers)))),
    # Encoders without a pooler: llama.cpp's BERT converter drops the pooler, and the two
    # files should hold the same model.
    "bert": Spec("bert", "BertConfig", "BertModel",
                 dict(hidden_size=HIDDEN, num_hidden_layers=2, num_attention_heads=4,
                      intermediate_size=INTER, vocab_size=VOCAB, max_position_embeddings=128,
                      type_vocab_size=2, pad_token_id=0), "BERT", kind="encoder",
                 facts=dict(LN_FACTS, position="learned", attention_bias=True, mlp_bias=True,
                            fused_qkv=False),
                 dims=_with(max_position_embeddings=lambda c: c.max_position_embeddings,
                            components=lambda c: {"encoder": c.num_hidden_layers}),
                 model_kw=dict(add_pooling_layer=False)),
    "roberta": Spec("roberta", "RobertaConfig", "RobertaModel",
                    dict(hidden_size=HIDDEN, num_hidden_layers=2, num_attention_heads=4,
                         intermediate_size=INTER, vocab_size=VOCAB, max_position_embeddings=130,
                         type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2),
                    "BERT", kind="encoder",
                    facts=dict(LN_FACTS, position="learned", attention_bias=True, mlp_bias=True,
                               fused_qkv=False),
                    dims=_with(max_position_embeddings=lambda c: c.max_position_embeddings,
                               components=lambda c: {"encoder": c.num_hidden_layers}),
                    model_kw=dict(add_pooling_layer=False)),
    # T5 v1.1 style: gated-gelu, untied head; d_kv 24 != 64 / 4.
    "t5": Spec("t5", "T5Config", "T5ForConditionalGeneration",
               dict(d_model=HIDDEN, d_kv=24, d_ff=INTER, num_layers=2, num_decoder_layers=3,
                    num_heads=4, vocab_size=VOCAB, feed_forward_proj="gated-gelu",
                    tie_word_embeddings=False, relative_attention_num_buckets=16,
                    decoder_start_token_id=0, pad_token_id=0, eos_token_id=1), "T5",
               kind="encoder-decoder",
               facts=dict(norm="rmsnorm", qk_norm=False, position="relative_bias",
                          attention_bias=False, mlp_bias=False, fused_qkv=False, gated_mlp=True),
               dims=_encdec("num_layers", "num_decoder_layers", "d_model", "num_heads", "d_ff",
                            "d_kv")),
    "whisper": Spec("whisper", "WhisperConfig", "WhisperForConditionalGeneration",
                    dict(d_model=HIDDEN, encoder_layers=2, decoder_layers=3,
                         encoder_attention_heads=4, decoder_attention_heads=4,
                         encoder_ffn_dim=INTER, decoder_ffn_dim=INTER, vocab_size=VOCAB,
                         num_mel_bins=16, max_source_positions=32, max_target_positions=64,
                         pad_token_id=0, bos_token_id=1, eos_token_id=2,
                         decoder_start_token_id=1, begin_suppress_tokens=None,
                         suppress_tokens=None),
                    kind="encoder-decoder",
                    # attention_bias not expected: whisper's k_proj has no bias, q/v/out do.
                    facts=dict(LN_FACTS, position="learned", mlp_bias=True, fused_qkv=False),
                    dims=_encdec("encoder_layers", "decoder_layers", "d_model",
                                 "decoder_attention_heads", "decoder_ffn_dim")),
    "bart": Spec("bart", "BartConfig", "BartForConditionalGeneration",
                 dict(d_model=HIDDEN, encoder_layers=2, decoder_layers=3,
                      encoder_attention_heads=4, decoder_attention_heads=4,
                      encoder_ffn_dim=INTER, decoder_ffn_dim=INTER, vocab_size=VOCAB,
                      max_position_embeddings=128, pad_token_id=1, bos_token_id=0,
                      eos_token_id=2, decoder_start_token_id=2, forced_eos_token_id=2),
                 kind="encoder-decoder",
                 facts=dict(LN_FACTS, position="learned", attention_bias=True, mlp_bias=True,
                            fused_qkv=False),
                 # BART's position tables have max_position_embeddings + 2 rows (offset 2).
                 dims=_and(_encdec("encoder_layers", "decoder_layers", "d_model",
                                   "decoder_attention_heads", "decoder_ffn_dim"),
                           max_position_embeddings=lambda c: c.max_position_embeddings)),
}


def _rotary_dim(name: str, c: Any, head_dim: Optional[int]) -> Optional[int]:
    """How many dimensions of a head rotate, from the config (None: no rotary embedding)."""
    rope = getattr(c, "rope_parameters", None) or {}
    if name == "phi":
        return int(head_dim * (rope.get("partial_rotary_factor") or c.partial_rotary_factor))
    if name == "gpt_neox":
        pct = rope.get("partial_rotary_factor") or getattr(c, "rotary_pct", None)
        return int(head_dim * pct)
    if name == "gptj":
        return c.rotary_dim
    if name == "deepseek_v2":
        return c.qk_rope_head_dim
    return head_dim if ALL_SPECS[name].facts.get("position") == "rotary" else None


@dataclass
class Built:
    """One family's files and what they should say."""

    name: str
    spec: Spec
    st_dir: Path                 # safetensors written by save_pretrained, without config.json
    config_json: Path            # the config.json save_pretrained wrote, kept aside
    config: Dict[str, Any]       # its contents
    expected: Dict[str, Any]     # field -> value for the safetensors directory
    params: int                  # sum(p.numel() for p in model.parameters())
    st_names: List[str]          # tensor names in the safetensors file
    buffers_in_file: List[str]   # saved tensors that are not parameters (persistent buffers)
    gguf: Optional[Path] = None
    expected_gguf: Dict[str, Any] = field(default_factory=dict)
    params_gguf: int = 0
    stated_gguf: Dict[str, Any] = field(default_factory=dict)   # field -> (key, value) written
    gguf_names: Dict[str, str] = field(default_factory=dict)    # on-disk HF name -> GGUF name
    seconds: float = 0.0


def _expected(name: str, cfg: Any, model: Any) -> Dict[str, Any]:
    spec = ALL_SPECS[name]
    exp = dict(spec.facts)
    exp.update((spec.dims or _dec_dims)(cfg))
    exp["kind"] = spec.kind
    if "num_layers" not in exp and "components" not in exp:
        exp["num_layers"] = cfg.num_hidden_layers
    if spec.kind == "decoder" and "num_layers" not in exp:
        exp["num_layers"] = cfg.num_hidden_layers
    if name == "deepseek_v2":
        # MLA heads have no single head_dim (q/k heads are nope + rope wide, v heads v_head_dim)
        # and no kv heads of their own (k and v come from the shared compressed KV; the
        # config's num_key_value_heads is unused, the GGUF converter writes 1).
        exp.pop("head_dim", None)
        exp.pop("num_kv_heads", None)
        exp["mla"] = dict(q_lora_rank=cfg.q_lora_rank, kv_lora_rank=cfg.kv_lora_rank,
                          qk_rope_head_dim=cfg.qk_rope_head_dim,
                          qk_nope_head_dim=cfg.qk_nope_head_dim, v_head_dim=cfg.v_head_dim)
    rd = _rotary_dim(name, cfg, exp.get("head_dim"))
    if rd is not None:
        exp["rotary_dim"] = rd
    out, inp = model.get_output_embeddings(), model.get_input_embeddings()
    if out is not None and inp is not None:
        # Tied: the head is the very embedding tensor (what save_pretrained then writes once).
        exp["tied_embeddings"] = out.weight.data_ptr() == inp.weight.data_ptr()
    exp["family"] = spec.model_type
    return exp


# ------------------------------------------------------------------------------ build

def build(name: str, root: Path, seed: int = 0) -> Built:
    """Build family `name` under root/name (safetensors dir, config kept aside, GGUF)."""
    import torch
    import transformers
    from safetensors import safe_open

    t0 = time.perf_counter()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    spec = ALL_SPECS[name]
    cfg = getattr(transformers, spec.config)(**spec.kw)
    torch.manual_seed(seed)
    model = getattr(transformers, spec.model)(cfg, **spec.model_kw).eval()
    out = root / name
    st_dir = out / "safetensors"
    model.save_pretrained(str(st_dir), safe_serialization=True)
    aside = out / "config.json"
    shutil.move(str(st_dir / "config.json"), str(aside))
    for extra in ("generation_config.json",):
        (st_dir / extra).unlink(missing_ok=True)
    names: List[str] = []
    for f in sorted(st_dir.glob("*.safetensors")):
        with safe_open(str(f), "np") as sf:
            names.extend(sf.keys())
    pnames = {n for n, _ in model.named_parameters(remove_duplicate=False)}
    buffers = set(model.state_dict()) - pnames
    b = Built(name=name, spec=spec, st_dir=st_dir, config_json=aside,
              config=json.loads(aside.read_text()), expected=_expected(name, cfg, model),
              params=sum(p.numel() for p in model.parameters()), st_names=sorted(names),
              buffers_in_file=sorted(n for n in names if n in buffers))
    b.expected["parameter_count"] = b.params
    if spec.gguf_arch:
        from arch_files import write_gguf

        # In a directory of its own: the config.json kept aside must not sit beside it.
        (out / "gguf").mkdir()
        write_gguf(b, cfg, out / "gguf" / f"{name}.gguf")
        b.expected_gguf["parameter_count"] = b.params_gguf
    b.seconds = time.perf_counter() - t0
    return b


FAMILIES = list(SPECS)
# A llama wide enough for K-quants (rows of 256) and GPTQ/AWQ groups of 128: the source of the
# quantized files of test_architecture.py.
QUANT_SOURCE = "llama_q"
ALL_SPECS: Dict[str, Spec] = dict(SPECS, llama_q=Spec(
    "llama", "LlamaConfig", "LlamaForCausalLM",
    dict(DEC, hidden_size=256, intermediate_size=512, num_hidden_layers=2, head_dim=64,
         vocab_size=320), "LLAMA", facts=dict(LLAMA_FACTS, activation="silu")))


if __name__ == "__main__":  # python tests/python/arch_models.py DIR: build all, print a summary
    import sys
    import tempfile

    root = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp())
    t_all = time.perf_counter()
    for n in FAMILIES:
        bb = build(n, root)
        print(f"{n:12s} {bb.seconds:5.2f}s params={bb.params} gguf={bb.params_gguf} "
              f"buffers={bb.buffers_in_file}")
    print(f"total {time.perf_counter() - t_all:.1f}s")
