"""The class names of Keras 3's public namespaces, for the "Coming from Keras" page.

Copied from Keras 3's generated API files (``keras/api/layers/__init__.py``
and its siblings for losses, metrics, optimizers and callbacks in
keras-team/keras), canonical names only (``MaxPooling2D``, not the alias
``MaxPool2D``), grouped as keras.io groups them. Only the names are kept
here: whether layergraph has each one is read from layergraph itself when
the page is built, so the table cannot claim more than the code provides.
"""

LAYERS = {
    "Core": ["Input", "InputLayer", "Dense", "EinsumDense", "Activation", "Embedding", "Masking", "Lambda",
             "Identity", "Layer"],
    "Convolution": ["Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D",
                    "DepthwiseConv2D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"],
    "Pooling": ["MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
                "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
                "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D"],
    "Recurrent": ["LSTM", "GRU", "SimpleRNN", "RNN", "LSTMCell", "GRUCell", "SimpleRNNCell", "StackedRNNCells",
                  "Bidirectional", "TimeDistributed", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"],
    "Preprocessing": ["Rescaling", "Normalization", "Resizing", "CenterCrop", "Discretization", "CategoryEncoding",
                      "Hashing", "HashedCrossing", "IntegerLookup", "StringLookup", "TextVectorization",
                      "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "RandomCrop",
                      "RandomContrast", "RandomBrightness", "MelSpectrogram"],
    "Normalization": ["BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
                      "SpectralNormalization"],
    "Regularization": ["Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
                       "AlphaDropout", "GaussianNoise", "ActivityRegularization"],
    "Attention": ["Attention", "AdditiveAttention", "MultiHeadAttention", "GroupQueryAttention"],
    "Reshaping": ["Reshape", "Flatten", "RepeatVector", "Permute", "Cropping1D", "Cropping2D", "Cropping3D",
                  "UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D",
                  "ZeroPadding3D"],
    "Merging": ["Concatenate", "Average", "Maximum", "Minimum", "Add", "Subtract", "Multiply", "Dot"],
    "Activation": ["ReLU", "Softmax", "LeakyReLU", "PReLU", "ELU"],
}

LOSSES = ["Loss", "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
          "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy", "Poisson", "KLDivergence", "CTC",
          "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
          "CosineSimilarity", "Huber", "LogCosh", "Tversky", "Dice", "Circle", "Hinge", "SquaredHinge",
          "CategoricalHinge"]

METRICS = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
           "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence",
           "Poisson", "MeanSquaredError", "RootMeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
           "MeanSquaredLogarithmicError", "CosineSimilarity", "LogCoshError", "R2Score", "AUC", "Precision",
           "Recall", "TruePositives", "TrueNegatives", "FalsePositives", "FalseNegatives", "PrecisionAtRecall",
           "RecallAtPrecision", "SensitivityAtSpecificity", "SpecificityAtSensitivity", "F1Score", "FBetaScore",
           "IoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU", "MeanIoU", "Hinge", "SquaredHinge", "CategoricalHinge",
           "PearsonCorrelation", "ConcordanceCorrelation"]

OPTIMIZERS = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adadelta", "Adagrad", "Adamax", "Adafactor", "Nadam",
              "Ftrl", "Lion", "Lamb", "Muon", "LossScaleOptimizer"]

CALLBACKS = ["Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping", "ModelCheckpoint",
             "BackupAndRestore", "CSVLogger", "LearningRateScheduler", "ReduceLROnPlateau", "LambdaCallback",
             "TerminateOnNaN", "RemoteMonitor", "TensorBoard", "SwapEMAWeights", "OrbaxCheckpoint"]

#: ``(page title, layergraph namespace, names)``: grouped names are ``{group: [names]}``.
TABLES = [("Layers", "layergraph.layers", LAYERS), ("Losses", "layergraph.losses", LOSSES),
          ("Metrics", "layergraph.metrics", METRICS), ("Optimizers", "layergraph.optimizers", OPTIMIZERS),
          ("Callbacks", "layergraph.callbacks", CALLBACKS)]
