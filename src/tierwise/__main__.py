"""`python -m tierwise`: the same command as the installed `tierwise` script."""

from tierwise.cli import main

main()
