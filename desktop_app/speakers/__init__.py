"""Speaker embedders and clustering: who speaks when (runtime; numpy and ONNX Runtime only)."""
