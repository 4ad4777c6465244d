# Two texts compared through one shared Embedding, in the style of the Keras functional API guide.
import numpy as np

import layergraph as keras
from layergraph import layers

shared_embedding = layers.Embedding(1000, 16)
text_input_a = keras.Input(shape=(None,), dtype="int32")
text_input_b = keras.Input(shape=(None,), dtype="int32")
encoded_input_a = shared_embedding(text_input_a)
encoded_input_b = shared_embedding(text_input_b)

pooled_a = layers.GlobalAveragePooling1D()(encoded_input_a)
pooled_b = layers.GlobalAveragePooling1D()(encoded_input_b)
similar = layers.Dense(1, activation="sigmoid")(layers.concatenate([pooled_a, pooled_b]))
model = keras.Model([text_input_a, text_input_b], similar)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

rng = np.random.default_rng(0)
texts_a = rng.integers(0, 1000, size=(128, 12))
texts_b = np.where(rng.random((128, 1)) < 0.5, texts_a, rng.integers(0, 1000, size=(128, 12)))
labels = (texts_a == texts_b).all(axis=1).astype("float32")
history = model.fit([texts_a, texts_b], labels, epochs=3, batch_size=32, verbose=0)
