"""Fake checkouts of the external baselines: small scripts that read frames, brighten them by 1
and write them the way each real tool does (its flags, layout and quirks), committed to a
throwaway git repository. Used by the adapter tests and by the method contract tests."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

# A fake tool: reads frames (folder or video), brightens them by 1, writes them the way the real
# tool does. It imports only numpy/cv2/av, which the test interpreter has.
FAKE_COMMON = textwrap.dedent("""
    import sys, os, argparse
    from pathlib import Path
    import numpy as np, cv2
    def read_frames(p):
        p = Path(p)
        if p.is_dir():
            return [cv2.imread(str(f)) for f in sorted(p.glob("*.png"))]
        import av
        with av.open(str(p)) as c:
            return [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    def bright(fs):
        return [np.clip(f.astype(int) + 1, 0, 255).astype(np.uint8) for f in fs]
    def write_video(path, fs):
        import av
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with av.open(path, "w") as o:
            s = o.add_stream("libx264rgb", rate=25); s.width = fs[0].shape[1]; s.height = fs[0].shape[0]
            s.pix_fmt = "rgb24"; s.codec_context.options = {"crf": "0"}
            for f in fs:
                o.mux(s.encode(av.VideoFrame.from_ndarray(f[:, :, ::-1].copy(), format="rgb24")))
            o.mux(s.encode())
""")

FAKES = {
    "codeformer": (
        "inference_codeformer.py",
        """
ap = argparse.ArgumentParser(); ap.add_argument("-w"); ap.add_argument("--has_aligned", action="store_true")
ap.add_argument("--input_path"); ap.add_argument("-o"); a = ap.parse_args()
os.makedirs(os.path.join(a.o, "restored_faces"))
for f, img in zip(sorted(Path(a.input_path).glob("*.png")), bright(read_frames(a.input_path))):
    cv2.imwrite(os.path.join(a.o, "restored_faces", f.name), img)
""",
    ),
    "keep": (
        "inference_keep.py",
        """
ap = argparse.ArgumentParser(); ap.add_argument("-i"); ap.add_argument("-o"); ap.add_argument("--has_aligned", action="store_true")
ap.add_argument("-s"); ap.add_argument("--max_length", type=int); a = ap.parse_args()
d = os.path.join(a.o, Path(a.i).name, "restored_faces"); os.makedirs(d)
for i, img in enumerate(bright(read_frames(a.i))):
    cv2.imwrite(os.path.join(d, f"{i:08d}.png"), img)
""",
    ),
    "star": (
        "video_super_resolution/scripts/inference_sr.py",
        """
ap = argparse.ArgumentParser(); ap.add_argument("--input_path", required=True); ap.add_argument("--save_dir")
ap.add_argument("--file_name"); ap.add_argument("--model_path"); ap.add_argument("--upscale", type=int)
ap.add_argument("--solver_mode"); ap.add_argument("--steps"); ap.add_argument("--cfg"); ap.add_argument("--max_chunk_len")
a = ap.parse_args()
assert os.environ["HF_HUB_OFFLINE"] == "1"
fs = [cv2.resize(f, None, fx=a.upscale, fy=a.upscale, interpolation=cv2.INTER_NEAREST) for f in read_frames(a.input_path)]
write_video(os.path.join(a.save_dir, a.file_name), bright(fs))  # like the real one: None fails here
""",
    ),
    # the real script splits the input folder on "/" and re-joins it, losing a leading "/"
    "basicvsr++": (
        "demo/restoration_video_demo.py",
        """
import re
from functools import reduce
ap = argparse.ArgumentParser(); [ap.add_argument(n) for n in ("config", "checkpoint", "input_dir", "output_dir")]
ap.add_argument("--filename-tmpl", default="{:08d}.png"); ap.add_argument("--max-seq-len", type=int); a = ap.parse_args()
assert os.path.isfile(a.config) and a.max_seq_len and os.environ["TORCH_HOME"].endswith("chkpts/torch")
parts = re.split(r"[\\\\/]", a.input_dir)
folder = os.path.join(reduce(os.path.join, parts[:-1]), parts[-1])
n = len([f for f in os.listdir(folder)])
fs = [cv2.imread(os.path.join(folder, a.filename_tmpl.format(i))) for i in range(n)]
for i, f in enumerate(bright([cv2.resize(f, None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST) for f in fs])):
    cv2.imwrite(os.path.join(a.output_dir, a.filename_tmpl.format(i)), f)
""",
    ),
    # imports from the checkout root (needs PYTHONPATH) and reads the hard-coded second config
    "mgld-vsr": (
        "scripts/vsr_val_ddpm_text_T_vqganfin_oldcanvas_tile.py",
        """
from scripts.util_flow import OK
ap = argparse.ArgumentParser()
for f in ("--seqs-path", "--outdir", "--config", "--ckpt", "--vqgan_ckpt", "--ddpm_steps", "--dec_w", "--colorfix_type",
          "--seed", "--upscale", "--select_idx", "--n_gpus"):
    ap.add_argument(f)
a = ap.parse_args()
for cfg in (a.config, "configs/video_autoencoder/video_autoencoder_kl_64x64x4_resi.yaml"):
    text = open(cfg).read()
    assert "/home/notebook" not in text and "checkpoints/" in text, cfg
for seq in sorted(os.listdir(a.seqs_path)):
    os.makedirs(os.path.join(a.outdir, seq))
    for f in sorted(Path(a.seqs_path, seq).glob("*.png")):
        img = cv2.resize(cv2.imread(str(f)), None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST)
        cv2.imwrite(os.path.join(a.outdir, seq, f.stem + ".png"), bright([img])[0])
""",
    ),
    # run through a torchrun stand-in; needs the checkout on PYTHONPATH; colour fix by file presence
    "seedvr2-3b": (
        "projects/inference_seedvr2_3b.py",
        """
from common.marker import OK
ap = argparse.ArgumentParser()
for f in ("--video_path", "--output_dir", "--seed", "--res_h", "--res_w"):
    ap.add_argument(f)
a = ap.parse_args()
assert os.path.isfile("pos_emb.pt") and os.path.isfile("configs_3b/main.yaml")
fix = os.path.exists("./projects/video_diffusion_sr/color_fix.py")
for v in os.listdir(a.video_path):
    fs = [cv2.resize(f, (int(a.res_w), int(a.res_h)), interpolation=cv2.INTER_NEAREST) for f in read_frames(os.path.join(a.video_path, v))]
    write_video(os.path.join(a.output_dir, v), bright(bright(fs)) if fix else bright(fs))
""",
    ),
    # pipes through its bundled ffmpeg (committed without the exec bit) and reads the HF hub
    "pgtformer": (
        "inference.py",
        """
import subprocess
ap = argparse.ArgumentParser(); ap.add_argument("-i", "--input_video"); ap.add_argument("-o", "--output_video"); a = ap.parse_args()
assert os.environ["HF_HUB_OFFLINE"] == "1"
subprocess.run(["ffmpeg_lib/ffmpeg"], check=True)
write_video(a.output_video, bright(read_frames(a.input_video)))
""",
    ),
    "bfvr-stc": (
        # like scripts/infer_bfvr.py: one video in, at most 24 frames read, the 3-D VQ model needs a
        # multiple of 8 frames, the only writer is cv2.VideoWriter (MJPG .avi)
        "scripts/infer_bfvr.py",
        """
ap = argparse.ArgumentParser(); ap.add_argument("-i", "--input_path"); ap.add_argument("-o", "--output_base")
a = ap.parse_args()
fs = read_frames(a.input_path)[:24]
assert len(fs) % 8 == 0, f"{len(fs)} frames: temporal down/upsampling would change the length"
os.makedirs(a.output_base, exist_ok=True)
w = cv2.VideoWriter(os.path.join(a.output_base, os.path.basename(a.input_path).split(".")[0] + ".avi"),
                    cv2.VideoWriter_fourcc(*"MJPG"), 24.0, (fs[0].shape[1], fs[0].shape[0]))
for f in bright(fs):
    w.write(f)
w.release()
""",
    ),
    "svfr": (
        # like infer.py: output_dir joined as ./<dir>; writes the restored mp4, an LQ copy mp4 and,
        # with --restore_frames, lossless PNGs under result_frames/<name>_<seed>/
        "infer.py",
        """
ap = argparse.ArgumentParser(); ap.add_argument("--config"); ap.add_argument("--output_dir")
ap.add_argument("--seed", type=int, default=77); ap.add_argument("--task_ids"); ap.add_argument("--input_path")
ap.add_argument("--restore_frames", action="store_true"); a = ap.parse_args()
assert os.path.exists(a.config) and not os.path.isabs(a.output_dir)
save = f"./{a.output_dir}"; name = a.input_path.split("/")[-1][:-4]
fs = read_frames(a.input_path)
write_video(f"{save}/{name}_{a.seed}_gen.mp4", [np.zeros_like(f) for f in fs])  # stands for the lossy mp4
write_video(f"{save}/{name}_{a.seed}_ori.mp4", fs)
if a.restore_frames:
    d = os.path.join(save, "result_frames", f"{name}_{a.seed}"); os.makedirs(d)
    for i, f in enumerate(bright(fs)):
        cv2.imwrite(os.path.join(d, f"{i:08d}.png"), f)
""",
    ),
    "dicface": (
        # like scripts/inference.py: imports packages from the checkout root without touching sys.path
        "scripts/inference.py",
        """
import facelib  # noqa: F401  (lives at the checkout root)
ap = argparse.ArgumentParser(); ap.add_argument("-i"); ap.add_argument("-o"); ap.add_argument("--has_aligned", action="store_true")
ap.add_argument("--max_length", type=int, default=20); ap.add_argument("--ckpt_path"); a = ap.parse_args()
assert a.max_length == 10, a.max_length
d = os.path.join(a.o, os.path.basename(a.i), "restored_faces"); os.makedirs(d)
for i, img in enumerate(bright(read_frames(a.i))):
    cv2.imwrite(os.path.join(d, f"{i:08d}.png"), img)
""",
    ),
    "realbasicvsr": (
        # like inference_realbasicvsr.py: positionals, a dotted input name is taken for a video file,
        # VGG19 comes from $TORCH_HOME; PNGs keep the input names
        "inference_realbasicvsr.py",
        """
ap = argparse.ArgumentParser(); [ap.add_argument(k) for k in ("config", "checkpoint", "input_dir", "output_dir")]
ap.add_argument("--max_seq_len", type=int); ap.add_argument("--is_save_as_png", type=bool); a = ap.parse_args()
ext = os.path.splitext(a.input_dir)[1]
if ext != "":
    raise ValueError('"input_dir" can only be a video or a directory.')
assert os.environ["TORCH_HOME"] == os.path.join(os.getcwd(), "checkpoints", "torch"), os.environ["TORCH_HOME"]
os.makedirs(a.output_dir, exist_ok=True)
for p in sorted(Path(a.input_dir).glob("*")):
    f = cv2.resize(cv2.imread(str(p)), None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(os.path.join(a.output_dir, p.name), bright([f])[0])
""",
    ),
}

# extra files of the fake checkouts (path -> text); committed with mode 644
FAKE_FILES = {
    "basicvsr++": {"configs/basicvsr_plusplus_reds4.py": "model = {}\n"},
    "mgld-vsr": {
        "scripts/util_flow.py": "OK = 1\n",
        "configs/mgldvsr/mgldvsr_512_realbasicvsr_deg.yaml": (
            "model:\n  ckpt_path: /home/notebook/code/personal/xxxxxxxx/MGLD-VSR/checkpoints/v2-1_512-ema-pruned.ckpt\n"
        ),
        "configs/video_vae/video_autoencoder_kl_64x64x4_resi.yaml": (
            "flow:\n  load_path: /home/notebook/code/personal/xxxxxxxx/MGLD-VSR/checkpoints/flownets/raft-things.pth\n"
        ),
    },
    "seedvr2-3b": {
        "common/__init__.py": "",
        "common/marker.py": "OK = 1\n",
        "configs_3b/main.yaml": "x: 1\n",
        "pos_emb.pt": "",
    },
    "pgtformer": {"ffmpeg_lib/ffmpeg": "#!/bin/sh\nexit 0\n"},
}


def fake_repo(tmp_path: Path, name: str, body_extra: str = "", files: dict[str, str] | None = None) -> Path:
    repo = tmp_path / f"repo-{name}"
    script, body = FAKES[name]
    f = repo / script
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(FAKE_COMMON + body + body_extra)
    for rel, text in {**FAKE_FILES.get(name, {}), **(files or {})}.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A"], check=True
    )
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
        check=True,
    )
    return repo
