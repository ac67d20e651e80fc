"""Who may use each route of the app (SPEC §3): the data table of the role × route matrix.

Every route of `app.url_map` (method + rule, pages and API) has one entry here;
tests/web/test_route_matrix.py fails when a route is missing or when an entry names a
route that no longer exists, and checks every entry against seven actors:

    anon              no account
    union             union staff of the object's city (XA)
    union_sibling     union staff of a sibling city (TC)
    enterprise        staff of the object's enterprise (ent_xa)
    enterprise_other  staff of another enterprise (ent_tc)
    student           the student the object belongs to (stu_xa)
    student_other     another student (stu_tc)

The objects named by path parameters all belong to XA's side: stu_xa, ent_xa, its site,
their agreement, a session of stu_xa at that site and so on.

An entry says which roles may call the route and whether its path names an object
(`scoped`): then the "other" actor of an allowed role gets 404 (the object's existence is
not revealed), unless it is listed in `sees` (e.g. every union officer reads every
enterprise's profile). Expected answers:

    anon                  401 unauthorized (API) / redirect to the login page (pages)
    role not allowed      403
    object out of scope   404 (API body code not_found)
    allowed               anything but 401, 403, 404 and 5xx (a 400 for the empty body
                          the matrix sends, a 409 from the state, a redirect elsewhere …)

`expect` overrides single actors where a route answers by a finer rule than its role
(e.g. only a root union edits the calendar); each override says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

U, E, S = "union_staff", "enterprise_staff", "student"
ROLES = (U, E, S)
PUBLIC = "public"
ANY = "any"  # any logged-in account, whatever its role

ACTORS = (
    "anon",
    "union",
    "union_sibling",
    "enterprise",
    "enterprise_other",
    "student",
    "student_other",
)
# The "other" actor of each role: outside the scope of the XA-side objects.
OTHER = {U: "union_sibling", E: "enterprise_other", S: "student_other"}
# Expected answers.
OK, LOGIN, FORBIDDEN, NOT_FOUND = "ok", "login", 403, 404


@dataclass(frozen=True)
class Access:
    """Who may use a route: roles (or PUBLIC / ANY), object scope and exceptions."""

    who: tuple[str, ...]
    scoped: bool = False
    sees: tuple[str, ...] = ()
    expect: dict[str, object] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    why: str = ""
    # Call the actors in ACTORS order (not refusals first) when the first call uses it up.
    in_order: bool = False

    def expected(self, actor: str) -> object:
        """Return the expected answer for one actor: OK, LOGIN, 403 or 404."""
        if actor in self.expect:
            return self.expect[actor]
        if PUBLIC in self.who:
            return OK
        if actor == "anon":
            return LOGIN
        if ANY in self.who:
            return OK
        role = actor_role(actor)
        if role not in self.who:
            return FORBIDDEN
        if self.scoped and actor == OTHER[role] and actor not in self.sees:
            return NOT_FOUND
        return OK


def actor_role(actor: str) -> str:
    """Return the role of a matrix actor."""
    if actor.startswith("union"):
        return U
    if actor.startswith("enterprise"):
        return E
    return S


def public(**kw) -> Access:
    """A route anyone may use, logged in or not."""
    return Access((PUBLIC,), **kw)


def anyone(**kw) -> Access:
    """A route for any logged-in account."""
    return Access((ANY,), **kw)


def only(*roles: str, scoped: bool = False, **kw) -> Access:
    """A route for some roles; `scoped` when its path names an object."""
    return Access(tuple(roles), scoped=scoped, **kw)


def obj(*roles: str, **kw) -> Access:
    """A route on an object of XA's side, for some roles, inside their scope."""
    return Access(tuple(roles), scoped=True, **kw)


def device() -> Access:
    """A kiosk route: a paired tablet's device cookie, never an account, opens it."""
    return Access(
        (PUBLIC,),
        expect={**{a: FORBIDDEN for a in ACTORS}, "kiosk_device": OK},
        why="only a tablet paired through a kiosk link",
    )


# Union officers of the whole province read partner enterprises' profiles (SPEC §3).
PROVINCE = ("union_sibling",)
# The matrix's job belongs to the "union" actor (xa_staff); to everyone else it does not exist.
NOT_OWNER = {a: NOT_FOUND for a in ACTORS if a not in ("anon", "union")}
ROOT_ONLY = {"union": FORBIDDEN, "union_sibling": FORBIDDEN, "union_root": OK}

