"""Background jobs (R36): a Job row per piece of long work, run on RQ or inline.

Other features start work with `enqueue` (see services.py) and report progress from
inside the job with `report_progress`.
"""

from .services import FileResult, enqueue, has_queue, report_progress

__all__ = ["FileResult", "enqueue", "has_queue", "report_progress"]
