# Made with Debian praat 6.3.07: praat --run make_textgrids.praat (in this folder).
tg = Create TextGrid: 0, 3.5, "Айгерім Bolat events", "events"
Insert boundary: 1, 0.25
Insert boundary: 1, 1.1
Insert boundary: 1, 1.6
Insert boundary: 1, 2.75
Set interval text: 1, 2, "Сәлем, досым!"
Set interval text: 1, 4, "Жақсы ""рақмет"""
Insert boundary: 2, 0.9
Insert boundary: 2, 2.2
Set interval text: 2, 2, "Как дела?"
Insert point: 3, 1.3, "cough"
Insert point: 3, 3.0, "door"
Save as text file: "praat_long.TextGrid"
Save as short text file: "praat_short.TextGrid"
Save as chronological text file: "praat_chronological.TextGrid"
