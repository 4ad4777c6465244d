# Saving and loading in the style of the Keras guide "Save, serialize, and export models": whole models,
# configs, JSON, weights, transfers between models and clones.
import numpy as np

import layergraph as keras
from layergraph import layers


def get_model():
    inputs = keras.Input(shape=(32,))
    outputs = layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(), loss="mean_squared_error")
    return model


rng = np.random.default_rng(0)
test_input = rng.random((128, 32))
test_target = rng.random((128, 1))

# the whole model: architecture, weights, compile configuration and optimizer state
model = get_model()
model.fit(test_input, test_target, verbose=0)
model.save("my_model.keras")
reconstructed_model = keras.models.load_model("my_model.keras")
np.testing.assert_allclose(model.predict(test_input), reconstructed_model.predict(test_input))
reconstructed_model.fit(test_input, test_target, verbose=0)  # training goes on where it stopped

# configs: the architecture alone
layer = layers.Dense(3, activation="relu")
layer_config = layer.get_config()
new_layer = layers.Dense.from_config(layer_config)

sequential = keras.Sequential([keras.Input((32,)), layers.Dense(1)])
sequential_config = sequential.get_config()
new_sequential = keras.Sequential.from_config(sequential_config)

inputs = keras.Input((32,))
functional = keras.Model(inputs, layers.Dense(1)(inputs))
functional_config = functional.get_config()
new_functional = keras.Model.from_config(functional_config)

json_config = functional.to_json()
from_json = keras.models.model_from_json(json_config)

# weights: between models of the same architecture, in memory and on disk
def create_layer():
    layer = layers.Dense(64, activation="relu", name="dense_2")
    layer.build((None, 784))
    return layer


layer_1 = create_layer()
layer_2 = create_layer()
layer_2.set_weights(layer_1.get_weights())

model.save_weights("ckpt.weights.h5")
other = get_model()
other.load_weights("ckpt.weights.h5")
np.testing.assert_allclose(model.predict(test_input), other.predict(test_input))

clone = keras.models.clone_model(functional)
clone.set_weights(functional.get_weights())

