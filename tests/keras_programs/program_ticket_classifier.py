# Ranking support tickets by priority and routing them to a department: a model with three inputs (title and
# body as word indices, tags as a binary vector) and two outputs, in the style of the Keras functional API guide.
import numpy as np

import layergraph as keras
from layergraph import layers

num_tags = 12
num_words = 1000
num_departments = 4

title_input = keras.Input(shape=(None,), name="title")  # word indices, any length
body_input = keras.Input(shape=(None,), name="body")
tags_input = keras.Input(shape=(num_tags,), name="tags")

title_features = layers.Embedding(num_words, 16)(title_input)
body_features = layers.Embedding(num_words, 16)(body_input)
title_features = layers.LSTM(32)(title_features)
body_features = layers.LSTM(8)(body_features)

x = layers.concatenate([title_features, body_features, tags_input])
priority_pred = layers.Dense(1, name="priority")(x)
department_pred = layers.Dense(num_departments, name="department")(x)

model = keras.Model(
    inputs=[title_input, body_input, tags_input],
    outputs=[priority_pred, department_pred],
)
model.summary()

model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={
        "priority": keras.losses.BinaryCrossentropy(from_logits=True),
        "department": keras.losses.CategoricalCrossentropy(from_logits=True),
    },
    loss_weights={"priority": 1.0, "department": 0.2},
)

rng = np.random.default_rng(0)
title_data = rng.integers(0, num_words, size=(256, 10))
body_data = rng.integers(0, num_words, size=(256, 40))
tags_data = rng.integers(0, 2, size=(256, num_tags)).astype("float32")
priority_targets = rng.random(size=(256, 1))
dept_targets = keras.utils.to_categorical(rng.integers(0, num_departments, size=256), num_departments)

history = model.fit(
    {"title": title_data, "body": body_data, "tags": tags_data},
    {"priority": priority_targets, "department": dept_targets},
    epochs=2,
    batch_size=32,
)
predictions = model.predict({"title": title_data[:5], "body": body_data[:5], "tags": tags_data[:5]})
