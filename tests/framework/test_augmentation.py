"""RandomTranslation, RandomRotation, RandomZoom: exact transforms, fill modes, randomness, gradients, config."""
import json

import numpy as np
import pytest

import layergraph as lg
from layergraph import gradients, layers
from layergraph.framework.gradients import AnalyticGradient, NumericGradient
from layergraph.framework.layers import affine_sampling
from layergraph.framework.objective import Objective

FILL_MODES = ["reflect", "wrap", "constant", "nearest"]


def _image(h, w, c=1, batch=True):
    """``0, 1, 2, ...`` row by row (channel ``k`` adds ``100 * k``), as ``(1, h, w, c)`` or ``(h, w, c)``."""
    img = np.arange(h * w, dtype=float).reshape(h, w, 1) + 100.0 * np.arange(c)
    return img[None] if batch else img


def _train(layer, x):
    return layer.forward(x, training=True)[0]


# -- exact transforms on hand-built images ---------------------------------------------------------------------------
class TestTranslation:
    @pytest.mark.parametrize("fill_mode, first_column", [
        ("constant", [-1.0, -1.0, -1.0]), ("nearest", [0.0, 4.0, 8.0]),
        ("reflect", [0.0, 4.0, 8.0]), ("wrap", [3.0, 7.0, 11.0])])
    @pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
    def test_one_pixel_right(self, fill_mode, first_column, interpolation):
        x = _image(3, 4)
        layer = layers.RandomTranslation(0.0, (0.25, 0.25), fill_mode=fill_mode, fill_value=-1.0,
                                         interpolation=interpolation)
        out = _train(layer, x)[0, :, :, 0]
        np.testing.assert_array_equal(out[:, 1:], x[0, :, :3, 0])  # the content moved one pixel right
        np.testing.assert_array_equal(out[:, 0], first_column)

    def test_one_pixel_up_and_unbatched(self):
        x = _image(4, 3, c=2, batch=False)
        out = _train(layers.RandomTranslation((-0.25, -0.25), 0.0, fill_mode="constant"), x)
        assert out.shape == (4, 3, 2)
        np.testing.assert_array_equal(out[:3], x[1:])
        np.testing.assert_array_equal(out[3], 0.0)

    def test_half_pixel_blends_neighbours(self):
        x = _image(1, 4)
        out = _train(layers.RandomTranslation(0.0, (0.125, 0.125), fill_mode="nearest"), x)  # 0.5 pixel right
        np.testing.assert_array_equal(out.ravel(), [0.0, 0.5, 1.5, 2.5])

    @pytest.mark.parametrize("fill_mode, expected", [
        ("reflect", [3.0, 2.0, 1.0, 0.0]), ("wrap", [0.0, 1.0, 2.0, 3.0]),
        ("nearest", [0.0, 0.0, 0.0, 0.0]), ("constant", [7.0, 7.0, 7.0, 7.0])])
    def test_a_whole_image_away_shows_the_fill_pattern(self, fill_mode, expected):
        # Shifted right by the full width, every output pixel reads x - 4 in (-4..-1):
        # reflect (d c b a | a b c d), wrap (a b c d | a b c d), nearest (a a a a | ...).
        out = _train(layers.RandomTranslation(0.0, (1.0, 1.0), fill_mode=fill_mode, fill_value=7.0), _image(1, 4))
        np.testing.assert_array_equal(out.ravel(), expected)

    def test_keras_reference(self):
        # keras.layers.RandomTranslation((0.3, 0.3), (-0.25, -0.25), fill_mode="reflect") on this image,
        # Keras 3.15.1 (TensorFlow backend): dy = 1.2 rows down, dx = 1.25 columns left.
        keras_out = [[2.25, 3.25, 4.25, 5.0, 4.75], [1.25, 2.25, 3.25, 4.0, 3.75],
                     [5.25, 6.25, 7.25, 8.0, 7.75], [10.25, 11.25, 12.25, 13.0, 12.75]]
        layer = layers.RandomTranslation((0.3, 0.3), (-0.25, -0.25))
        np.testing.assert_allclose(_train(layer, _image(4, 5))[0, :, :, 0], keras_out, atol=1e-5)


