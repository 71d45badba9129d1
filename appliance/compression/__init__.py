"""Compression steps: pure functions that shrink a chat request body.

In the order the compress step runs them: preamble, summarize, repetition,
tools, images, breakpoints. Each takes the body and returns a `StepResult`
with a new body and the tokens before and after; none mutates its input.
"""
