"""The site's own room, above every feature: home, language, privacy, health and the audit
log pages; navigation and template globals; request authentication and security headers.

What every feature's pages share below them (status words, filters, form errors) is in
`volunteer.ui`.
"""
