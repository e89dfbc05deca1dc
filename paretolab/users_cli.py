"""``paretolab users add|remove|list``: the dashboard's users file (``PARETOLAB_USERS``).

``add`` asks for the password twice (or reads one line with ``--password-stdin``) and
writes its scrypt hash, never the password; ``--oidc`` adds an e-mail that signs in
through the identity provider, with no password. The file is rewritten atomically and
readable by its owner only.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

import yaml

from paretolab import auth, sessions, settings
from paretolab.errors import UserError
from paretolab.files import write_atomically
from paretolab.terminal import echo, printable

MIN_PASSWORD_LENGTH = 8  # NIST SP 800-63B's minimum for a password the user chooses


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``users`` command and its sub-commands."""
    users = subparsers.add_parser("users", help="dashboard users and roles (the users file)")
    sub = users.add_subparsers(dest="users_command", required=True)

    def file_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--file", help=f"the users file (default: ${auth.USERS_ENV})")

    add = sub.add_parser("add", help="add a user or change their role or password")
    add.add_argument("name", help="user name (for --oidc: the e-mail the provider sends)")
    add.add_argument("--role", choices=auth.ROLES, default="member", help="default: member")
    add.add_argument(
        "--oidc", action="store_true", help="signs in through st.login: a role, no password"
    )
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    file_option(add)
    add.set_defaults(handler=_add)

    remove = sub.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    file_option(remove)
    remove.set_defaults(handler=_remove)

    ls = sub.add_parser("list", help="users and their roles (never their hashes)")
    file_option(ls)
    ls.set_defaults(handler=_list)


def _path(args: argparse.Namespace) -> Path:
    path = args.file or settings.users_file()
    if not path:
        raise UserError(f"say which users file: --file PATH, or set {auth.USERS_ENV}")
    return Path(path)


def _read(path: Path) -> auth.Users:
    return auth.load_users(path) if path.exists() else {}


def _write(path: Path, users: auth.Users) -> None:
    if path.parent != Path() and not path.parent.is_dir():
        raise UserError(f"{path.parent} is not a folder: create it first")
    write_atomically(path, yaml.safe_dump(users, sort_keys=False, allow_unicode=True))


def _add(args: argparse.Namespace) -> int:
    path = _path(args)
    name = args.name.strip()
    if not name or any(c.isspace() for c in name) or len(name) > 200:
        raise UserError(f"{args.name!r}: a user name is 1 to 200 characters, no spaces")
    users = _read(path)
    entry = {"role": args.role}
    if not args.oidc:
        entry["password"] = auth.hash_password(_new_password(args.password_stdin))
    verb = "changed" if name in users else "added"
    users[name] = entry
    _write(path, users)
    if verb == "changed":  # a new password or role: signed-in browsers sign in again
        sessions.end_sessions(name)
    how = "signs in through the identity provider" if args.oidc else "signs in with a password"
    echo(f"{path}: {verb} {name} ({args.role}; {how})")
    return 0


def _new_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise UserError("the two passwords differ: nothing changed")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    return password


def _remove(args: argparse.Namespace) -> int:
    path = _path(args)
    users = _read(path)
    if args.name not in users:
        raise UserError(f"{path} has no user {args.name!r} (see `paretolab users list`)")
    del users[args.name]
    _write(path, users)
    sessions.end_sessions(args.name)
    echo(f"{path}: removed {args.name}")
    return 0


def _list(args: argparse.Namespace) -> int:
    path = _path(args)
    for name, entry in _read(path).items():
        fields = (name, entry["role"], "password" if "password" in entry else "oidc")
        print("\t".join(printable(f) for f in fields))  # tabs between, escaped within
    return 0
