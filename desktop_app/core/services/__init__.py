"""Qt-free services shared by the GUI, the CLI and jobs.

Services take a :class:`~desktop_app.core.project.Project`, open one session
per call (one unit of work) and return plain frozen dataclasses, never ORM
objects, so results can cross threads safely.
"""
