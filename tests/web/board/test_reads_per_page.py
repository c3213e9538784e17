"""What a board page costs the database: statements counted per request.

The round and the person's standing on it are loaded once per request (the guard
and the round dependency share them), not once by each layer that asks.
"""

from __future__ import annotations

import inspect

import pytest

from tests.web.board.conftest import analysed
from tests.web.staff.conftest import signed_in


class Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []


@pytest.fixture
def counted(client, monkeypatch) -> Counter:
    """Counts each read the app asks of its database, on either backend (a read made
    inside another, as SQLite's fetch_one through fetch_all, counts once)."""
    counter = Counter()
    backend = type(client.app.state.db)
    depth = [0]

    def counting(name, method):
        if inspect.iscoroutinefunction(method):

            async def wrapper(self, sql, *args, **kwargs):
                if depth[0] == 0:
                    counter.statements.append(sql)
                depth[0] += 1
                try:
                    return await method(self, sql, *args, **kwargs)
                finally:
                    depth[0] -= 1

        else:

            def wrapper(self, sql, *args, **kwargs):
                if depth[0] == 0:
                    counter.statements.append(sql)
                depth[0] += 1
                try:
                    return method(self, sql, *args, **kwargs)
                finally:
                    depth[0] -= 1

        return wrapper

    for name in ("fetch_all", "fetch_one", "fetch_one_quick", "quick_one", "quick_all"):
        method = getattr(backend, name, None)
        if method is not None:
            monkeypatch.setattr(backend, name, counting(name, method))
    return counter


def membership_reads(statements: list[str]) -> int:
    return sum("round_members" in sql for sql in statements)


def round_loads(statements: list[str]) -> int:
    return sum(sql.startswith("SELECT * FROM rounds WHERE") for sql in statements)


async def test_board_home_reads(client, board, counted) -> None:
    await analysed(board)
    member = await signed_in(client, "board")
    path = f"/staff/rounds/{board['round'].id}/board"
    await member.get(path)  # warm: the account service's key, the catalogues
    counted.statements.clear()
    page = await member.get(path)
    assert page.status_code == 200
    print(
        f"\nboard home: {len(counted.statements)} reads, "
        f"{membership_reads(counted.statements)} of them membership"
    )
    for sql in counted.statements:
        print("   ", " ".join(sql.split())[:140])
    # measured before the access policy: 35 reads, 4 of them membership
    assert membership_reads(counted.statements) == 1
    assert round_loads(counted.statements) == 1


async def test_board_question_reads(client, board, counted) -> None:
    await analysed(board)
    member = await signed_in(client, "board")
    path = f"/staff/rounds/{board['round'].id}/board/q/{board['question']}"
    await member.get(path)
    counted.statements.clear()
    page = await member.get(path)
    assert page.status_code == 200
    print(
        f"\nboard question: {len(counted.statements)} reads, "
        f"{membership_reads(counted.statements)} of them membership"
    )
    # measured before the access policy: 23 reads, 3 of them membership
    assert membership_reads(counted.statements) == 1
    assert round_loads(counted.statements) == 1
