"""The desktop application (PySide6 + pyqtgraph): a thin layer over the services.

Start it with ``jazba gui [PROJECT]`` or :func:`desktop_app.gui.app.run_gui`.
"""
