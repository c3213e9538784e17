"""Staff accounts in the store and through the service and CLI."""

from __future__ import annotations

import io

import pytest

from codesign.cli import main
from codesign.services.accounts import (
    AccountError,
    AccountService,
    check_password,
    clean_text,
)
from codesign.store import users as user_store


async def test_passwords_are_argon2id_hashes(empty_db) -> None:
    service = AccountService(empty_db, "k")
    user = await service.create_user("Ana@Example.org", "organizer", "a calm long passphrase")
    assert user.email == "ana@example.org"
    found, stored = await user_store.by_email(empty_db, "ana@example.org")
    assert stored.startswith("$argon2id$") and "a calm" not in stored
    assert (await service.sign_in("ana@example.org", "a calm long passphrase", "c")).user == found


@pytest.mark.parametrize(
    "password",
    [
        "short",
        "password1234",
        "aaaaaaaaaaaaaaaa",
        "qwertyuiop123",
        "x" * 300,
        # A keyboard run and a season with a year: long enough, easy to guess.
        "qwertyuiop12",
        "Summer2026!!",
        "Riverside2026!",
    ],
)
def test_weak_or_silly_passwords_are_refused(password: str) -> None:
    with pytest.raises(AccountError):
        check_password(password)


def test_the_email_is_a_guessable_password() -> None:
    with pytest.raises(AccountError):
        check_password("ana.lopez.ramirez@example.org", "ana.lopez.ramirez@example.org")
    check_password("a calm long passphrase", "ana@example.org")  # no exception


async def test_roles_and_duplicates_are_checked(empty_db) -> None:
    service = AccountService(empty_db, "k")
    with pytest.raises(AccountError):
        await service.create_user("a@example.org", "owner", "a calm long passphrase")
    with pytest.raises(AccountError):
        await service.create_user("not an email", "admin", "a calm long passphrase")
    await service.create_user("a@example.org", "admin", "a calm long passphrase")
    with pytest.raises(AccountError):
        await service.create_user("A@example.org", "board", "another calm passphrase")


def test_clean_text_shows_control_characters_instead_of_obeying_them() -> None:
    assert clean_text("a\nb\rc\x1b[31m\u202e") == "a\\u000ab\\u000dc\\u001b[31m\\u202e"
    assert clean_text("x" * 300, 10) == "x" * 10 + "…"


def test_cli_creates_users_and_sets_passwords(tmp_path, monkeypatch, capsys) -> None:
    path = str(tmp_path / "cli.db")
    monkeypatch.setattr("sys.stdin", io.StringIO("a calm long passphrase\n"))
    assert (
        main(
            [
                "create-user",
                "--email",
                "o@example.org",
                "--role",
                "organizer",
                "--password-stdin",
                "--db",
                path,
            ]
        )
        == 0
    )
    assert "created o@example.org (organizer)" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["set-password", "--email", "o@example.org", "--password-stdin", "--db", path]) == 1
    assert "at least 12 characters" in capsys.readouterr().err
    # Without --password-stdin the password is asked for twice, never echoed.
    answers = iter(["new calm passphrase", "new calm passphrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["set-password", "--email", "o@example.org", "--db", path]) == 0
    monkeypatch.setenv("CODESIGN_DB", path)
    monkeypatch.setattr("sys.stdin", io.StringIO("a calm long passphrase\n"))
    from codesign.cli import build_parser

    args = build_parser().parse_args(
        ["create-user", "--email", "b@example.org", "--role", "board", "--password-stdin"]
    )
    assert args.db == path


async def test_a_link_is_kept_only_as_a_hash_and_two_uses_at_once_get_one_password(
    empty_db,
) -> None:
    import asyncio

    service = AccountService(empty_db, "k")
    admin = await service.create_user("boss@example.org", "admin", "a calm long passphrase")
    invited, token = await service.invite(admin, "new@example.org", "board")
    rows = await empty_db.fetch_all("SELECT * FROM account_links")
    assert len(rows) == 1 and token not in repr([tuple(r) for r in rows])
    first, second = "kettle orchard lantern velvet", "meadow copper violin harbour"
    results = await asyncio.gather(
        service.use_link(token, first), service.use_link(token, second), return_exceptions=True
    )
    assert sum(isinstance(r, AccountError) for r in results) == 1
    won = first if not isinstance(results[0], AccountError) else second
    assert (await service.sign_in("new@example.org", won, "127.0.0.1")).user is not None
    lost = second if won == first else first
    assert (await service.sign_in("new@example.org", lost, "127.0.0.1")).user is None
    assert invited.invited and not (await user_store.by_id(empty_db, invited.id)).invited


async def test_an_invited_account_cannot_sign_in_before_choosing_a_password(empty_db) -> None:
    service = AccountService(empty_db, "k")
    admin = await service.create_user("boss@example.org", "admin", "a calm long passphrase")
    await service.invite(admin, "new@example.org", "organizer")
    for guess in ("", " ", "a calm long passphrase"):
        assert (await service.sign_in("new@example.org", guess, "127.0.0.1")).user is None
    with pytest.raises(AccountError):
        await service.invite(admin, "NEW@example.org", "organizer")  # taken, any case
