# Shared layers: one encoder (a Dense layer and a small Sequential model) applied to two inputs, to tell whether
# two noisy measurements come from the same source.
import numpy as np

import layergraph as keras
from layergraph import layers

features = 16
rng = np.random.default_rng(1)
sources = rng.normal(size=(8, features))


def pairs(n):
    a_source = rng.integers(0, 8, n)
    same = rng.random(n) < 0.5
    b_source = np.where(same, a_source, (a_source + rng.integers(1, 8, n)) % 8)
    a = sources[a_source] + 0.3 * rng.normal(size=(n, features))
    b = sources[b_source] + 0.3 * rng.normal(size=(n, features))
    return a, b, same.astype("float32")


shared_dense = layers.Dense(32, activation="relu", name="shared_dense")
shared_head = keras.Sequential([layers.Dense(8, activation="tanh")], name="shared_head")

input_a = keras.Input(shape=(features,), name="a")
input_b = keras.Input(shape=(features,), name="b")
encoded_a = shared_head(shared_dense(input_a))
encoded_b = shared_head(shared_dense(input_b))
merged = layers.Concatenate()([encoded_a, encoded_b])
compared = layers.Dense(32, activation="relu")(merged)
same_source = layers.Dense(1, activation="sigmoid", name="same")(compared)
model = keras.Model([input_a, input_b], same_source)
model.summary()

model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
a, b, same = pairs(600)
history = model.fit([a, b], same, epochs=30, batch_size=32, validation_split=0.2, verbose=0)
a_test, b_test, same_test = pairs(200)
test_loss, test_accuracy = model.evaluate([a_test, b_test], same_test, verbose=0)

# one encoder, used twice: its weights are counted once
encoder = keras.Model(input_a, encoded_a)
encodings = encoder.predict(a_test[:4])
