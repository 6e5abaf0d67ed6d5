"""``vividface embed-prompt``: the empty-prompt umT5 asset, on a tiny local umT5 (no download)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from vfebench.errors import InputError  # noqa: E402
from vividface.embed_prompt import check_prompt_embedding, embed_prompt, tensor_sha256  # noqa: E402
from vividface.wan import TEXT_LEN, load_prompt_embedding  # noqa: E402


@pytest.fixture(scope="module")
def umt5_dir(tmp_path_factory):
    """A diffusers-layout folder: tokenizer/ (word-level, appends </s> like umT5) + text_encoder/."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    root = tmp_path_factory.mktemp("umt5")
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, "a": 3, "face": 4}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tk, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )
    fast.save_pretrained(str(root / "tokenizer"))
    cfg = transformers.UMT5Config(
        vocab_size=8, d_model=16, d_kv=4, d_ff=32, num_layers=1, num_heads=2, relative_attention_num_buckets=8
    )
    torch.manual_seed(0)
    transformers.UMT5EncoderModel(cfg).save_pretrained(str(root / "text_encoder"))
    return root


def _reference(root, prompt: str) -> torch.Tensor:
    """DiffSynth's WanPrompter recipe restated: pad to 512, encode with the mask, zero past the length."""
    tok = transformers.AutoTokenizer.from_pretrained(str(root / "tokenizer"))
    enc = transformers.UMT5EncoderModel.from_pretrained(str(root / "text_encoder")).eval()
    ids = tok([prompt], padding="max_length", max_length=512, truncation=True, return_tensors="pt")
    n = int(ids.attention_mask.gt(0).sum())
    with torch.no_grad():
        h = enc(ids.input_ids, ids.attention_mask).last_hidden_state[0].float()
    h[n:] = 0
    return h


@pytest.mark.parametrize("prompt,tokens", [("", 1), ("a face", 3)])
def test_embed_prompt_shape_zero_rows_and_reference(umt5_dir, tmp_path, prompt, tokens):
    from safetensors.torch import load_file

    info = embed_prompt(umt5_dir, tmp_path / "e.safetensors", prompt=prompt, dtype="float32", text_dim=16)
    assert info["shape"] == [TEXT_LEN, 16] and info["tokens"] == tokens
    e = load_file(info["path"])["prompt_embeds"]
    assert (e[:tokens].abs().amax(1) > 0).all() and float(e[tokens:].abs().max()) == 0.0
    assert torch.equal(e, _reference(umt5_dir, prompt))
    a = e.numpy().astype("<f4")
    assert info["tensor_sha256"] == hashlib.sha256(a.tobytes()).hexdigest() == tensor_sha256(e)
    assert info["file_sha256"] == hashlib.sha256((tmp_path / "e.safetensors").read_bytes()).hexdigest()
    loaded = load_prompt_embedding(info["path"], 16)
    assert torch.equal(loaded, e)


def test_embed_prompt_is_deterministic(umt5_dir, tmp_path):
    a = embed_prompt(umt5_dir, tmp_path / "a.safetensors", dtype="float32", text_dim=16)
    b = embed_prompt(umt5_dir, tmp_path / "b.safetensors", dtype="float32", text_dim=16)
    assert a["tensor_sha256"] == b["tensor_sha256"] and a["file_sha256"] == b["file_sha256"]


def test_embed_prompt_checks_the_expected_width(umt5_dir, tmp_path):
    with pytest.raises(InputError, match=r"expected \[512, 4096\]"):
        embed_prompt(umt5_dir, tmp_path / "x.safetensors", dtype="float32")  # default 4096 vs 16
    assert not (tmp_path / "x.safetensors").exists()  # nothing written


def test_check_prompt_embedding_rejects_bad_tensors():
    good = torch.zeros(TEXT_LEN, 8)
    good[0] = 1.0
    check_prompt_embedding(good, 1, 8)
    bad = good.clone()
    bad[5, 3] = 1e-8
    with pytest.raises(InputError, match="exactly zero"):
        check_prompt_embedding(bad, 1, 8)
    with pytest.raises(InputError, match="all zero"):
        check_prompt_embedding(torch.zeros(TEXT_LEN, 8), 1, 8)
    with pytest.raises(InputError, match="shape"):
        check_prompt_embedding(torch.zeros(77, 8), 1, 8)


def test_cli_prints_shape_and_hashes(umt5_dir, tmp_path, capsys):
    from vividface.cli import main

    out = tmp_path / "emb" / "wan21_umt5_empty_prompt.safetensors"
    out.parent.mkdir()
    rc = main(
        [
            "embed-prompt",
            "--text-encoder",
            str(umt5_dir),
            "--out",
            str(out),
            "--dtype",
            "float32",
            "--text-dim",
            "16",
        ]
    )
    text = capsys.readouterr().out
    assert rc == 0 and "512x16" in text and "1 prompt token(s)" in text
    file_hash = hashlib.sha256(out.read_bytes()).hexdigest()
    assert f"file sha256   {file_hash}" in text and "tensor sha256 " in text
    rc = main(["embed-prompt", "--text-encoder", str(tmp_path), "--out", str(out)])
    assert rc == 2 and "text_encoder" in capsys.readouterr().err
    assert np.isfinite(load_prompt_embedding(out).numpy()).all()
