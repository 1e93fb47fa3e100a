"""Install the browser libraries of the dashboard and of the API docs page (/docs) from the npm registry
into the gateway's static folder.

Run by the project's own install steps (``scripts/up.sh``, ``scripts/test.sh``, the Dockerfile), with
Python only: a fresh machine may have no node/npm. Each tarball is pinned by version and sha256 and
checked before anything is unpacked; the files are then served by the gateway itself, so the
dashboard needs no internet at run time. Idempotent: a file already in place with the pinned hash is
kept. Exit code 1 (and a message in Vietnamese and English) when a download fails or does not match.
"""
from __future__ import annotations

import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
DEST = Path(__file__).resolve().parent.parent / "services" / "gateway" / "static" / "vendor"

#: (package, version, sha256 of the registry tarball, {file in the tarball: file served})
ASSETS = [
    ("chart.js", "4.6.1", "9345dacdf4bb4c5d40321f4b9aafab6fe676d37a534fc0bc2d17c4c4e29c4f00",
     {"package/dist/chart.umd.min.js": "chart.umd.min.js", "package/LICENSE.md": "chart.js-LICENSE.md"}),
    # the API documentation page /docs (Swagger UI 5 reads OpenAPI 3.1)
    ("swagger-ui-dist", "5.35.0", "1b8e891893404ea4c3558b6a87e2a3e494e7eedba41168c2ece5800a391a6ea6",
     {"package/swagger-ui-bundle.js": "swagger-ui-bundle.js", "package/swagger-ui.css": "swagger-ui.css",
      "package/LICENSE": "swagger-ui-LICENSE", "package/NOTICE": "swagger-ui-NOTICE"}),
]


def stamp(package: str, version: str, sha: str) -> Path:
    return DEST / f".{package}-{version}-{sha[:16]}"


def install(package: str, version: str, sha: str, files: dict[str, str]) -> bool:
    """True when the package was downloaded now, False when it was already in place."""
    if stamp(package, version, sha).exists() and all((DEST / out).is_file() for out in files.values()):
        return False
    url = f"{REGISTRY}/{package}/-/{package.split('/')[-1]}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=60) as resp:
        data = resp.read()
    got = hashlib.sha256(data).hexdigest()
    if got != sha:
        raise ValueError(f"sha256 của {package} {version} không khớp (mismatch): {got} != {sha}")
    DEST.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for inner, out in files.items():
            member = tar.extractfile(inner)
            if member is None:
                raise ValueError(f"{package} {version} không có tệp {inner} (file missing)")
            (DEST / out).write_bytes(member.read())
    for old in DEST.glob(f".{package}-*"):
        old.unlink()
    stamp(package, version, sha).touch()
    return True


def main() -> int:
    for package, version, sha, files in ASSETS:
        try:
            if install(package, version, sha, files):
                print(f"web_assets: {package} {version} → {DEST}", file=sys.stderr)
        except (OSError, ValueError) as exc:
            print(f"Lỗi / Error: không tải được thư viện web {package} {version} từ kho npm "
                  f"(could not install {package} {version} from the npm registry): {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
