"""The admin console: template and static files, shipped as ``onewindow_pages.admin``."""
