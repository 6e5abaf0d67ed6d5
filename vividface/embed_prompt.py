"""Produce the empty-prompt umT5 embedding asset (``wan21_umt5_empty_prompt.safetensors``).

Wan2.1 conditions on umT5-XXL text features, ``[512, 4096]``: the encoder output for the
prompt's tokens, zero beyond the prompt's length (the empty prompt is one ``</s>`` token). It is
constant, so it is computed once here and shipped as an asset; the 11 GB encoder is never
loaded at run time. Needs ``transformers`` and a local diffusers-layout folder holding
``text_encoder/`` (``UMT5EncoderModel``) and ``tokenizer/`` (e.g. Wan-AI/Wan2.1-T2V-1.3B-Diffusers),
matching what diffusers' ``WanPipeline`` and DiffSynth's ``WanPrompter`` compute for ``""``
(tokenise to 512 with padding and truncation, encode with the attention mask, zero every row
past the prompt's token count).

Making the asset (once, on any machine holding the official umT5 weights)::

    huggingface-cli download Wan-AI/Wan2.1-T2V-1.3B-Diffusers --include "text_encoder/*" "tokenizer/*" \
        --local-dir /models/Wan2.1-T2V-1.3B-Diffusers
    vividface embed-prompt --text-encoder /models/Wan2.1-T2V-1.3B-Diffusers --out emb/wan21_umt5_empty_prompt.safetensors
    vfebench assets import emb/

The command checks the tensor (``[512, 4096]``, the prompt's rows non-zero, every later row
exactly zero) and prints the tensor's sha256 (of its float32 bytes) and the file's sha256; the
file's is the one to pin in ``vividface/assets.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from vfebench.errors import InputError
from vividface.wan import TEXT_LEN


def tensor_sha256(t) -> str:
    """sha256 of a tensor's contiguous float32 little-endian bytes (independent of the file format)."""
    import hashlib

    import numpy as np

    a = np.ascontiguousarray(t.detach().float().cpu().numpy()).astype("<f4", copy=False)
    return hashlib.sha256(a.tobytes()).hexdigest()


def check_prompt_embedding(emb, tokens: int, text_dim: int | None = 4096, where: str = "embedding") -> None:
    """Check shape ``[512, text_dim]``, rows ``< tokens`` non-zero and rows ``≥ tokens`` exactly zero."""
    from vfebench.errors import InputError

    if emb.ndim != 2 or emb.shape[0] != TEXT_LEN or (text_dim is not None and emb.shape[1] != text_dim):
        want = f"[{TEXT_LEN}, {text_dim if text_dim is not None else 'D'}]"
        raise InputError(f"{where}: shape {tuple(emb.shape)}, expected {want} (Wan2.1 umT5-XXL: [512, 4096])")
    if not 1 <= tokens <= TEXT_LEN:
        raise InputError(f"{where}: {tokens} prompt tokens, expected 1..{TEXT_LEN}")
    nonzero = emb.abs().amax(dim=1) > 0
    if not bool(nonzero[:tokens].all()):
        raise InputError(f"{where}: a row among the first {tokens} (the prompt's tokens) is all zero")
    if bool(nonzero[tokens:].any()):
        raise InputError(f"{where}: rows past the prompt's {tokens} token(s) must be exactly zero")


def embed_prompt(
    model_dir: str | os.PathLike,
    out: str | os.PathLike,
    prompt: str = "",
    dtype: str = "bfloat16",
    device: str = "cpu",
    text_dim: int | None = 4096,
) -> dict:
    """Encode ``prompt`` with umT5 from ``model_dir`` and write ``{"prompt_embeds": [512, D] float32}``.

    Returns ``{"path", "shape", "tokens", "tensor_sha256", "file_sha256"}``. ``text_dim`` is the
    width the check expects (4096 for umT5-XXL; ``None`` accepts the encoder's own width).
    """
    import torch
    from safetensors.torch import save_file

    from vfebench.utils import atomic_path, require

    transformers = require("transformers", extra="vividface", purpose="vividface embed-prompt")
    root = Path(model_dir)
    enc_dir = root / "text_encoder" if (root / "text_encoder").is_dir() else root
    tok_dir = root / "tokenizer" if (root / "tokenizer").is_dir() else root
    if not (enc_dir / "config.json").is_file():
        raise InputError(
            f"{model_dir}: expected a diffusers folder with text_encoder/ and tokenizer/ (umT5-XXL)"
        )
    tok = transformers.AutoTokenizer.from_pretrained(str(tok_dir), local_files_only=True)
    td = {"bfloat16": torch.bfloat16, "float32": torch.float32}[dtype]
    enc = transformers.UMT5EncoderModel.from_pretrained(str(enc_dir), dtype=td, local_files_only=True)
    enc = enc.to(device).eval()
    ids = tok(
        [prompt],
        padding="max_length",
        max_length=TEXT_LEN,
        truncation=True,
        add_special_tokens=True,
        return_attention_mask=True,
        return_tensors="pt",
    )
    with torch.no_grad():
        h = enc(ids.input_ids.to(device), ids.attention_mask.to(device)).last_hidden_state[0].float().cpu()
    n = int(ids.attention_mask.sum())
    emb = torch.zeros(TEXT_LEN, h.shape[-1])
    emb[:n] = h[:n]
    check_prompt_embedding(emb, n, text_dim, where=f"umT5 output of {root}")
    digest = tensor_sha256(emb)
    out = Path(out)
    with atomic_path(out, suffix=".safetensors") as tmp:
        save_file(
            {"prompt_embeds": emb.contiguous()},
            str(tmp),
            # one metadata key holding sorted JSON: safetensors writes several keys in hash order,
            # which would change the file's sha256 from run to run; no local paths either
            metadata={
                "vividface_embed_prompt": json.dumps(
                    {"prompt": prompt, "tokens": n, "dtype": dtype, "tensor_sha256": digest}, sort_keys=True
                )
            },
        )
    from vfebench.utils import sha256_file

    return {
        "path": str(out),
        "shape": list(emb.shape),
        "tokens": n,
        "tensor_sha256": digest,
        "file_sha256": sha256_file(out),
    }
