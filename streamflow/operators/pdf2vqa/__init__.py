"""DataFlow's pdf2vqa domain: question-answer pairs (with their figures) extracted from PDF
textbooks and exam papers, formatted for multimodal fine-tuning."""
