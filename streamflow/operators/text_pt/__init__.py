"""DataFlow's text_pt domain: judging pre-training text.

Model scorers and the filters built on them (NVIDIA's DeBERTa-v3 quality classifier,
FineWeb-Edu, PairQual, perplexity under a causal LM, QuRating, the fastText textbook
classifier), an LLM rating on several dimensions (Meta), CCNet's hash deduplication of
documents and of paragraphs (streamflow's own), and the phi-4 style rewrite of a passage as
question-answer turns. Each name is imported on first use.
"""

from streamflow.operators._lazy import lazy_domain

__getattr__, __dir__, __all__ = lazy_domain(
    __name__,
    operators={
        "CCNetDeduplicateFilter": "ccnet_dedup",
        "CCNetParagraphDeduplicateRefiner": "ccnet_paragraph_dedup",
        "DebertaV3Filter": "debertav3",
        "DebertaV3SampleEvaluator": "debertav3",
        "FineWebEduFilter": "fineweb_edu",
        "FineWebEduSampleEvaluator": "fineweb_edu",
        "MetaSampleEvaluator": "meta",
        "PairQualFilter": "pair_qual",
        "PairQualSampleEvaluator": "pair_qual",
        "PerplexityFilter": "perplexity",
        "PerplexitySampleEvaluator": "perplexity",
        "Phi4QAGenerator": "phi4qa",
        "QuratingFilter": "qurating",
        "QuratingSampleEvaluator": "qurating",
        "TextbookFilter": "textbook",
        "TextbookSampleEvaluator": "textbook",
    },
    prompts={
        "MetaPrompt": "prompts",
        "Phi4QAGeneratorPrompt": "prompts",
    },
)
