"""Device memory of one-step VividFace per clip length, computed on the CPU (no GPU needed).

Peak device memory = resident weights (DiT + VAE, counted from the real-size configs on the meta
device) + the largest live activation set of the three stages (VAE encode, DiT forward, VAE
decode). Activations are measured here by a dispatch-mode tracker that adds up the bytes of
every live tensor storage while the real-width modules run on the CPU in the chosen dtype, at
small sizes, and are fitted as linear in what they scale with:

- DiT: one real-width block (1536 wide, 12 heads, ffn 8960; inference keeps one block's
  temporaries alive at a time) at two token counts → ``a + b·N`` bytes, N = DiT tokens
  (``(1 + ⌈(T−1)/4⌉)·(H/16)·(W/16)``). Attention is assumed O(N) (flash / memory-efficient SDPA,
  what PyTorch picks for bf16 on A100/H100/H200); the math backend adds ``heads·N²`` scores,
  shown separately.
- VAE: the real-width Wan VAE encode and decode at 64² on 9 and 17 frames → ``(c + d·T)·(H·W)/64²``
  (its convolutions are per pixel; diffusers runs the causal VAE 4 frames (encode) / one latent
  frame (decode) at a time with a 2-frame feature cache, so only the clip tensors grow with T;
  measured flat from T = 9 on, which is why the fit starts there).

Not counted: the CUDA caching allocator's rounding and fragmentation, cuDNN/cuBLAS workspaces and
the CUDA context (~0.5 GB). Treat a row as fitting when the estimate leaves ≥ 10 % headroom.

    python benchmarks/vividface_memory_table.py [--dtype bfloat16] [--size 512] [--markdown]
"""

from __future__ import annotations

import argparse
import weakref

GIB = 2**30


class LiveBytes:
    """Track the bytes of live tensor storages created by ops inside the ``with`` block (CPU)."""

    def __init__(self) -> None:
        self.live: dict[int, list] = {}  # storage ptr → [nbytes, refcount]
        self.now = 0
        self.peak = 0

    def _release(self, ptr: int) -> None:
        rec = self.live.get(ptr)
        if rec is None:
            return
        rec[1] -= 1
        if rec[1] == 0:
            self.now -= rec[0]
            del self.live[ptr]

    def _track(self, t) -> None:
        import torch

        if not isinstance(t, torch.Tensor) or t.device.type != "cpu":
            return
        st = t.untyped_storage()
        ptr, n = st.data_ptr(), st.nbytes()
        if not n:
            return
        rec = self.live.get(ptr)
        if rec is None:
            self.live[ptr] = rec = [n, 0]
            self.now += n
            self.peak = max(self.peak, self.now)
        rec[1] += 1
        weakref.finalize(t, self._release, ptr)

    def __enter__(self):
        import torch
        from torch.utils._python_dispatch import TorchDispatchMode

        tracker = self

        class _Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                out = func(*args, **(kwargs or {}))
                for o in out if isinstance(out, (tuple, list)) else (out,):
                    tracker._track(o)
                return out

        self._mode = _Mode()
        self._mode.__enter__()
        self._grad = torch.is_grad_enabled()
        torch.set_grad_enabled(False)
        return self

    def __exit__(self, *exc):
        import torch

        self._mode.__exit__(*exc)
        torch.set_grad_enabled(self._grad)
        return False


def param_bytes(kind: str, dtype) -> tuple[int, int]:
    """(parameter count, bytes in ``dtype``) of the real-size model, built on the meta device."""
    import torch

    # parameters on the meta device in ~1 s (under torch.device("meta") the DiT takes ~30 s)
    from accelerate import init_empty_weights

    from vividface import wan

    build = wan.build_dit if kind == "dit" else wan.build_vae
    with init_empty_weights(include_buffers=False):
        m = build("wan2.1-t2v-1.3b", seed=None)
    assert all(p.device.type == "meta" for p in m.parameters())
    n = sum(p.numel() for p in m.parameters())
    return n, n * torch.tensor([], dtype=dtype).element_size()


