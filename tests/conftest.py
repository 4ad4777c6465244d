"""Shared fixtures."""
import os
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def mnist_dir():
    """The official MNIST files ($LAYERGRAPH_MNIST_DIR, else ../shared/data/mnist), or skip."""
    candidates = [os.environ.get("LAYERGRAPH_MNIST_DIR"), Path(__file__).resolve().parents[2] / "shared/data/mnist"]
    for c in candidates:
        if c and (Path(c) / "train-images-idx3-ubyte.gz").exists():
            return Path(c)
    pytest.skip("MNIST files not found: set LAYERGRAPH_MNIST_DIR to the folder of the four official files")
