"""Server-rendered customer pages: Jinja2 templates, one stylesheet, a little JavaScript."""
