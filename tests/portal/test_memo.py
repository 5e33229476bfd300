"""The per-request memo: a read made once inside a scope, every time outside one (issue 16)."""

from __future__ import annotations

from portal.memo import memo_forget, memo_per_request, memo_scope, memoized


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
