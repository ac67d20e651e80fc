"""Background jobs (R36): a Job row per piece of long work, run on RQ or inline.

Other features start work with `enqueue` (see services.py) and report progress from
inside the job with `report_progress`.
"""

from .services import enqueue, has_queue, report_progress

__all__ = ["enqueue", "has_queue", "report_progress"]
