"""The public HTTP layer: thin handlers per protocol over the pipeline."""
