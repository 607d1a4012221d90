"""Speech synthesis for the learning loop's text bootstrap (a runtime, like ``asr/``).

One protocol, many voices: :class:`~.base.Synthesizer` says text in a
:class:`~.base.VoiceSetting` and returns 16 kHz mono samples. espeak-ng
(:mod:`.espeak`) is the offline default; :mod:`.augment` adds the room,
noise and tempo variation that keeps a model from learning one clean voice.
"""
