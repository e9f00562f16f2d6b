"""The statistics page (/stats): template and static files, shipped as ``onewindow_pages.stats``."""
