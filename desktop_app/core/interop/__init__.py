"""Import and export annotated speech: ELAN, Praat, subtitles, tables and training datasets.

Qt-free and torch-free. One small module per format; :mod:`.exporter` and
:mod:`.importer` are the job functions the CLI and the GUI call.
"""
