"""The speech-unit LM in the GUI: scoring actions, the quality strip and the review queue."""
