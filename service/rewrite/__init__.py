"""改写建议: sentence rewrites from an OpenAI-compatible provider or the local engine."""
