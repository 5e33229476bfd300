"""The per-request memo: a read made once inside a scope, every time outside one (issue 16);
never shared between requests, in a row or in concurrent threads."""

from __future__ import annotations

import threading
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from portal.memo import memo_forget, memo_keep, memo_kept, memo_per_request, memo_scope, memoized


class _Reads:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> int:
        self.count += 1
        return self.count


def test_outside_a_scope_every_call_reads() -> None:
    reads = _Reads()
    assert [memoized("k", reads), memoized("k", reads)] == [1, 2]


def test_inside_a_scope_a_key_is_read_once_and_the_scope_ends_with_its_block() -> None:
    reads = _Reads()
    with memo_scope():
        assert [memoized("k", reads), memoized("k", reads)] == [1, 1]
        assert memoized("other", lambda: "x") == "x"
    with memo_scope():  # a new request: read again
        assert memoized("k", reads) == 2
    assert memoized("k", reads) == 3


def test_forget_drops_a_key_after_a_write() -> None:
    reads = _Reads()
    memo_forget("k")  # outside a scope: nothing to drop, no error
    with memo_scope():
        memoized("k", reads)
        memo_forget("k")
        assert memoized("k", reads) == 2


def test_a_none_answer_is_kept_too() -> None:
    calls: list[None] = []
    with memo_scope():
        for _ in range(3):
            assert memoized("none", lambda: calls.append(None)) is None
    assert len(calls) == 1


def test_the_view_decorator_gives_each_call_its_own_scope() -> None:
    reads = _Reads()

    @memo_per_request
    def view(name: str) -> tuple[str, int, int]:
        return name, memoized("k", reads), memoized("k", reads)

    assert view("a") == ("a", 1, 1)
    assert view("b") == ("b", 2, 2)
    assert view.__name__ == "view"


def _remembering_view() -> Any:
    """A view that keeps the ``who`` of its request and answers what was kept before it."""

    @memo_per_request
    def view(request: HttpRequest) -> HttpResponse:
        before = memo_kept("who")
        memo_keep("who", request.GET["who"])
        return HttpResponse(f"{before}|{memo_kept('who')}")

    return view


def test_keep_and_kept_last_one_scope_and_nothing_is_kept_outside_one() -> None:
    memo_keep("k", 1)  # outside a scope: nothing kept, no error
    assert memo_kept("k") is None
    with memo_scope():
        memo_keep("k", 7)
        assert memo_kept("k") == 7
        assert memoized("k", lambda: 8) == 7  # one memo: keep and memoized share it
    assert memo_kept("k") is None


def test_two_requests_in_a_row_do_not_share_values() -> None:
    view = _remembering_view()
    factory = RequestFactory()
    answers = [view(factory.get("/", {"who": who})).content.decode() for who in ("ada", "bob")]
    assert answers == ["None|ada", "None|bob"]


def test_concurrent_requests_in_threads_do_not_share_values() -> None:
    view = _remembering_view()
    factory = RequestFactory()
    # Both threads keep their value, then wait until the other has kept its own, then read:
    # with one memo for the process each would read the other's (or the last writer's).
    both_kept = threading.Barrier(2, timeout=10)
    answers: dict[str, str] = {}

    @memo_per_request
    def racing(request: HttpRequest) -> HttpResponse:
        memo_keep("who", request.GET["who"])
        both_kept.wait()
        return HttpResponse(str(memo_kept("who")))

    def run(who: str) -> None:
        answers[who] = racing(factory.get("/", {"who": who})).content.decode()

    threads = [threading.Thread(target=run, args=(who,)) for who in ("ada", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert answers == {"ada": "ada", "bob": "bob"}
    # A thread outside any scope sees nothing of a scope open in another thread.
    seen: list[Any] = []
    with memo_scope():
        memo_keep("who", "main")
        outside = threading.Thread(target=lambda: seen.append(memo_kept("who")))
        outside.start()
        outside.join(10)
    assert seen == [None]
    assert view(factory.get("/", {"who": "cy"})).content.decode() == "None|cy"
