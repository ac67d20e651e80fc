import logging, traceback
def test_probe(app, world, login, frozen):
    frozen("2026-11-28 09:00")
    import volunteer.errors_http as eh
    orig = eh.log.exception
    def show(*a, **k):
        traceback.print_exc()
    eh.log.exception = show
    c = login(world.sx_staff)
    for url in ["/agreements?enterprise_id=99999999999999999999",
                "/reports/enterprise?month=0001-01"]:
        r = c.get(url)
        print(url, r.status_code)
    eh.log.exception = orig
