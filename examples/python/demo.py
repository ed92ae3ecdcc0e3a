"""`make demo`: build a tiny random LLaMA with transformers, save it as safetensors, convert it to
GGUF with mwt's own writer (llama.cpp names, keys and Q/K layout), then `mwt inspect` both.

Usage: python examples/python/demo.py [--out DIR] [--dtype F16|F32|BF16]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def build_tiny_llama(out_dir: Path, seed: int = 0) -> Path:
    """Random-weight LLaMA (GQA, 4 layers, ~1 M parameters) saved with save_pretrained."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=1024, hidden_size=128, intermediate_size=352,
                         num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=4,
                         max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=10000.0)
    model = LlamaForCausalLM(config)
    model.save_pretrained(str(out_dir), safe_serialization=True)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo-out"),
                        help="output directory (default: ./demo-out)")
    parser.add_argument("--dtype", default="F16", choices=["F16", "F32", "BF16"],
                        help="GGUF storage type for matrices (default: F16)")
    args = parser.parse_args(argv)

    from mwt.cli import main as mwt_cli
    from mwt.convert_hf import hf_llama_to_gguf

    args.out.mkdir(parents=True, exist_ok=True)
    hf_dir = args.out / "tiny-llama-hf"
    gguf_path = args.out / f"tiny-llama-{args.dtype}.gguf"

    t0 = time.perf_counter()
    build_tiny_llama(hf_dir)
    t1 = time.perf_counter()
    hf_llama_to_gguf(hf_dir, gguf_path, dtype=args.dtype, name="tiny-llama")
    t2 = time.perf_counter()
    print(f"built {hf_dir} in {t1 - t0:.2f} s; converted to {gguf_path} in {t2 - t1:.2f} s\n",
          flush=True)

    status = 0
    for path in (hf_dir / "model.safetensors", gguf_path):
        print(f"$ mwt inspect {path}", flush=True)
        status |= mwt_cli(["inspect", str(path)])
        print(flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
