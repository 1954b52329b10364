"""Ingest: plan a batch, run the per-file step on each new file, commit the batch."""