class TestRotation:
    @pytest.mark.parametrize("turn, k", [(0.25, 1), (-0.25, -1), (0.5, 2), (1.0, 0)])
    @pytest.mark.parametrize("fill_mode", FILL_MODES)
    def test_quarter_turns_of_a_square_image_are_rot90(self, turn, k, fill_mode):
        x = _image(5, 5, c=2)
        out = _train(layers.RandomRotation((turn, turn), fill_mode=fill_mode), x)
        np.testing.assert_allclose(out[0], np.rot90(x[0], k), atol=1e-12)

    def test_positive_angles_turn_counter_clockwise(self):
        x = np.zeros((1, 3, 3, 1))
        x[0, 0, 2] = 1.0  # top right
        out = _train(layers.RandomRotation((0.25, 0.25)), x)[0, :, :, 0]
        np.testing.assert_allclose(out, [[1, 0, 0], [0, 0, 0], [0, 0, 0]], atol=1e-12)  # -> top left

    def test_keras_reference(self):
        # keras.layers.RandomRotation((0.1, 0.1)) (reflect, bilinear), Keras 3.15.1 (TensorFlow backend).
        keras_out = [[1.263644, 2.072661, 4.31405, 8.061994, 11.310225],
                     [0.675859, 4.023407, 7.77135, 11.519293, 15.267236],
                     [3.732764, 7.480706, 11.228649, 14.976593, 18.324142],
                     [7.689775, 10.938006, 14.68595, 16.92734, 17.736357]]
        out = _train(layers.RandomRotation((0.1, 0.1)), _image(4, 5))[0, :, :, 0]
        np.testing.assert_allclose(out, keras_out, atol=1e-5)


class TestZoom:
    def test_zoom_in_halves_the_distances_to_the_centre(self):
        x = _image(1, 5)  # [0 1 2 3 4], centre column 2
        layer = layers.RandomZoom(0.0, (-0.5, -0.5))  # z = 0.5: output x reads 2 + 0.5 (x - 2)
        np.testing.assert_array_equal(_train(layer, x).ravel(), [1.0, 1.5, 2.0, 2.5, 3.0])
        nearest = layers.RandomZoom(0.0, (-0.5, -0.5), interpolation="nearest")  # halves round up
        np.testing.assert_array_equal(_train(nearest, x).ravel(), [1.0, 2.0, 2.0, 3.0, 3.0])

    def test_zoom_out_shrinks_the_content(self):
        x = np.zeros((1, 5, 5, 1))
        x[0, 1:4, 1:4] = 1.0
        out = _train(layers.RandomZoom((1.0, 1.0), fill_mode="constant"), x)[0, :, :, 0]  # z = 2
        expected = np.zeros((5, 5))
        expected[2, 2] = 1.0
        np.testing.assert_array_equal(out, expected)

    def test_width_factor_none_keeps_the_aspect_ratio(self):
        layer = layers.RandomZoom(0.3, seed=0)
        t = layer.draw_transforms(50, 8, 8)
        np.testing.assert_array_equal(t[:, 0, 0], t[:, 1, 1])
        assert 0.7 <= t[:, 0, 0].min() < t[:, 0, 0].max() <= 1.3
        t = layers.RandomZoom(0.3, (0.1, 0.2), seed=0).draw_transforms(50, 8, 8)
        assert 1.1 <= t[:, 0, 0].min() and t[:, 0, 0].max() <= 1.2

    def test_keras_reference(self):
        # keras.layers.RandomZoom((0.5, 0.5), (-0.2, -0.2), fill_mode="constant", fill_value=-1), Keras 3.15.1.
        keras_out = [[-0.65, -0.45, -0.25, -0.05, 0.15], [4.15, 4.95, 5.75, 6.55, 7.35],
                     [11.65, 12.45, 13.25, 14.05, 14.85], [3.1, 3.3, 3.5, 3.7, 3.9]]
        layer = layers.RandomZoom((0.5, 0.5), (-0.2, -0.2), fill_mode="constant", fill_value=-1.0)
        np.testing.assert_allclose(_train(layer, _image(4, 5))[0, :, :, 0], keras_out, atol=1e-5)


# -- randomness ------------------------------------------------------------------------------------------------------
def _layers(seed=0):
    return [layers.RandomTranslation(0.2, 0.3, seed=seed), layers.RandomRotation(0.1, seed=seed),
            layers.RandomZoom(0.2, seed=seed)]


