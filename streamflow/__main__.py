"""``python -m streamflow`` runs the command line.

Guarded: worker processes (the process executor) import the main module under another name,
and must not start the command line again.
"""

from streamflow.cli import main

if __name__ == "__main__":
    main()
