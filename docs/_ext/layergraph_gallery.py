"""sphinx-gallery hooks for the tutorials."""
from __future__ import annotations

import layergraph


def reset_layer_names(gallery_conf, fname, when):
    """Restart the default layer names before each tutorial, as Keras' ``clear_session``.

    Every tutorial then shows ``dense``, ``dense_1``... as a reader running
    it alone would, not names counted on from the previous tutorials.
    """
    layergraph.utils.clear_session()
