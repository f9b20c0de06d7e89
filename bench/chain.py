"""The B1 refiner chain, shared by every B1 script so they all run exactly the same work.

Names only, no imports: ``b1_dataflow.py`` runs in open-dataflow's own virtual environment,
which has no streamflow. Each name is a refiner that both streamflow and open-dataflow ship.
"""

REFINERS = (
    "HtmlEntityRefiner",
    "ReferenceRemoverRefiner",
    "RemoveImageRefsRefiner",
    "HtmlUrlRemoverRefiner",
    "RemoveEmoticonsRefiner",
    "RemoveRepetitionsPunctuationRefiner",
    "RemovePunctuationRefiner",
    "RemoveNumberRefiner",
    "LowercaseRefiner",
    "RemoveExtraSpacesRefiner",
)
"""Ten cheap refiners, in pipeline order (wiki references before the tag remover, which would
otherwise take ``<ref>`` apart). Left out of the twelve: RemoveEmojiRefiner (about 190 us per
row that holds an emoji, in the ``emoji`` package, twenty times the rest of the chain) and
TextNormalizationRefiner (about 25 us per row): B1 measures the runtime's overhead, which cheap
hooks show best."""

INPUT_KEY = "text"

BATCH_SIZE = 1000
"""Rows per batch, for streamflow's channels and for the plain loop alike."""
