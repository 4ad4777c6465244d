# A text classifier with an Embedding and an LSTM on synthetic "reviews": a review is positive when it mentions
# word 7 more often than word 3.
import numpy as np

import layergraph as keras
from layergraph import layers

vocabulary, length = 50, 20
rng = np.random.default_rng(0)
reviews = rng.integers(0, vocabulary, size=(400, length))
labels = ((reviews == 7).sum(axis=1) > (reviews == 3).sum(axis=1)).astype("float32")

model = keras.Sequential(
    [
        keras.Input(shape=(None,), dtype="int32"),
        layers.Embedding(vocabulary, 8),
        layers.LSTM(16),
        layers.Dense(1, activation="sigmoid"),
    ]
)
model.summary()
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(reviews[:320], labels[:320], batch_size=32, epochs=5, validation_data=(reviews[320:], labels[320:]))

# sequences of another length go through the same model
longer = rng.integers(0, vocabulary, size=(3, 35))
scores = model.predict(longer)
sequence_model = keras.Sequential([keras.Input(shape=(None,), dtype="int32"), layers.Embedding(vocabulary, 4),
                                   layers.LSTM(6, return_sequences=True)])
per_step = sequence_model.predict(longer)
