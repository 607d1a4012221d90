"""Building runtime models: CTranslate2 / Hugging Face Whisper -> ONNX.

Most modules here use PyTorch, Transformers and Optimum and run only in a child
process (``python -m desktop_app.modelbuild ...``). Two are imported by the GUI
process and must stay torch-free: :mod:`.protocol` (the JSON-lines messages)
and :mod:`.launcher` (starts the child, streams progress, cancels). Keep this
``__init__`` free of imports.
"""
