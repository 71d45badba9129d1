"""Dollar costs of usage: genai-prices' data, with the operator's overrides."""
