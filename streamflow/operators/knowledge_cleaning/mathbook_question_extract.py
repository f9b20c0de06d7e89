"""MathBookQuestionExtract: the exercises of a maths book PDF, read by a vision model.

As in DataFlow: every page is rendered to an image; the figures on each page are cut out and
numbered (``0.jpg``, ``1.jpg``, ...); for each page the model sees that page, the next one and the
figures on both, and lists the exercises that start on the page, with ``<image>k.jpg</image>``
where a figure belongs, separated by ``<SPACE>``. The exercises go to
``{output_folder}/{name}.json`` (``[{"text", "pics"}]``) and ``{name}.md`` (figures as Markdown
images), and to ``output_key``.

Deliberate differences: DataFlow's ``run()`` takes one PDF path and names as literal values;
here each row names its PDF (``input_pdf_file_path_key``) and ``output_folder`` is set in the
constructor, so one pipeline handles many books. Pages are rendered with pypdfium2 (Apache/BSD,
installed with the ``pdf`` extra) and figures are cut from the rendering by the boxes pdfplumber
finds, instead of PyMuPDF and MinerU. Requests go through any ``LLMServing`` of a vision model
(OpenAI-compatible servers, or vLLM with a multimodal model on a GPU).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, cast

import anyio

from streamflow.actors.base import Generator
from streamflow.operators.core_vision.prompted_vqa_generator import image_part
from streamflow.operators.knowledge_cleaning.prompts import MathbookQuestionExtractPrompt
from streamflow.operators.llm import LLMOperator, answer_text
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMRequestError, LLMServing, Message

__all__ = ["MathBookQuestionExtract", "render_pages"]

_TAG = re.compile(r"<image>(.*?)\.jpg</image>")


def render_pages(pdf: Path, folder: Path, dpi: int) -> tuple[list[Path], list[tuple[int, Path]]]:
    """Page images ``page_<n>.jpg`` and figures ``<k>.jpg`` (with their page index)."""
    from streamflow.extras import require

    pdfium = require("pypdfium2", "pdf", for_="rendering PDF pages")
    pdfplumber = require("pdfplumber", "pdf", for_="finding figures in PDF pages")
    pages_dir, figures_dir = folder / "pdfimages", folder / "organized_images"
    pages_dir.mkdir(parents=True, exist_ok=True)
    figures_dir.mkdir(parents=True, exist_ok=True)
    scale = dpi / 72
    pages: list[Path] = []
    figures: list[tuple[int, Path]] = []
    document = pdfium.PdfDocument(str(pdf))
    try:
        with pdfplumber.open(pdf) as plumber:
            for index in range(len(document)):
                image = document[index].render(scale=scale).to_pil().convert("RGB")
                target = pages_dir / f"page_{index}.jpg"
                image.save(target, quality=85)
                pages.append(target)
                for box in plumber.pages[index].images:
                    crop = (
                        box["x0"] * scale,
                        box["top"] * scale,
                        box["x1"] * scale,
                        box["bottom"] * scale,
                    )
                    figure = figures_dir / f"{len(figures)}.jpg"
                    image.crop(tuple(int(c) for c in crop)).save(figure, quality=85)
                    figures.append((index, figure))
    finally:
        document.close()
    return pages, figures


class MathBookQuestionExtract(LLMOperator, Generator):
    """Extracts the exercises of each row's PDF (see the module); ``output_key`` gets
    ``[{"text", "pics"}]``. An unreadable PDF or a failed request fails the row."""

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (MathbookQuestionExtractPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        prompt_template: MathbookQuestionExtractPrompt | DIYPromptABC | None = None,
        mineru_backend: str = "vlm-vllm-engine",
        dpi: int = 150,
        key_name_of_api_key: str = "DF_API_KEY",
        model_name: str = "o4-mini",
        max_workers: int = 20,
        *,
        output_folder: str = "mathbook_questions",
    ) -> None:
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self.prompt_template: Any = prompt_template or MathbookQuestionExtractPrompt()
        self.mineru_backend = mineru_backend  # DataFlow's; pages are rendered without MinerU
        self.dpi = dpi
        self.key_name_of_api_key = key_name_of_api_key
        self.model_name = model_name
        self.max_workers = max_workers
        self.output_folder = output_folder

    async def process(
        self,
        rows: list[Row],
        input_pdf_file_path_key: str = "pdf_path",
        output_key: str = "questions",
    ) -> list[Row | Failure]:
        out: list[Row | Failure] = []
        for row in rows:
            path = row.get(input_pdf_file_path_key)
            if not isinstance(path, str) or not Path(path).is_file():
                out.append(Failure(f"no PDF at {path!r}"))
                continue
            folder = Path(self.output_folder) / Path(path).stem
            try:
                pages, figures = await anyio.to_thread.run_sync(
                    render_pages, Path(path), folder, self.dpi
                )
            except Exception as exc:  # pypdfium2 and pdfminer raise many types
                out.append(Failure(f"cannot render {path}: {type(exc).__name__}: {exc}"))
                continue
            try:
                answers = await self._ask_pages(pages, figures)
            except LLMRequestError as exc:
                out.append(Failure(f"{path}: {exc.reason}", transient=exc.transient))
                continue
            cut = next((a for a in answers if isinstance(a, Failure)), None)
            if cut is not None:
                out.append(Failure(f"{path}: {cut.reason}"))
                continue
            questions = _split([str(a) for a in answers], figures)
            await anyio.to_thread.run_sync(_save, folder, Path(path).stem, questions)
            out.append({**row, output_key: questions})
        return out

    async def _ask_pages(
        self, pages: list[Path], figures: list[tuple[int, Path]]
    ) -> list[str | Failure]:
        """Each page's answer, or a Failure where it was cut off (unless accept_truncated)."""
        system = self.prompt_template.build_prompt()
        answers: list[str | Failure] = [""] * len(pages)
        limiter = anyio.CapacityLimiter(self.max_workers)

        async def one(n: int) -> None:
            shown = [(f"page_n ({pages[n].name})", pages[n])]
            if n + 1 < len(pages):
                shown.append((f"page_n+1 ({pages[n + 1].name})", pages[n + 1]))
            shown += [(f.name, f) for page, f in figures if page in (n, n + 1)]
            content: list[dict[str, Any]] = []
            for label, image in shown:
                content.append({"type": "text", "text": label})
                content.append(await image_part(str(image)))
            messages = cast(list[Message], [{"role": "user", "content": content}])
            async with limiter:
                completion = await self.llm_serving.complete(messages, system_prompt=system)
            answers[n] = answer_text(completion, self.llm_serving, self.accept_truncated)

        async with anyio.create_task_group() as tg:
            for n in range(len(pages)):
                tg.start_soon(one, n)
        return answers


def _split(answers: list[str], figures: list[tuple[int, Path]]) -> list[dict[str, Any]]:
    by_name = {f.stem: f for _, f in figures}
    questions = []
    for answer in answers:
        for text in answer.split("<SPACE>"):
            if not text.strip():
                continue
            pics = [str(by_name[n]) for n in _TAG.findall(text) if n in by_name]
            questions.append(
                {
                    "text": _TAG.sub("", text).strip(),
                    "pics": pics,
                    "markdown": _TAG.sub(r"![](images/\1.jpg)", text).strip(),
                }
            )
    return questions


def _save(folder: Path, name: str, questions: list[dict[str, Any]]) -> None:
    import json

    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(
        json.dumps(
            [{"text": q["text"], "pics": q["pics"]} for q in questions],
            ensure_ascii=False,
            indent=2,
        ),
        "utf-8",
    )
    (folder / f"{name}.md").write_text(
        "".join(q["markdown"] + "\n---\n" for q in questions), "utf-8"
    )
