"""DataFlow's core_speech domain: speech to text through a transcription endpoint."""

from streamflow.operators._lazy import lazy_domain

__getattr__, __dir__, __all__ = lazy_domain(
    __name__,
    operators={
        "Speech2TextGenerator": "speech2text_generator",
    },
)
