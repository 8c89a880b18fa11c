"""A sibling module of the corpus programs that change objects from Python
hooks run inside a line (not a corpus program itself)."""


class Index:
    """an index (or a key) whose __index__ (Python) changes a list"""

    def __init__(self, other):
        self.other = other

    def __index__(self):
        self.other.append(1)
        return 0
