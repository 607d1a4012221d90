"""Torch side of the speech-unit LM; runs only in ``python -m desktop_app.unitlm``.

k-means codebooks (scikit-learn), Hugging Face SSL encoders (transformers),
the GPT-style unit LM (PyTorch) and its ONNX export. The app never imports
this package: it starts the subprocess through
:func:`desktop_app.modelbuild.launcher.run_modelbuild`.
"""
