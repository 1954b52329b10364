"""`python -m pipeline` runs the Hivewatch command line."""

from pipeline.cli import main

main()
