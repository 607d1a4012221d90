"""Jazba: an offline workbench for transcribing low-resource speech."""

__version__ = "0.1.0"
