"""Files and formats: sources, sinks, compression, WARC and format detection."""
