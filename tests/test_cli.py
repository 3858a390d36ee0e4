"""python -m fastinit: demo, pretrain, bench, info; one-line errors with exit status 2."""

from __future__ import annotations

import gzip
import struct
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import fastinit
from fastinit import DBN, _experiment
from fastinit.__main__ import main
from fastinit.dbn import default_learning_rate


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


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"fastinit {fastinit.__version__}"
    proc = subprocess.run(
        [sys.executable, "-m", "fastinit", "--version"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and proc.stdout.strip() == f"fastinit {fastinit.__version__}"


def _pretrain(tmp_path, data, *options: str) -> DBN:
    out = tmp_path / "m.npz"
    status = main(["pretrain", str(data), "--epochs", "1", "-q", "-o", str(out), *options])
    assert status == 0
    return DBN.load(out)


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        # (the default for each layer: 0.1 * min(1, 500 / n_hidden) * min(1, 1000 / n_visible))
        ([], [0.1, 0.1 * 500 / 600, 0.1]),
        (["--learning-rate", "0.05"], [0.05, 0.05, 0.05]),
        (["--learning-rate", "0.05,0.02,0.3"], [0.05, 0.02, 0.3]),
        (["--learning-rate", "auto,0.02,auto"], [0.1, 0.02, 0.1]),
        (["--learning-rate", " 1e-2 , 2E-2,3e-2"], [0.01, 0.02, 0.03]),
    ],
)
def test_pretrain_learning_rates_reach_each_layer(tmp_path, pixels, option, expected):
    np.save(tmp_path / "x.npy", pixels)
    model = _pretrain(tmp_path, tmp_path / "x.npy", "--layers", "8,600,4", *option)
    assert [rbm.learning_rate for rbm in model.rbms_] == pytest.approx(expected, rel=1e-12)
    assert default_learning_rate(8, 600) == pytest.approx(0.1 * 500 / 600, rel=1e-12)


