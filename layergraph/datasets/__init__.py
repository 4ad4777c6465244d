"""Datasets: logic truth tables, MNIST (IDX files or tensorflow-datasets) and batching."""

from . import mnist  # keras.datasets.mnist.load_data() after "import layergraph as keras"

__all__ = ["mnist"]
