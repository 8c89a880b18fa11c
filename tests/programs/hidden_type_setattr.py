"""A special method that is a C callable bound to an object, given to a
class after it was made by calling type.__setattr__ as a function (which
no wrapper of type's slots would see): `o + 2` then runs log.append(2)
with no Python code and no event, from a plain line that stores into a
local; the change shows in the next line's Step."""


class Box:
    pass


def set_by_type():
    log = []
    o = Box()
    type.__setattr__(Box, "__add__", log.append)
    x = o + 2           # log.append(2)
    k = len(log)
    k = k + 1
    return log


print(set_by_type())
