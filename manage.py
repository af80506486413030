#!/usr/bin/env python
"""Developer shortcut: the ``masthead`` command with development settings."""

from masthead.cli import main

if __name__ == "__main__":
    main(default_settings="masthead.settings.dev")