@pytest.mark.parametrize("rates", ["abc", "0", "-0.1", "nan", "inf", "0.1,,0.2", "", "0.1;0.2"])
def test_pretrain_bad_learning_rate_is_usage_error(tmp_path, rates, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["pretrain", "x.npy", "--learning-rate", rates, "-o", str(tmp_path / "m.npz")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --learning-rate: expected a positive learning rate" in err, err


def test_pretrain_learning_rate_count_must_match_layers(tmp_path, pixels, capsys):
    np.save(tmp_path / "x.npy", pixels)
    argv = ["pretrain", str(tmp_path / "x.npy"), "--layers", "8,4", "--learning-rate"]
    assert main([*argv, "0.1,0.2,0.3", "-o", str(tmp_path / "m.npz")]) == 2
    _one_line_error(capsys, "--learning-rate has 3 values for 2 layers", "--layers 8,4")
    assert not (tmp_path / "m.npz").exists()


def _write_csv(path, rows: np.ndarray, header: str | None = None, fmt: str = "%.9g") -> None:
    np.savetxt(path, rows, fmt=fmt, delimiter=",", header=header or "", comments="")
    if header is None:  # np.savetxt writes an empty first line for header=""
        path.write_text(path.read_text().lstrip("\n"))


def _same_models(a: DBN, b: DBN) -> bool:
    return all(
        np.array_equal(x.components_, y.components_)
        and np.array_equal(x.intercept_hidden_, y.intercept_hidden_)
        and np.array_equal(x.intercept_visible_, y.intercept_visible_)
        for x, y in zip(a.rbms_, b.rbms_, strict=True)
    )


@pytest.mark.parametrize("kind", ["floats", "pixels"])
def test_pretrain_csv_with_and_without_header_equals_npy(tmp_path, pixels, kind):
    rows = pixels.reshape(len(pixels), -1)
    if kind == "floats":
        rows = (rows / 255.0).astype(np.float32)  # floats in [0, 1], kept as they are
    np.save(tmp_path / "x.npy", rows)
    reference = _pretrain(tmp_path, tmp_path / "x.npy", "--layers", "8,4")
    fmt = "%.9g" if kind == "floats" else "%d"  # 9 digits give float32 back exactly
    names = ",".join(f"pixel{i}" for i in range(rows.shape[1]))
    numbers = ",".join(str(i) for i in range(rows.shape[1]))
    cases = {
        "plain.csv": (None, []),
        "named.csv": (names, []),  # a header of names is detected
        "numbered.csv": (numbers, ["--csv-header"]),  # a numeric header must be declared
    }
    for name, (header, options) in cases.items():
        _write_csv(tmp_path / name, rows, header, fmt)
        model = _pretrain(tmp_path, tmp_path / name, "--layers", "8,4", *options)
        assert model.layer_sizes_ == (16, 8, 4)
        assert _same_models(model, reference), name
    gz = tmp_path / "plain.csv.gz"
    gz.write_bytes(gzip.compress((tmp_path / "plain.csv").read_bytes()))
    assert _same_models(_pretrain(tmp_path, gz, "--layers", "8,4"), reference)


def test_pretrain_bad_csv(tmp_path, capsys):
    out = ["-o", str(tmp_path / "m.npz")]
    cases = {
        "ragged.csv": ("0,1\n1\n", "line 2 has 1 fields, line 1 has 2"),
        "text.csv": ("a,b\n0,1\n0,x\n", "line 3, field 2: 'x' is not a number"),
        "hole.csv": ("0,,1\n1,0,1\n", "line 1, field 2: '' is not a number"),
        "empty.csv": ("", "is empty"),
        "header.csv": ("a,b\n", "a header but no rows"),
        "nan.csv": ("0,nan\n", "NaN or infinite"),
    }
    for name, (text, needle) in cases.items():
        (tmp_path / name).write_text(text)
        assert main(["pretrain", str(tmp_path / name), *out]) == 2
        _one_line_error(capsys, name, needle)
    (tmp_path / "range.csv").write_text("0,2.5\n1,0\n")
    assert main(["pretrain", str(tmp_path / "range.csv"), *out]) == 2
    _one_line_error(capsys, "[0, 2.5]")
    assert main(["pretrain", str(tmp_path / "range.csv"), "--key", "x", *out]) == 2
    _one_line_error(capsys, "--key applies to .npz files only")
    np.save(tmp_path / "x.npy", np.zeros((4, 2)))
    assert main(["pretrain", str(tmp_path / "x.npy"), "--csv-header", *out]) == 2
    _one_line_error(capsys, "--csv-header applies to .csv files only")
    assert main(["pretrain", str(tmp_path / "missing.csv"), *out]) == 2
    _one_line_error(capsys, "no such file", "missing.csv")


@pytest.mark.parametrize("output", ["model", "model.NPZ", "sub/model.npz"])
def test_pretrain_prints_the_path_it_wrote(tmp_path, pixels, monkeypatch, capsys, output):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    np.save("x.npy", pixels)
    assert main(["pretrain", "x.npy", "--layers", "4", "--epochs", "1", "-q", "-o", output]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("saved ")
    printed = Path(line.removeprefix("saved ").rsplit(" (", 1)[0])
    assert printed.is_absolute() and printed.is_file()
    # np.savez appends .npz to any other name; the path printed is the file written.
    expected = output if output.endswith(".npz") else output + ".npz"
    assert printed == tmp_path / expected
    assert [p.name for p in printed.parent.iterdir() if p.name.startswith("model")] == [
        printed.name
    ]
    assert DBN.load(printed).layer_sizes_ == (16, 4)


def test_pretrain_reports_dead_units(tmp_path, pixels, capsys):
    np.save(tmp_path / "x.npy", pixels)
    out = tmp_path / "m.npz"
    argv = ["pretrain", str(tmp_path / "x.npy"), "--layers", "8,4", "--epochs", "2", "-q",
            "--batch-size", "20"]  # fmt: skip
    # A rate of 50 switches every unit of the second layer off.
    assert main([*argv, "--learning-rate", "0.1,50", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    model = DBN.load(out)
    assert np.all(model.transform(pixels.reshape(60, -1) / 255.0).mean(axis=0) < 0.01)
    warning = [line for line in captured.err.splitlines() if "warning" in line]
    assert len(warning) == 1, captured.err
    assert warning[0].startswith("python -m fastinit pretrain: warning: layer 2 (8 -> 4): 4 of")
    assert "Lower its learning rate, now 50: e.g. --learning-rate 0.1,0.1" in warning[0]
    assert "layer 2: 8 -> 4, learning rate 50," in captured.out
    assert "4 dead and 0 saturated hidden units" in captured.out
    # A healthy run prints no warning.
    assert main([*argv, "-o", str(out)]) == 0
    assert "warning" not in capsys.readouterr().err


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
