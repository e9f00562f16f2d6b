"""The back-office department console: template and static files, shipped as ``onewindow_pages.dept_console``."""
