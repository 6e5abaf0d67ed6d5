"""The one clip validator, vfebench.video.check_frames, through its three entry points.

``Clip(...)`` (every clip), ``metrics.base.as_clip`` (the metrics' Python API; also accepts
float frames in [0, 1] and single H×W×3 frames) and ``runner.validate_output`` (what a method
returned; also checks the frame count, size and clip id against its input). Each bad input gives
one InputError naming who the frames belong to, the value and the fix.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from vfebench.errors import InputError
from vfebench.metrics.base import as_clip
from vfebench.runner import validate_output
from vfebench.video import Clip, check_frames

LQ = Clip("c", np.zeros((2, 8, 8, 3), np.uint8))
PREFIX = {"clip": "clip 'c'", "as_clip": "prediction clip 'c'", "output": "output of method 'm' on clip 'c'"}


def _nan() -> np.ndarray:
    a = np.full((2, 8, 8, 3), 0.5, np.float32)
    a[1, 2, 3, 0] = np.nan
    return a


# (frames, message fragment for Clip and validate_output, fragment for as_clip or None = accepted)
BAD = {
    "3-d": (np.zeros((2, 8, 8), np.uint8), r"must be T×H×W×3 RGB .*got shape \(2, 8, 8\)", r"\(or H×W×3\)"),
    "4 channels": (
        np.zeros((2, 8, 8, 4), np.uint8),
        r"got shape \(2, 8, 8, 4\)",
        r"got shape \(2, 8, 8, 4\)",
    ),
    "5-d": (np.zeros((1, 2, 8, 8, 3), np.uint8), r"got shape \(1, 2, 8, 8, 3\)", r"got shape"),
    "float01": (
        np.full((2, 8, 8, 3), 0.5, np.float32),
        r"uint8 RGB 0\.\.255, got dtype float32.*to_uint8",
        None,
    ),
    "nan": (_nan(), r"NaN or infinite", r"NaN or infinite"),
    "float>1": (np.full((2, 8, 8, 3), 2.0), r"got dtype float64", r"must be in \[0, 1\], got \[2, 2\]"),
    "int16": (
        np.zeros((2, 8, 8, 3), np.int16),
        r"got dtype int16",
        r"uint8 0\.\.255 or float in \[0, 1\], got dtype int16",
    ),
    "no frames": (np.zeros((0, 8, 8, 3), np.uint8), r"zero frames", r"zero frames"),
    "no pixels": (np.zeros((2, 0, 8, 3), np.uint8), r"zero size .*\(2, 0, 8, 3\)", r"zero size"),
}


def _error(entry: str, frames) -> str:
    with pytest.raises(InputError) as e:
        if entry == "clip":
            Clip("c", frames)
        elif entry == "as_clip":
            as_clip(frames, "c", "prediction")
        else:
            validate_output(frames, LQ, None, "m")
    return str(e.value)


@pytest.mark.parametrize("case", list(BAD))
def test_each_bad_input_gives_one_clear_error_from_every_entry_point(case):
    frames, msg, as_clip_msg = BAD[case]
    got = {}
    for entry in ("clip", "output"):
        got[entry] = _error(entry, frames)
        assert got[entry].startswith(PREFIX[entry] + ":"), got[entry]
        assert re.search(msg, got[entry]), (entry, got[entry])
    # one validator: the same message after the prefix
    assert got["clip"][len(PREFIX["clip"]) :] == got["output"][len(PREFIX["output"]) :]
    if as_clip_msg is None:
        c = as_clip(frames, "c")
        assert c.frames.dtype == np.uint8 and (c.frames == 128).all()  # round(0.5 · 255)
    else:
        m = _error("as_clip", frames)
        assert m.startswith(PREFIX["as_clip"] + ":") and re.search(as_clip_msg, m), m


def test_non_arrays():
    with pytest.raises(InputError, match=r"clip 'c': frames must be a T×H×W×3 uint8 numpy array, got list"):
        Clip("c", [[[[0, 0, 0]]]])  # type: ignore[arg-type]
    with pytest.raises(
        InputError, match=r"method 'm' on clip 'c': returned NoneType, expected a vfebench.video.Clip"
    ):
        validate_output(None, LQ, None, "m")
    # as_clip takes anything numpy.asarray takes: nested lists of floats in [0, 1], one H×W×3 frame
    assert as_clip([[[0.0, 0.5, 1.0]]], "c").frames.tolist() == [[[[0, 128, 255]]]]
    with pytest.raises(InputError, match="got dtype int64"):  # Python ints are not 8-bit frames
        as_clip([[[0, 0, 0]]], "c")
    with pytest.raises(InputError, match="prediction clip 'c': frames must be"):
        as_clip(None, "c")


def test_accepted_frames_are_not_copied_and_views_are_valid():
    a = np.zeros((3, 8, 10, 3), np.uint8)
    assert check_frames(a, "x") is a
    view = a[:, ::2]  # non-contiguous: valid
    assert Clip("c", view).size == (4, 10)
    assert as_clip(view, "c").frames.flags.c_contiguous


def test_validate_output_adds_only_its_own_checks():
    ok = np.zeros((2, 16, 16, 3), np.uint8)
    assert validate_output(ok, LQ, (16, 16), "m").id == "c"
    with pytest.raises(InputError, match="output has 3 frames, the input has 2"):
        validate_output(np.zeros((3, 16, 16, 3), np.uint8), LQ, (16, 16), "m")
    with pytest.raises(InputError, match="expected the GT size 32×16"):
        validate_output(ok, LQ, (16, 32), "m")
    with pytest.raises(InputError, match="must keep its input's clip id"):
        validate_output(Clip("other", ok), LQ, None, "m")
