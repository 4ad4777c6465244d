# Callbacks written as in the Keras guide "Writing your own callbacks": one that overrides every hook, one that
# prints the loss, early stopping at the minimum loss, and a learning-rate schedule.
import numpy as np

import layergraph as keras
from layergraph import layers

rng = np.random.default_rng(0)
x_train = rng.normal(size=(300, 4)).astype("float32")
y_train = x_train @ np.array([[1.0], [-2.0], [0.5], [0.0]], dtype="float32")
x_test, y_test = x_train[:100], y_train[:100]


def get_model():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mean_squared_error",
                  metrics=["mean_absolute_error"])
    return model


calls = []


class CustomCallback(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        calls.append(("on_train_begin", sorted(logs)))

    def on_train_end(self, logs=None):
        calls.append(("on_train_end", sorted(logs)))

    def on_epoch_begin(self, epoch, logs=None):
        calls.append(("on_epoch_begin", epoch, sorted(logs)))

    def on_epoch_end(self, epoch, logs=None):
        calls.append(("on_epoch_end", epoch, sorted(logs)))

    def on_test_begin(self, logs=None):
        calls.append(("on_test_begin", sorted(logs)))

    def on_test_end(self, logs=None):
        calls.append(("on_test_end", sorted(logs)))

    def on_predict_begin(self, logs=None):
        calls.append(("on_predict_begin", sorted(logs)))

    def on_predict_end(self, logs=None):
        calls.append(("on_predict_end", sorted(logs)))

    def on_train_batch_begin(self, batch, logs=None):
        calls.append(("on_train_batch_begin", batch, sorted(logs)))

    def on_train_batch_end(self, batch, logs=None):
        calls.append(("on_train_batch_end", batch, sorted(logs)))

    def on_test_batch_begin(self, batch, logs=None):
        calls.append(("on_test_batch_begin", batch, sorted(logs)))

    def on_test_batch_end(self, batch, logs=None):
        calls.append(("on_test_batch_end", batch, sorted(logs)))

    def on_predict_batch_begin(self, batch, logs=None):
        calls.append(("on_predict_batch_begin", batch, sorted(logs)))

    def on_predict_batch_end(self, batch, logs=None):
        calls.append(("on_predict_batch_end", batch, sorted(logs)))


model = get_model()
model.fit(x_train, y_train, batch_size=150, epochs=1, verbose=0, validation_data=(x_test, y_test),
          callbacks=[CustomCallback()])
res = model.evaluate(x_test, y_test, batch_size=50, verbose=0, callbacks=[CustomCallback()])
res = model.predict(x_test, batch_size=100, callbacks=[CustomCallback()])


class LossAndErrorPrintingCallback(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        print(f"Up to batch {batch}, the average loss is {logs['loss']:7.2f}.")

    def on_test_batch_end(self, batch, logs=None):
        print(f"Up to batch {batch}, the average loss is {logs['loss']:7.2f}.")

    def on_epoch_end(self, epoch, logs=None):
        print(f"The average loss for epoch {epoch} is {logs['loss']:7.2f} "
              f"and mean absolute error is {logs['mean_absolute_error']:7.2f}.")


model = get_model()
history = model.fit(x_train, y_train, batch_size=100, epochs=3, verbose=0,
                    callbacks=[LossAndErrorPrintingCallback()])
res = model.evaluate(x_test, y_test, batch_size=50, verbose=0, callbacks=[LossAndErrorPrintingCallback()])


class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
    """Stop when the loss is at its min, i.e. the loss stops decreasing; keep the best weights."""

    def __init__(self, patience=0):
        super().__init__()
        self.patience = patience
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = logs.get("loss")
        if np.less(current, self.best):
            self.best = current
            self.wait = 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                print("Restoring model weights from the end of the best epoch.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


class CustomLearningRateScheduler(keras.callbacks.Callback):
    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        lr = self.model.optimizer.learning_rate
        scheduled_lr = self.schedule(epoch, lr)
        self.model.optimizer.learning_rate = scheduled_lr
        print(f"\nEpoch {epoch}: Learning rate is {float(scheduled_lr):6.4f}.")


LR_SCHEDULE = [(3, 0.02), (6, 0.01)]


def lr_schedule(epoch, lr):
    if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
        return lr
    for i in range(len(LR_SCHEDULE)):
        if epoch == LR_SCHEDULE[i][0]:
            return LR_SCHEDULE[i][1]
    return lr


model = get_model()
stopper = EarlyStoppingAtMinLoss(patience=1)
history = model.fit(x_train, y_train, batch_size=64, epochs=8, verbose=0,
                    callbacks=[stopper, CustomLearningRateScheduler(lr_schedule)])
