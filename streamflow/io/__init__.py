"""Files and formats: sources, sinks, compression, WARC, format detection, and documents
(PDF, HTML, Markdown) and URLs."""
