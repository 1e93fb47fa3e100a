"""Every process verifies the stores it opened, in the background.

On start: the stores this process owns are upgraded if they still carry plain hashes (one
``integrity.upgraded`` event), then every opened store is verified whole — in pages, yielding to
other green threads, with progress — while the process already serves. Then every
``DANGVIEN_INTEGRITY_INTERVAL_SECONDS`` the new events are checked, a clean head is sealed into the
seal folder, and from time to time the whole log is verified again (edits behind the head).

The state is on ``/readyz`` and ``/metrics`` (``shared.ops``), on the dashboard, and in the header
of every report computed while a store fails (or could not be verified). Tampering is logged loudly
(``integrity_failed``).

What a verifier learnt is not forgotten when it is made again (the whole-log rounds, or after an
error): the head it verified is handed to the new one as a seal kept in memory, so events deleted
at the head before the next seal was written are still caught. A store that failed stays
``failed`` through errors (an outage must not clear the warning); only a clean verification does.
"""
from __future__ import annotations

import threading
import time

import structlog

from shared.integrity import SealBook, StoreVerifier, upgrade
from shared.labels import integrity_words

log = structlog.get_logger()

#: source -> {"state": "checking"|"intact"|"failed"|"error", "checked_events", "head_position",
#: "problems", "first_problem", "sealed_head", "checked_at"}
STATE: dict[str, dict] = {}
_lock = threading.Lock()
FULL_EVERY = 20  # intervals between whole-log verifications


def snapshot() -> dict:
    with _lock:
        return {k: dict(v) for k, v in STATE.items()}


def failing() -> list[str]:
    """Sources whose store failed verification (for report headers)."""
    with _lock:
        return sorted(k for k, v in STATE.items() if v.get("state") == "failed")


def unverified() -> list[str]:
    """Sources whose store could not be verified (an error reading it): their figures are not
    confirmed either (report headers say so)."""
    with _lock:
        return sorted(k for k, v in STATE.items() if v.get("state") == "error")


def flag() -> dict | None:
    """The warning every answer a user reads records from carries while a store this process
    watches fails verification, or could not be verified (an error reading it); None: all intact
    or still being checked. One mechanism for every service (``shared.runtime.query`` puts it on
    each answer): the gateway turns it into the ``X-Dangvien-Integrity`` header, the exports and
    documents into their warning line (``documents.integrity``)."""
    with _lock:  # one pass under the lock (every answer asks): most often nothing to say
        states = [(k, v.get("state")) for k, v in STATE.items()]
    if not any(state in ("failed", "error") for _, state in states):
        return None
    bad = sorted(k for k, state in states if state == "failed")
    unsure = sorted(k for k, state in states if state == "error")
    message_vi, message_en = integrity_words(bad, unsure)
    return {"intact": False, "failing_sources": bad, "unverified_sources": unsure,
            "message_vi": message_vi, "message_en": message_en}


def flag_answer(answer, within: bool = False):
    """``answer`` (an RPC's ``{"ok": True, "result": ...}``) with the flag beside its result while a
    store fails; ``within``: inside a dict result too (a report's own JSON, which documents and the
    CLI print). A refusal is no figure: it is left as it is."""
    if not isinstance(answer, dict) or not answer.get("ok"):
        return answer
    warning = flag()
    if warning is None:
        return answer
    result = answer.get("result")
    if within and isinstance(result, dict):
        result = {**result, "integrity": warning}
    return {**answer, "result": result, "integrity": warning}


def _set(source: str, **values) -> None:
    with _lock:
        STATE.setdefault(source, {}).update(values)


