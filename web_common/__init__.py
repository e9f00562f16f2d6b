"""The pages' shared scripts, shipped as ``onewindow_pages.web_common`` (served at /static/common)."""
