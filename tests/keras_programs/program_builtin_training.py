# Training and evaluation with the built-in methods, in the style of the Keras guide of that name: validation
# data and split, sample and class weights, several outputs with loss weights, callbacks and a rate schedule.
import numpy as np

import layergraph as keras
from layergraph import layers

rng = np.random.default_rng(0)
centers = rng.normal(scale=3.0, size=(10, 20))
labels = rng.integers(0, 10, 1200)
features = (centers[labels] + rng.normal(size=(1200, 20))).astype("float32")
x_train, y_train = features[:800], labels[:800]
x_val, y_val = features[800:1000], labels[800:1000]
x_test, y_test = features[1000:], labels[1000:]


def get_uncompiled_model():
    inputs = keras.Input(shape=(20,), name="digits")
    x = layers.Dense(32, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(32, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    return model


model = get_compiled_model()
history = model.fit(x_train, y_train, batch_size=64, epochs=3, validation_data=(x_val, y_val), verbose=0)
results = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
predictions = model.predict(x_test[:3])

# the last 20 % of the data as validation data
split_model = get_compiled_model()
split_history = split_model.fit(x_train, y_train, batch_size=64, validation_split=0.2, epochs=1, verbose=0)

# class 5 counts twice as much, through class weights and through sample weights
class_weight = {i: 1.0 for i in range(10)}
class_weight[5] = 2.0
weighted_model = get_compiled_model()
weighted_model.fit(x_train, y_train, class_weight=class_weight, batch_size=64, epochs=1, verbose=0)
sample_weight = np.ones(shape=(len(y_train),))
sample_weight[y_train == 5] = 2.0
sample_weighted_model = get_compiled_model()
sample_weighted_model.fit(x_train, y_train, sample_weight=sample_weight, batch_size=64, epochs=1, verbose=0)

# two outputs with their own losses and weights
image_input = keras.Input(shape=(20,), name="features")
hidden = layers.Dense(16, activation="relu")(image_input)
score_output = layers.Dense(1, name="score_output")(hidden)
class_output = layers.Dense(10, name="class_output")(hidden)
two_outputs = keras.Model(inputs=image_input, outputs=[score_output, class_output])
two_outputs.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={
        "score_output": keras.losses.MeanSquaredError(),
        "class_output": keras.losses.CategoricalCrossentropy(from_logits=True),
    },
    metrics={
        "score_output": [keras.metrics.MeanAbsolutePercentageError(), keras.metrics.MeanAbsoluteError()],
        "class_output": [keras.metrics.CategoricalAccuracy()],
    },
    loss_weights={"score_output": 2.0, "class_output": 1.0},
)
score_targets = rng.random((800, 1)) + 1.0
class_targets = keras.utils.to_categorical(y_train, 10)
two_history = two_outputs.fit(x_train, {"score_output": score_targets, "class_output": class_targets},
                              batch_size=64, epochs=1, verbose=0)

# callbacks and a learning-rate schedule
schedule = keras.optimizers.schedules.ExponentialDecay(1e-2, decay_steps=100, decay_rate=0.96, staircase=True)
scheduled_model = get_uncompiled_model()
scheduled_model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=schedule),
                        loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2, verbose=1),
    keras.callbacks.ModelCheckpoint(filepath="mymodel_{epoch}.keras", save_best_only=True, monitor="val_loss",
                                    verbose=1),
]
callback_history = scheduled_model.fit(x_train, y_train, epochs=20, batch_size=64, callbacks=callbacks,
                                       validation_split=0.2, verbose=0)
