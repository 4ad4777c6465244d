# The ticket model again, with bag-of-words inputs instead of sequences: three inputs given by name, two
# outputs with their own losses, loss weights and metrics.
import numpy as np

import layergraph as keras
from layergraph import layers

num_tags, vocabulary, num_departments = 12, 200, 4

title_input = keras.Input(shape=(vocabulary,), name="title")
body_input = keras.Input(shape=(vocabulary,), name="body")
tags_input = keras.Input(shape=(num_tags,), name="tags")

title_features = layers.Dense(16, activation="relu")(title_input)
body_features = layers.Dense(16, activation="relu")(body_input)
x = layers.Concatenate()([title_features, body_features, tags_input])
priority_pred = layers.Dense(1, activation="sigmoid", name="priority")(x)
department_pred = layers.Dense(num_departments, activation="softmax", name="department")(x)

model = keras.Model(inputs=[title_input, body_input, tags_input], outputs=[priority_pred, department_pred])
model.summary()

model.compile(
    optimizer=keras.optimizers.Adam(1e-2),
    loss={"priority": "binary_crossentropy", "department": "categorical_crossentropy"},
    loss_weights={"priority": 1.0, "department": 0.2},
    metrics={"priority": ["mae"], "department": ["accuracy", keras.metrics.TopKCategoricalAccuracy(k=2)]},
)

rng = np.random.default_rng(0)
title_data = (rng.random((300, vocabulary)) < 0.05).astype("float32")
body_data = (rng.random((300, vocabulary)) < 0.1).astype("float32")
tags_data = rng.integers(0, 2, size=(300, num_tags)).astype("float32")
# targets that depend on the inputs, so that there is something to learn
priority_targets = (title_data[:, :20].sum(axis=1, keepdims=True) > 1).astype("float32")
dept_targets = keras.utils.to_categorical(tags_data[:, :2] @ np.array([1, 2]), num_departments)

history = model.fit(
    {"title": title_data, "body": body_data, "tags": tags_data},
    {"priority": priority_targets, "department": dept_targets},
    epochs=10,
    batch_size=32,
    validation_split=0.2,
    verbose=0,
)
results = model.evaluate([title_data, body_data, tags_data], [priority_targets, dept_targets], return_dict=True)
priority, department = model.predict({"title": title_data[:5], "body": body_data[:5], "tags": tags_data[:5]})
