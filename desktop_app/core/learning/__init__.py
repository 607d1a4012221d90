"""The learning loop's Qt-free, torch-free half.

Approved corrections become training data (:mod:`.dataset`, audited by
:mod:`.audit`), a fixed held-out test set scores every model version
(:mod:`.normalize`, :mod:`.metrics`; models are scored by
:mod:`desktop_app.services.evaluate`), the fine-tune itself runs in a spawned
process (``python -m desktop_app.training``, driven by
:mod:`desktop_app.services.learning_loop`), and each new version gets a
Markdown model card (:mod:`.model_card`).
"""
