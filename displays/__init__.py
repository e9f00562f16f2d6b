"""Hall board and window screen: templates and static files, shipped as ``onewindow_pages.displays``."""
