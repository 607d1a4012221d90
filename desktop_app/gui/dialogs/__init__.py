"""Dialogs shared by the window (messages, help, history, recording details, settings)."""
