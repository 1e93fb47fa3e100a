"""The dry-run / import report of a spreadsheet list, in Vietnamese (English beside)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

CHANGE_VI = {"transfer": "chuyển sinh hoạt", "record_update": "cập nhật hồ sơ", "recognized_official":
             "công nhận chính thức", "working_away": "đi làm ăn xa", "removed": "xóa tên", "discipline": "kỷ luật"}


def print_sheet_result(body: dict, out: Console) -> None:
    for note in body.get("notes", []):
        out.print(f"[yellow]•[/] {note['message_vi']} — {note['message_en']}")
    out.print(f"Trang tính / sheet: {body.get('sheet', '')} — {body.get('rows', 0)} dòng / rows; "
              f"có thay đổi / changed: {body.get('accepted', 0)}; không đổi / unchanged: {body.get('unchanged', 0)}; "
              f"sự kiện / events: {body.get('events', 0)}")
    refused = body.get("refused") or []
    if refused:
        table = Table(title=f"Ô bị từ chối / refused cells ({len(refused)})")
        table.add_column("Ô / cell")
        table.add_column("Lý do / reason")
        for r in refused[:500]:
            table.add_row(r.get("cell", ""), f"{r.get('message_vi', '')} — {r.get('message_en', '')}")
        out.print(table)
    changes = body.get("changes") or []
    if changes:
        table = Table(title=f"Thay đổi so với hệ thống / differences ({len(changes)})")
        table.add_column("Dòng / row", justify="right")
        table.add_column("Đảng viên / member")
        table.add_column("Thay đổi / change")
        for c in changes[:500]:
            table.add_row(str(c.get("row", "")), c.get("member_id", ""), CHANGE_VI.get(c["change"], c["change"]))
        out.print(table)
    missing = body.get("not_in_list") or []
    if missing:
        out.print(f"[yellow]{len(missing)} đảng viên có trong hệ thống nhưng không có trong danh sách (không ghi gì) / "
                  f"members in the system but not in the list (nothing written)[/]")
    out.print(f"{body.get('message_vi', '')} — {body.get('message_en', '')}")
