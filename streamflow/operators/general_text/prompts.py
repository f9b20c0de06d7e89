"""Prompt templates of the general_text domain."""

from __future__ import annotations

from streamflow.prompts.base import PromptTemplate

__all__ = ["LanguageFilterPrompt"]

_EXAMPLES = (
    ("Good morning, how was your trip?", "en"),
    ("Nous partirons demain matin.", "fr"),
    ("¿Cuánto cuesta este libro?", "es"),
    ("Das Wetter ist heute schön.", "de"),
    ("今天的会议推迟到下午。", "zh"),
    ("駅までどのくらいかかりますか。", "ja"),
    ("Как пройти в библиотеку?", "ru"),
    ("أين يقع المتحف؟", "ar"),
)


class LanguageFilterPrompt(PromptTemplate):
    """Asks for the ISO 639-1 code of a text's main language, or ``unknown``; few-shot, as
    DataFlow's template of the same name (our wording)."""

    def build_prompt(self, text: str) -> str:  # fields are named
        shots = "\n".join(f"Text: {t}\nLanguage: {code}" for t, code in _EXAMPLES)
        return (
            "Identify the language of the text below. Answer with its two-letter ISO 639-1 "
            'code only (for example "en", "fr", "zh"). If several languages are mixed, give the '
            'one most of the text is written in; if no language can be told, answer "unknown". '
            "Do not translate or explain.\n\n"
            f"{shots}\n\nText: {text}\nLanguage:"
        )
