"""The docks beside the review area: recordings, speakers, search, jobs, and the welcome page."""
