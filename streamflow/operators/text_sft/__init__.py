"""DataFlow's text_sft domain: instruction data made from nothing (Condor) or from documents,
refined by critique, and scored or filtered by LLM judges (AlpaGasus, Tree-Instruct) and by
models of their own (Deita, Instag, reward model, Superfiltering); MMD compares two datasets."""

from streamflow.operators._lazy import lazy_domain

__getattr__, __dir__, __all__ = lazy_domain(
    __name__,
    operators={
        "CondorGenerator": "condor_generator",
        "CondorRefiner": "condor_refiner",
        "SFTGeneratorSeed": "sft_generator_seed",
        "AlpagasusSampleEvaluator": "alpagasus",
        "AlpagasusFilter": "alpagasus",
        "DeitaComplexitySampleEvaluator": "deita",
        "DeitaComplexityFilter": "deita",
        "DeitaQualitySampleEvaluator": "deita",
        "DeitaQualityFilter": "deita",
        "InstagSampleEvaluator": "instag",
        "InstagFilter": "instag",
        "RMSampleEvaluator": "reward_model",
        "RMFilter": "reward_model",
        "SuperfilteringSampleEvaluator": "superfiltering",
        "SuperfilteringFilter": "superfiltering",
        "TreeinstructSampleEvaluator": "treeinstruct",
        "TreeinstructFilter": "treeinstruct",
        "MMDDatasetEvaluator": "mmd",
    },
    prompts={
        "AlpagasusPrompt": "prompts",
        "CondorQuestionPrompt": "prompts",
        "CondorRefinePrompt": "prompts",
        "SFTGeneratorSeedPrompt": "prompts",
        "TreeinstructPrompt": "prompts",
    },
)
