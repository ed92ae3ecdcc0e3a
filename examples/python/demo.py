"""`make demo`: build a tiny random LLaMA with transformers, save it as safetensors, convert it to
GGUF with mwt's own writer (llama.cpp names, keys and Q/K layout), then `mwt inspect` both;
finally `mwt quantize --type Q4_K_M` and inspect the result's quantization scheme.

Usage: python examples/python/demo.py [--out DIR] [--dtype F16|F32|BF16]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def build_tiny_llama(out_dir: Path, seed: int = 0) -> Path:
    """Random-weight LLaMA (GQA, 8 layers, ~4.7 M parameters) saved with save_pretrained.

    Rows of 256 and 512 values are whole K-quant super-blocks, so the Q4_K_M step shows the real
    llama.cpp mix (Q4_K / Q6_K) rather than the small-row fallbacks."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=1024, hidden_size=256, intermediate_size=512,
                         num_hidden_layers=8, num_attention_heads=8, num_key_value_heads=4,
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

    # Quantize with llama.cpp's Q4_K_M per-tensor rules, then show what detection sees.
    q4_path = args.out / "tiny-llama-Q4_K_M.gguf"
    print(f"$ mwt quantize {hf_dir} {q4_path} --type Q4_K_M", flush=True)
    status |= mwt_cli(["quantize", str(hf_dir), str(q4_path), "--type", "Q4_K_M"])
    print(f"\n$ mwt inspect {q4_path} --metadata --quantization", flush=True)
    status |= mwt_cli(["inspect", str(q4_path), "--metadata", "--quantization"])
    return status


if __name__ == "__main__":
    sys.exit(main())
