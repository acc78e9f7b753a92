"""Documents: checked uploads, private file storage and serving, PDF rendering.

- ``uploads``: :func:`check_upload` and :class:`DocumentField` (what may be uploaded);
- ``storage``: :func:`private_storage` and :func:`store_upload` (where files go);
- ``models``: :class:`StoredFileMixin`, the abstract model of a stored file;
- ``http``: :func:`file_response` (how a stored file is served, after the caller's permission check);
- ``pdf``: :func:`render_pdf` (documents printed by the service, such as receipts).
"""
