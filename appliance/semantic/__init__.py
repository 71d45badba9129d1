"""Semantic cache library: the embedder, the vector index and the match guards.

`embedder` turns text into vectors off the event loop, `index` stores and
searches them per scope in LanceDB, `guards` and `decide` refuse near matches
that differ in a way that changes the answer.
"""
