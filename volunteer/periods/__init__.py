"""Periods: which months a change may no longer reach, and who may still reach them.

- models.py: MonthClose (a union's lock of a month, R21), Attestation (an enterprise's
  签字确认 of a month, R30; `stale_since` once its figures changed)
- locks.py: closed and attested months (reads)
- guard.py: the one guard every figure-moving write passes (R29, R30), the union's
  override (`override_reason`, or a session decision's own reason), audited
- attestations.py: attest a settled month, the Attestation object, unresolved sessions
- staleness.py, reactions.py: hours_changed / calendar_changed make attestations stale
  and send attestation_changed

It sits below the calendar, agreements, check-in and compliance, whose writes call the
guard; it reads their tables (models are the shared floor) but never their services.
"""
