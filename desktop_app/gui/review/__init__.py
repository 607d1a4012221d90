"""The review area: waveform, spectrogram, transcript table and playback, kept in step."""
