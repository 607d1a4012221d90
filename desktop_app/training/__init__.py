"""Fine-tuning (PyTorch side): Whisper, and CTC models (:mod:`.ctc_finetune`).

Runs ONLY in a spawned process; ``finetune`` and ``evaluate`` pick the CTC
path when the HF folder holds a ``*ForCTC`` model.

    python -m desktop_app.training finetune --data MANIFEST --base HF_DIR --work DIR ...
    python -m desktop_app.training evaluate --data MANIFEST --model HF_DIR --split test

The app starts it with :func:`desktop_app.modelbuild.launcher.run_modelbuild`
(``module="desktop_app.training"``) and reads typed JSON messages from its
stdout. The same entry point runs on several GPUs or nodes under
``accelerate launch --multi_gpu -m desktop_app.training finetune ...`` or
``torchrun --nproc_per_node N -m desktop_app.training finetune ...``.
"""
