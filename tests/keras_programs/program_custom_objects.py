# A custom layer written the Keras 3 way (its call computes with its weights directly), saved and loaded back
# with custom objects given to load_model, a custom_object_scope and Model.from_config.
import numpy as np

import layergraph as keras
from layergraph import layers


class CustomDense(layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return inputs @ self.w + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


inputs = keras.Input((4,))
model = keras.Model(inputs, CustomDense(3)(inputs))
model.compile(optimizer="adam", loss="mse")
x = np.random.default_rng(0).random((8, 4))
model.fit(x, np.zeros((8, 3)), epochs=2, verbose=0)
model.save("custom.keras")

loaded = keras.models.load_model("custom.keras", custom_objects={"CustomDense": CustomDense})
with keras.utils.custom_object_scope({"CustomDense": CustomDense}):
    in_scope = keras.models.load_model("custom.keras")
from_config = keras.Model.from_config(model.get_config(), custom_objects={"CustomDense": CustomDense})
np.testing.assert_allclose(loaded.predict(x), model.predict(x))