@pytest.mark.parametrize("index", range(3))
class TestRandomness:
    def test_shapes_and_dtype(self, index, rng):
        layer = _layers()[index]
        for shape in [(3, 6, 7, 2), (6, 7, 2)]:
            for dtype in (np.float32, np.float64):
                out = _train(layer, rng.normal(size=shape).astype(dtype))
                assert out.shape == shape and out.dtype == dtype
        assert layer.compute_output_shape((None, 6, 7, 2)) == (None, 6, 7, 2)

    def test_integer_pixels_become_floats(self, index):
        x = np.arange(64, dtype=np.uint8).reshape(1, 8, 8, 1)
        layer = _layers()[index]
        out = layer.forward(x, training=False)[0]
        assert out.dtype == np.float64 and np.array_equal(out, x)
        assert _train(layer, x).dtype == np.float64

    def test_identity_in_inference(self, index, rng):
        x = rng.normal(size=(2, 6, 6, 1))
        layer = _layers()[index]
        out, cache = layer.forward(x, training=False)
        assert out is x and cache is None
        assert layer.backward(x, cache) == (x, [])

    def test_reproducible_with_a_seed_and_new_each_pass_and_image(self, index, rng):
        x = np.repeat(rng.normal(size=(1, 8, 8, 1)), 2, axis=0)  # two copies of one image
        a, b = _layers(seed=5)[index], _layers(seed=5)[index]
        first = [_train(a, x) for _ in range(2)]
        second = [_train(b, x) for _ in range(2)]
        np.testing.assert_array_equal(first[0], second[0])
        np.testing.assert_array_equal(first[1], second[1])
        assert not np.array_equal(first[0], first[1])  # a new draw each pass
        assert not np.array_equal(first[0][0], first[0][1])  # and one per image

    def test_frozen_masks_keep_one_draw(self, index, rng):
        layer = _layers()[index]
        x = rng.normal(size=(3, 6, 6, 1))
        with layers.frozen_masks(layer):
            a = _train(layer, x)
            with layers.frozen_masks(layer):
                b = _train(layer, x)
            c = _train(layer, x)
            other_batch = _train(layer, x[:2])  # another batch size draws again
        d = _train(layer, x)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
        assert other_batch.shape == (2, 6, 6, 1)
        assert not np.array_equal(a, d)
        with layers.frozen_masks(layer):  # a new block draws anew
            assert not np.array_equal(_train(layer, x), a)

    def test_disabled_dropout_makes_them_the_identity_in_training(self, index, rng):
        layer = _layers()[index]
        x = rng.normal(size=(2, 6, 6, 1))
        with layers.disabled_dropout(layer):
            assert layer.forward(x, training=True)[0] is x
        assert not np.array_equal(_train(layer, x), x)


def test_drawn_transforms_stay_in_the_factor_ranges():
    n, h, w = 2000, 20, 10
    t = layers.RandomTranslation((0.1, 0.3), (-0.2, -0.1), seed=0).draw_transforms(n, h, w)
    dx, dy = -t[:, 0, 2], -t[:, 1, 2]
    assert 0.1 * h <= dy.min() < 0.12 * h and 0.28 * h < dy.max() <= 0.3 * h
    assert -0.2 * w <= dx.min() < -0.19 * w and -0.11 * w < dx.max() <= -0.1 * w
    np.testing.assert_array_equal(t[:, :, :2], np.broadcast_to(np.eye(2), (n, 2, 2)))
    t = layers.RandomRotation(0.125, seed=0).draw_transforms(n, h, w)  # up to 45 degrees either way
    angle = np.degrees(np.arctan2(t[:, 1, 0], t[:, 0, 0]))
    assert -45 <= angle.min() < -44 and 44 < angle.max() <= 45
    # the centre ((w - 1) / 2, (h - 1) / 2) stays where it is
    centre = np.array([(w - 1) / 2, (h - 1) / 2, 1.0])
    np.testing.assert_allclose(t @ centre, np.broadcast_to(centre[:2], (n, 2)), atol=1e-12)


