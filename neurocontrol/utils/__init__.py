"""What every layer uses: configs and dotted keys, validation, atomic files, random
generators, checkpoint files, the env registration and env facts."""
