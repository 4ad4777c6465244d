r"""Image augmentation layers (Keras 3's preprocessing layers): :class:`RandomTranslation`,
:class:`RandomRotation`, :class:`RandomZoom`.

In training each layer draws one random affine transform per image from its
own seeded :class:`numpy.random.Generator` and resamples the batch through
them (:mod:`~layergraph.framework.layers.affine_sampling`: vectorised over
the batch). In inference (``training=False``: ``predict``, ``evaluate``,
validation) they are the identity, so a trained model, saved and loaded,
predicts exactly as a model without them would.

Arguments, defaults and transforms follow Keras 3
(``keras/src/layers/preprocessing/image_preprocessing/random_*.py``):
factors are fractions of the image size (of a full turn for the rotation),
a single number ``f`` means ``(-|f|, |f|)``, a pair ``(lower, upper)`` is
sorted as Keras sorts it; ``fill_mode="reflect"``,
``interpolation="bilinear"``, ``fill_value=0.0``. Only ``"channels_last"``
images are supported: ``(n, height, width, channels)``, or one image
``(height, width, channels)``.

They are :class:`~layergraph.framework.layers.randomness.RandomLayer`\ s:
inside :func:`~layergraph.framework.layers.frozen_masks` they reuse one
transform per image (so numeric gradients of a model that contains them are
meaningful), inside :func:`~layergraph.framework.layers.disabled_dropout`
they are the identity in training too. Their backward pass is the exact
gradient of the resampling (it is linear in the images); as the first layer
of a model they are asked for none and return ``(None, [])``.

Example
-------
>>> import numpy as np
>>> from layergraph.layers import RandomTranslation
>>> image = np.zeros((1, 3, 3, 1)); image[0, 1, 1, 0] = 1.0
>>> right = RandomTranslation(0.0, (1 / 3, 1 / 3), fill_mode="constant")  # always one pixel right
>>> right.forward(image, training=True)[0][0, :, :, 0].tolist()
[[0.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
>>> right(image) is not None and bool((right(image) == image).all())      # inference: identity
True
"""
from __future__ import annotations

import math

import numpy as np

from .._checks import is_number
from . import affine_sampling
from .randomness import RandomLayer

__all__ = ["RandomTranslation", "RandomRotation", "RandomZoom", "RandomAffineLayer", "factor_range"]


def factor_range(owner, label, factor, low=-1.0, low_inclusive=True, high=1.0):
    """``(lower, upper)`` from a Keras factor, or ``ValueError`` naming ``owner`` and ``label``.

    A number ``f`` gives ``(-|f|, |f|)``; a pair is sorted (Keras sorts it too).
    Every number must lie in ``[low, high]`` (``(low, high]`` when not
    ``low_inclusive``).

    Example
    -------
    >>> factor_range("RandomZoom 'z'", "height_factor", (0.3, -0.2), low_inclusive=False)
    (-0.2, 0.3)
    >>> factor_range("RandomZoom 'z'", "height_factor", -1.0, low_inclusive=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: RandomZoom 'z': height_factor must be a number or a (lower, upper) pair of numbers ... got -1.0
    """
    interval = f"{'[' if low_inclusive else '('}{low}, {high}]"

    def valid(v):
        return (is_number(v) and math.isfinite(v) and (v >= low if low_inclusive else v > low) and v <= high)

    if isinstance(factor, (tuple, list)) and len(factor) == 2 and all(valid(v) for v in factor):
        lower, upper = sorted(float(v) for v in factor)
        return lower, upper
    if not isinstance(factor, (tuple, list)) and valid(factor):
        return -abs(float(factor)), abs(float(factor))
    raise ValueError(f"{owner}: {label} must be a number or a (lower, upper) pair of numbers in {interval}, "
                     f"got {factor!r}")