# -- gradients -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_adjoint_is_the_transpose_of_the_resampling(fill_mode, interpolation, rng):
    # <A x, g> == <x, A^T g> for random x, g: the dot-product test of a linear map.
    x, g = rng.normal(size=(3, 5, 6, 2)), rng.normal(size=(3, 5, 6, 2))
    transforms = rng.normal(size=(3, 2, 3)) + [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    transforms[:, :, 2] *= 4  # far outside the image too
    plan = affine_sampling.sampling_plan(transforms, x.shape, interpolation, fill_mode)
    forward = np.vdot(affine_sampling.apply(x, plan, fill_value=0.0), g)
    np.testing.assert_allclose(forward, np.vdot(x, affine_sampling.adjoint(g, plan)), rtol=1e-12)


def _model_with_augmentation_inside(seed=0):
    """Conv2D first, so the gradient flows *through* the augmentation layers to its kernel."""
    return lg.Sequential([
        lg.Input(shape=(6, 6, 1)),
        layers.Conv2D(2, 3, padding="same", activation="tanh", seed=seed),
        layers.RandomRotation(0.1, seed=seed + 1),
        layers.RandomZoom(0.2, seed=seed + 2),
        layers.RandomTranslation(0.2, 0.2, fill_mode="constant", fill_value=0.5, seed=seed + 3),
        layers.Flatten(),
        layers.Dense(3, activation="softmax", seed=seed + 4),
    ])


def test_gradient_check_through_the_augmentation_layers(rng):
    model = _model_with_augmentation_inside()
    x, y = rng.normal(size=(4, 6, 6, 1)), np.array([0, 1, 2, 1])
    result = gradients.check(model, "sparse_categorical_crossentropy", x, y)
    assert result.passed, str(result)
    off = gradients.check(model, "sparse_categorical_crossentropy", x, y, numeric=NumericGradient(dropout="off"))
    assert off.passed, str(off)


def test_numeric_strategy_differentiates_one_draw_per_step(rng):
    model = _model_with_augmentation_inside()
    x, y = rng.normal(size=(3, 6, 6, 1)), np.array([0, 1, 2])
    value, numeric = NumericGradient().gradients(model, "sparse_categorical_crossentropy", x, y)
    kept = [layer._transforms for layer in model.layers[1:4]]  # the draws of that step
    twin = _model_with_augmentation_inside()
    twin.set_weights(model.get_weights())
    with layers.frozen_masks(twin):
        for layer, draw in zip(twin.layers[1:4], kept, strict=True):
            layer._transforms = draw  # reused by the forward pass inside the block
        analytic_value, analytic = AnalyticGradient().gradients(twin, "sparse_categorical_crossentropy", x, y)
    assert value == pytest.approx(analytic_value, rel=1e-12)
    for a, n in zip(analytic, numeric, strict=True):
        np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-8)
    # Without freezing, two evaluations of the same loss differ: that is what the block prevents.
    objective = Objective.get("sparse_categorical_crossentropy")
    assert objective.value(twin, x, y) != objective.value(twin, x, y)


@pytest.mark.parametrize("index", range(3))
def test_first_layer_is_asked_for_no_input_gradient(index, rng):
    layer = _layers()[index]
    x = rng.normal(size=(2, 6, 6, 1))
    out, cache = layer.forward(x, training=True)
    assert layer.backward(np.ones_like(out), cache, input_grad=False) == (None, [])
    dx, weight_grads = layer.backward(np.ones_like(out), cache)
    assert dx.shape == x.shape and weight_grads == []
    assert layer.trainable_weights == [] and layer.count_params() == 0


def test_a_model_with_augmentation_first_trains_and_predicts_without_it(rng):
    model = lg.Sequential([lg.Input(shape=(8, 8, 1)), *_layers(), layers.Flatten(),
                           layers.Dense(2, activation="softmax", seed=0)])
    plain = lg.Sequential([lg.Input(shape=(8, 8, 1)), layers.Flatten(), layers.Dense(2, activation="softmax")])
    x, y = rng.normal(size=(16, 8, 8, 1)), rng.integers(0, 2, 16)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", seed=0)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    plain.set_weights(model.get_weights())
    np.testing.assert_array_equal(model.predict(x, verbose=0), plain.predict(x, verbose=0))


# -- config and saving -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    layers.RandomTranslation((-0.1, 0.2), 0.3, fill_mode="wrap", interpolation="nearest", seed=3, name="shift"),
    layers.RandomRotation(0.05, fill_mode="constant", fill_value=0.5, name="turn"),
    layers.RandomZoom(0.1, (-0.2, 0.1), fill_mode="nearest", seed=1, name="zoom"),
    layers.RandomZoom(0.1, name="zoom_keep_aspect"),
], ids=lambda layer: layer.name)
def test_config_round_trip(layer):
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    assert {"fill_mode", "interpolation", "fill_value", "data_format"} <= set(config)
    assert (clone.fill_mode, clone.interpolation, clone.fill_value) == (layer.fill_mode, layer.interpolation,
                                                                        layer.fill_value)


