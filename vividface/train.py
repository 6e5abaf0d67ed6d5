"""VividFace training (the paper's recipe; the authors released no training code).

Stage 1 (latent): ``z_pred = update(z_L, DiT(z_L, t, ∅))``, loss ``L_face(z_pred, z_H, M_l; p)``
(Eq. 6–7) on precomputed latents. Stage 2 (pixel): decode ``z_pred`` through the frozen VAE
decoder, loss ``L_face(x_pred, x_H, M_p; p) + λ·DISTS`` (Eq. 8, λ = 0.1, p = 0.5).
Only the DiT is trained (full fine-tune, like the released checkpoint); the VAE is frozen.

Built on ``accelerate`` (devices, bf16 mixed precision, gradient accumulation); AdamW,
grad-norm clipping, optional gradient checkpointing. Checkpoints every ``checkpoint_every``
steps under ``out_dir/checkpoints/step-N/`` (DiT safetensors in diffusers keys, optimizer state,
``state.json``); ``resume=True`` continues from the newest one and reproduces the same run,
because the batch and the Bernoulli draws of step ``n`` depend only on ``(seed, n)``.
``out_dir/dit_original.safetensors`` is the final DiT in original/DiffSynth key format, loadable
by the ``vividface`` method (``dit=PATH``).

Face masks ``M_p`` (:class:`vividface.masks.MaskBuilder`): ``mask_source`` ``auto`` (default: the
BiSeNet face parser when asset ``bisenet_face_parsing`` or ``parser_weights`` is present, else the
MediaPipe face oval), ``parser``, ``mediapipe``; ``face_labels`` picks the parser classes. The
resolved source is written to ``out_dir/masks.json``, the summary and the latents manifests.

Validation (:func:`evaluate_pixels`): the held-out windows are restored in one step, decoded and
scored with the torchmetrics face of the vfebench metrics (:mod:`vfebench.torchmetrics`, the
same numbers as ``vfebench score``), ``val_metrics`` (default LPIPS, IDS, AKD) every ``val_every``
steps and at the end. Each process scores its share of the windows and the metrics synchronise
across processes. Results go to ``summary["validation"]``, ``out_dir/validation.json`` and
``accelerate``'s trackers (``log_with``). With the default list, a metric whose extra or weights
are missing is skipped with a note; a list given explicitly must be fully usable (checked before
the first step).

Configs are JSON files (:func:`load_config`); ``vividface/configs/`` holds the paper's setup and
the tiny CPU configuration. Learning rates and resolutions were lost from our copy of the paper;
the paper configs use the closest public recipe (DOVE: stage-1 lr 2e-5, stage-2 lr 5e-6).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vfebench.errors import InputError


@dataclass
class TrainConfig:
    """One training run. See ``vividface/configs/*.json`` for complete examples."""

    out_dir: str = "runs/vividface"
    model: str = "wan2.1-t2v-1.3b"  # or "tiny" (random components built in code)
    stage: int = 1
    init_dit: str | None = None  # path, asset name, or None (base asset / random for tiny)
    vae: str | None = None
    prompt_embeds: str | None = None
    dataset: str = "demo"
    dataset_options: dict[str, Any] = field(default_factory=dict)
    holdout_clips: int = 0
    preset: str = "vfhq-x4"
    degrade_seed: int = 0
    frames: int = 33
    size: int = 512
    window_stride: int | None = None
    mask_source: str = "auto"  # auto | parser | mediapipe (= face_oval) | ellipse | none
    face_labels: list[str] | None = None  # parser labels forming M_p (None: parsing.DEFAULT_FACE_LABELS)
    parser_weights: str | None = None  # face parser weights path (None: bisenet_face_parsing asset)
    parser_batch: int = 8  # frames per face-parser forward
    latents_dir: str | None = None
    p_face: float = 0.5
    lambda_dists: float = 0.1
    dists: str = "asset"  # "asset" (real weights) or "random" (tests)
    timestep: float = 400.0
    update_rule: str = "released"
    lr: float = 2e-5
    weight_decay: float = 1e-2
    betas: tuple[float, float] = (0.9, 0.999)
    batch_size: int = 1
    grad_accum: int = 1
    grad_clip: float = 1.0
    max_steps: int = 32000
    mixed_precision: str = "no"  # "no" | "bf16" | "fp16"
    gradient_checkpointing: bool = False
    checkpoint_every: int = 1000
    log_every: int = 50
    seed: int = 0
    resume: bool = False
    #: validation metric specs (``vfebench score --metrics`` grammar); None = DEFAULT_VAL_METRICS,
    #: skipping those that cannot run here; [] = no pixel validation
    val_metrics: list[str] | None = None
    val_every: int = 0  # validate every N steps (0: only after the last step)
    log_with: str | None = None  # accelerate tracker ("tensorboard", "wandb", ...) for the logs
    notes: str = ""

    def __post_init__(self) -> None:
        if self.stage not in (1, 2):
            raise InputError(f"stage must be 1 or 2, got {self.stage}")
        if not 0 <= self.p_face <= 1:
            raise InputError(f"p_face must be in [0, 1], got {self.p_face}")
        from vividface.masks import MASK_SOURCES

        if self.mask_source not in MASK_SOURCES:
            raise InputError(f"mask_source must be one of {MASK_SOURCES}, got {self.mask_source!r}")
        self.betas = tuple(self.betas)


def load_config(path: str | Path, **overrides: Any) -> TrainConfig:
    """Read a JSON config (unknown keys are errors) and apply ``overrides``."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such config file (see vividface/configs/)")
    try:
        data = json.loads(p.read_text())
    except ValueError as exc:
        raise InputError(f"{p}: not valid JSON ({exc})") from exc
    data.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    bad = sorted(set(data) - known)
    if bad:
        raise InputError(f"{p}: unknown config key(s) {bad}; known: {sorted(known)}")
    return TrainConfig(**data)


#: what ``vividface train`` validates with when ``val_metrics`` is not set
DEFAULT_VAL_METRICS = ("lpips", "ids", "akd")


def build_val_metrics(cfg: TrainConfig, device: str = "cpu") -> tuple[dict[str, Any], dict[str, str]]:
    """``({spec: vfebench.torchmetrics metric}, {skipped spec: reason})`` for ``cfg.val_metrics``.

    Usability (extra installed, weights present) is judged by the runner's own check
    (:func:`vfebench.runner.resolve_metrics`): explicit specs must all pass, default ones that do
    not are skipped with the reason.
    """
    from vfebench.errors import AssetHashError, MissingAssetError, MissingDependencyError
    from vfebench.runner import resolve_metrics

    explicit = cfg.val_metrics is not None
    specs = list(cfg.val_metrics) if explicit else list(DEFAULT_VAL_METRICS)
    if not specs:
        return {}, {}
    skipped: dict[str, str] = {}
    try:
        from vfebench.utils import require

        require("torchmetrics", "torchmetrics", "vividface validation metrics")
    except MissingDependencyError as exc:
        if explicit:
            raise
        return {}, {s: str(exc) for s in specs}
    import vfebench.torchmetrics as vt
    from vfebench.metrics.base import FeatureStore

    # one store for the whole run: the metrics share the face analysis of a window (IDS and AKD
    # detect once), and the targets' analysis is reused by every validation (small arrays only)
    store = FeatureStore()
    out: dict[str, Any] = {}
    for spec in specs:
        try:
            resolve_metrics([spec], has_gt=True)
        except (MissingDependencyError, MissingAssetError, AssetHashError, ImportError) as exc:
            if explicit:
                raise
            skipped[spec] = str(exc)
            continue
        out[spec] = vt.build(spec, features=store).to(device)
    return out, skipped


def evaluate_pixels(pipe, items: list[dict], metrics: dict[str, Any], rank: int = 0, world: int = 1):
    """Restore the held-out windows (one step, decoded) and score them with ``metrics``.

    Each of the ``world`` processes scores windows ``rank, rank + world, …``; ``compute()``
    synchronises the metric states, so every process returns the values over all windows:
    ``{spec: raw value}`` (NaN where nothing could be scored, e.g. no face found).
    """
    import torch

    if not metrics or not items:
        return {}
    for m in metrics.values():
        m.reset()
    with torch.no_grad():
        for i in range(rank, len(items), world):
            it = items[i]
            x = pipe.decode(pipe.restore_latent(it["z_lq"][None].to(pipe.device)))
            pred = ((x.permute(0, 2, 1, 3, 4) + 1.0) / 2.0).clamp(0.0, 1.0)  # B×T×3×H×W in [0, 1]
            gt = it["hq"].permute(0, 3, 1, 2)[None]  # uint8 T×H×W×3 → 1×T×3×H×W
            for m in metrics.values():
                m.update(pred, gt if m.needs_reference else None, clip_ids=[f"holdout-{i}"])
    return {spec: float(m.compute()) for spec, m in metrics.items()}


def _resolve(path_or_asset: str | None, default_asset: str):
    from vfebench import assets as A

    name = path_or_asset or default_asset
    if Path(name).exists():
        return Path(name)
    return A.asset_path(name)


def build_components(cfg: TrainConfig):
    """``(dit, vae, prompt_embeds)`` for the config (tiny: random, seeded by ``cfg.seed``)."""
    from vividface import wan

    if cfg.model == "tiny":
        dit = wan.load_dit(cfg.init_dit, "tiny") if cfg.init_dit else wan.build_dit("tiny", seed=cfg.seed)
        vae = wan.build_vae("tiny", seed=cfg.seed + 1)
        emb = wan.random_prompt_embedding(dit.config.text_dim, seed=cfg.seed + 2)
        return dit, vae, emb
    dit = wan.load_dit(_resolve(cfg.init_dit, "wan21_t2v_1_3b_dit"), cfg.model)
    vae = wan.load_vae(_resolve(cfg.vae, "wan21_vae"), cfg.model)
    emb = wan.load_prompt_embedding(_resolve(cfg.prompt_embeds, "wan21_empty_prompt"), dit.config.text_dim)
    return dit, vae, emb


def build_mask_builder(cfg: TrainConfig, device: str = "cpu"):
    """The :class:`~vividface.masks.MaskBuilder` of ``cfg`` (``auto`` resolved here, once)."""
    from vividface.masks import MaskBuilder

    return MaskBuilder(
        cfg.mask_source,
        face_labels=cfg.face_labels,
        parser_weights=cfg.parser_weights,
        device=device,
        batch_size=cfg.parser_batch,
    )


def build_dataset(cfg: TrainConfig, pipe, masks=None) -> tuple[list[dict], list[dict]]:
    """Precompute (or reuse) latents; returns ``(train_items, holdout_items)``.

    ``masks``: a :class:`~vividface.masks.MaskBuilder` (default: :func:`build_mask_builder` on the
    pipeline's device).
    """
    from vfebench.datasets import build_source
    from vividface.data import load_items, make_windows, precompute_latents

    masks = masks if masks is not None else build_mask_builder(cfg, getattr(pipe, "device", "cpu"))

    src = build_source(cfg.dataset, **cfg.dataset_options)
    ids = src.clip_ids()
    if cfg.holdout_clips >= len(ids):
        raise InputError(f"holdout_clips={cfg.holdout_clips} leaves no training clip among {len(ids)}")
    root = Path(cfg.latents_dir or Path(cfg.out_dir) / "latents")
    out = []
    for part, part_ids in (
        ("train", ids[: len(ids) - cfg.holdout_clips]),
        ("holdout", ids[len(ids) - cfg.holdout_clips :]),
    ):

        def windows(part_ids=part_ids):
            for cid in part_ids:
                yield from make_windows(
                    src.load(cid), cfg.preset, cfg.degrade_seed, cfg.frames, cfg.size, cfg.window_stride
                )

        meta = {
            "dataset": cfg.dataset,
            "options": cfg.dataset_options,
            "clips": part_ids,
            "preset": cfg.preset,
            "degrade_seed": cfg.degrade_seed,
            "frames": cfg.frames,
            "size": cfg.size,
            "stride": cfg.window_stride,
            "model": cfg.model,
            "seed": cfg.seed if cfg.model == "tiny" else None,
        }
        files = precompute_latents(windows(), pipe.encode, root / part, masks, meta) if part_ids else []
        out.append(load_items(files))
    return out[0], out[1]


def _batch(items: list[dict], idx: list[int], keys: tuple[str, ...]):
    import torch

    return {k: torch.stack([items[i][k] for i in idx]) for k in keys}


def _latest_checkpoint(out_dir: Path) -> Path | None:
    cks = sorted((out_dir / "checkpoints").glob("step-*"), key=lambda p: int(p.name.split("-")[1]))
    return cks[-1] if cks else None


def evaluate_latent(pipe, items: list[dict]) -> dict[str, float]:
    """Mean latent MSE (global and face-masked) of the one-step prediction vs ``z_H``; identity too."""
    import torch

    if not items:
        return {}
    tot = {"mse": 0.0, "masked_mse": 0.0, "identity_mse": 0.0}
    with torch.no_grad():
        for it in items:
            z_l, z_h, m = it["z_lq"][None], it["z_hq"][None], it["m_l"][None, None]
            pred = pipe.restore_latent(z_l)
            tot["mse"] += float((pred - z_h).pow(2).mean())
            tot["masked_mse"] += float((m * (pred - z_h)).pow(2).mean())
            tot["identity_mse"] += float((z_l - z_h).pow(2).mean())
    return {k: v / len(items) for k, v in tot.items()}


def train(cfg: TrainConfig, progress: bool = True) -> dict[str, Any]:
    """Run (or resume) training; returns a summary with the loss history and held-out metrics."""
    import torch
    from safetensors.torch import load_file, save_file

    from vfebench.utils import atomic_path, atomic_write_json, require, seed_from
    from vividface.convert import dit_diffusers_to_original
    from vividface.losses import build_dists, face_focused_loss, stage2_loss
    from vividface.pipeline import InferenceConfig, OneStepPipeline

    accelerate = require("accelerate", purpose="vividface training")
    acc = accelerate.Accelerator(
        mixed_precision=cfg.mixed_precision,
        gradient_accumulation_steps=cfg.grad_accum,
        log_with=cfg.log_with,
        project_dir=cfg.out_dir if cfg.log_with else None,
    )
    out_dir = Path(cfg.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out_dir / "config.json", dataclasses.asdict(cfg))
    # validation metrics first: a missing extra or weights file fails before any training step
    val_metrics, val_skipped = build_val_metrics(cfg, str(acc.device))
    if progress:
        for spec, why in val_skipped.items():
            acc.print(f"vividface: validation metric {spec} skipped: {why}")
    if cfg.log_with:
        acc.init_trackers("vividface", config={k: str(v) for k, v in dataclasses.asdict(cfg).items()})

    dit, vae, emb = build_components(cfg)
    icfg = InferenceConfig(
        size=cfg.size, timestep=cfg.timestep, update_rule=cfg.update_rule, chunk_frames=0, dtype="float32"
    )
    pipe = OneStepPipeline(dit, vae, emb, icfg, device=str(acc.device))
    masks = build_mask_builder(cfg, str(acc.device))
    mask_info = masks.describe()
    atomic_write_json(out_dir / "masks.json", mask_info)
    if progress:
        acc.print(f"vividface: face masks from {mask_info['resolved']} (mask_source={cfg.mask_source})")
    train_items, hold_items = build_dataset(cfg, pipe, masks)
    if not train_items:
        raise InputError(f"no training windows: clips shorter than frames={cfg.frames}?")
    init_eval = evaluate_latent(pipe, hold_items)

    vae.requires_grad_(False)
    dit.train()
    if cfg.gradient_checkpointing:
        dit.enable_gradient_checkpointing()
    opt = torch.optim.AdamW(dit.parameters(), lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
    step = 0
    history: list[float] = []
    validation: list[dict[str, Any]] = []
    ck = _latest_checkpoint(out_dir) if cfg.resume else None
    if ck is not None:
        dit.load_state_dict(load_file(str(ck / "dit.safetensors")), strict=True)
        opt.load_state_dict(torch.load(str(ck / "optimizer.pt"), map_location="cpu", weights_only=True))
        state = json.loads((ck / "state.json").read_text())
        step, history = int(state["step"]), list(state["history"])
        validation = list(state.get("validation", []))

    def validate() -> None:
        if not val_metrics or not hold_items:
            return
        was_training = dit.training
        dit.eval()
        values = evaluate_pixels(pipe, hold_items, val_metrics, acc.process_index, acc.num_processes)
        dit.train(was_training)
        values = {k: (v if math.isfinite(v) else None) for k, v in values.items()}  # JSON null = NaN
        validation.append({"step": step, "values": values})
        acc.log({f"val/{k}": v for k, v in values.items() if v is not None}, step=step)
        if acc.is_main_process:
            atomic_write_json(out_dir / "validation.json", {"skipped": val_skipped, "history": validation})
        if progress:
            shown = ", ".join(
                f"{val_metrics[k].vfe_metric.display or k}="
                + ("nan" if v is None else f"{val_metrics[k].display_value(v):.4g}")
                for k, v in values.items()
            )
            acc.print(f"vividface: step {step} validation: {shown}")

    dit, opt = acc.prepare(dit, opt)
    pipe.dit = dit
    dists = None
    if cfg.stage == 2 and cfg.lambda_dists:
        if cfg.dists == "random":
            dists = build_dists(seed=cfg.seed)
        else:
            from vfebench.assets import asset_path

            dists = build_dists(asset_path("dists_vgg16"), asset_path("dists_alpha_beta"))
        dists = dists.to(acc.device)

    keys = ("z_lq", "z_hq", "m_l") + (("hq", "m_p") if cfg.stage == 2 else ())
    t0 = time.perf_counter()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.max_steps, initial=step, desc=f"vividface stage {cfg.stage}", leave=False)
    while step < cfg.max_steps:
        g = torch.Generator().manual_seed(seed_from("vividface-train", cfg.seed, step) % (2**63))
        idx = torch.randint(len(train_items), (cfg.batch_size,), generator=g).tolist()
        b = {k: v.to(acc.device) for k, v in _batch(train_items, idx, keys).items()}
        with acc.accumulate(dit), acc.autocast():
            z_pred = pipe.restore_latent(b["z_lq"])
            if cfg.stage == 1:
                m = b["m_l"].unsqueeze(1)
                loss, _ = face_focused_loss(z_pred, b["z_hq"], m, cfg.p_face, generator=g)
            else:
                x_pred = pipe.decode(z_pred)
                x_h = b["hq"].permute(0, 4, 1, 2, 3).float() / 127.5 - 1.0
                loss, _ = stage2_loss(
                    x_pred,
                    x_h,
                    b["m_p"].unsqueeze(1),
                    dists,
                    cfg.p_face,
                    cfg.lambda_dists if dists else 0.0,
                    g,
                )
            acc.backward(loss)
            if acc.sync_gradients and cfg.grad_clip:
                acc.clip_grad_norm_(dit.parameters(), cfg.grad_clip)
            opt.step()
            opt.zero_grad(set_to_none=True)
        step += 1
        history.append(float(loss.detach()))
        if not math.isfinite(history[-1]):
            raise InputError(f"loss became {history[-1]} at step {step}; lower lr or use fp32")
        if bar is not None:
            bar.update(1)
            if step % max(cfg.log_every, 1) == 0:
                bar.set_postfix(loss=f"{sum(history[-cfg.log_every :]) / len(history[-cfg.log_every :]):.4g}")
        if cfg.checkpoint_every and (step % cfg.checkpoint_every == 0 or step == cfg.max_steps):
            d = out_dir / "checkpoints" / f"step-{step}"
            d.mkdir(parents=True, exist_ok=True)
            sd = {k: v.detach().cpu().contiguous() for k, v in acc.unwrap_model(dit).state_dict().items()}
            with atomic_path(d / "dit.safetensors", suffix=".safetensors") as tmp:
                save_file(sd, str(tmp))
            with atomic_path(d / "optimizer.pt") as tmp:
                torch.save(opt.state_dict(), str(tmp))
            if cfg.val_every and step % cfg.val_every == 0:
                validate()
            atomic_write_json(d / "state.json", {"step": step, "history": history, "validation": validation})
        elif cfg.val_every and step % cfg.val_every == 0:
            validate()
    if bar is not None:
        bar.close()
    dit.eval()
    final = acc.unwrap_model(dit)
    sd = {k: v.detach().cpu().contiguous() for k, v in final.state_dict().items()}
    with atomic_path(out_dir / "dit_original.safetensors", suffix=".safetensors") as tmp:
        save_file(dit_diffusers_to_original(sd), str(tmp))
    pipe.dit = final
    if not validation or validation[-1]["step"] != step:
        validate()
    acc.end_training()
    summary = {
        "steps": step,
        "seconds": time.perf_counter() - t0,
        "loss_first": sum(history[:20]) / max(1, len(history[:20])),
        "loss_last": sum(history[-20:]) / max(1, len(history[-20:])),
        "holdout_init": init_eval,
        "holdout_final": evaluate_latent(pipe, hold_items),
        "train_windows": len(train_items),
        "holdout_windows": len(hold_items),
        "masks": mask_info,
        "validation": validation,
        "validation_skipped": val_skipped,
    }
    atomic_write_json(out_dir / "summary.json", summary)
    return {**summary, "history": history}
