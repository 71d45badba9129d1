"""Response caching below the pipeline: keys, the exact store, stream replay,
single-flight of identical requests, per-input embeddings and semantic lookup.
"""
