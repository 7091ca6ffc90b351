"""Model families of the EdgeBench Studio zoo (28x28 single-channel inputs, 10 classes)."""
