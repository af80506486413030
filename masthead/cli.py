"""The ``masthead`` command: Django's command line with masthead's settings.

``masthead migrate``, ``masthead serve``, ``masthead worker``, ``masthead seed_demo``…
Operators never need ``manage.py`` or a checkout.
"""

from __future__ import annotations

import os
import sys


def main(default_settings: str = "masthead.settings.production") -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings)
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except KeyboardInterrupt:
        # Ctrl-C is how operators stop `serve` and `worker`: no traceback for it.
        sys.exit(130)
    except ImproperlyConfigured as error:
        # A missing variable is an operator's mistake, not a crash: one clear line.
        sys.stderr.write(f"masthead: {error}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
