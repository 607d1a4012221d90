"""The Training view's parameters: base version, method, epochs, learning rate,
batch size, SpecAugment, device, precision, checkpoint choice, name."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from desktop_app.core.errors import JazbaError
from desktop_app.core.learning.config import FinetuneConfig


class ParametersBox(QGroupBox):
    """The run's parameters; :meth:`config` reads them as a :class:`FinetuneConfig`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Parameters", parent)
        form = QFormLayout(self)
        self.base_combo = QComboBox()
        self.method_combo = QComboBox()
        self.method_combo.addItem("Full fine-tune", "full")
        self.method_combo.addItem("LoRA (small adapters, merged after)", "lora")
        self.freeze = QCheckBox("Freeze the encoder (faster; decoder learns)")
        self.epochs = QDoubleSpinBox(decimals=1, minimum=0.5, maximum=100, value=5, singleStep=1)
        self.lr = QLineEdit()
        self.lr.setPlaceholderText("default (1e-5 full, 1e-3 LoRA)")
        self.batch = QSpinBox(minimum=1, maximum=128, value=8)
        self.spec = QCheckBox("SpecAugment (mask time and frequency bands)")
        self.spec.setChecked(True)
        self.device = QComboBox()
        for label, value in (("Automatic", "auto"), ("CPU", "cpu"), ("NVIDIA GPU", "cuda")):
            self.device.addItem(label, value)
        self.precision = QComboBox()
        for label, value in (
            ("Automatic (bf16 where the CPU or GPU has it)", "auto"),
            ("Full precision (fp32)", "fp32"),
            ("bf16 mixed precision", "bf16"),
            ("fp16 mixed precision (GPU)", "fp16"),
        ):
            self.precision.addItem(label, value)
        self.select_by = QComboBox()
        self.select_by.addItem("Automatic (CER when teaching from text, else WER)", "auto")
        self.select_by.addItem("Lowest dev WER", "wer")
        self.select_by.addItem("Lowest dev CER (small dev sets, WER over 100 %)", "cer")
        self.select_by.setToolTip(
            "Which evaluation picks the checkpoint that is kept, and stops training early"
        )
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("default: base name · project")
        self.activate_after = QCheckBox("Make the new version active when done")
        for box in (self.base_combo, self.precision, self.select_by, self.method_combo):
            # long version names must not widen the dialog's left column
            box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            box.setMinimumContentsLength(18)
        form.addRow("Start from", self.base_combo)
        form.addRow("Method", self.method_combo)
        form.addRow("", self.freeze)
        form.addRow("Epochs", self.epochs)
        form.addRow("Learning rate", self.lr)
        form.addRow("Batch size", self.batch)
        form.addRow("", self.spec)
        form.addRow("Device", self.device)
        form.addRow("Precision", self.precision)
        form.addRow("Keep the checkpoint with", self.select_by)
        form.addRow("New version name", self.name_edit)
        form.addRow("", self.activate_after)

    def config(self) -> FinetuneConfig:
        lr_text = self.lr.text().strip()
        try:
            lr = float(lr_text) if lr_text else None
        except ValueError:
            raise JazbaError(f"'{lr_text}' is not a learning rate (e.g. 1e-5).") from None
        return FinetuneConfig(
            method=self.method_combo.currentData(),
            freeze_encoder=self.freeze.isChecked(),
            epochs=self.epochs.value(),
            batch_size=self.batch.value(),
            learning_rate=lr,
            spec_augment=self.spec.isChecked(),
            device=self.device.currentData(),
            precision=self.precision.currentData(),
            select_by=self.select_by.currentData(),
        )
