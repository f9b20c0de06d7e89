"""The five PDF-to-VQA operators: merge PDFs, prepare the layout for the LLM, parse its answer,
pair questions with answers, and format ShareGPT multimodal samples.

They work on files, as DataFlow's do: each row is a job (``name``, PDFs), and each step writes
its result under ``output_dir/<name>/`` and passes the path on. The layout they read is MinerU's
``*_content_list.json``; streamflow's offline converter writes the same file beside each
converted PDF, so the chain runs without MinerU (without figures: the offline converter does not
extract images).

The LLM step between :class:`MinerU2LLMInputOperator` and :class:`LLMOutputParser` is
:class:`~streamflow.operators.general.llm.ChunkedPromptedGenerator` with
:class:`~streamflow.operators.pdf2vqa.prompts.QAExtractPrompt`, as in DataFlow's pipeline.
Every file problem fails its row with the file named.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from streamflow.actors.base import Generator, RowGenerator
from streamflow.operators._dropping import Drop, DroppingRowGenerator
from streamflow.rows import Failure, Row

__all__ = [
    "LLMOutputParser",
    "MinerU2LLMInputOperator",
    "PDF_Merger",
    "QA_Merger",
    "VQAFormatter",
    "merge_qa_pairs",
]


class PDF_Merger(Generator):
    """Merges a row's PDFs (``input_pdf_list_key``: a path or a list) into
    ``output_dir/<name>/<name>_merged.pdf``. A missing or unreadable PDF fails the row, named
    (DataFlow skips it). ``base_dir`` (ours) is where relative paths are looked for."""

    def __init__(self, output_dir: str, base_dir: str | None = None) -> None:
        self.output_dir = output_dir
        self.base_dir = base_dir

    def process(
        self,
        rows: list[Row],
        input_pdf_list_key: str = "input_pdf_paths",
        input_name_key: str = "name",
        output_pdf_path_key: str = "merged_pdf_path",
    ) -> list[Row | Failure]:
        from streamflow.extras import require

        pypdf = require("pypdf", "pdf", for_="merging PDFs")
        out: list[Row | Failure] = []
        for row in rows:
            paths = row.get(input_pdf_list_key)
            paths = [paths] if isinstance(paths, str) else paths
            name = str(row.get(input_name_key) or "")
            if not paths or not name:
                out.append(Failure(f"row needs {input_pdf_list_key!r} and {input_name_key!r}"))
                continue
            files = [_resolve(p, self.base_dir) for p in paths]
            missing = [str(f) for f in files if not f.is_file()]
            if missing:
                out.append(Failure(f"no such PDF: {missing[0]}"))
                continue
            target = Path(self.output_dir) / name / f"{name}_merged.pdf"
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                writer = pypdf.PdfWriter()
                for f in files:
                    writer.append(str(f))
                with open(target, "wb") as handle:
                    writer.write(handle)
                writer.close()
            except Exception as exc:  # pypdf raises many types for a broken file
                out.append(Failure(f"cannot merge {', '.join(map(str, files))}: {exc}"))
                continue
            out.append({**row, output_pdf_path_key: str(target)})
        return out


class MinerU2LLMInputOperator(Generator):
    """Writes ``<content_list>_converted.json`` beside the Markdown file: MinerU's layout items
    numbered by ``id``, list items split into text items, positions removed."""

    def process(
        self,
        rows: list[Row],
        input_markdown_path_key: str = "vqa_markdown_path",
        output_converted_layout_key: str = "converted_vqa_layout_path",
    ) -> list[Row | Failure]:
        out: list[Row | Failure] = []
        for row in rows:
            markdown = Path(str(row.get(input_markdown_path_key) or ""))
            found = sorted(markdown.parent.glob("*_content_list.json"))
            if not markdown.name or not found:
                out.append(Failure(f"no *_content_list.json beside {markdown}"))
                continue
            try:
                items = json.loads(found[0].read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                out.append(Failure(f"cannot read {found[0]}: {exc}"))
                continue
            converted = found[0].with_name(found[0].stem + "_converted.json")
            converted.write_text(json.dumps(_number(items), ensure_ascii=False), "utf-8")
            out.append({**row, output_converted_layout_key: str(converted)})
        return out


def _number(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    numbered: list[dict[str, Any]] = []
    for item in items:
        item = {k: v for k, v in item.items() if k not in ("bbox", "page_idx")}
        if item.get("type") == "list" and item.get("sub_type") == "text":
            for text in item.get("list_items", []):
                numbered.append({"type": "text", "text": text, "id": len(numbered)})
        else:
            numbered.append({**item, "id": len(numbered)})
    return numbered


_CHAPTER = re.compile(r"<chapter>(.*?)</chapter>", re.S)
_PAIR = re.compile(r"<qa_pair>(.*?)</qa_pair>", re.S)


def _tag(name: str, text: str) -> str | None:
    match = re.search(rf"<{name}>(.*?)</{name}>", text, re.S)
    return match.group(1).strip() if match else None


class LLMOutputParser(Generator):
    """Turns the LLM's tagged answer (ids) back into text: ``output_dir/<name>/
    extracted_vqa.jsonl`` with ``{question, answer, solution, label, chapter_title}`` per pair;
    images referenced are copied to ``output_dir/<name>/vqa_images``."""

    def __init__(self, output_dir: str, intermediate_dir: str = "intermediate") -> None:
        self.output_dir = output_dir
        self.intermediate_dir = intermediate_dir

    def process(
        self,
        rows: list[Row],
        input_response_path_key: str = "extracted_llm_vqa_path",
        input_converted_layout_path_key: str = "converted_vqa_layout_path",
        input_name_key: str = "name",
        output_qalist_path_key: str = "extracted_vqa_path",
    ) -> list[Row | Failure]:
        out: list[Row | Failure] = []
        for row in rows:
            layout_path = Path(str(row.get(input_converted_layout_path_key) or ""))
            try:
                response = Path(str(row.get(input_response_path_key))).read_text("utf-8")
                layout = json.loads(layout_path.read_text("utf-8"))
            except (OSError, ValueError, TypeError) as exc:
                out.append(Failure(f"cannot read the answer or the layout: {exc}"))
                continue
            name = str(row.get(input_name_key) or "document")
            pairs = parse_tagged_answer(response, layout, "vqa_images")
            target = Path(self.output_dir) / name / "extracted_vqa.jsonl"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs))
            for images in (layout_path.parent / "vlm" / "images", layout_path.parent / "images"):
                if images.is_dir():
                    shutil.copytree(images, target.parent / "vqa_images", dirs_exist_ok=True)
                    break
            out.append({**row, output_qalist_path_key: str(target)})
        return out


def parse_tagged_answer(
    response: str, layout: list[dict[str, Any]], image_prefix: str
) -> list[dict[str, Any]]:
    """The ``<chapter>``/``<qa_pair>`` answer with its ids replaced by the items' text."""

    def text_of(ids: str | None) -> str:
        texts = []
        for part in (ids or "").replace(" ", "").split(","):
            if not part.isdigit() or int(part) >= len(layout):
                continue
            item = layout[int(part)]
            if "text" in item:
                texts.append(str(item["text"]))
            elif "table_body" in item:
                texts.append(str(item["table_body"]))
            elif item.get("img_path"):
                caption = " ".join(item.get("image_caption") or ["image"])
                texts.append(f"![{caption}]({image_prefix}/{os.path.basename(item['img_path'])})")
        return "\n".join(texts)

    pairs = []
    for chapter in _CHAPTER.findall(response):
        title = text_of(_tag("title", chapter))
        for pair in _PAIR.findall(chapter):
            label = _tag("label", pair)
            question, answer, solution = (_tag(t, pair) for t in ("question", "answer", "solution"))
            if label is None or (question is None and answer is None and solution is None):
                continue
            pairs.append(
                {
                    "question": text_of(question),
                    "answer": (answer or "").strip(),
                    "solution": text_of(solution),
                    "label": label,
                    "chapter_title": title,
                }
            )
    return pairs