class RandomAffineLayer(RandomLayer):
    """Base of the augmentation layers: a random affine transform per image in training.

    A subclass implements :meth:`draw_transforms`; this class validates the
    common arguments and the input, keeps the draw inside
    :func:`~layergraph.framework.layers.frozen_masks`, resamples, and
    differentiates.

    Parameters
    ----------
    fill_mode : {"reflect", "wrap", "constant", "nearest"}
        How points outside the image are filled (see
        :mod:`~layergraph.framework.layers.affine_sampling`).
    interpolation : {"bilinear", "nearest"}
        How the image is read between pixels.
    seed : int, optional
        Seed of the layer's generator.
    fill_value : float
        The value read outside the image when ``fill_mode="constant"``.
    data_format : {"channels_last", None}
        Accepted for Keras compatibility; ``"channels_first"`` is not supported.
    **kwargs
        ``name``, ``input_shape``, ``dtype``, ``trainable``.
    """

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, **kwargs)
        owner = self._owner()
        if fill_mode not in affine_sampling.FILL_MODES:
            raise ValueError(f"{owner}: fill_mode must be one of {list(affine_sampling.FILL_MODES)}, "
                             f"got {fill_mode!r}")
        if interpolation not in affine_sampling.INTERPOLATIONS:
            raise ValueError(f"{owner}: interpolation must be one of {list(affine_sampling.INTERPOLATIONS)}, "
                             f"got {interpolation!r}")
        if not (is_number(fill_value) and math.isfinite(fill_value)):
            raise ValueError(f"{owner}: fill_value must be a finite number, got {fill_value!r}")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{owner}: only data_format='channels_last' is supported, got {data_format!r}")
        self.fill_mode, self.interpolation = fill_mode, interpolation
        self.fill_value, self.data_format = float(fill_value), "channels_last"
        self._transforms = None  # the last draw, reused inside frozen_masks

    def _owner(self):
        return f"{type(self).__name__} {self.name!r}"

    def draw_transforms(self, n, height, width):
        """A random transform per image, mapping output pixels to input points.

        Parameters
        ----------
        n : int
            Number of images.
        height, width : int
            Image size in pixels.

        Returns
        -------
        numpy.ndarray
            ``(n, 2, 3)`` float64 affine matrices.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement draw_transforms()")

    def forget_draws(self):
        self._transforms = None

    def build(self, input_shape):
        if len(input_shape) not in (3, 4):
            raise ValueError(f"{self._owner()} expects images (batch, height, width, channels), "
                             f"got input shape {tuple(input_shape)}")
        self.built = True

    def _check_images(self, x):
        if x.ndim not in (3, 4):
            raise ValueError(f"{self._owner()} expects images of shape (batch, height, width, channels) or "
                             f"(height, width, channels), got an array of shape {x.shape}")

    def forward(self, x, training=False):
        self._check_images(x)
        if x.dtype.kind != "f":  # integer pixels (uint8): computed and returned as floats, as in Keras
            x = x.astype(self.dtype)
        if not training or self.randomness_disabled:
            return x, None
        images = x if x.ndim == 4 else x[None]
        n, h, w, _ = images.shape
        transforms = self._transforms
        if not self.randomness_frozen or transforms is None or transforms[0] != (n, h, w):
            transforms = self._transforms = ((n, h, w), self.draw_transforms(n, h, w))
        plan = affine_sampling.sampling_plan(transforms[1], images.shape, self.interpolation, self.fill_mode,
                                             images.dtype)
        out = affine_sampling.apply(images, plan, self.fill_value)
        return (out if x.ndim == 4 else out[0]), (plan, x.ndim)

    def backward(self, grad, cache, input_grad=True):
        """``(dL/dx, [])``: the exact adjoint of the resampling; ``(None, [])`` when ``input_grad`` is false."""
        if not input_grad:
            return None, []
        if cache is None:  # inference, or disabled: the identity
            return grad, []
        plan, ndim = cache
        g = grad if ndim == 4 else grad[None]
        dx = affine_sampling.adjoint(g, plan)
        return (dx if ndim == 4 else dx[0]), []

    def get_config(self):
        config = super().get_config()
        config.update(fill_mode=self.fill_mode, interpolation=self.interpolation, fill_value=self.fill_value,
                      data_format=self.data_format)
        return config


class RandomTranslation(RandomAffineLayer):
    r"""Shift each image by a random fraction of its height and width, in training.

    Keras 3's ``keras.layers.RandomTranslation``. For each image, ``dy`` is
    drawn uniformly from ``height_factor``'s range times the height and
    ``dx`` from ``width_factor``'s times the width (in pixels, not rounded);
    output pixel ``(x, y)`` reads input point ``(x - dx, y - dy)``: positive
    factors move the content down and right.

    Parameters
    ----------
    height_factor, width_factor : float or (float, float)
        Fractions in ``[-1, 1]``; ``0.2`` means ``(-0.2, 0.2)``.
    fill_mode : {"reflect", "wrap", "constant", "nearest"}, default "reflect"
        How points outside the image are filled.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
        How the image is read between pixels.
    seed : int, optional
        Seed of the layer's generator.
    fill_value : float, default 0.0
        The value read outside the image when ``fill_mode="constant"``.
    data_format : {"channels_last", None}
        Accepted for Keras compatibility; ``"channels_first"`` is not supported.
    **kwargs
        ``name``, ``input_shape``, ``dtype``, ``trainable``.

    Shapes
    ------
    input and output ``(n, h, w, c)`` or ``(h, w, c)``.

    Example
    -------
    >>> import numpy as np
    >>> layer = RandomTranslation(0.1, 0.1, seed=0)
    >>> layer.forward(np.ones((2, 28, 28, 1)), training=True)[0].shape
    (2, 28, 28, 1)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_lower, self.height_upper = factor_range(self._owner(), "height_factor", height_factor)
        self.width_lower, self.width_upper = factor_range(self._owner(), "width_factor", width_factor)
        self.height_factor, self.width_factor = height_factor, width_factor

    def draw_transforms(self, n, height, width):
        """Random shifts: ``(n, 2, 3)`` translations by ``height_factor`` and ``width_factor`` times the size.

        Parameters
        ----------
        n : int
            Number of images.
        height, width : int
            Image size in pixels.

        Returns
        -------
        numpy.ndarray
            ``(n, 2, 3)`` float64, output pixel to input point.
        """
        dy = self._generator.uniform(self.height_lower, self.height_upper, n) * height
        dx = self._generator.uniform(self.width_lower, self.width_upper, n) * width
        transforms = np.zeros((n, 2, 3))
        transforms[:, 0, 0] = transforms[:, 1, 1] = 1.0
        transforms[:, 0, 2], transforms[:, 1, 2] = -dx, -dy
        return transforms

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config


