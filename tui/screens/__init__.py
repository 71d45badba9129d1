"""The TUI's screens: five main modes, their dialogs, and the help screen."""