class QA_Merger(RowGenerator):
    """Pairs questions with their answers (by chapter and label, for books that print answers
    apart), writes ``merged_qa_pairs.jsonl`` and ``.md`` under ``output_dir/<name>/``, and emits
    one row per pair with the pair in ``output_qa_item_key`` (image paths prefixed by the name).
    """

    def __init__(self, output_dir: str, strict_title_match: bool = False) -> None:
        self.output_dir = output_dir
        self.strict_title_match = strict_title_match

    def process(
        self,
        rows: list[Row],
        input_qalist_path_key: str = "extracted_vqa_path",
        input_name_key: str = "name",
        output_merged_qalist_path_key: str = "output_merged_vqalist_path",
        output_merged_md_path_key: str = "output_merged_md_path",
        output_qa_item_key: str = "qa_item",
    ) -> list[list[Row] | Failure]:
        out: list[list[Row] | Failure] = []
        for row in rows:
            name = str(row.get(input_name_key) or "document")
            try:
                lines = Path(str(row.get(input_qalist_path_key))).read_text("utf-8").splitlines()
                items = [json.loads(line) for line in lines if line.strip()]
            except (OSError, ValueError, TypeError) as exc:
                out.append(Failure(f"cannot read the extracted pairs: {exc}"))
                continue
            merged = merge_qa_pairs(items, self.strict_title_match)
            folder = Path(self.output_dir) / name
            folder.mkdir(parents=True, exist_ok=True)
            jsonl, md = folder / "merged_qa_pairs.jsonl", folder / "merged_qa_pairs.md"
            jsonl.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in merged))
            md.write_text("".join(_markdown(p) for p in merged), "utf-8")
            children = []
            for pair in merged:
                fixed = {
                    k: _prefix_images(v, name) if k in ("question", "answer", "solution") else v
                    for k, v in pair.items()
                }
                children.append(
                    {
                        **row,
                        output_merged_qalist_path_key: str(jsonl),
                        output_merged_md_path_key: str(md),
                        output_qa_item_key: fixed,
                    }
                )
            out.append(children)
        return out


