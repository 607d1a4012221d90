"""Speech synthesis for the learning loop's text bootstrap (a runtime, like ``asr/``).

One protocol, many voices: :class:`~.base.Synthesizer` says text in a
:class:`~.base.VoiceSetting` and returns 16 kHz mono samples. espeak-ng
(:mod:`.espeak`) is the offline default; a neural voice from the model
catalog (MMS-TTS ``kaz``, VITS: :mod:`.vits`, installed by :mod:`.install`
into the voice folders of :mod:`.installed`) runs its network in a job
process. :mod:`.clips` makes and caches one clip with any of them;
:mod:`.augment` adds the room, noise and tempo variation that keeps a model
from learning one clean voice.
"""
