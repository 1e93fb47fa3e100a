"""The CLI's HTTP client of the gateway (``--url`` or ``DANGVIEN_URL``).

Standard library only (urllib): it must also work inside eventlet-patched processes.
"""
from __future__ import annotations

import http.client
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000"


class ApiError(Exception):
    def __init__(self, status: int, body: dict):
        self.status, self.body = status, body
        vi = body.get("message_vi") or body.get("title") or ""
        en = body.get("message_en") or ""
        prefix = f"HTTP {status}: " if status else ""  # 0: no answer at all, the message says why
        super().__init__(f"{prefix}{vi}" + (f" — {en}" if en and en != vi else ""))


def unreachable(url: str, exc: BaseException) -> ApiError:
    """No HTTP answer (refused, unknown host, timed out, cut off): say so in both languages."""
    why = getattr(exc, "reason", None) or exc
    why = getattr(why, "strerror", None) or str(why) or type(why).__name__
    return ApiError(0, {"code": "server_unreachable",
                        "message_vi": f"Không kết nối được máy chủ {url} ({why}). Kiểm tra máy chủ đã chạy "
                                      "(dangvien up) và địa chỉ --url hoặc DANGVIEN_URL",
                        "message_en": f"Cannot reach the server at {url} ({why}). Check that it is running "
                                      "(dangvien up) and the --url or DANGVIEN_URL address"})


def find_token(url: str) -> str | None:
    """``DANGVIEN_TOKEN``, else the admin token a local embedded instance wrote."""
    if os.environ.get("DANGVIEN_TOKEN"):
        return os.environ["DANGVIEN_TOKEN"]
    if "127.0.0.1" in url or "localhost" in url:
        token_file = Path(os.environ.get("DANGVIEN_DATA_DIR", ".dangvien")) / "admin.token"
        if token_file.exists():
            return token_file.read_text().strip()
    return None


class Client:
    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 600.0):
        self.url = (url or os.environ.get("DANGVIEN_URL") or DEFAULT_URL).rstrip("/")
        self.token = token or find_token(self.url)
        self.timeout = timeout

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                params: dict | None = None):
        query = urllib.parse.urlencode({k: v for k, v in (params or {}).items() if v is not None})
        req = urllib.request.Request(f"{self.url}{path}" + (f"?{query}" if query else ""), data=body,
                                     method=method, headers=dict(headers or {}))
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise unreachable(self.url, exc) from None
        try:
            answer = json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError:
            answer = {"message_vi": raw[:500].decode("utf-8", "replace"), "message_en": ""}
        if status >= 400:
            raise ApiError(status, answer if isinstance(answer, dict) else {"detail": answer})
        return answer

    def get(self, path: str, **params):
        return self.request("GET", path, params=params)

    def get_bytes(self, path: str, **params) -> bytes:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        req = urllib.request.Request(f"{self.url}{path}" + (f"?{query}" if query else ""))
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.read()
        except urllib.error.HTTPError:
            raise
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise unreachable(self.url, exc) from None

    def post(self, path: str, json_body=None, content: bytes | None = None, headers: dict | None = None, **params):
        headers = dict(headers or {})
        if json_body is not None:
            content = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        return self.request("POST", path, body=content or b"", headers=headers, params=params)
