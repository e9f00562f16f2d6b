"""The kiosk (取号机): templates and static files, shipped as ``onewindow_pages.kiosk``."""
