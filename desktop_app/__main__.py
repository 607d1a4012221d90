import sys

from desktop_app.modelbuild.launcher import run_module_argv

# A frozen bundle has no Python to run job modules with ``-m``: the launcher
# starts the bundle itself as ``jazba --run-module MODULE ARGS`` instead.
if not run_module_argv(sys.argv):
    from desktop_app.cli.main import main

    main()
