# Checkpointing and resuming: the best model by validation loss kept in a folder made on the fly, weights every
# few batches, a run interrupted half-way that BackupAndRestore resumes, and a checkpoint loaded to train on.
import os

import numpy as np

import layergraph as keras
from layergraph import layers

rng = np.random.default_rng(0)
x = rng.normal(size=(400, 8)).astype("float32")
y = (x[:, :2].sum(axis=1) > 0).astype("float32")


def get_compiled_model():
    model = keras.Sequential(
        [
            keras.Input(shape=(8,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
    return model


checkpoint_dir = os.path.join("checkpoints", "run1")  # does not exist yet
model = get_compiled_model()
callbacks = [
    keras.callbacks.ModelCheckpoint(
        filepath=os.path.join(checkpoint_dir, "model-{epoch:02d}-{val_loss:.3f}.keras"),
        save_best_only=True,
        monitor="val_loss",
        verbose=1,
    ),
    keras.callbacks.ModelCheckpoint(
        filepath=os.path.join(checkpoint_dir, "latest.weights.h5"), save_weights_only=True, save_freq=5
    ),
]
history = model.fit(x, y, epochs=5, batch_size=32, validation_split=0.2, callbacks=callbacks, verbose=0)
saved = sorted(os.listdir(checkpoint_dir))

# the most recent best checkpoint, restored to train some more
best = max((name for name in saved if name.startswith("model-")), key=lambda name: os.path.getmtime(
    os.path.join(checkpoint_dir, name)))
restored = keras.models.load_model(os.path.join(checkpoint_dir, best))
restored.fit(x, y, epochs=1, batch_size=32, verbose=0)

# the weights saved every 5 batches go into a model of the same architecture
weights_only = get_compiled_model()
weights_only.load_weights(os.path.join(checkpoint_dir, "latest.weights.h5"))


class InterruptingCallback(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 3:
            raise RuntimeError("Interrupting!")


backup = keras.callbacks.BackupAndRestore(backup_dir="backup")
interrupted = get_compiled_model()
try:
    interrupted.fit(x, y, epochs=6, batch_size=32, callbacks=[backup, InterruptingCallback()], verbose=0)
except RuntimeError:
    print("training interrupted")
resumed = interrupted.fit(x, y, epochs=6, batch_size=32, callbacks=[backup], verbose=0)
print("epochs run after the restart:", len(resumed.history["loss"]))
