"""Field recording: the Record dialog, its level meter, session box and the window hook."""
