"""``python -m meso_formulary`` runs the ``meso`` command."""

from meso_formulary.cli import main

if __name__ == "__main__":
    main()
