"""Headless command-line interface over the same core as the GUI."""
