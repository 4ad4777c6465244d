"""Initialisers: Orthogonal (Keras' algorithm)."""
import numpy as np
import pytest

import layergraph as lg
from layergraph import initializers
from layergraph.initializers import Orthogonal


class TestOrthogonal:
    @pytest.mark.parametrize("shape", [(6, 3), (3, 6), (5, 5), (3, 3, 2, 4), (1, 7)])
    def test_orthonormal_columns_or_rows(self, shape):
        w = Orthogonal(seed=1)(shape)
        assert w.shape == shape
        m = w.reshape(-1, shape[-1])
        gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
        np.testing.assert_allclose(gram, np.eye(min(m.shape)), atol=1e-12)

    def test_gain_scales_the_matrix(self):
        np.testing.assert_allclose(Orthogonal(gain=2.0, seed=3)((4, 4)), 2.0 * Orthogonal(seed=3)((4, 4)), atol=1e-15)

    @pytest.mark.parametrize("shape", [(6, 3), (3, 6)])
    def test_keras_algorithm_qr_of_normal_draws_with_sign_correction(self, shape):
        a = np.random.default_rng(7).normal(size=(6, 3))  # (max, min) of the shape
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        w = Orthogonal(seed=7)(shape)
        np.testing.assert_allclose(w, q if shape[0] >= shape[1] else q.T, atol=1e-14)
        # the sign correction makes R's diagonal positive: a = Q R with Q the result
        assert (np.diag((q.T @ a)) > 0).all()

    def test_seeded_draws_repeat_and_layers_draw_from_their_seed(self):
        np.testing.assert_array_equal(Orthogonal(seed=4)((3, 3)), Orthogonal(seed=4)((3, 3)))
        assert not np.allclose(Orthogonal(seed=4)((3, 3)), Orthogonal(seed=5)((3, 3)))
        a = lg.layers.Dense(3, kernel_initializer="orthogonal", input_shape=(3,), seed=2)
        b = lg.layers.Dense(3, kernel_initializer="orthogonal", input_shape=(3,), seed=2)
        np.testing.assert_array_equal(a.kernel.value, b.kernel.value)

    def test_result_is_c_contiguous_in_the_requested_dtype(self):
        # Weights are perturbed and updated through flat views: a transposed (Fortran-order) array would not be.
        w = Orthogonal(seed=0)((2, 8), "float32")
        assert w.flags.c_contiguous and w.dtype == np.float32

    @pytest.mark.parametrize("shape", [(), (4,)])
    def test_needs_two_dimensions(self, shape):
        with pytest.raises(ValueError, match=r"Orthogonal: the tensor to initialize must be at least two-dimensional, "
                                             rf"got shape {re_escape(shape)} of rank {len(shape)}"):
            Orthogonal()(shape)

    def test_registered_by_name_and_serialisable(self):
        init = initializers.get("orthogonal")
        assert isinstance(init, Orthogonal) and init.gain == 1.0
        config = initializers.serialize(Orthogonal(gain=0.5, seed=3))
        assert config == {"class_name": "Orthogonal", "config": {"gain": 0.5, "seed": 3}}
        np.testing.assert_array_equal(initializers.get(config)((3, 2)), Orthogonal(gain=0.5, seed=3)((3, 2)))


def re_escape(shape):
    return str(shape).replace("(", r"\(").replace(")", r"\)")
