"""PromptedVQAGenerator: an image and a prompt per row to a vision-language model."""

from __future__ import annotations

import base64
import mimetypes
from typing import Any, cast

import anyio

from streamflow.actors.base import Generator
from streamflow.operators.llm import LLMOperator, answer_text, with_answer
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMRequestError, LLMServing, Message

__all__ = ["PromptedVQAGenerator", "image_part"]


async def image_part(image: str) -> dict[str, Any]:
    """An OpenAI ``image_url`` content part: a URL as it is, a file as a base64 data URL."""
    if image.startswith(("http://", "https://", "data:")):
        return {"type": "image_url", "image_url": {"url": image}}
    data = await anyio.Path(image).read_bytes()
    kind = mimetypes.guess_type(image)[0] or "image/png"
    encoded = base64.b64encode(data).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:{kind};base64,{encoded}"}}


class PromptedVQAGenerator(LLMOperator, Generator):
    """Asks the model ``input_key`` (the prompt) about the image(s) in ``input_image_key``.

    The request is an OpenAI chat message whose content is the text and one ``image_url``
    part per image (a URL, or a local file sent as a data URL): any OpenAI-compatible vision
    server (``vllm serve`` of a vision model, OpenAI) or a :class:`~streamflow.serving.
    vllm_backend.VLLMServing` of a multimodal model on a GPU takes it. DataFlow's operator has
    no image key (its serving finds the image itself); ``input_image_key`` is ours. A missing
    image or a refused request fails its row, naming the image.
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        system_prompt: str = "You are a helpful assistant.",
    ) -> None:
        self._use(llm_serving)
        self.system_prompt = system_prompt

    async def process(
        self,
        rows: list[Row],
        input_key: str = "raw_content",
        output_key: str = "generated_content",
        input_image_key: str = "image",
    ) -> list[Row | Failure]:
        out: list[Row | Failure] = [Failure("no answer")] * len(rows)

        async def one(i: int) -> None:
            row = rows[i]
            images = row.get(input_image_key)
            images = [images] if isinstance(images, str) else images
            prompt = row.get(input_key)
            if not isinstance(prompt, str) or not prompt.strip():
                out[i] = {**row, output_key: ""}
                return
            if not images or not all(isinstance(x, str) for x in images):
                out[i] = Failure(f"field {input_image_key!r} holds no image path or URL")
                return
            try:
                parts = [await image_part(x) for x in images]
            except OSError as exc:
                out[i] = Failure(f"cannot read image: {exc}")
                return
            content = [{"type": "text", "text": prompt}, *parts]
            messages = cast(list[Message], [{"role": "user", "content": content}])
            try:
                completion = await self.llm_serving.complete(
                    messages, system_prompt=self.system_prompt
                )
            except LLMRequestError as exc:
                out[i] = Failure(exc.reason, transient=exc.transient)
                return
            out[i] = with_answer(
                row, output_key, answer_text(completion, self.llm_serving, self.accept_truncated)
            )

        async with anyio.create_task_group() as tg:
            for i in range(len(rows)):
                tg.start_soon(one, i)
        return out
