"""python -m fastinit: demo, pretrain, bench, info; one-line errors with exit status 2."""

from __future__ import annotations

import gzip
import struct
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from fastinit import DBN, _experiment
from fastinit.__main__ import main


def _idx(array: np.ndarray) -> bytes:
    return (
        bytes([0, 0, 8, array.ndim])
        + struct.pack(f">{array.ndim}I", *array.shape)
        + (array.astype(np.uint8).tobytes())
    )


@pytest.fixture
def pixels():
    return np.random.default_rng(0).integers(0, 256, size=(60, 4, 4), dtype=np.uint8)


def _one_line_error(capsys, *needles: str) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0] == err.splitlines()[-1], err
    err = errors[0]
    assert err.startswith("python -m fastinit pretrain: error: ")
    for needle in needles:
        assert needle in err, err
    return err


def test_module_help_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "fastinit", "--help"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0
    for command in ("demo", "pretrain", "bench", "info"):
        assert command in proc.stdout


def test_import_fastinit_imports_neither_torch_nor_matplotlib():
    code = (
        "import sys, fastinit, fastinit.torch, fastinit.plot, fastinit.datasets; "
        "print('torch' in sys.modules, 'matplotlib' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("command", ["demo", "pretrain", "bench", "info"])
def test_help_everywhere(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: python -m fastinit " + command in capsys.readouterr().out


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "COMMAND" in capsys.readouterr().out


def test_info(capsys):
    assert main(["info"]) == 0
    assert "fastinit" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["npy", "npz", "idx", "idx.gz"])
def test_pretrain_formats(tmp_path, pixels, capsys, kind):
    data = tmp_path / f"data.{kind}"
    if kind == "npy":
        np.save(data, pixels)
    elif kind == "npz":
        np.savez(data, images=pixels)
    elif kind == "idx":
        data.write_bytes(_idx(pixels))
    else:
        data.write_bytes(gzip.compress(_idx(pixels)))
    out = tmp_path / "model.npz"
    status = main(["pretrain", str(data), "--layers", "8,4", "--epochs", "2", "-o", str(out), "-q"])
    assert status == 0, capsys.readouterr().err
    text = capsys.readouterr().out
    assert "layer 2: 8 -> 4" in text and "saved" in text
    model = DBN.load(out)
    assert model.layer_sizes_ == (16, 8, 4)
    assert model.transform(pixels.reshape(60, -1) / 255.0).shape == (60, 4)


def test_pretrain_options(tmp_path, pixels, capsys):
    np.savez(tmp_path / "d.npz", junk=np.zeros(3), images=pixels)
    out = tmp_path / "m.npz"
    status = main([
        "pretrain", str(tmp_path / "d.npz"), "--key", "images", "--layers", "6", "--epochs", "1",
        "--binarize", "--persistent", "-k", "2", "--learning-rate", "0.05", "--seed", "3",
        "--propagate", "sample", "--batch-size", "20", "-o", str(out),
    ])  # fmt: skip
    assert status == 0
    model = DBN.load(out)
    assert model.rbms_[0].persistent and model.rbms_[0].k == 2
    assert model.rbms_[0].learning_rate == 0.05 and model.random_state == 3
    assert "RBM" in capsys.readouterr().err  # progress shown without -q


def test_pretrain_missing_file(tmp_path, capsys):
    assert main(["pretrain", str(tmp_path / "none.npy"), "-o", str(tmp_path / "m.npz")]) == 2
    _one_line_error(capsys, "no such file", "none.npy")


def test_pretrain_truncated_idx(tmp_path, pixels, capsys):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(_idx(pixels)[:-7])
    assert main(["pretrain", str(path), "-o", str(tmp_path / "m.npz")]) == 2
    _one_line_error(capsys, "truncated")


def test_pretrain_truncated_gzip(tmp_path, pixels, capsys):
    blob = gzip.compress(_idx(pixels))
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(blob[: len(blob) // 2])
    assert main(["pretrain", str(path), "-o", str(tmp_path / "m.npz")]) == 2
    _one_line_error(capsys, "gzip")


def test_pretrain_bad_magic(tmp_path, capsys):
    path = tmp_path / "data.idx"
    path.write_bytes(b"\x12\x34\x08\x03" + b"\x00" * 40)
    assert main(["pretrain", str(path), "-o", str(tmp_path / "m.npz")]) == 2
    _one_line_error(capsys, "magic")


def test_pretrain_npy_wrong_ndim(tmp_path, capsys):
    np.save(tmp_path / "flat.npy", np.arange(10, dtype=np.float32))
    assert main(["pretrain", str(tmp_path / "flat.npy"), "-o", str(tmp_path / "m.npz")]) == 2
    _one_line_error(capsys, "shape (10,)")


def test_pretrain_garbage_npy_and_bad_key(tmp_path, pixels, capsys):
    (tmp_path / "bad.npy").write_bytes(b"not numpy at all")
    assert main(["pretrain", str(tmp_path / "bad.npy"), "-o", str(tmp_path / "m.npz")]) == 2
    _one_line_error(capsys, "not a readable NumPy file")
    np.savez(tmp_path / "d.npz", x=pixels)
    assert (
        main(["pretrain", str(tmp_path / "d.npz"), "--key", "y", "-o", str(tmp_path / "m.npz")])
        == 2
    )
    _one_line_error(capsys, "no array 'y'")


def test_pretrain_data_out_of_range(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.full((10, 4), 3.5))
    assert main(["pretrain", str(tmp_path / "x.npy"), "-o", str(tmp_path / "m.npz")]) == 2
    _one_line_error(capsys, "[0, 1]")


def test_pretrain_missing_output_folder(tmp_path, pixels, capsys):
    np.save(tmp_path / "x.npy", pixels)
    out = tmp_path / "no" / "such" / "m.npz"
    assert main(["pretrain", str(tmp_path / "x.npy"), "-o", str(out)]) == 2
    _one_line_error(capsys, "does not exist")


@pytest.mark.parametrize("layers", ["500,abc", "0", "-5", ","])
def test_pretrain_bad_layers_is_usage_error(tmp_path, layers, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["pretrain", "x.npy", "--layers", layers, "-o", str(tmp_path / "m.npz")])
    assert exc.value.code == 2
    assert "--layers" in capsys.readouterr().err


def test_bench_missing_script(capsys):
    assert main(["bench", "--script", "does_not_exist"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not found" in err


def test_bench_runs_script_main_from_cwd(tmp_path, monkeypatch, capsys):
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "bench_fake.py").write_text(
        "import dataclasses\n"
        "@dataclasses.dataclass\nclass Row:\n    x: int = 1\n"
        "def main(argv=None):\n    print('fake bench', argv)\n    return 3\n"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "--script", "fake", "--", "--quick", "--repeats", "1"]) == 3
    assert "fake bench ['--quick', '--repeats', '1']" in capsys.readouterr().out
    # Without "--" the script's options are passed on as well, in order.
    assert main(["bench", "--script", "fake", "--quick", "--workloads", "1,6b"]) == 3
    assert "fake bench ['--quick', '--workloads', '1,6b']" in capsys.readouterr().out
    assert main(["bench", "--quick", "--script", "fake"]) == 3
    assert "fake bench ['--quick']" in capsys.readouterr().out


def test_demo_dataset_needs_full(capsys):
    assert main(["demo", "--dataset", "digits"]) == 2
    assert "--full" in capsys.readouterr().err


def test_demo_tiny(tmp_path, monkeypatch, capsys):
    tiny = replace(
        _experiment.preset("digits", full=False),
        starts=("zeros", "DBN pretrained"), seeds=2, epochs_all=1, epochs_few=2,
        pretrain_epochs=1, moments_depth=3, moments_width=16, n_train=300,
    )  # fmt: skip
    monkeypatch.setattr(_experiment, "preset", lambda name, full: replace(tiny))
    status = main(["demo", "--out", str(tmp_path / "out"), "--backend", "numpy"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "| DBN pretrained | sigmoid |" in captured.out
    assert "few labels" in captured.out and "demo finished" in captured.out
    assert (tmp_path / "out" / "results.md").is_file()
    pytest.importorskip("matplotlib")
    for name in ("learning_curves", "filters", "activation_moments"):
        assert (tmp_path / "out" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_demo_without_torch_and_matplotlib(tmp_path, monkeypatch, capsys):
    # A None entry in sys.modules makes `import torch` raise ImportError: the base install.
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    tiny = replace(
        _experiment.preset("digits", full=False),
        starts=("zeros", "DBN pretrained"), seeds=1, epochs_all=1, epochs_few=1,
        pretrain_epochs=1, n_train=200,
    )  # fmt: skip
    monkeypatch.setattr(_experiment, "preset", lambda name, full: replace(tiny))
    assert main(["demo", "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "(numpy)" in captured.out and "no figures" in captured.out
    assert "matplotlib is not installed" in captured.err
    assert not list((tmp_path / "out").glob("*.png"))


def test_demo_full_calls_the_experiment(tmp_path, monkeypatch, capsys):
    calls = {}

    def fake_run_full(names, **kwargs):
        calls.update(kwargs, names=names)
        return []

    monkeypatch.setattr(_experiment, "run_full", fake_run_full)
    argv = ["demo", "--full", "--dataset", "digits", "--seeds", "4", "--out", str(tmp_path)]
    assert main(argv) == 0
    assert calls["names"] == ["digits"]
    assert calls["overrides"] == {"backend": "auto", "seeds": 4}
    assert calls["results_path"] == tmp_path / "RESULTS_init.md"
    assert calls["command"].startswith("python -m fastinit demo --full --dataset digits")


def test_unknown_options_are_refused_outside_bench(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["info", "--bogus"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err
