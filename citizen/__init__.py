"""The citizens' phone pages (H5): templates and static files, shipped as ``onewindow_pages.citizen``."""
