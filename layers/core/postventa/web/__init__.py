"""Pages people see (billing form, panel): jinja2 with autoescape."""