class RandomRotation(RandomAffineLayer):
    r"""Rotate each image by a random angle about its centre, in training.

    Keras 3's ``keras.layers.RandomRotation``. For each image, the angle
    :math:`\theta` is drawn uniformly from ``factor``'s range times
    :math:`2\pi`; positive angles turn the content counter-clockwise. With
    the centre :math:`c = ((w - 1) / 2, (h - 1) / 2)`, output pixel ``p``
    reads input point :math:`c + R(\theta)(p - c)`, so a quarter turn
    (``factor=(0.25, 0.25)``) of a square image is ``np.rot90``.

    Parameters
    ----------
    factor : float or (float, float)
        Fractions of a full turn in ``[-1, 1]``; ``0.1`` means ``(-0.1, 0.1)``
        (up to 36 degrees either way).
    fill_mode : {"reflect", "wrap", "constant", "nearest"}, default "reflect"
        How points outside the image are filled.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
        How the image is read between pixels.
    seed : int, optional
        Seed of the layer's generator.
    fill_value : float, default 0.0
        The value read outside the image when ``fill_mode="constant"``.
    data_format : {"channels_last", None}
        Accepted for Keras compatibility; ``"channels_first"`` is not supported.
    **kwargs
        ``name``, ``input_shape``, ``dtype``, ``trainable``.

    Shapes
    ------
    input and output ``(n, h, w, c)`` or ``(h, w, c)``.

    Example
    -------
    >>> import numpy as np
    >>> image = np.arange(9.0).reshape(3, 3, 1)
    >>> turned = RandomRotation((0.25, 0.25)).forward(image, training=True)[0]
    >>> np.allclose(turned[:, :, 0], np.rot90(image[:, :, 0]))
    True
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.lower, self.upper = factor_range(self._owner(), "factor", factor)
        self.factor = factor

    def draw_transforms(self, n, height, width):
        """Random rotations about the image centre: ``(n, 2, 3)`` affine matrices.

        Parameters
        ----------
        n : int
            Number of images.
        height, width : int
            Image size in pixels.

        Returns
        -------
        numpy.ndarray
            ``(n, 2, 3)`` float64, output pixel to input point.
        """
        angle = self._generator.uniform(self.lower, self.upper, n) * (2 * math.pi)
        cos, sin = np.cos(angle), np.sin(angle)
        cx, cy = (width - 1) / 2, (height - 1) / 2
        transforms = np.empty((n, 2, 3))
        transforms[:, 0, 0], transforms[:, 0, 1] = cos, -sin
        transforms[:, 1, 0], transforms[:, 1, 1] = sin, cos
        transforms[:, 0, 2] = cx - cx * cos + cy * sin
        transforms[:, 1, 2] = cy - cx * sin - cy * cos
        return transforms

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


class RandomZoom(RandomAffineLayer):
    r"""Zoom each image in or out about its centre by a random factor, in training.

    Keras 3's ``keras.layers.RandomZoom``. For each image, the vertical zoom
    :math:`z_y` is drawn uniformly from ``1 + height_factor``'s range, and
    :math:`z_x` from ``1 + width_factor``'s (or :math:`z_x = z_y` when
    ``width_factor`` is ``None``, keeping the aspect ratio). Output pixel
    ``(x, y)`` reads input point :math:`(c_x + z_x (x - c_x),\ c_y + z_y (y - c_y))`
    with the centre :math:`c = ((w - 1) / 2, (h - 1) / 2)`: a positive
    factor (:math:`z > 1`) zooms *out* (the digit gets smaller), a negative
    one zooms in.

    Parameters
    ----------
    height_factor : float or (float, float)
        Fractions in ``(-1, 1]``; ``0.1`` means ``(-0.1, 0.1)``.
    width_factor : float or (float, float), optional
        Likewise; ``None`` (default) zooms both axes by the same factor.
    fill_mode : {"reflect", "wrap", "constant", "nearest"}, default "reflect"
        How points outside the image are filled.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
        How the image is read between pixels.
    seed : int, optional
        Seed of the layer's generator.
    fill_value : float, default 0.0
        The value read outside the image when ``fill_mode="constant"``.
    data_format : {"channels_last", None}
        Accepted for Keras compatibility; ``"channels_first"`` is not supported.
    **kwargs
        ``name``, ``input_shape``, ``dtype``, ``trainable``.

    Shapes
    ------
    input and output ``(n, h, w, c)`` or ``(h, w, c)``.

    Example
    -------
    >>> import numpy as np
    >>> image = np.zeros((5, 5, 1)); image[1:4, 1:4] = 1.0
    >>> smaller = RandomZoom((1.0, 1.0), fill_mode="constant")  # twice as far out: 1x1 of the 3x3 square
    >>> smaller.forward(image, training=True)[0][:, :, 0].tolist()[1:4]
    [[0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]]
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        owner = self._owner()
        self.height_lower, self.height_upper = factor_range(owner, "height_factor", height_factor,
                                                            low_inclusive=False)
        self.width_lower = self.width_upper = None
        if width_factor is not None:
            self.width_lower, self.width_upper = factor_range(owner, "width_factor", width_factor,
                                                              low_inclusive=False)
        self.height_factor, self.width_factor = height_factor, width_factor

    def draw_transforms(self, n, height, width):
        """Random zooms about the image centre: ``(n, 2, 3)`` affine matrices.

        Parameters
        ----------
        n : int
            Number of images.
        height, width : int
            Image size in pixels.

        Returns
        -------
        numpy.ndarray
            ``(n, 2, 3)`` float64, output pixel to input point.
        """
        zy = self._generator.uniform(1 + self.height_lower, 1 + self.height_upper, n)
        zx = zy if self.width_factor is None else self._generator.uniform(1 + self.width_lower,
                                                                          1 + self.width_upper, n)
        transforms = np.zeros((n, 2, 3))
        transforms[:, 0, 0], transforms[:, 1, 1] = zx, zy
        transforms[:, 0, 2] = (width - 1) / 2 * (1 - zx)
        transforms[:, 1, 2] = (height - 1) / 2 * (1 - zy)
        return transforms

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config
