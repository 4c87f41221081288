"""Log filters: security events (a wrong Host header, a suspicious path) are expected noise from
scanners; one line each, not a traceback per request."""
import logging


class OneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
