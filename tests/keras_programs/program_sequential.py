# The Sequential model in the style of the Keras guide of that name: building it incrementally, pop,
# input_dim, summaries along the way, feature extraction from any layer, and freezing layers for fine-tuning.
import numpy as np

import layergraph as keras
from layergraph import layers

model = keras.Sequential()
model.add(layers.Dense(2, activation="relu"))
model.add(layers.Dense(3, activation="relu"))
model.add(layers.Dense(4))
names_before_pop = [layer.name for layer in model.layers]
model.pop()
layer_count = len(model.layers)

# no input shape: no weights until the model sees data
lazy = keras.Sequential([layers.Dense(2, activation="relu"), layers.Dense(3, activation="relu"), layers.Dense(4)])
weights_before = len(lazy.weights)
lazy(np.ones((1, 4)))
weights_after = len(lazy.weights)

with_input = keras.Sequential()
with_input.add(keras.Input(shape=(4,)))
with_input.add(layers.Dense(2, activation="relu"))
with_input.summary()

legacy = keras.Sequential([layers.Dense(8, input_dim=5, activation="relu"), layers.Dense(1)])

# a small convnet, checked with summary() while it is being built
convnet = keras.Sequential()
convnet.add(keras.Input(shape=(40, 40, 3)))
convnet.add(layers.Conv2D(8, 5, strides=2, activation="relu"))
convnet.add(layers.Conv2D(8, 3, activation="relu"))
convnet.add(layers.MaxPooling2D(3))
convnet.summary()
convnet.add(layers.Conv2D(8, 3, activation="relu"))
convnet.add(layers.MaxPooling2D(2))
convnet.add(layers.Flatten())
convnet.add(layers.Dense(10))

# feature extraction: the outputs of every layer, or of one
feature_extractor = keras.Model(inputs=convnet.inputs, outputs=[layer.output for layer in convnet.layers])
x = np.ones((1, 40, 40, 3))
features = feature_extractor(x)
one_layer = keras.Model(inputs=convnet.inputs, outputs=convnet.layers[1].output)
middle = one_layer(x)

# transfer learning: freeze all layers but the last, train on new data
transfer = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(32, activation="relu"),
                             layers.Dense(32, activation="relu"), layers.Dense(32, activation="relu"),
                             layers.Dense(10)])
for layer in transfer.layers[:-1]:
    layer.trainable = False
frozen_before = [w.copy() for w in transfer.layers[0].get_weights()]
head_before = transfer.layers[-1].get_weights()[0].copy()
transfer.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
rng = np.random.default_rng(0)
transfer.fit(rng.random((64, 784)), rng.integers(0, 10, 64), epochs=1, verbose=0)
