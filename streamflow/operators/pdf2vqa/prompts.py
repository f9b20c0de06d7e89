"""Prompt templates of the pdf2vqa domain (DataFlow's names and output tags, our wording)."""

from __future__ import annotations

from streamflow.prompts.base import PromptTemplate

__all__ = ["QAExtractPrompt"]


class QAExtractPrompt(PromptTemplate):
    """For the LLM that reads a converted layout (a JSON list of items, each with an ``id``) and
    answers with ids: which items are chapter titles, questions and solutions."""

    def build_prompt(self) -> str:
        return """You read a JSON list of the items of a textbook or exam (paragraphs, titles,
tables, images), each with an "id". Find the exercises with their answers and solutions, and
reply with item ids, not with their text.

Rules:
- Wrap each exercise in <qa_pair>...</qa_pair> with <label>, <question>, <answer> and
  <solution>. <question> and <solution> hold comma-separated item ids (images included, where
  the exercise uses them). <label> holds the exercise's number as written (Arabic numerals:
  "Exercise 3" gives 3). <answer> holds the short final answer as text, copied from the
  solution.
- When questions and answers are printed apart (all answers at the end), write one <qa_pair>
  for each question with empty <answer> and <solution>, and one for each answer with an empty
  <question>, using the same label.
- Leave out exercises or answers that are cut off.
- Group the pairs by chapter: <chapter><title>ID OF THE CHAPTER TITLE</title> ... </chapter>.
  Leave the title empty when there is none; do not nest chapters.
- If there is nothing to extract, reply <empty></empty>.

Format (no other text):
<chapter><title>4</title>
<qa_pair><label>1</label><question>5,6</question><answer>13 km</answer>
<solution>9</solution></qa_pair>
</chapter>"""
