"""A special method that is a C callable bound to an object, given to a
class after it was made by setattr() (`__len__ = items.pop`): `not o`
then pops an item of a list the caller holds, with no Python code and no
event, from a plain line that stores into a local; the change shows in
the next line's Step (as hidden_set_dunder.py's plain store)."""


class Box:
    pass


def set_by_name():
    items = [1, 2, 3]
    o = Box()
    setattr(Box, "__len__", items.pop)
    x = not o           # items.pop()
    k = len(items)
    k = k + 1
    return items


print(set_by_name())
