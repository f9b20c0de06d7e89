"""Speech2TextGenerator: the transcript of each row's audio file or URL."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import anyio

from streamflow.actors.base import Generator
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMRequestError
from streamflow.serving.transcription import TranscriptionServing

__all__ = ["Speech2TextGenerator"]


class Speech2TextGenerator(Generator):
    """Writes the transcript of ``input_key`` (an audio path or URL) to ``output_key``.

    ``llm_serving`` is a :class:`~streamflow.serving.transcription.TranscriptionServing` (any
    OpenAI-compatible ``/v1/audio/transcriptions``: OpenAI, ``vllm serve`` of a Whisper model on
    a GPU, faster-whisper-server). DataFlow passes ``system_prompt`` to an audio LLM; here it
    goes as the transcription ``prompt`` (a hint of names and spelling), and only when changed
    from DataFlow's default. A file that cannot be read or transcribed fails its row, named.
    """

    expensive: ClassVar[bool] = True
    DEFAULT_SYSTEM_PROMPT: ClassVar[str] = "You are a helpful assistant"

    def __init__(
        self, llm_serving: TranscriptionServing, system_prompt: str = DEFAULT_SYSTEM_PROMPT
    ) -> None:
        self.llm_serving = llm_serving
        self.system_prompt = system_prompt

    async def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "generated_content"
    ) -> list[Row | Failure]:
        hint = "" if self.system_prompt == self.DEFAULT_SYSTEM_PROMPT else self.system_prompt
        out: list[Row | Failure] = [Failure("not transcribed")] * len(rows)

        async def one(i: int) -> None:
            source = rows[i].get(input_key)
            if not isinstance(source, str) or not source.strip():
                out[i] = Failure(f"field {input_key!r} holds no audio path or URL")
                return
            try:
                audio, name = await load_audio(source, self.llm_serving.max_bytes)
                text = await self.llm_serving.transcribe(audio, name, hint)
            except LLMRequestError as exc:
                out[i] = Failure(f"{source}: {exc.reason}", transient=exc.transient)
                return
            out[i] = {**rows[i], output_key: text}

        async with anyio.create_task_group() as tg:
            for i in range(len(rows)):
                tg.start_soon(one, i)
        return out


async def load_audio(source: str, max_bytes: int) -> tuple[bytes, str]:
    """The bytes and file name of ``source``, a path or an http(s) URL (fetched politely)."""
    if source.startswith(("http://", "https://")):
        from streamflow.io.documents.fetch import FetchError, PoliteFetcher

        async with PoliteFetcher(max_bytes=max_bytes, min_delay=0) as fetcher:
            try:
                fetched = await fetcher.fetch(source)
            except FetchError as exc:
                raise LLMRequestError(str(exc)) from None
        return fetched.body, Path(fetched.final_url).name or "audio"
    path = anyio.Path(source)
    try:
        size = (await path.stat()).st_size
    except OSError as exc:
        raise LLMRequestError(f"cannot read {source}: {exc.strerror or exc}") from None
    if size > max_bytes:
        raise LLMRequestError(f"{source}: {size} bytes is over the limit of {max_bytes}")
    return await path.read_bytes(), path.name
