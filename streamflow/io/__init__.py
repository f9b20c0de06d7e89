"""Reading and writing data: file formats, documents (PDF, HTML, Markdown) and URLs."""