def test_saved_model_predicts_exactly_like_the_original(tmp_path, rng):
    model = lg.Sequential([lg.Input(shape=(8, 8, 1)), *_layers(seed=2),
                           layers.Conv2D(2, 3, activation="relu", seed=0), layers.Flatten(),
                           layers.Dense(3, activation="softmax", seed=1)])
    x, y = rng.normal(size=(12, 8, 8, 1)), rng.integers(0, 3, 12)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", seed=0)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    model.save(tmp_path / "m.lg")
    restored = lg.load_model(tmp_path / "m.lg")
    assert [type(layer).__name__ for layer in restored.layers[:3]] == ["RandomTranslation", "RandomRotation",
                                                                       "RandomZoom"]
    assert [layer.get_config() for layer in restored.layers] == [layer.get_config() for layer in model.layers]
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


# -- bad input -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda: layers.RandomTranslation(1.5, 0.1, name="t"),
     r"RandomTranslation 't': height_factor must be a number or a \(lower, upper\) pair of numbers in \[-1.0, 1.0\], "
     r"got 1.5"),
    (lambda: layers.RandomTranslation(0.1, (0.1, 1.01), name="t"), r"width_factor .* got \(0.1, 1.01\)"),
    (lambda: layers.RandomTranslation(0.1, (0.1, 0.2, 0.3), name="t"), r"width_factor .* got \(0.1, 0.2, 0.3\)"),
    (lambda: layers.RandomTranslation(float("nan"), 0.1, name="t"), r"height_factor .* got nan"),
    (lambda: layers.RandomTranslation("0.1", 0.1, name="t"), r"height_factor .* got '0.1'"),
    (lambda: layers.RandomTranslation(True, 0.1, name="t"), r"height_factor .* got True"),
    (lambda: layers.RandomRotation((-0.5, -1.5), name="r"),
     r"RandomRotation 'r': factor must be a number or a \(lower, upper\) pair of numbers in \[-1.0, 1.0\], "
     r"got \(-0.5, -1.5\)"),
    (lambda: layers.RandomRotation(None, name="r"), r"factor .* got None"),
    (lambda: layers.RandomZoom(-1.0, name="z"),
     r"RandomZoom 'z': height_factor must be a number or a \(lower, upper\) pair of numbers in \(-1.0, 1.0\], "
     r"got -1.0"),
    (lambda: layers.RandomZoom(0.1, (-1.0, 0.5), name="z"), r"RandomZoom 'z': width_factor .* got \(-1.0, 0.5\)"),
    (lambda: layers.RandomZoom(0.1, fill_mode="mirror", name="z"),
     r"RandomZoom 'z': fill_mode must be one of \['reflect', 'wrap', 'constant', 'nearest'\], got 'mirror'"),
    (lambda: layers.RandomRotation(0.1, interpolation="bicubic", name="r"),
     r"RandomRotation 'r': interpolation must be one of \['bilinear', 'nearest'\], got 'bicubic'"),
    (lambda: layers.RandomRotation(0.1, fill_value=float("inf"), name="r"),
     r"RandomRotation 'r': fill_value must be a finite number, got inf"),
    (lambda: layers.RandomRotation(0.1, data_format="channels_first", name="r"),
     r"RandomRotation 'r': only data_format='channels_last' is supported, got 'channels_first'"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_pairs_are_sorted_as_keras_sorts_them():
    layer = layers.RandomTranslation((0.3, -0.2), -0.1)
    assert (layer.height_lower, layer.height_upper, layer.width_lower, layer.width_upper) == (-0.2, 0.3, -0.1, 0.1)
    assert layer.get_config()["height_factor"] == (0.3, -0.2)  # kept as given, as Keras keeps it


@pytest.mark.parametrize("index", range(3))
@pytest.mark.parametrize("shape", [(4, 784), (2, 3, 5, 5, 1), (7,)])
def test_non_images_are_rejected_before_any_draw(index, shape):
    layer = _layers()[index]
    state = layer.generator.bit_generator.state
    name = type(layer).__name__
    with pytest.raises(ValueError, match=rf"{name} '{layer.name}' expects images of shape \(batch, height, width, "
                                         rf"channels\) or \(height, width, channels\), got an array of shape "
                                         rf"{re_shape(shape)}"):
        layer.forward(np.zeros(shape), training=True)
    assert layer.generator.bit_generator.state == state
    with pytest.raises(ValueError, match="expects images"):
        layer.forward(np.zeros(shape), training=False)  # inference checks too


def re_shape(shape):
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


def test_a_model_on_flat_inputs_is_rejected_at_build():
    with pytest.raises(ValueError, match=r"RandomRotation 'r' expects images \(batch, height, width, channels\), "
                                         r"got input shape \(None, 784\)"):
        lg.Sequential([lg.Input(shape=(784,)), layers.RandomRotation(0.1, name="r")])
