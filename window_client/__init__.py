"""The clerk console: template and static files, shipped as ``onewindow_pages.window_client``."""