def _refine_title(title: str, strict: bool) -> str:
    title = re.sub(r"\s+", "", title)
    if strict:
        return title
    match = re.search(r"\d+\.\d+|\d+", title) or re.search(r"[一二三四五六七八九零十百]+", title)
    return match.group() if match else title


def merge_qa_pairs(
    items: list[dict[str, Any]], strict_title_match: bool = False
) -> list[dict[str, Any]]:
    """DataFlow's pairing: complete pairs pass; question-only and answer-only items with the same
    (chapter, label) are joined; a title change with a rising label is taken for a subtitle."""
    complete: list[dict[str, Any]] = []
    questions: dict[tuple[str, int], dict[str, Any]] = {}
    answers: dict[tuple[str, int], dict[str, Any]] = {}
    for group, is_question in (
        ([i for i in items if i.get("question")], True),
        ([i for i in items if not i.get("question")], False),
    ):
        chapter, last_label = "", float("inf")
        for item in group:
            match = re.search(r"\d+", str(item.get("label", "")))
            if not match:
                continue
            label = int(match.group())
            title = str(item.get("chapter_title") or "") or chapter
            if title != chapter:
                if label < last_label or not chapter:
                    chapter = title
                else:
                    title = chapter  # a rising label under a new title: a subtitle
            last_label = label
            key = (_refine_title(title, strict_title_match), label)
            if label <= 0:
                continue
            if is_question:
                if item.get("answer") or item.get("solution"):
                    complete.append(_pair(key, key, item, item))
                else:
                    questions[key] = item
            else:
                held = answers.setdefault(key, dict(item))
                for field in ("answer", "solution"):
                    if not held.get(field) and item.get(field):
                        held[field] = item[field]
    complete += [_pair(k, k, q, answers[k]) for k, q in questions.items() if k in answers]
    return complete


def _pair(
    qkey: tuple[str, int], akey: tuple[str, int], q: dict[str, Any], a: dict[str, Any]
) -> dict[str, Any]:
    return {
        "question_chapter_title": qkey[0],
        "answer_chapter_title": akey[0],
        "label": qkey[1],
        "question": q.get("question", ""),
        "answer": a.get("answer", ""),
        "solution": a.get("solution", ""),
    }


def _markdown(pair: dict[str, Any]) -> str:
    text = f"### Question {pair['label']}\n\n{pair['question']}\n\n**Answer:** {pair['answer']}\n\n"
    if pair.get("solution"):
        text += f"**Solution:**\n\n{pair['solution']}\n\n"
    return text + "---\n\n"


def _prefix_images(text: Any, name: str) -> Any:
    if not isinstance(text, str):
        return text
    return re.sub(r"!\[(.*?)\]\((.*?)\)", lambda m: f"![{m.group(1)}]({name}/{m.group(2)})", text)


_IMAGE = re.compile(r"!\[.*?\]\((.*?)\)")


class VQAFormatter(DroppingRowGenerator):
    """A ShareGPT multimodal sample per QA pair: ``messages`` (user: one ``<image>`` per image,
    then the question; assistant: the answer, then the solution) and ``images`` (paths,
    resolved against ``image_root``, ours, default the working directory). A pair without a
    question or without answer and solution is dropped with the reason; ``output_json_file``
    collects every sample into one JSON file."""

    def __init__(
        self,
        output_json_file: str | None = None,
        image_placeholder: str = "<image>",
        image_root: str | None = None,
    ) -> None:
        self.output_json_file = output_json_file
        self.image_placeholder = image_placeholder
        self.image_root = image_root
        self._samples: list[dict[str, Any]] = []

    def process(
        self,
        rows: list[Row],
        input_qa_item_key: str = "qa_item",
        output_messages_key: str = "messages",
        output_images_key: str = "images",
    ) -> list[list[Row] | Drop | Failure]:
        out: list[list[Row] | Drop | Failure] = []
        root = Path(self.image_root or os.getcwd())
        for row in rows:
            item = row.get(input_qa_item_key)
            item = item if isinstance(item, dict) else row
            question = str(item.get("question") or "").strip()
            answer = str(item.get("answer") or "").strip()
            solution = _strip_images(str(item.get("solution") or ""))
            if not question:
                out.append(Drop("no question"))
                continue
            reply = "\n\n".join(p for p in (answer, solution) if p)
            if not reply:
                out.append(Drop("no answer and no solution"))
                continue
            images = [
                str((root / p).resolve())
                for p in _IMAGE.findall(question) + _IMAGE.findall(str(item.get("solution") or ""))
            ]
            user = self.image_placeholder * len(images) + _strip_images(question)
            messages = [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]
            sample = {output_messages_key: messages, output_images_key: images}
            self._samples.append(sample)
            out.append([{**row, **sample}])
        if self.output_json_file:
            target = Path(self.output_json_file)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(self._samples, ensure_ascii=False, indent=2), "utf-8")
        return out


def _strip_images(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", _IMAGE.sub("", text)).strip()


def _resolve(path: Any, base_dir: str | None) -> Path:
    candidate = Path(str(path))
    if base_dir is not None and not candidate.is_absolute() and not candidate.exists():
        return Path(base_dir) / candidate
    return candidate
