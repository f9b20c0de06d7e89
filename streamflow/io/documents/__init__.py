"""Documents in: PDF, HTML and Markdown files and URLs, turned into Markdown.

- :mod:`~streamflow.io.documents.pdf`: PDF -> Markdown with headings, tables and page markers.
- :mod:`~streamflow.io.documents.html`: HTML -> Markdown (trafilatura).
- :mod:`~streamflow.io.documents.fetch`: polite URL fetching (robots.txt, limits, user agent).
- :mod:`~streamflow.io.documents.convert`: any file or URL -> Markdown, choosing the engine.
- :mod:`~streamflow.io.documents.source`: PDF files as source rows (per document or per page).
"""
