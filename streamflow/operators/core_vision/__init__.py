"""DataFlow's core_vision domain: an image and a prompt to a vision-language model."""
