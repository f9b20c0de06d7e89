"""Prompt templates of the knowledge_cleaning domain (DataFlow's names, our wording)."""

from __future__ import annotations

from streamflow.prompts.base import PromptTemplate

__all__ = ["KnowledgeCleanerPrompt", "MathbookQuestionExtractPrompt"]

_CLEANER_EN = """You clean raw text extracted from documents so that it can serve as a reliable
knowledge base. Rewrite the text below following these rules.

Keep every fact:
- Do not add, remove or change any fact, number, date, name, unit or technical term.
- Do not paraphrase terminology and do not summarise: the cleaned text says what the raw text
  says, completely.
- Keep tables as tables (Markdown or HTML) with all their cells.

Remove the noise:
- Drop leftover markup (HTML/XML tags, layout artefacts) but keep its visible text; keep
  semantic structure such as headings, lists, tables and code.
- Drop page headers, footers, page numbers and table-of-contents dot leaders.
- Rejoin words broken across lines, fix obviously broken spacing, use straight quotes.
- Replace an image by "[Image: its caption or alt text]".
- Keep at most one blank line between paragraphs; keep code indentation.
{strict}
Mask personal data: phone numbers, e-mail addresses and identity numbers keep only their first
and last characters, e.g. 555-0134 becomes 5*****4.

Reply with the cleaned text only, between the lines <cleaned_start> and <cleaned_end>, with no
explanation before or after.

Raw text:
{raw_content}"""

_CLEANER_ZH = """你负责清洗从文档中提取的原始文本，使其成为可靠的知识库内容。
请按以下规则改写下面的文本。

保留全部事实：
- 不得增加、删除或修改任何事实、数字、日期、名称、单位或专业术语。
- 不得改写术语，不得概括：清洗后的文本必须完整表达原文内容。
- 表格保持为表格（Markdown 或 HTML），保留全部单元格。

去除噪声：
- 删除残留的标记（HTML/XML 标签、版式残留），保留其可见文字；保留标题、列表、表格、代码等语义结构。
- 删除页眉、页脚、页码和目录中的引导点。
- 合并被换行拆开的词，修正明显错误的空格，统一使用直引号。
- 图片替换为"[图片：其标题或替代文字]"。
- 段落之间最多保留一个空行；保留代码缩进。
{strict}
个人信息脱敏：电话号码、电子邮箱和证件号码只保留首尾字符，例如 13800138000 变为 1*********0。

只输出清洗后的文本，放在 <cleaned_start> 与 <cleaned_end> 两行之间，前后不要任何说明。

原始文本：
{raw_content}"""


class KnowledgeCleanerPrompt(PromptTemplate):
    """The cleaning instruction: a rewrite that keeps every fact and removes extraction noise.

    ``strict_mode`` also asks to close code blocks that a page break cut open.
    """

    def __init__(self, lang: str = "en", strict_mode: bool = True) -> None:
        if lang not in ("en", "zh"):
            raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")
        self.lang = lang
        self.strict_mode = strict_mode

    def build_prompt(self, raw_content: str) -> str:
        if self.lang == "en":
            strict = (
                "- Close a code block that was cut open, marking the missing part as /* ... */.\n"
                if self.strict_mode
                else ""
            )
            return _CLEANER_EN.format(strict=strict, raw_content=raw_content)
        strict = "- 补全被截断的代码块，缺失部分标记为 /* ... */。\n" if self.strict_mode else ""
        return _CLEANER_ZH.format(strict=strict, raw_content=raw_content)


class MathbookQuestionExtractPrompt(PromptTemplate):
    """For a vision model shown two consecutive pages of a maths book and the figures on them."""

    def build_prompt(self) -> str:
        return """You see images of two consecutive pages of a mathematics textbook, labelled
page_n and page_n+1, followed by the figures that appear on them, labelled with their file
names (1.jpg, 2.jpg, ...).

Extract every exercise that begins on page_n, in its original language (do not translate):
- If an exercise continues on page_n+1, include all of it; ignore exercises that start on
  page_n+1.
- Where an exercise uses a figure, put the figure's file name at that place as
  <image>3.jpg</image>, with exactly the label you were given.
- Write mathematics in LaTeX.

Reply with the exercises one after another, separated by the token <SPACE>, and nothing else.
If page_n holds no exercise, reply <SPACE><SPACE>."""
