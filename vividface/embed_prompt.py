"""Produce the empty-prompt umT5 embedding asset (``wan21_umt5_empty_prompt.safetensors``).

Wan2.1 conditions on umT5-XXL text features, ``[512, 4096]``: the encoder output for the
prompt's tokens, zero beyond the prompt's length (the empty prompt is one ``</s>`` token). It is
constant, so it is computed once here and shipped as an asset; the 11 GB encoder is never
loaded at run time. Needs ``transformers`` and a local diffusers-layout folder holding
``text_encoder/`` (``UMT5EncoderModel``) and ``tokenizer/`` (e.g. Wan-AI/Wan2.1-T2V-1.3B-Diffusers),
matching what diffusers' ``WanPipeline`` and DiffSynth's ``WanPrompter`` compute for ``""``.
"""

from __future__ import annotations

import os
from pathlib import Path

from vfebench.errors import InputError
from vividface.wan import TEXT_LEN


def embed_prompt(
    model_dir: str | os.PathLike,
    out: str | os.PathLike,
    prompt: str = "",
    dtype: str = "bfloat16",
    device: str = "cpu",
) -> Path:
    """Encode ``prompt`` with umT5 from ``model_dir`` and write ``{"prompt_embeds": [512, D] float32}``."""
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
    enc = transformers.UMT5EncoderModel.from_pretrained(str(enc_dir), torch_dtype=td, local_files_only=True)
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
    out = Path(out)
    with atomic_path(out, suffix=".safetensors") as tmp:
        save_file(
            {"prompt_embeds": emb.contiguous()},
            str(tmp),
            metadata={"prompt": prompt, "tokens": str(n), "dtype": dtype, "source": str(root)},
        )
    return out
