"""DataFlow's core_vision domain: an image and a prompt to a vision-language model."""

# Name -> module, for the lazy registration of issue 10 (lazy_domain(operators=...,
# prompts=...)); until it lands, import the modules directly.
OPERATORS: dict[str, str] = {
    "PromptedVQAGenerator": "prompted_vqa_generator",
}
PROMPTS: dict[str, str] = {}
