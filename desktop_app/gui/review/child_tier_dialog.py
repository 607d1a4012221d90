"""The "New child tier…" dialog: a name, the parent tier, and what the tier holds.

What the tier holds decides its ELAN constraint: a translation or a free gloss
is one annotation per parent annotation (*symbolic association*); words or
morphemes are ordered pieces of it (*symbolic subdivision*); an *included in*
tier has its own times inside the parent's; a *time subdivision* cuts the
parent's time into consecutive pieces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from desktop_app.core.services.dto import TierInfo


@dataclass(frozen=True)
class ChildKind:
    label: str
    kind: str  # Tier.kind
    constraint: str  # one of schema.TIER_CONSTRAINTS
    name: str  # the suggested tier name
    help: str


KINDS: tuple[ChildKind, ...] = (
    ChildKind(
        "Translation",
        "translation",
        "symbolic_association",
        "translation",
        "One translation under each annotation of the parent (symbolic association).",
    ),
    ChildKind(
        "Free gloss",
        "gloss",
        "symbolic_association",
        "gloss",
        "One free gloss under each annotation of the parent (symbolic association).",
    ),
    ChildKind(
        "Words",
        "words",
        "symbolic_subdivision",
        "words",
        "The parent's annotation cut into ordered words (symbolic subdivision).",
    ),
    ChildKind(
        "Morphemes",
        "morphemes",
        "symbolic_subdivision",
        "morphemes",
        "Words cut into ordered morphemes (symbolic subdivision).",
    ),
    ChildKind(
        "Included in (own times inside the parent)",
        "annotation",
        "included_in",
        "notes",
        "Annotations with their own times, each inside a parent annotation (included in).",
    ),
    ChildKind(
        "Time subdivision",
        "annotation",
        "time_subdivision",
        "phases",
        "The parent's time cut into consecutive, gap-free pieces (time subdivision).",
    ),
)


@dataclass(frozen=True)
class ChildTierRequest:
    """What the dialog collected: the arguments of ``TierService.create_child``."""

    parent_tier_id: int
    name: str
    kind: str
    constraint: str


class ChildTierDialog(QDialog):
    def __init__(
        self, tiers: Sequence[TierInfo], parent_tier_id: int | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New child tier")
        self.parent_box = QComboBox()
        for tier in tiers:
            self.parent_box.addItem(tier.name, tier.id)
        self.parent_box.setCurrentIndex(max(0, self.parent_box.findData(parent_tier_id)))
        self.kind_box = QComboBox()
        for kind in KINDS:
            self.kind_box.addItem(kind.label)
        self.name_edit = QLineEdit(KINDS[0].name)
        self.help = QLabel(KINDS[0].help)
        self.help.setWordWrap(True)
        self._named_by_hand = False
        self.name_edit.textEdited.connect(lambda _t: setattr(self, "_named_by_hand", True))
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(self._check)
        form = QFormLayout(self)
        form.addRow("Parent tier:", self.parent_box)
        form.addRow("Type:", self.kind_box)
        form.addRow("", self.help)
        form.addRow("Name:", self.name_edit)
        form.addRow(self.buttons)
        self.setMinimumWidth(420)
        self._check()

    def _kind_changed(self, index: int) -> None:
        kind = KINDS[index]
        self.help.setText(kind.help)
        if not self._named_by_hand:
            self.name_edit.setText(kind.name)

    def _check(self) -> None:
        ok = bool(self.name_edit.text().strip()) and self.parent_box.count() > 0
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def request(self) -> ChildTierRequest | None:
        """The collected values (None without a parent tier or a name)."""
        parent_id, name = self.parent_box.currentData(), self.name_edit.text().strip()
        if parent_id is None or not name:
            return None
        kind = KINDS[self.kind_box.currentIndex()]
        return ChildTierRequest(int(parent_id), name, kind.kind, kind.constraint)
