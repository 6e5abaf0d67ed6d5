"""The one spec grammar (vfebench.spec) and its users: datasets, presets, methods, metrics."""

from __future__ import annotations

import pytest

from vfebench.errors import InputError, UnknownNameError
from vfebench.spec import Spec, parse_spec, parse_value, split_specs


def test_parse_value_json_or_text():
    assert parse_value("16") == 16 and isinstance(parse_value("16"), int)
    assert parse_value("1e-6") == 1e-6
    assert parse_value("true") is True and parse_value("null") is None
    assert parse_value(" insightface ") == "insightface"
    assert parse_value("LQ") == "LQ"
    assert parse_value("/data/a:b") == "/data/a:b"


@pytest.mark.parametrize(
    "text, name, mode, options",
    [
        ("psnr", "psnr", "", {}),
        ("fvd:dataset", "fvd", "dataset", {}),
        ("ids:backend=insightface", "ids", "", {"backend": "insightface"}),
        ("fvd:dataset:window=10,eps=1e-6", "fvd", "dataset", {"window": 10, "eps": 1e-6}),
        ("vfhq:/data/VFHQ-test:lq=LQ", "vfhq", "/data/VFHQ-test", {"lq": "LQ"}),
        # the older dataset spelling: a ',' before the first option reads as ':'
        ("vfhq:/data/VFHQ-test,lq=LQ", "vfhq", "/data/VFHQ-test", {"lq": "LQ"}),
        ("demo,num_clips=2,size=64", "demo", "", {"num_clips": 2, "size": 64}),
        ("pkg.mod:Cls:k=v", "pkg.mod", "Cls", {"k": "v"}),
        ("outputs:dir=/a/b:c,name=x", "outputs", "", {"dir": "/a/b:c", "name": "x"}),
    ],
)
def test_parse_spec(text, name, mode, options):
    s = parse_spec(text)
    assert (s.name, s.mode, s.options, s.text) == (name, mode, options, text)


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "empty"),
        ("window=3", "name first"),
        ("fvd:window=3,eps", "bad option 'eps'"),
        ("fvd:window=3,window=4", "given twice"),
        ("demo,oops", "not an option"),
        (":x", "no name"),
    ],
)
def test_parse_spec_errors(text, match):
    with pytest.raises(InputError, match=match):
        parse_spec(text)


def test_split_specs_keeps_options_with_their_spec_and_dedups():
    got = split_specs(["psnr,ids:backend=insightface,eps=1,fvd:dataset:window=10", "psnr"])
    assert [s.text for s in got] == ["psnr", "ids:backend=insightface,eps=1", "fvd:dataset:window=10"]
    assert got[1] == Spec("ids:backend=insightface,eps=1", "ids", "", {"backend": "insightface", "eps": 1})
    with pytest.raises(InputError, match="NAME:window=3"):
        split_specs("fvd,window=3")


def test_every_component_kind_uses_it():
    from vfebench.datasets import build_source
    from vfebench.degrade import build_preset
    from vfebench.metrics import build_metric
    from vfebench.runner import parse_method_spec

    assert build_source("demo:num_clips=2,size=64").num_clips == 2
    assert build_source("demo,num_clips=2").num_clips == 2  # old spelling still works
    with pytest.raises(InputError, match="Did you mean 'num_clips'"):
        build_source("demo:num_clip=2")
    with pytest.raises(UnknownNameError, match="Did you mean 'demo'"):
        build_source("dmeo")
    with pytest.raises(InputError, match="no option 'sigma'"):
        build_preset("vfhq-x4:sigma=1")
    with pytest.raises(UnknownNameError, match="Did you mean 'vfhq-x4'"):
        build_preset("vfhq-x5")
    m = build_metric("psnr:batch_size=2")
    assert m.options["batch_size"] == 2
    with pytest.raises(InputError, match="Did you mean 'batch_size'"):
        build_metric("psnr:batch_sise=2")
    with pytest.raises(UnknownNameError, match="Did you mean 'psnr'"):
        build_metric("psrn")
    with pytest.raises(InputError, match="'window' is not an option"):
        build_metric("fvd:dataset:window")
    a = parse_method_spec("vividface:steps=1,update_rule=flow")
    assert (a.target, a.config, a.label) == (
        "vividface",
        {"steps": 1, "update_rule": "flow"},
        "vividface[steps=1,update_rule=flow]",
    )
    b = parse_method_spec("vfebench.methods.trivial:Bicubic:x=1")
    assert (b.target, b.config, b.label) == ("vfebench.methods.trivial:Bicubic", {"x": 1}, "Bicubic[x=1]")


def test_one_build_method():
    from vfebench.methods import build_method
    from vfebench.runner import plan

    assert plan.build_method is build_method
    assert build_method("vfebench.methods.trivial:Lanczos").name == "lanczos"
    with pytest.raises(UnknownNameError, match="Did you mean 'bicubic'"):
        build_method("bicubc")
