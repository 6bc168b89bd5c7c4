"""The in-process runtime: a query is answered when it ends within its time, and past it the client gets the
late answer at once, while the query runs on in its thread."""

from __future__ import annotations

import gc
import sys
import threading
import time

import pytest
from werkzeug.exceptions import ServiceUnavailable

from server.runtime import Runtime


def late() -> ServiceUnavailable:
    return ServiceUnavailable("too late")


def test_work_within_its_time_gives_its_result():
    """Work that ends in time gives its result, and the late answer is not made."""
    made = []
    assert Runtime().within(5, lambda: 42, lambda: made.append(1) or late()) == 42
    assert made == []


def test_work_past_its_time_gets_the_late_answer_at_the_limit():
    """Past the limit, the late answer is raised at the limit, not when the work ends."""
    ended = threading.Event()
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="too late"):
        Runtime().within(0.2, lambda: ended.wait(5), late)
    assert 0.2 <= time.monotonic() - started < 1
    ended.set()


def test_an_error_of_the_work_is_raised_to_the_caller():
    """An error the work raises reaches the caller, as if it had run there."""
    def fail():
        raise ValueError("bad query")
    with pytest.raises(ValueError, match="bad query"):
        Runtime().within(5, fail, late)


def test_queries_past_their_time_cannot_pile_up():
    """In process, a late query runs on to its end: while as many as the runtime allows are running, the next
    query is answered 503 at its limit, saying why; once one ends, queries run again."""
    runtime, ended = Runtime(running=1), threading.Event()
    with pytest.raises(ServiceUnavailable, match="too late"):
        runtime.within(0.1, lambda: ended.wait(5), late)
    with pytest.raises(ServiceUnavailable, match="no room to run the query within 0.1 s: 1 queries are still running"):
        runtime.within(0.1, lambda: 1, late)
    ended.set()
    time.sleep(0.1)
    assert runtime.within(1, lambda: 2, late) == 2


def test_the_work_s_results_are_let_go_in_its_own_thread(stored, monkeypatch):
    """A pyoxigraph result the work made, then failed after, is dropped in the work's thread (pyoxigraph refuses
    to drop it in another): nothing is reported as unraisable when the error is collected in the caller's."""
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    store = stored([])

    def fail():
        rows = store.query("SELECT * WHERE { ?s ?p ?o }")  # noqa: F841 -- alive in this frame when it fails
        raise ValueError("after the result was made")
    for _ in range(3):
        with pytest.raises(ValueError):
            Runtime().within(5, fail, late)
    gc.collect()
    assert reported == []


def test_kept_alive_beats_while_the_block_runs():
    """While a long request runs in a kept_alive block, the heartbeat is called at each interval, then stops."""
    beats = []

    class Counting(Runtime):
        def heartbeat(self):
            beats.append(time.monotonic())
    with Counting().kept_alive(every=0.1):
        time.sleep(0.35)
    after = len(beats)
    time.sleep(0.25)
    assert 2 <= after <= 4  # about one beat per 0.1 s
    assert len(beats) == after