def _publish(verifier: StoreVerifier, full: bool) -> None:
    report = verifier.report()
    items = report["broken"] + report["problems"]
    state = "intact" if report["ok"] else "failed"
    was = STATE.get(verifier.source, {}).get("state")
    _set(verifier.source, state=state, checked_events=report["events"], head_position=report["head_position"],
         problems=len(items), first_problem=items[0] if items else None,
         checked_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    if not report["ok"] and was != "failed":
        first = items[0]
        log.error("integrity_failed", source=verifier.source, problems=len(items), check=first["check"],
                  stream=first.get("stream"), event_id=first.get("event_id"), position=first.get("position"),
                  message_vi=first["message_vi"], message_en=first["message_en"],
                  hint="dangvien audit verify names every broken stream")


def _verifier(source: str, store, book: SealBook, ring) -> StoreVerifier:
    return StoreVerifier(source, store, ring, book.load(source))


def run(stores: dict, owned: set[str], settings, stop=lambda: False, sleep=time.sleep) -> None:
    """The loop (runs in a green thread of every service process)."""
    from shared.keys import keyring
    try:
        ring = keyring()
    except Exception as exc:
        for source in stores:
            _set(source, state="error", error=str(exc))
        log.error("integrity_key_unavailable", error=str(exc))
        return
    book = SealBook(settings.seal_path())
    verifiers: dict[str, StoreVerifier] = {}
    known: dict[str, dict] = {}  # source -> the head its last verifier verified, as a seal kept in memory
    for source, store in stores.items():
        _set(source, state="checking", checked_events=0, head_position=None)
        try:
            if source in owned:
                env = upgrade(store, source, ring)
                if env is not None:
                    log.warning("integrity_upgraded", source=source, legacy_events=env.data["legacy_event_count"])
        except ValueError as exc:
            log.error("integrity_upgrade_refused", source=source, error=str(exc))
        except Exception as exc:
            log.warning("integrity_upgrade_error", source=source, error=type(exc).__name__)
    interval = max(float(settings.integrity_interval_seconds), 0.05)
    rounds = 0
    last_seal: dict[str, float] = {}
    while not stop():
        full = rounds % FULL_EVERY == 0
        for source, store in stores.items():
            if stop():
                return
            try:
                if full or source not in verifiers:
                    verifiers[source] = _verifier(source, store, book, ring)
                    if source in known:
                        verifiers[source].add_seals([known[source]])
                verifier = verifiers[source]
                before = verifier.position
                verifier.advance(progress=lambda n, s=source: _set(s, checked_events=n), pause=lambda: sleep(0))
                if verifier.count and (verifier.position != before or source not in known):
                    known[source] = verifier.seal()
                _publish(verifier, full)
                if verifier.ok and verifier.position > 0 and (
                        verifier.position != before or source not in last_seal) \
                        and time.monotonic() - last_seal.get(source, -1e9) >= interval:
                    seal = verifier.seal()
                    if not any(s["head_position"] == seal["head_position"] and s["last_hash"] == seal["last_hash"]
                               for s in verifier.seals[-1:]):
                        book.add(seal)
                        verifier.seals.append(seal)
                    last_seal[source] = time.monotonic()
                    _set(source, sealed_head=seal["head_position"])
            except Exception as exc:  # the store is down: fault handling reports it elsewhere
                failed = STATE.get(source, {}).get("state") == "failed"
                _set(source, state="failed" if failed else "error", error=type(exc).__name__)
                log.warning("integrity_check_error", source=source, error=type(exc).__name__, still_failed=failed)
                verifiers.pop(source, None)
        rounds += 1
        waited = 0.0
        while waited < interval and not stop():
            sleep(min(0.5, interval - waited))
            waited += min(0.5, interval - waited)


def start(settings, owned: list[str]) -> None:
    """Spawn the loop for the stores this process has opened (call after the services started)."""
    if settings.integrity_interval_seconds <= 0:
        return
    import eventlet

    from shared import runtime
    from shared.config import SERVICES
    stores = {}
    for source in SERVICES:
        store = runtime._stores.get(settings.store_url(source))
        if store is not None:
            stores[source] = store
    if stores:
        eventlet.spawn(run, stores, set(owned), settings, sleep=eventlet.sleep)
