"""A spreadsheet import shows its progress as the JSONL import does: its job goes through reading
the file, checking the rows (i of n), then the events' check and write, and ends done — or refused,
for a bad cell or a file that is no sheet. ``dangvien import sheet`` follows that job and draws it.

The gateway's sheet import runs in-process against stand-in services (``tests/unit/test_import_job``);
the CLI reaches it through a stand-in ``Client``. No timing: the members service's answer for a
row waits until the CLI has seen that row's count (a handshake, with a safety bound only)."""
from __future__ import annotations

import io
import threading

import pytest
from openpyxl import Workbook

from dangvien import cli
from services.gateway import imports
from services.gateway.sheets import api as sheets_api
from tests.unit.test_import_job import Services

ROWS = 5
TREE = [{"org_unit_id": "D1", "name": "Đảng bộ Xã Một", "kind": "grassroots_committee", "parent_id": None,
         "children": [{"org_unit_id": "C1", "name": "Chi bộ Ấp Một", "kind": "cell", "parent_id": "D1",
                       "children": []}]}]


def sheet(rows: int = ROWS, bad_birth: str | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "DS"
    ws.append(["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Ngày vào Đảng", "Số thẻ đảng viên", "Chi bộ"])
    for i in range(rows):
        birth = bad_birth if bad_birth and i == rows - 1 else f"0{i + 1}/06/1985"
        ws.append([i + 1, f"Nguyễn Văn {chr(65 + i)}", birth, "Nam", "01/01/2010", f"0100000{i + 1}", "Chi bộ Ấp Một"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class Gateway:
    """The members service as the planner asks it (the cell exists, nobody is on its roll yet), the
    owning services as ``run_lines`` does; ``on_member`` hears of each row's member look-up."""

    def __init__(self, on_member=None):
        self.services, self.on_member = Services(), on_member

    def __call__(self, service, method, *args):
        if method == "org_tree":
            return {"ok": True, "result": TREE}
        if method == "get_member":
            if self.on_member:
                self.on_member()
            return {"ok": False}
        if method == "unit_members":
            return {"ok": True, "result": []}
        return self.services(service, method, *args)


class Recorded(imports.ImportJobs):
    """Every state the job went through, as a poll would have read it."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[dict]] = {}

    def update(self, job_id, **changes):
        super().update(job_id, **changes)
        self.history.setdefault(job_id, []).append(self.get(job_id))


@pytest.fixture
def counted(monkeypatch):
    """Every row reported (one progress report per row, not per thousand), no clock involved."""
    import shared.importing
    monkeypatch.setattr(shared.importing, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(shared.importing, "clock", lambda: 0.0)


def rows_seen(states: list[dict]) -> list[tuple[int, int]]:
    return [(s["done"], s["total"]) for s in states if s["phase"] == "rows"]


def phases(states: list[dict]) -> list[str]:
    out: list[str] = []
    for s in states:
        name = s["phase"].split(":")[0]
        if not out or out[-1] != name:
            out.append(name)
    return out


def test_the_cli_draws_a_sheets_job_through_its_phases_until_done(counted, monkeypatch, tmp_path):
    from typer.testing import CliRunner
    jobs = Recorded()
    polled: list[dict] = []
    seen = threading.Condition()

    def on_member():
        """A row's look-up answers once the CLI has polled the job at this row's count."""
        if not only:  # no job followed: nothing to wait for
            return
        want = jobs.get(only[0])["done"]
        with seen:
            seen.wait_for(lambda: any(s["phase"] == "rows" and s["done"] == want for s in polled), timeout=10)

    gateway = Gateway(on_member)
    only: list[str] = []

    class StandIn:
        def __init__(self, url=None):
            pass

        def post(self, path, content=None, headers=None, **params):
            if path == "/api/v1/import-jobs":
                only.append(jobs.new(0, "admin"))
                return {"job": only[-1]}
            assert path == "/api/v1/imports/sheet" and params.get("job") in only, f"no job followed: {params}"
            status, body = sheets_api.import_sheet({k: v for k, v in params.items() if v is not None}, content,
                                                   gateway, jobs, {}, ("members",))
            assert status == 201, body
            return body

        def get(self, path, **params):
            state = jobs.get(path.rsplit("/", 1)[1])
            with seen:
                polled.append(state)
                seen.notify_all()
            return state

    drawn: list[str] = []

    class Bar(cli.Progress):
        def update(self, task, **kw):
            if kw.get("description"):
                drawn.append(kw["description"])
            super().update(task, **kw)

    monkeypatch.setattr(cli, "Client", StandIn)
    monkeypatch.setattr(cli, "Progress", Bar)
    path = tmp_path / "ds.xlsx"
    path.write_bytes(sheet())
    result = CliRunner().invoke(cli.app, ["import", "sheet", str(path), "--kind", "members", "--into", "D1"])
    assert result.exit_code == 0, result.output
    [job] = only
    # the job: reading the file, every row counted up to the sheet's rows, the events checked and
    # written, then done
    states = jobs.history[job]
    assert phases(states)[:2] == ["parsing", "rows"] and "writing" in phases(states) and phases(states)[-1] == "done"
    assert rows_seen(states) == [(i, ROWS) for i in range(ROWS + 1)]
    assert states[-1]["state"] == "done" and states[-1]["done"] == states[-1]["total"]
    # the CLI polled it while it ran, and drew the rows' phase in both languages
    counts = [d for d, _ in rows_seen(polled)]
    assert set(range(ROWS)) <= set(counts) and counts == sorted(counts)
    assert "Đang kiểm tra từng hàng / checking rows" in drawn


def test_a_refused_sheet_and_a_file_that_is_no_sheet_end_their_job_refused(counted):
    jobs = Recorded()
    for content, expected in ((sheet(bad_birth="31/02/1990"), ["parsing", "rows", "refused"]),
                              (b"%PDF-1.4\x00 not a sheet", ["parsing", "refused"])):
        job = jobs.new(0, "admin")
        try:
            status, body = sheets_api.import_sheet({"kind": "members", "into": "D1", "filename": "ds.xlsx",
                                                    "job": job}, content, Gateway(), jobs, {}, ("members",))
            assert status == 422, body
        except sheets_api.DomainError:
            pass  # the file itself refused: the gateway answers 422 from the error
        assert phases(jobs.history[job]) == expected, jobs.history[job]
        assert jobs.get(job)["state"] == "failed"
    bad = jobs.history[next(iter(jobs.history))]
    assert rows_seen(bad) == [(i, ROWS) for i in range(ROWS + 1)]  # every row checked before refusing


def test_slow_rows_report_every_quarter_second_not_only_every_thousand(monkeypatch):
    """A district's rows into existing cells cost one members-service call each: on a loaded line
    an eighth of a second per row, and the job still moves every quarter second of work (the JSONL
    import's ``PROGRESS_SECONDS``), long before ``PROGRESS_EVERY`` rows."""
    import shared.importing
    now = [100.0]
    monkeypatch.setattr(shared.importing, "clock", lambda: now[0])

    def slow_lookup():
        now[0] += 0.125
    jobs = Recorded()
    job = jobs.new(0, "admin")
    status, body = sheets_api.import_sheet({"kind": "members", "into": "D1", "filename": "ds.xlsx", "job": job},
                                           sheet(), Gateway(slow_lookup), jobs, {}, ("members",))
    assert status == 201, body
    assert rows_seen(jobs.history[job]) == [(0, ROWS), (2, ROWS), (4, ROWS), (ROWS, ROWS)]
