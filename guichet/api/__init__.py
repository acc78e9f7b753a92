"""The read API (``/api/v1/``): tokens scoped to one call, its OpenAPI document and its page."""
