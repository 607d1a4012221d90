"""QActions built from the shortcut registry, with the user's keys applied."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget

from desktop_app.gui import shortcuts, theme


def build_actions(
    parent: QWidget,
    keys: Mapping[str, str],
    handlers: Mapping[str, Callable[..., object]],
) -> dict[str, QAction]:
    """One QAction per registered command, connected to ``handlers[id]``
    (``triggered`` for plain actions, ``toggled(bool)`` for checkable ones)."""
    actions: dict[str, QAction] = {}
    for spec in shortcuts.ACTIONS:
        action = QAction(spec.text, parent)
        action.setObjectName(f"action_{spec.id}")
        _set_icon(spec.id, action)
        action.setCheckable(spec.checkable)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        handler = handlers.get(spec.id)
        if handler is not None:
            if spec.checkable:
                action.toggled.connect(handler)
            else:
                action.triggered.connect(lambda _checked=False, h=handler: h())
        parent.addAction(action)  # shortcuts work even when not in a menu
        actions[spec.id] = action
    apply_keys(actions, keys)
    return actions


UNAVAILABLE = "unavailableReason"  # action property: why the command cannot run now


def apply_keys(actions: Mapping[str, QAction], keys: Mapping[str, str]) -> None:
    for action_id, action in actions.items():
        key = keys.get(action_id, "")
        action.setShortcut(QKeySequence(key))
        _describe(action_id, action)


def _describe(action_id: str, action: QAction) -> None:
    """Tooltip (with the key) and status tip; an unavailable command says why."""
    spec = shortcuts.BY_ID.get(action_id)
    tip = spec.text.replace("&", "") if spec else action.text()
    native = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    tip = f"{tip} ({native})" if native else tip
    reason = action.property(UNAVAILABLE)
    action.setToolTip(f"{tip} — {reason}" if reason else tip)
    if reason:
        action.setStatusTip(str(reason))
    elif spec and spec.help:
        action.setStatusTip(spec.help)


def set_unavailable(action_id: str, action: QAction, reason: str | None) -> None:
    """Show ``action`` greyed out with ``reason`` in its tooltip (``None``: as usual).

    Unlike a disabled action it can still be triggered, so its handler can say
    why it cannot run (and look again: a device may have been plugged in).
    """
    action.setProperty(UNAVAILABLE, reason or None)
    _describe(action_id, action)
    _set_icon(action_id, action)


def is_unavailable(action: QAction) -> bool:
    return bool(action.property(UNAVAILABLE))


def _set_icon(action_id: str, action: QAction) -> None:
    spec = shortcuts.BY_ID.get(action_id)
    if spec and spec.icon:
        action.setIcon(theme.icon(spec.icon, muted=is_unavailable(action)))


def refresh_icons(actions: Mapping[str, QAction]) -> None:
    """Re-colour icons after a theme change."""
    for action_id, action in actions.items():
        _set_icon(action_id, action)


def insert_after(menu_bar: QMenuBar, anchor: QAction | None, *new: QAction) -> QMenu | None:
    """Put ``new`` right after ``anchor`` in the menu of ``menu_bar`` that holds it;
    that menu, or None (nothing inserted) when no menu holds ``anchor``."""
    if anchor is None:
        return None
    for menu in menu_bar.findChildren(QMenu):
        actions = menu.actions()
        if anchor in actions:
            after = actions[actions.index(anchor) + 1 :]
            if after:
                menu.insertActions(after[0], list(new))
            else:
                menu.addActions(list(new))
            return menu
    return None
