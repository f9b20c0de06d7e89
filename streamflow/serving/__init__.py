"""LLM serving backends: vLLM in-process, any OpenAI-compatible server; admission and usage."""
