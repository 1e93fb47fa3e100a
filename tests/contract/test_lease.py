"""One relay per store among replicas: the lease is exclusive while its holder lives."""
import time



def test_a_second_holder_is_refused_until_the_first_lets_go(backend):
    first, second = backend.open(), backend.open()
    assert first.try_lease("relay") is True
    assert first.try_lease("relay") is True  # re-entrant for its holder
    assert second.try_lease("relay") is False
    assert second.try_lease("other") is True  # leases are per name
    first.close()
    for handle in getattr(first, "_leases", {}).values() if isinstance(getattr(first, "_leases", None), dict) else []:
        handle.close()
    if getattr(first, "_lease_conn", None) is not None:
        first._lease_conn.close()  # the holder's session ends, as when its process dies
    # the server frees a dead session's locks asynchronously: a standby relay retries, so do we
    deadline = time.monotonic() + 10
    while not second.try_lease("relay") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert second.try_lease("relay") is True
    second.close()
