"""The learning loop's Qt-free, torch-free half.

Approved corrections become training data (:mod:`.dataset`, audited by
:mod:`.audit`), a fixed held-out test set scores every model version
(:mod:`.normalize`, :mod:`.metrics`, :mod:`.evaluate`), the fine-tune itself runs
in a spawned process (``python -m desktop_app.training``, driven by
:mod:`.loop`), and each new version gets a Markdown model card
(:mod:`.model_card`). :mod:`.active` ranks unapproved segments for review.
"""
