"""Discrete speech units and the unit language model, app side (ONNX Runtime, numpy).

Frame features come from a speech encoder, k-means turns each frame into one
of K units, and a small decoder-only LM scores unit sequences; a segment's
perplexity is a quality signal that needs no transcript. Everything here runs
in the app process: ONNX Runtime and numpy only, never torch or scikit-learn.
Fitting k-means, training the LM and Hugging Face encoders run in the
``python -m desktop_app.unitlm`` subprocess.
"""
