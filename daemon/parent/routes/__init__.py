"""The parent page's routes: the JSON API (``api.py``) and the HTML pages (``pages.py``)."""
