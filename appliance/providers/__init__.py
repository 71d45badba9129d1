"""Provider wire formats (OpenAI, Anthropic), the SSE parser and relay, and
the shared upstream HTTP client. Nothing here imports the pipeline."""
