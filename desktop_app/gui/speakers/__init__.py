"""Who spoke when, in the window: the diarization action and speaker suggestions."""