def dit_activation_fit(dtype) -> tuple[float, float]:
    """``(a, b)``: live activation bytes of one real-width block ≈ a + b·N (N tokens)."""
    import torch

    from vividface import wan

    cfg = {**wan.DIT_CONFIGS["wan2.1-t2v-1.3b"], "num_layers": 1}
    torch.manual_seed(0)
    dit = wan.build_dit(cfg, seed=0).to(dtype).eval()
    ctx = torch.zeros(1, wan.TEXT_LEN, cfg["text_dim"], dtype=dtype)
    pts = []
    for f, hw in ((1, 8), (2, 16)):
        z = torch.randn(1, 16, f, hw, hw, dtype=dtype)
        t = torch.full((1,), 400.0, dtype=dtype)
        with LiveBytes() as lb:
            dit(hidden_states=z, timestep=t, encoder_hidden_states=ctx, return_dict=False)
        pts.append((f * (hw // 2) ** 2, lb.peak))
    (n0, p0), (n1, p1) = pts
    b = (p1 - p0) / (n1 - n0)
    return p0 - b * n0, b


def vae_activation_fit(dtype, side: int = 64) -> dict[str, tuple[float, float]]:
    """``{"encode"|"decode": (c, d)}``: live bytes at ``side``² ≈ c + d·T (T frames)."""
    import torch

    from vividface import wan

    torch.manual_seed(0)
    vae = wan.build_vae("wan2.1-t2v-1.3b", seed=0).to(dtype).eval()
    out: dict[str, list] = {"encode": [], "decode": []}
    for t in (9, 17):
        x = torch.rand(1, 3, t, side, side, dtype=dtype) * 2 - 1
        with LiveBytes() as lb:
            z = vae.encode(x).latent_dist.mode()
        out["encode"].append((t, lb.peak + x.numel() * x.element_size()))
        with LiveBytes() as lb:
            vae.decode(z, return_dict=False)
        out["decode"].append((t, lb.peak + z.numel() * z.element_size()))
    fits = {}
    for k, ((t0, p0), (t1, p1)) in out.items():
        d = (p1 - p0) / (t1 - t0)
        fits[k] = (p0 - d * t0, d)
    return fits


def tokens(frames: int, size: int) -> int:
    lat_t = 1 + -(-(frames - 1) // 4)
    return lat_t * (size // 16) ** 2


FRAMES = (17, 33, 81, 121, 241, 481, 721, 961, 1201, 1441)


def fits(dtype_name: str = "bfloat16") -> dict:
    """Weights (meta device) and the measured activation fits for ``dtype_name``."""
    import torch

    dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[dtype_name]
    n_dit, b_dit = param_bytes("dit", dtype)
    n_vae, b_vae = param_bytes("vae", dtype)
    return {
        "dtype": dtype_name,
        "esize": torch.tensor([], dtype=dtype).element_size(),
        "dit_params": n_dit,
        "vae_params": n_vae,
        "weights_bytes": b_dit + b_vae,
        "dit_fit": dit_activation_fit(dtype),
        "vae_fit": vae_activation_fit(dtype),
    }


def estimate(meta: dict, t: int, size: int = 512, heads: int = 12) -> dict:
    """Estimated device memory (GiB) of one pass over a ``t``×``size``² clip."""
    n = tokens(t, size)
    px = (size / 64) ** 2
    (ec, ed), (dc, dd) = meta["vae_fit"]["encode"], meta["vae_fit"]["decode"]
    a, b = meta["dit_fit"]
    enc, dit, dec = (ec + ed * t) * px, a + b * n, (dc + dd * t) * px
    es = meta["esize"]
    # the clip on the device: LQ float32 + padded float32 + its dtype cast, decoded output in
    # dtype + its float32 copy (conservative: not all of them coexist)
    clip_io = 3 * t * size * size * (4 + 4 + es + es + 4)
    peak = meta["weights_bytes"] + max(enc, dit, dec) + clip_io
    return {
        "frames": t,
        "tokens": n,
        "encode_gib": enc / GIB,
        "dit_gib": dit / GIB,
        "decode_gib": dec / GIB,
        "clip_gib": clip_io / GIB,
        "peak_gib": peak / GIB,
        "math_attn_extra_gib": heads * n * n * es / GIB,
    }


def max_frames(meta: dict, budget_gb: float, size: int = 512, headroom: float = 0.9) -> int:
    """Longest 4k+1 clip whose estimated peak stays within ``headroom`` of ``budget_gb`` (10⁹ bytes)."""
    t = 1
    while estimate(meta, t + 4, size)["peak_gib"] * GIB <= headroom * budget_gb * 1e9:
        t += 4
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dtype", default="bfloat16", choices=("bfloat16", "float16", "float32"))
    ap.add_argument("--size", type=int, default=512)
    a = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    meta = fits(a.dtype)
    print(
        f"VividFace one pass, {a.size}², {a.dtype}: DiT {meta['dit_params'] / 1e9:.3f} B params, "
        f"VAE {meta['vae_params'] / 1e6:.1f} M params, weights {meta['weights_bytes'] / GIB:.2f} GiB"
    )
    da, db = meta["dit_fit"]
    print(f"DiT block live bytes ≈ {da / 2**20:.1f} MiB + {db / 1024:.2f} KiB/token")
    for k, (c, d) in meta["vae_fit"].items():
        print(f"VAE {k} live bytes at 64² ≈ {c / 2**20:.1f} MiB + {d / 2**20:.3f} MiB/frame")
    print()
    print(
        "| frames | DiT tokens | encode GiB | DiT GiB | decode GiB | clip tensors GiB | est. peak GiB | + math-SDPA scores GiB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for t in FRAMES:
        r = estimate(meta, t, a.size)
        print(
            f"| {t} | {r['tokens']:,} | {r['encode_gib']:.2f} | {r['dit_gib']:.2f} | {r['decode_gib']:.2f} | "
            f"{r['clip_gib']:.2f} | {r['peak_gib']:.2f} | {r['math_attn_extra_gib']:.1f} |"
        )
    print()
    print(f"| GPU memory | longest 4k+1 clip at {a.size}² in one pass (est. peak ≤ 90 %) |")
    print("|---|---:|")
    for g in (24, 48, 80):
        print(f"| {g} GB | {max_frames(meta, g, a.size)} frames |")


if __name__ == "__main__":
    main()
