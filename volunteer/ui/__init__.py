"""What every feature's pages share: words for codes, template filters, form errors, the chart.

It sits below every feature (it knows no feature and no account); the site's own
plumbing that does (navigation, request authentication) is in `volunteer.web`.
"""
