"""Datasets: logic truth tables, MNIST (IDX files or tensorflow-datasets) and batching."""