# A notification is its recipient's (stu_xa's) alone: every other account gets 404.
RECIPIENT = "only the notification's recipient"
RECIPIENT_ONLY = {a: NOT_FOUND for a in ACTORS if a not in ("anon", "student")}

ROUTES: dict[str, Access] = {
    # --- pages: accounts, home, static ---------------------------------------------------
    "GET /": public(expect={"anon": LOGIN}, why="home: strangers go to the login page"),
    "GET /login": public(),
    "POST /login": public(),
    "POST /logout": anyone(
        expect={a: LOGIN for a in ACTORS}, why="logging out ends on the login page"
    ),
    "GET /account/password": anyone(),
    "POST /account/password": anyone(),
    "GET /users/<int:user_id>/password-reset": obj(U),
    "POST /users/<int:user_id>/password-reset": obj(U),
    "GET /lang/<code>": public(params={"code": "language"}),
    "GET /privacy": public(),
    "GET /healthz": public(),
    # the student's installable app (R41): its manifest and service worker are static
    "GET /manifest.webmanifest": public(),
    "GET /sw.js": public(),
    "GET /static/<path:filename>": public(),
    "GET /audit": only(U),
    # --- pages: unions, students, enterprises ----------------------------------------------
    "GET /unions": only(U),
    "POST /unions": only(U),
    "GET /unions/<code>/staff": obj(U),
    "POST /unions/<code>/staff": obj(U),
    "GET /unions/<code>/profile": obj(U),
    "POST /unions/<code>/profile": obj(U),
    "POST /unions/<code>/seal": obj(U),
    "GET /unions/<code>/seal.png": obj(
        U, expect={"union": NOT_FOUND}, why="the matrix's union has uploaded no seal"
    ),
    "GET /students": only(U),
    "GET /students/new": only(U),
    "POST /students/new": only(U),
    "GET /students/import": only(U),
    "POST /students/password-reset": only(U),
    "POST /students/import": only(U),
    "GET /students/import/template.xlsx": only(U),
    "GET /students/<int:student_id>": obj(U),
    "GET /students/<int:student_id>/record": obj(U),
    "GET /students/<int:student_id>/edit": obj(U),
    "POST /students/<int:student_id>/edit": obj(U),
    "POST /students/<int:student_id>/aid": obj(U),
    "POST /students/<int:student_id>/reveal": obj(U),
    "GET /enterprises": only(U),
    "GET /enterprises/new": only(U),
    "POST /enterprises/new": only(U),
    "GET /enterprises/<int:enterprise_id>": obj(U, sees=PROVINCE),
    "GET /enterprises/<int:enterprise_id>/edit": obj(U),
    "POST /enterprises/<int:enterprise_id>/edit": obj(U),
    "GET /enterprises/<int:enterprise_id>/sites/new": obj(U, E),
    "POST /enterprises/<int:enterprise_id>/sites/new": obj(U, E),
    "GET /enterprises/<int:enterprise_id>/staff/new": obj(U),
    "POST /enterprises/<int:enterprise_id>/staff/new": obj(U),
    "GET /my/enterprise": only(E),
    "GET /sites/<int:site_id>/edit": obj(U, E),
    "POST /sites/<int:site_id>/edit": obj(U, E),
    "POST /sites/<int:site_id>/active": obj(U, E),
    # --- pages: agreements ---------------------------------------------------------------------
    "GET /agreements": only(U),
    "GET /agreements/new": only(U),
    "POST /agreements/new": only(U),
    "GET /agreements/<int:agreement_id>": obj(U, E, S),
    "POST /agreements/<int:agreement_id>/sign": obj(S, E),
    "POST /agreements/<int:agreement_id>/terminate": obj(U, E),
    "GET /agreements/<int:agreement_id>/terms": obj(U, E),
    "POST /agreements/<int:agreement_id>/terms": obj(U, E),
    # --- pages: records (R38, R40) ----------------------------------------------------------
    "GET /evaluations": only(E),
    "POST /evaluations/<int:agreement_id>": obj(E),
    "GET /students/<int:student_id>/volunteer-record": obj(U),
    "POST /students/<int:student_id>/volunteer-record": obj(U),
    "GET /my/record": only(S),
    "GET /reports/national-export": only(U),
    "GET /reports/national-export/<code>/<month>.xlsx": obj(U),
    "POST /agreements/<int:agreement_id>/ends-on": obj(U),
    "GET /my/agreements": only(S),
    # --- pages: calendar -------------------------------------------------------------------------
    "GET /calendar": anyone(),
    "POST /calendar": only(U, expect=ROOT_ONLY, why="only a root union overrides days (R3)"),
    "POST /calendar/<day>/remove": only(U, expect=ROOT_ONLY, why="only a root union (R3)"),
    # --- pages: check-in -------------------------------------------------------------------------
    "GET /s/<token>": only(
        S, params={"token": "site_token"}, why="checks the code, then asks to log in (R8)"
    ),
    "POST /s/<token>": only(
        S, params={"token": "site_token"}, why="the scan button; no object of the student's"
    ),
    "GET /checkin/me": only(S),
    "GET /checkin/scan": only(S),
    "GET /checkin/sessions/<int:session_id>/done": obj(S),
    "GET /checkin/sessions/<int:session_id>/correction": obj(S),
    "POST /checkin/sessions/<int:session_id>/correction": obj(S),
    "GET /checkin/sessions/<int:session_id>": obj(U, E),
    "POST /checkin/sessions/<int:session_id>/confirm": obj(E, U),
    "POST /checkin/sessions/<int:session_id>/reject": obj(E, U),
    "POST /checkin/sessions/<int:session_id>/adjust": obj(U, E),
    "GET /checkin/enterprise/sessions": only(E),
    "POST /checkin/enterprise/sessions/confirm": only(E),
    "GET /checkin/enterprise/sessions/new": only(E),
    "POST /checkin/enterprise/sessions/new": only(E),
    "GET /checkin/enterprise/present": only(E),
    "GET /checkin/enterprise/corrections": only(E),
    "POST /checkin/corrections/<int:correction_id>/<any(accept, decline):decision>": obj(E),
    "GET /checkin/enterprise/sites": only(E),
    "POST /checkin/enterprise/sites/<int:site_id>/rotate": obj(E),
    "POST /checkin/enterprise/kiosks": only(E),
    "POST /checkin/enterprise/kiosks/<int:kiosk_id>/revoke": obj(E),
    "GET /checkin/sites/<int:site_id>/display": obj(E),
    "GET /checkin/sites/<int:site_id>/code.json": obj(E),
    "GET /checkin/sites/<int:site_id>/qr.svg": obj(E),
    "GET /checkin/sites/<int:site_id>/poster": obj(E),
    "GET /checkin/sites/<int:site_id>/poster.svg": obj(E),
    "GET /checkin/union/sessions": only(U),
    "GET /checkin/scans": only(U, E),
    "GET /kiosk": device(),
    "GET /kiosk/code.json": device(),
    "GET /kiosk/activate/<token>": public(
        params={"token": "kiosk_token"}, why="the one-time link that pairs a tablet"
    ),
    "POST /kiosk/activate/<token>": public(
        params={"token": "kiosk_token"},
        expect={a: NOT_FOUND for a in ACTORS if a != "anon"},
        in_order=True,
        why="the one-time link pairs the first tablet (anon, first); then it is used up",
    ),
    # --- pages: compliance -----------------------------------------------------------------------
    "GET /compliance": only(U),
    "GET /compliance/students": only(U),
    "GET /compliance/students/<int:student_id>/<month>": obj(U),
    "GET /compliance/export.xlsx": only(U, E),
    "GET /compliance/close": only(U),
    "POST /compliance/close": only(U),
    "GET /compliance/exemptions/new": only(U),
    "POST /compliance/exemptions/new": only(U),
    "POST /compliance/exemptions/<int:exemption_id>/revoke": obj(U),
    "GET /enterprise/students": only(E),
    "GET /me/progress": only(S),
    # --- pages: reports and certificates ---------------------------------------------------------
    "GET /reports": only(U),
    "GET /reports/enterprise": only(U, E),
    "GET /reports/enterprise/<int:enterprise_id>/<month>.<any(csv, xlsx, pdf):fmt>": obj(U, E),
    "POST /reports/enterprise/<int:enterprise_id>/<month>/attest": obj(E),
    "GET /reports/unions/<code>/<month>.<any(csv, xlsx):fmt>": obj(U),
    "GET /reports/certificates": only(U),
    "GET /reports/students/<int:student_id>/certificates": obj(U),
    "POST /reports/students/<int:student_id>/certificates": obj(U),
    "GET /certificates": only(S),
    "POST /certificates": only(S),
    "GET /certificates/<int:certificate_id>.pdf": obj(U, S),
    "GET /verify": public(),
    "GET /verify/<code>": public(params={"code": "certificate_code"}),
    # --- API: accounts -------------------------------------------------------------------------------
    "POST /api/v1/tokens": public(),
    "GET /api/v1/openapi.json": public(),
    "GET /api/v1/me": anyone(),
    "POST /api/v1/me/password": anyone(),
    "POST /api/v1/users/<int:user_id>/password-reset": obj(U),
    "GET /api/v1/audit": only(U),
    # --- API: registry -------------------------------------------------------------------------------
    "GET /api/v1/unions": only(U),
    "POST /api/v1/unions": only(U),
    "POST /api/v1/unions/<code>/staff": obj(U),
    "GET /api/v1/unions/<code>/profile": obj(U),
    "PUT /api/v1/unions/<code>/profile": obj(U),
    "PUT /api/v1/unions/<code>/seal": obj(U),
    "PATCH /api/v1/students/<int:student_id>": obj(U),
    "PATCH /api/v1/agreements/<int:agreement_id>": obj(U, E),
    "POST /api/v1/agreements/<int:agreement_id>/evaluations": obj(E),
    "GET /api/v1/students/<int:student_id>/evaluations": obj(U, S, E),
    "POST /api/v1/students/<int:student_id>/records": obj(U),
    "GET /api/v1/students/<int:student_id>/records": obj(U, S),
    "GET /api/v1/unions/<code>/exports/volunteer-records/<month>.xlsx": obj(U),
    "GET /api/v1/students": only(U),
    "POST /api/v1/students": only(U),
    "POST /api/v1/students/import": only(U),
    "GET /api/v1/students/<int:student_id>": obj(U, E, S),
    "GET /api/v1/students/<int:student_id>/id-number": obj(U),
    "GET /api/v1/students/<int:student_id>/matches": obj(U),
    "GET /api/v1/enterprises": only(U, E),
    "POST /api/v1/enterprises": only(U),
    "GET /api/v1/enterprises/<int:enterprise_id>": obj(U, E, S, sees=PROVINCE),
    "PATCH /api/v1/enterprises/<int:enterprise_id>": obj(U),
    "GET /api/v1/enterprises/<int:enterprise_id>/capacity": obj(U, E, sees=PROVINCE),
    "GET /api/v1/enterprises/<int:enterprise_id>/sites": obj(U, E),
    "POST /api/v1/enterprises/<int:enterprise_id>/sites": obj(U, E),
    "GET /api/v1/enterprises/<int:enterprise_id>/staff": obj(U),
    "POST /api/v1/enterprises/<int:enterprise_id>/staff": obj(U),
    "PATCH /api/v1/sites/<int:site_id>": obj(U, E),
    "GET /api/v1/agreements": only(U, E, S),
    "POST /api/v1/agreements": only(U),
    "GET /api/v1/agreements/<int:agreement_id>": obj(U, E, S),
    "POST /api/v1/agreements/<int:agreement_id>/sign": obj(S, E),
    "POST /api/v1/agreements/<int:agreement_id>/terminate": obj(U, E),
    # --- API: QR and scanning --------------------------------------------------------------------
    "GET /api/v1/sites/<int:site_id>/qr": obj(E),
    "GET /api/v1/sites/<int:site_id>/poster": obj(E),
    "POST /api/v1/sites/<int:site_id>/rotate-secret": obj(E, U),
    "POST /api/v1/scan": only(S),
    "GET /api/v1/sessions": only(U, E, S),
    "POST /api/v1/sessions": only(E, U),
    "GET /api/v1/sessions/<int:session_id>": obj(U, E, S),
    "POST /api/v1/sessions/confirm": only(E),
    "POST /api/v1/sessions/<int:session_id>/confirm": obj(E, U),
    "POST /api/v1/sessions/<int:session_id>/reject": obj(E, U),
    "POST /api/v1/sessions/<int:session_id>/adjust": obj(E, U),
    "POST /api/v1/sessions/<int:session_id>/corrections": obj(S),
    "GET /api/v1/corrections": only(U, E, S),
    "POST /api/v1/corrections/<int:correction_id>/accept": obj(E),
    "POST /api/v1/corrections/<int:correction_id>/decline": obj(E),
    # --- API: compliance -------------------------------------------------------------------------
    "GET /api/v1/compliance": only(U, E),
    "GET /api/v1/students/<int:student_id>/months/<month>": obj(U, E, S),
    "POST /api/v1/exemptions": only(U),
    "POST /api/v1/exemptions/<int:exemption_id>/revoke": obj(U),
    "POST /api/v1/unions/<code>/months/<month>/close": obj(U),
    "POST /api/v1/unions/<code>/months/<month>/reopen": obj(U),
    "GET /api/v1/calendar": anyone(),
    "PUT /api/v1/calendar/<day>": only(U, expect=ROOT_ONLY, why="only a root union (R3)"),
    "DELETE /api/v1/calendar/<day>": only(U, expect=ROOT_ONLY, why="only a root union (R3)"),
    # --- API: reports ----------------------------------------------------------------------------
    "GET /api/v1/enterprises/<int:enterprise_id>/reports/<month>": obj(E, U),
    "GET /api/v1/enterprises/<int:enterprise_id>/reports/<month>.<any(csv, xlsx, pdf):fmt>": obj(
        E, U
    ),
    "POST /api/v1/enterprises/<int:enterprise_id>/reports/<month>/attest": obj(E),
    "GET /api/v1/enterprises/<int:enterprise_id>/reports/<month>/attestation": obj(E, U),
    "GET /api/v1/unions/<code>/reports/<month>": obj(U),
    "GET /api/v1/unions/<code>/reports/<month>.<any(csv, xlsx):fmt>": obj(U),
    "GET /api/v1/students/<int:student_id>/certificates": obj(S, U),
    "POST /api/v1/students/<int:student_id>/certificates": obj(S, U),
    "GET /api/v1/certificates/<int:certificate_id>.pdf": obj(S, U),
    "GET /api/v1/certificates/verify/<code>": public(params={"code": "certificate_code"}),
    # --- notifications (R34): one's own inbox; the delivery log for staff ------------------------
    "GET /notifications": anyone(),
    "POST /notifications/<int:notification_id>/open": anyone(expect=RECIPIENT_ONLY, why=RECIPIENT),
    "POST /notifications/read-all": anyone(),
    "GET /notifications/preferences": anyone(),
    "POST /notifications/preferences": anyone(),
    "GET /notifications/deliveries": only(U, E),
    "GET /api/v1/notifications": anyone(),
    "POST /api/v1/notifications/<int:notification_id>/read": anyone(
        expect=RECIPIENT_ONLY, why=RECIPIENT
    ),
    "POST /api/v1/notifications/read-all": anyone(),
    # --- follow-up cases (R35): the student's union subtree ------------------------------------
    "GET /followups": only(U),
    "GET /followups/<int:case_id>": obj(U),
    "POST /followups/<int:case_id>": obj(U),
    "GET /api/v1/followups": only(U),
    "GET /api/v1/followups/<int:case_id>": obj(U),
    "POST /api/v1/followups/<int:case_id>/notes": obj(U),
    "POST /api/v1/followups/<int:case_id>/assign": obj(U),
    "POST /api/v1/followups/<int:case_id>/resolve": obj(U),
    # --- background jobs (R36): only the account that started one sees it ----------------
    "GET /jobs/<job_id>": anyone(expect=NOT_OWNER, why="a job is its owner's alone"),
    "GET /jobs/<job_id>/status": anyone(expect=NOT_OWNER, why="a job is its owner's alone"),
    "GET /api/v1/jobs/<job_id>": anyone(expect=NOT_OWNER, why="a job is its owner's alone"),
    "GET /jobs/<job_id>/file": anyone(
        expect={**NOT_OWNER, "union": NOT_FOUND}, why="owner only; the matrix's job made no file"
    ),
    "GET /api/v1/jobs/<job_id>/file": anyone(
        expect={**NOT_OWNER, "union": NOT_FOUND}, why="owner only; the matrix's job made no file"
    ),
    # --- the anomaly queue (R42) ----------------------------------------------------------------
    "GET /anomalies": only(U, E),
    "GET /anomalies/<int:anomaly_id>": obj(U, E),
    "POST /anomalies/<int:anomaly_id>/resolve": obj(U, E),
    "GET /api/v1/anomalies": only(U, E),
    "GET /api/v1/anomalies/<int:anomaly_id>": obj(U, E),
    "POST /api/v1/anomalies/<int:anomaly_id>/resolve": obj(U, E),
}

# Routes that change the caller's own login state run last.
LAST = ("POST /logout",)


def route_key(method: str, rule: str) -> str:
    """Return the table key of a route."""
    return f"{method} {rule}"
