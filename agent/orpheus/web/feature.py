"""The admin web page's routes, mounted on the agent's bottle app beside the API.

Each page asks the API for what it shows (web/subrequest.py) with the browser's own session
cookie, so a level sees exactly what its API calls would; changes go from the browser's JS to
the REST API itself with the session's CSRF token (static/app.js). Every answer carries a
Content-Security-Policy of 'self' only: no inline script or style, nothing from elsewhere.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bottle

from orpheus.api.app import Api
from orpheus.api.schema import Declaration
from orpheus.capture.filters import KINDS as FILTER_KINDS
from orpheus.capture.limits import DEFAULT_DURATION_SECONDS, DEFAULT_SIZE_MB
from orpheus.pbx.records import KINDS
from orpheus.recordings.names import DIRECTIONS
from orpheus.storage.nas import NAS_KINDS
from orpheus.users.levels import AREAS, RIGHTS
from orpheus.web import dashboard, extensions_csv, views
from orpheus.web.subrequest import Answer, SubRequester

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
SECURITY_HEADERS = {
    # media-src blob:: a recording is fetched with the privacy password (a header), then played
    # from the blob the page made of it (static/recordings.js).
    "Content-Security-Policy": "default-src 'self'; media-src 'self' blob:; "
    "frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
# The pages, in the navigation's order: path, title, the area the level must read.
PAGES = (
    ("/dashboard", "Dashboard", "dashboard"),
    ("/pbx/extension", "Extensions", "pbx"),
    ("/pbx/trunk", "Trunks", "pbx"),
    ("/pbx/queue", "Queues", "pbx"),
    ("/pbx/ivr", "IVR", "pbx"),
    ("/pbx/balancer", "Balancers", "pbx"),
    ("/pbx/recording", "Recording", "pbx"),
    ("/storage", "Storage", "storage"),
    ("/recordings", "Recordings", "recordings"),
    ("/firmware", "Firmware", "firmware"),
    ("/licence", "Licence", "licence"),
    ("/snmp", "SNMP", "snmp"),
    ("/ha", "HA", "ha"),
    ("/tls", "TLS certificate", "network"),
    ("/network", "Network security", "network"),
    ("/diagnostics", "Diagnostics", "diagnostics"),
    ("/users", "Users and levels", "users"),
    ("/audit", "Audit log", "audit"),
)
WIZARD_AREAS = ("network", "snmp")
PBX_PAGES = ("extension", "trunk", "queue", "ivr", "balancer", "recording")
IMPORT_MAX_BYTES = 512 * 1024
_STATIC_TYPES = {".css": "text/css", ".js": "application/javascript", ".svg": "image/svg+xml"}


class NotLoggedIn(Exception):
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class WebFeature:
    name = "web"

    def __init__(self, api: Api) -> None:
        self._sub = SubRequester(api.app)
        self._static = {path.name: path for path in STATIC.iterdir() if path.is_file()}

    def install_routes(self, api: Api) -> None:
        pages: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", "/", self.root),
            ("GET", "/login", self.login),
            ("GET", "/password", self.password),
            ("GET", "/wizard", self.wizard),
            ("GET", "/dashboard", self.dashboard),
            ("GET", "/dashboard/values", self.dashboard_values),
            ("GET", "/pbx/<kind>", self.pbx),
            ("GET", "/pbx/extension/export.csv", self.export_extensions),
            ("POST", "/pbx/extension/import", self.import_extensions),
            ("GET", "/storage", self.storage),
            ("GET", "/recordings", self.recordings),
            ("GET", "/firmware", self.firmware),
            ("GET", "/licence", self.licence),
            ("GET", "/snmp", self.snmp),
            ("GET", "/ha", self.ha),
            ("GET", "/tls", self.tls),
            ("GET", "/network", self.network),
            ("GET", "/diagnostics", self.diagnostics),
            ("GET", "/users", self.users),
            ("GET", "/audit", self.audit),
            ("GET", "/audit/export.csv", self.export_audit),
            ("GET", "/static/<name>", self.static),
        ]
        # The server asks each route's declaration for its body limit (api/app.py body_limit).
        limits = Declaration(max_body=IMPORT_MAX_BYTES)
        for method, path, handler in pages:
            api.app.route(path, method, _guarded(handler), orpheus_declaration=limits)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self._sub.close()

    # --- helpers ---------------------------------------------------------------------------

    def _get(self, path: str) -> Answer:
        return self._sub.request(bottle.request.environ, "GET", path)

    def _who(self, *, password_page: bool = False) -> dict[str, Any]:
        """The session's user, rights and CSRF token; NotLoggedIn sends the browser away."""
        me = self._get("/api/v1/session")
        if me.status == 401 or not me.ok:
            raise NotLoggedIn("/login")
        if me.body.get("must_change_password") and not password_page:
            raise NotLoggedIn("/password")
        session = me.principal.session if me.principal else None
        rights = me.body.get("rights") or {}
        return {
            "user": me.body.get("user", ""),
            "level": me.body.get("level", ""),
            "rights": rights,
            "csrf": session.csrf_token if session else "",
            "nav": [
                (path, title) for path, title, area in PAGES if rights.get(area, "none") != "none"
            ],
        }

    def _page(self, template: str, who: dict[str, Any], area: str, **values: Any) -> str:
        can_change = who["rights"].get(area) == "change"
        return render(template, **who, area=area, can_change=can_change, **values)

    # --- pages -----------------------------------------------------------------------------

    def root(self) -> str:
        """Where a log-in and the forced password change land: the first-run wizard for an
        administrator of a unit where it was neither finished nor skipped, else the first page
        the level may read."""
        who = self._who()
        if self._wizard_due(who):
            raise NotLoggedIn("/wizard")
        first = who["nav"][0][0] if who["nav"] else "/password"
        raise NotLoggedIn(first)

    def _wizard_due(self, who: dict[str, Any]) -> bool:
        if not may_run_wizard(who["rights"]):
            return False
        setup = self._get("/api/v1/setup")
        return setup.ok and isinstance(setup.body, dict) and setup.body.get("completed") is False

    def login(self) -> str:
        return render("login.tpl", title="Log in", nav=[], user="", csrf="")

    def password(self) -> str:
        who = self._who(password_page=True)
        return render("password.tpl", title="Change your password", **{**who, "nav": []})

    def wizard(self) -> str:
        """Step 1 (the password) is done by the forced change; step 2 the time, step 3 SNMP.
        It may be run again by its address; only a level that may change what it sets."""
        who = self._who()
        if not may_run_wizard(who["rights"]):
            raise NotLoggedIn("/")
        step = 3 if bottle.request.query.get("step") == "3" else 2
        values: dict[str, Any] = {"step": step}
        if step == 2:
            listed = self._get("/api/v1/time/zones")
            values["time"] = self._get("/api/v1/time")
            values["zones"] = listed.body.get("zones", []) if listed.ok else []
        else:
            snmp = self._get("/api/v1/snmp")
            values.update(views.wizard_snmp(snmp.body if snmp.ok else None))
        return self._page("wizard.tpl", who, "network", title="First-run wizard", **values)

    def dashboard(self) -> str:
        who = self._who()
        shown = self._figures()
        return self._page("dashboard.tpl", who, "dashboard", title="Dashboard", shown=shown)

    def dashboard_values(self) -> str:
        self._who()
        bottle.response.content_type = "application/json"
        return json.dumps(self._figures())

    def _figures(self) -> dict[str, Any]:
        answers = self._sub.many(bottle.request.environ, dashboard.SOURCES.values())
        return dashboard.figures({name: answers[path] for name, path in dashboard.SOURCES.items()})

    def pbx(self, kind: str) -> str:
        if kind not in PBX_PAGES:
            raise bottle.HTTPError(404, "no such page")
        who = self._who()
        listed = self._get(f"/api/v1/pbx/{kind}")
        editing = None
        key = bottle.request.query.get("edit")
        if KINDS[kind].singleton:  # one settings record, always edited (its defaults at first)
            editing = views.settings_record(KINDS[kind], listed.body if listed.ok else None)
        elif key:
            found = self._get(f"/api/v1/pbx/{kind}/{urllib.parse.quote(key, safe='')}")
            editing = found.body if found.ok else None
        title = next(title for path, title, _ in PAGES if path == f"/pbx/{kind}")
        return self._page(
            "pbx.tpl", who, "pbx", title=title, kind=KINDS[kind], listed=listed, editing=editing
        )

    def export_extensions(self) -> str:
        self._who()
        listed = self._get("/api/v1/pbx/extension")
        if not listed.ok:
            raise bottle.HTTPError(listed.status, listed.error)
        bottle.response.content_type = "text/csv; charset=utf-8"
        bottle.response.set_header("Content-Disposition", 'attachment; filename="extensions.csv"')
        return extensions_csv.export(listed.body)

    def import_extensions(self) -> str:
        """Each row added by its own POST /api/v1/pbx/extension as the browser's session (with
        the CSRF token it sent): a refused row is reported, the others are added."""
        self._who()
        bottle.response.content_type = "application/json"
        raw = bottle.request.body.read(IMPORT_MAX_BYTES + 1)
        if len(raw) > IMPORT_MAX_BYTES:
            bottle.response.status = 413
            return json.dumps({"error": f"the file is over {IMPORT_MAX_BYTES} bytes"})
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            bottle.response.status = 400
            return json.dumps({"error": "the file is not UTF-8 text"})
        report = []
        for row in extensions_csv.parse(text):
            if row.record is None:
                report.append({"line": row.line, "added": False, "error": row.error})
                continue
            answer = self._sub.request(
                bottle.request.environ, "POST", "/api/v1/pbx/extension", row.record
            )
            if answer.status in (401, 403):  # no right, or no CSRF token: nothing is added
                bottle.response.status = answer.status
                return json.dumps({"error": answer.error, "rows": report})
            entry = {"line": row.line, "number": row.record.get("number"), "added": answer.ok}
            if answer.ok:
                entry["warnings"] = answer.body.get("warnings", [])
            else:
                entry["error"] = answer.error
            report.append(entry)
        return json.dumps({"rows": report})

    def storage(self) -> str:
        who = self._who()
        storage = self._get("/api/v1/storage")
        body = storage.body if storage.ok and isinstance(storage.body, dict) else {}
        return self._page(
            "storage.tpl", who, "storage", title="Storage", storage=storage,
            targets=views.storage_rows(body), placement=views.placement_rows(body),
            nas_kinds=NAS_KINDS,
        )  # fmt: skip

    def recordings(self) -> str:
        """The list and the transfers; listening and the CDR need the privacy password,
        which the browser's JS sends in its header to the API alone (static/recordings.js):
        it never reaches this page's own routes."""
        who = self._who()
        listed, storage = self._get("/api/v1/recordings"), self._get("/api/v1/storage")
        jobs = self._get("/api/v1/jobs")  # the firmware area's: a level without it sees none
        body = listed.body if listed.ok and isinstance(listed.body, dict) else {}
        targets = storage.body.get("targets", []) if storage.ok else []
        return self._page(
            "recordings.tpl", who, "recordings", title="Recordings", listed=listed,
            rows=views.recording_rows(body), targets=[t.get("name", "") for t in targets],
            jobs=views.transfer_jobs(jobs.body if jobs.ok else None),
            directions=DIRECTIONS, scripts=["recordings.js"],
        )  # fmt: skip

    def firmware(self) -> str:
        who = self._who()
        update, jobs = self._get("/api/v1/update"), self._get("/api/v1/jobs")
        return self._page(
            "firmware.tpl", who, "firmware", title="Firmware", update=update, jobs=jobs
        )

    def licence(self) -> str:
        who = self._who()
        return self._page(
            "licence.tpl", who, "licence", title="Licence", licence=self._get("/api/v1/license")
        )

    def snmp(self) -> str:
        who = self._who()
        snmp = self._get("/api/v1/snmp")
        body = snmp.body if snmp.ok and isinstance(snmp.body, dict) else {}
        return self._page(
            "snmp.tpl",
            who,
            "snmp",
            title="SNMP",
            snmp=snmp,
            rows=views.snmp_rows(body),
            lists=views.snmp_list_json(body),
        )

    def ha(self) -> str:
        who = self._who()
        status = self._get("/api/v1/ha")
        body = status.body if status.ok and isinstance(status.body, dict) else {}
        return self._page(
            "ha.tpl", who, "ha", title="High availability", status=status,
            rows=views.ha_rows(body),
        )  # fmt: skip

    def tls(self) -> str:
        who = self._who()
        tls = self._get("/api/v1/tls")
        body = tls.body if tls.ok and isinstance(tls.body, dict) else {}
        return self._page(
            "tls.tpl", who, "network", title="TLS certificate", tls=tls,
            rows=views.certificate_rows(body),
        )  # fmt: skip

    def network(self) -> str:
        who = self._who()
        state, blocked = self._get("/api/v1/firewall"), self._get("/api/v1/firewall/blocked")
        body = state.body if state.ok and isinstance(state.body, dict) else {}
        listed = blocked.body if blocked.ok and isinstance(blocked.body, dict) else {}
        return self._page(
            "network.tpl", who, "network", title="Network security", state=state,
            rows=views.firewall_rows(body), services=views.firewall_services(body),
            confirmed=views.confirmed_json(body), left=views.seconds_left(body), blocked=blocked,
            blocked_rows=views.blocked_rows(listed),
        )  # fmt: skip

    def diagnostics(self) -> str:
        who = self._who()
        listed = self._get("/api/v1/captures")
        body = listed.body if listed.ok and isinstance(listed.body, dict) else {}
        captures = views.capture_rows(body)
        # one capture's dialogs at a time: each is a parse of its pcap (cached by the API)
        shown_id = bottle.request.query.get("capture", "")
        shown = None
        if shown_id and any(row["id"] == shown_id for row in captures):
            shown = self._get(f"/api/v1/captures/{urllib.parse.quote(shown_id, safe='')}")
        dialogs = views.dialog_rows(shown.body) if shown and shown.ok else []
        return self._page(
            "diagnostics.tpl", who, "diagnostics", title="Diagnostics", listed=listed,
            captures=captures, quota=body, shown_id=shown_id if shown else "", shown=shown,
            dialogs=dialogs, kinds=FILTER_KINDS,
            defaults=(DEFAULT_DURATION_SECONDS, DEFAULT_SIZE_MB),
        )  # fmt: skip

    def users(self) -> str:
        who = self._who()
        users, levels = self._get("/api/v1/users"), self._get("/api/v1/levels")
        editing = None
        name = bottle.request.query.get("edit")
        if name and users.ok:
            editing = next((user for user in users.body if user.get("name") == name), None)
        level_name = bottle.request.query.get("level")
        level = None
        if level_name and levels.ok:
            level = next((found for found in levels.body if found.get("name") == level_name), None)
        return self._page(
            "users.tpl",
            who,
            "users",
            title="Users and levels",
            users=users,
            levels=levels,
            editing=editing,
            edit_level=level,
            areas=AREAS,
            rights_choices=RIGHTS,
        )

    def _audit_entries(self) -> tuple[Answer, list[dict[str, Any]], dict[str, str]]:
        query = bottle.request.query
        filters = {
            name: query.get(name, "").strip()[:64] for name in ("user", "change", "since", "until")
        }
        path = "/api/v1/audit"
        if filters["since"]:
            path += "?" + urllib.parse.urlencode({"since": filters["since"]})
        answer = self._get(path)
        entries = answer.body if answer.ok and isinstance(answer.body, list) else []
        return answer, [entry for entry in entries if _audit_matches(entry, filters)], filters

    def audit(self) -> str:
        who = self._who()
        answer, entries, filters = self._audit_entries()
        export = "/audit/export.csv?" + urllib.parse.urlencode(
            {k: v for k, v in filters.items() if v}
        )
        return self._page(
            "audit.tpl",
            who,
            "audit",
            title="Audit log",
            answer=answer,
            entries=entries[-500:][::-1],
            filters=filters,
            export=export,
        )

    def export_audit(self) -> str:
        self._who()
        answer, entries, _ = self._audit_entries()
        if not answer.ok:
            raise bottle.HTTPError(answer.status, answer.error)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        columns = ("time", "user", "change", "object", "before", "after")
        writer.writerow(columns)
        for entry in entries:
            writer.writerow([_csv_cell(entry.get(column)) for column in columns])
        bottle.response.content_type = "text/csv; charset=utf-8"
        bottle.response.set_header("Content-Disposition", 'attachment; filename="audit.csv"')
        return out.getvalue()

    def static(self, name: str) -> Any:
        path = self._static.get(name)
        if path is None:
            raise bottle.HTTPError(404, "no such file")
        answer = bottle.static_file(
            path.name, root=str(STATIC), mimetype=_STATIC_TYPES.get(path.suffix, "text/plain")
        )
        answer.set_header("Cache-Control", "no-cache")
        return answer


