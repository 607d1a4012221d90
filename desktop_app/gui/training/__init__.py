"""The learning loop in the GUI: the Training dialog and the model versions dialog."""
