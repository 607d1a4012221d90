"""Import and export of annotations and datasets (menu actions and their dialogs)."""