def may_run_wizard(rights: dict[str, str]) -> bool:
    """The wizard sets the time (area network) and SNMP: a level that may change both."""
    return all(rights.get(area) == "change" for area in WIZARD_AREAS)


def render(template: str, **values: Any) -> str:
    """bottle's SimpleTemplate: {{ }} escapes every value it shows."""
    return str(bottle.template(template, template_lookup=[str(TEMPLATES)], **values))


def _guarded(handler: Callable[..., Any]) -> Callable[..., Any]:
    def page(**params: str) -> Any:
        try:
            result = handler(**params)
        except NotLoggedIn as moved:
            result = bottle.HTTPResponse(status=303, headers={"Location": moved.location})
        except bottle.HTTPResponse as answer:  # an HTTPError too
            result = answer
        headers = result.headers if isinstance(result, bottle.HTTPResponse) else bottle.response
        for name, value in SECURITY_HEADERS.items():
            headers[name] = value
        # A page shows the unit's state and the session's token: never kept. The static files
        # are revalidated (bottle answers 304 to If-Modified-Since).
        if "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        if isinstance(result, bottle.HTTPError):
            result.content_type = "text/plain; charset=utf-8"
            result.body = str(result.body)
            return result
        return result

    return page


def _audit_matches(entry: dict[str, Any], filters: dict[str, str]) -> bool:
    time = str(entry.get("time", ""))
    return (
        (not filters["user"] or filters["user"].lower() in str(entry.get("user", "")).lower())
        and (not filters["change"] or str(entry.get("change", "")).startswith(filters["change"]))
        and (not filters["until"] or time[: len(filters["until"])] <= filters["until"])
    )


def _csv_cell(value: Any) -> str:
    text = value if isinstance(value, str) else ("" if value is None else json.dumps(value))
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text
