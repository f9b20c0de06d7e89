"""DataFlow's core_speech domain: speech to text through a transcription endpoint."""
