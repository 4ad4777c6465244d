# A toy residual network on 32x32 colour images, in the style of the Keras functional API guide (random data).
import numpy as np

import layergraph as keras
from layergraph import layers

inputs = keras.Input(shape=(32, 32, 3), name="img")
x = layers.Conv2D(16, 3, activation="relu")(inputs)
x = layers.Conv2D(32, 3, activation="relu")(x)
block_1_output = layers.MaxPooling2D(3)(x)

x = layers.Conv2D(32, 3, activation="relu", padding="same")(block_1_output)
x = layers.Conv2D(32, 3, activation="relu", padding="same")(x)
block_2_output = layers.add([x, block_1_output])

x = layers.Conv2D(32, 3, activation="relu")(block_2_output)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dense(64, activation="relu")(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(10)(x)

model = keras.Model(inputs, outputs, name="toy_resnet")
model.summary()

rng = np.random.default_rng(0)
x_train = rng.random((64, 32, 32, 3)).astype("float32")
y_train = keras.utils.to_categorical(rng.integers(0, 10, 64), 10)
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss=keras.losses.CategoricalCrossentropy(from_logits=True),
    metrics=["acc"],
)
history = model.fit(x_train, y_train, batch_size=32, epochs=1, validation_split=0.25)
