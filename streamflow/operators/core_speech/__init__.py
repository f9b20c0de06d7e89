"""DataFlow's core_speech domain: speech to text through a transcription endpoint."""

# Name -> module, for the lazy registration of issue 10 (lazy_domain(operators=...,
# prompts=...)); until it lands, import the modules directly.
OPERATORS: dict[str, str] = {
    "Speech2TextGenerator": "speech2text_generator",
}
PROMPTS: dict[str, str] = {}
