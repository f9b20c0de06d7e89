"""Language identification, shared by LanguageFilter and LanguageIdentifier: py3langid, whose
model ships inside the package, so nothing is downloaded at run time (DataFlow and datatrove
fetch fastText's lid.176 on first use).

py3langid recognises 97 languages by ISO 639-1 code ("en", "zh", "de", ...). Its confidence is
the normalised probability of the best language; on a paragraph of ordinary prose it is above
0.99, on a line of a few words it can fall under 0.5, so ``min_score`` mostly drops fragments.
Only the first ``max_chars`` characters are read: language is settled long before, and the cost
is linear in the length (about 0.1 ms per kilobyte).
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["DEFAULT_MAX_CHARS", "identify", "language_code"]

DEFAULT_MAX_CHARS = 10_000


@functools.cache
def _identifier() -> Any:
    """The model, loaded once per process (about 0.3 s); classifying only reads it."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> tuple[str, float]:
    """``(language, confidence)`` of ``text``; ``("", 0.0)`` when it has no letters at all."""
    head = text[:max_chars]
    if not any(ch.isalpha() for ch in head):
        return "", 0.0
    language, score = _identifier().classify(head)
    return str(language), float(score)


_ISO_639_3_PAIRS = """
afr:af amh:am ara:ar arb:ar arg:an asm:as aze:az azj:az bak:ba bel:be ben:bn bos:bs bre:br
bul:bg cat:ca ces:cs cmn:zh cym:cy dan:da deu:de dzo:dz ekk:et ell:el eng:en epo:eo est:et eus:eu
fao:fo fas:fa fin:fi fra:fr fry:fy gaz:om gla:gd gle:ga glg:gl guj:gu hat:ht hau:ha heb:he hin:hi
hrv:hr hun:hu hye:hy ibo:ig ind:id isl:is ita:it jav:jv jpn:ja kan:kn kat:ka kaz:kk khk:mn khm:km
kin:rw kir:ky kmr:ku kor:ko kur:ku lao:lo lat:la lav:lv lin:ln lit:lt ltz:lb lug:lg lvs:lv mal:ml
mar:mr mkd:mk mlg:mg mlt:mt mon:mn msa:ms mya:my nep:ne nld:nl nno:nn nob:no nor:no npi:ne oci:oc
ori:or orm:om ory:or pan:pa pbt:ps pes:fa plt:mg pol:pl por:pt pus:ps que:qu quy:qu ron:ro rus:ru
san:sa sin:si slk:sk slv:sl sme:se sna:sn som:so sot:st spa:es sqi:sq als:sq srp:sr swa:sw swh:sw
swe:sv tam:ta tat:tt tel:te tgk:tg tgl:tl tha:th tuk:tk tur:tr uig:ug ukr:uk urd:ur uzb:uz uzn:uz
vie:vi vol:vo wln:wa xho:xh yor:yo zho:zh zsm:ms zul:zu
"""
_ISO_639_3 = dict(pair.split(":") for pair in _ISO_639_3_PAIRS.split())
"""ISO 639-3 (and NLLB's individual-language) codes -> the ISO 639-1 codes py3langid answers
with, for the languages it knows; py3langid names the others by their 639-3 code already."""


def language_code(name: str) -> str:
    """``"en"`` from ``"en"``, ``"EN"``, fastText lid.176's ``"__label__en"`` or the NLLB
    model's ``"__label__eng_Latn"`` (DataFlow's LanguageFilter default model)."""
    code = name.removeprefix("__label__").strip().lower()
    code = code.split("_", 1)[0]  # NLLB's script suffix: eng_latn -> eng
    return _ISO_639_3.get(code, code)
