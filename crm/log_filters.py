import logging


class RefusalWithoutTraceback(logging.Filter):
    """A 403 is the access rule doing its job: one line in the log, not a traceback.

    Django logs "Forbidden (Permission denied)" with the PermissionDenied exception attached,
    so every refused click printed a full stack. The line (path, status) is kept.
    """

    def filter(self, record):
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
